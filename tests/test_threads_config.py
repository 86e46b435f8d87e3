"""set_num_threads binds the real BLAS pools; __config__ reports versions and real pools."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import ember
from ember import __config__ as config
from ember import _threads as T
from tests.harness import torch


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture
def restore_threads():
    before = T.get_num_threads()
    saved = dict(T._state)
    yield before
    T.set_num_threads(before)
    T._state.update(interop=saved["interop"], interop_set=saved["interop_set"])


def test_default_is_what_blas_uses():
    pools = _blas_threads()
    if T._state["threads"] is None and pools:
        assert T.get_num_threads() == max(pools)
    assert T.get_num_threads() >= 1
    assert T.get_num_interop_threads() >= 1


@pytest.mark.skipif(not _blas_threads(), reason="no BLAS pool found by threadpoolctl")
def test_set_num_threads_binds_blas(restore_threads):
    T.set_num_threads(1)
    assert T.get_num_threads() == 1
    assert _blas_threads() and all(n == 1 for n in _blas_threads())
    a = np.random.default_rng(0).standard_normal((64, 64))
    x = ember.tensor(a)
    np.testing.assert_allclose((x.numpy() @ x.numpy()), a @ a)
    T.set_num_threads(2)
    assert T.get_num_threads() == 2
    assert all(n == 2 for n in _blas_threads())
    T.reapply()
    assert all(n == 2 for n in _blas_threads())


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None])
def test_set_num_threads_errors_like_torch(bad, restore_threads):
    with pytest.raises(RuntimeError) as t:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError) as e:
        T.set_num_threads(bad)
    if isinstance(bad, int):
        assert str(e.value) == str(t.value) == "set_num_threads expects a positive integer"
    else:
        assert str(e.value) == f"set_num_threads expects an int, but got {type(bad).__name__}"
    assert T.get_num_threads() == restore_threads


def test_interop_threads(restore_threads):
    T._state.update(interop=None, interop_set=False)
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive integer"):
        T.set_num_interop_threads(0)
    T.set_num_interop_threads(3)
    assert T.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        T.set_num_interop_threads(2)
    assert T.get_num_interop_threads() == 3


def test_parallel_info_shape_and_real_pools(restore_threads):
    T.set_num_threads(1)
    info = config.parallel_info()
    lines = info.splitlines()
    assert lines[:3] == ["ATen/Parallel:", "\tat::get_num_threads() : 1",
                         f"\tat::get_num_interop_threads() : {T.get_num_interop_threads()}"]
    # torch's layout: the same three header lines, then libraries, env vars, backend
    t_lines = torch.__config__.parallel_info().splitlines()
    assert t_lines[0] == "ATen/Parallel:"
    assert re.fullmatch(r"\tat::get_num_threads\(\) : \d+", t_lines[1])
    for p in threadpool_info():
        assert f"\tfilepath : {p['filepath']}" in lines
        assert str(p.get("version") or "") in info
    if _blas_threads():
        getter = [ln for ln in lines if "get_num_threads() : " in ln and "at::" not in ln
                  or "get_max_threads() : " in ln]
        assert getter and all(ln.endswith(" : 1") for ln in getter)
    assert any(ln.startswith("std::thread::hardware_concurrency() : ") for ln in lines)
    assert "Environment variables:" in lines and "\tOMP_NUM_THREADS : " in info
    assert lines[-1].startswith("ATen parallel backend: ")
    T.set_num_threads(2)
    assert "\tat::get_num_threads() : 2" in config.parallel_info()


def test_show():
    import ml_dtypes
    import threadpoolctl

    s = config.show()
    assert isinstance(s, str)
    assert f"Ember {ember.__version__}" in s
    assert f"NumPy {np.__version__}" in s
    assert f"ml_dtypes {ml_dtypes.__version__}" in s
    assert f"threadpoolctl {threadpoolctl.__version__}" in s
    for p in threadpool_info():
        if p["user_api"] == "blas":
            assert p["internal_api"] in s and p["filepath"] in s
            assert f"threading_layer={p['threading_layer']}" in s
            if p.get("version"):
                assert p["version"] in s
    assert "CUDA: " in s


def test_config_and_threads_do_not_import_cupy():
    code = ("import sys, ember, ember.__config__ as c, ember._threads as t, ember.cuda;"
            "c.show(); c.parallel_info(); t.get_num_threads();"
            "assert 'cupy' not in sys.modules, 'cupy imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert r.returncode == 0, r.stderr
