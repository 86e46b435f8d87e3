"""ember._alloc: malloc thresholds are raised on glibc, and the switch turns it off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).parents[1])
CODE = "import ember, ember._alloc as a; print(a.state['enabled'])"


def _run(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("EMBER_MALLOC_CACHE", None)
    if env_value is not None:
        env["EMBER_MALLOC_CACHE"] = env_value
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT,
                       env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux") or
                    os.confstr("CS_GNU_LIBC_VERSION") is None, reason="glibc only")
def test_glibc_thresholds_are_raised_on_import():
    assert _run(None) == "True"


def test_switch_keeps_the_c_library_defaults():
    assert _run("0") == "False"
