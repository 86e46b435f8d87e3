"""The op catalogue in docs/ stays in step with the registry."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ops_md_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_op_docs", ROOT / "tools" / "gen_op_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    current = (ROOT / "docs" / "ops.md").read_text()
    assert current == mod.render(), "docs/ops.md is stale: run `python tools/gen_op_docs.py`"
