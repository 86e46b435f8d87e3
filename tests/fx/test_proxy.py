"""Untraceable code: TraceErrors that name the user's line, and fx.explain's full report."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx import TraceError, UntraceableError


def _line_of(fn: object, text: str) -> int:
    lines, start = inspect.getsourcelines(fn)  # type: ignore[arg-type]
    return start + next(i for i, ln in enumerate(lines) if text in ln)


def f_if(x: ember.Tensor) -> ember.Tensor:
    if x.sum() > 0:
        return x
    return -x


def f_len(x: ember.Tensor) -> ember.Tensor:
    return x * len(x)


def f_int(x: ember.Tensor) -> ember.Tensor:
    return x * int(x.max())


def f_float(x: ember.Tensor) -> ember.Tensor:
    return x * float(x.mean())


def f_iter(x: ember.Tensor) -> ember.Tensor:
    out = x
    for row in x:
        out = out + row
    return out


def f_numpy(x: ember.Tensor) -> ember.Tensor:
    return x + np.asarray(x).sum()


CASES = [(f_if, "if x.sum() > 0", "bool"), (f_len, "len(x)", "len"),
         (f_int, "int(x.max())", "int"), (f_float, "float(x.mean())", "float"),
         (f_iter, "for row in x", "iter"), (f_numpy, "np.asarray(x)", "numpy")]


@pytest.mark.parametrize("fn,text,kind", CASES, ids=[c[2] for c in CASES])
def test_trace_error_names_file_line_and_source(fn: object, text: str, kind: str) -> None:
    with pytest.raises(UntraceableError) as info:
        ember.fx.symbolic_trace(fn)
    e = info.value
    assert isinstance(e, TraceError) and isinstance(e, ValueError)
    assert e.kind == kind
    assert e.filename == __file__ and e.lineno == _line_of(fn, text)
    msg = str(e)
    assert text in msg and f"line {e.lineno}" in msg and __file__ in msg
    assert "concrete_args" in msg and "wrap" in msg and "leaf" in msg


class Branchy(ember.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = ember.nn.Linear(4, 4)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        h = self.lin(x)
        if h.mean() > 100:  # spot 1
            h = h * 2
        n = int(h.shape[0])  # spot 2
        for i in range(n):
            h = h + i
        return h * len(h)  # spot 3


def test_explain_lists_every_spot_and_uses_example_values() -> None:
    m = Branchy()
    x = ember.randn(3, 4)
    report = ember.fx.explain(m, x)
    assert [i.kind for i in report.issues] == ["bool", "int", "len"]
    assert [i.lineno for i in report.issues] == [
        _line_of(Branchy.forward, "spot 1"), _line_of(Branchy.forward, "spot 2"),
        _line_of(Branchy.forward, "spot 3")]
    text = str(report)
    assert "3 spot(s)" in text and "if h.mean() > 100" in text and "concrete_args" in text
    # the example value steered the trace: the loop ran 3 times, `if` took the False branch
    adds = [n for n in report.graph.nodes if n.op == "call_function"
            and getattr(n.target, "__name__", "") == "add"]
    assert len(adds) == 3
    assert not report.traceable
    assert m.lin.weight.grad is None  # the module itself was not run


def test_explain_clean_module_and_guesses_without_inputs() -> None:
    report = ember.fx.explain(ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU()))
    assert report.traceable and "traces cleanly" in str(report)
    r2 = ember.fx.explain(Branchy())  # no example inputs: guesses, still lists every spot
    assert [i.kind for i in r2.issues] == ["bool", "int", "len"]


def test_explain_reports_other_errors_at_the_user_line() -> None:
    class Bad(ember.nn.Module):
        def forward(self, x: ember.Tensor) -> ember.Tensor:
            return x + undefined_name  # type: ignore[name-defined]  # noqa: F821

    r = ember.fx.explain(Bad(), ember.zeros(2))
    assert r.issues[0].kind == "error" and "NameError" in r.issues[0].message
    assert "undefined_name" in r.issues[0].source


def test_stack_trace_recorded_and_runtime_error_points_at_user_line() -> None:
    def f(x: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
        a = x.relu()
        return a @ y  # the failing line

    gm = ember.fx.symbolic_trace(f)
    mm = next(n for n in gm.graph.nodes if n.op == "call_function")
    assert mm.stack_trace is not None
    assert f'File "{__file__}", line {_line_of(f, "the failing line")}' in mm.stack_trace
    assert "return a @ y" in mm.stack_trace
    with pytest.raises(RuntimeError) as info:
        gm(ember.randn(2, 3), ember.randn(4, 5))
    notes = "\n".join(getattr(info.value, "__notes__", [])) + str(info.value)  # 3.10: in args
    assert "matmul" in notes and "return a @ y" in notes
    assert f"line {_line_of(f, 'the failing line')}" in notes
    import traceback

    tb = "".join(traceback.format_exception(info.value))
    assert "matmul = relu @ y" in tb  # linecache shows the generated line in the traceback


def test_iteration_of_known_length_is_traced() -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        out = x
        for part in x.split([1, 2], dim=0):
            out = out + part.sum()
        a, b, c = x.unbind(0)
        return out + a + b + c

    gm = ember.fx.symbolic_trace(f)
    x = ember.randn(3, 2)
    np.testing.assert_allclose(gm(x).numpy(), f(x).numpy(), rtol=1e-6)


def test_proxy_repr_getattr_and_setitem() -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        y = x.clone()
        y[0] = 5.0
        return y

    gm = ember.fx.symbolic_trace(f)
    assert "y = x.clone()" not in gm.code and "setitem" in gm.code
    x = ember.zeros(2)
    np.testing.assert_array_equal(gm(x).numpy(), [5.0, 0.0])
    gm.graph.eliminate_dead_code()  # setitem is a side effect: kept
    gm.recompile()
    np.testing.assert_array_equal(gm(x).numpy(), [5.0, 0.0])


def test_patches_are_restored_after_a_failed_trace() -> None:
    call, getattr_ = ember.nn.Module.__call__, ember.nn.Module.__getattr__
    with pytest.raises(UntraceableError):
        ember.fx.symbolic_trace(Branchy())
    assert ember.nn.Module.__call__ is call and ember.nn.Module.__getattr__ is getattr_
    m = Branchy()
    assert m(ember.randn(2, 4)).shape == (2, 4)  # eager calls work again
