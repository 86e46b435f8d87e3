"""The __torch_function__ protocol: every public op and method goes through it."""

import numpy as np
import pytest

import ember
from ember.ops import FUNCTIONS, METHODS


class Recorder:
    """A non-tensor type that intercepts every op it is passed to (like fx's Proxy)."""

    calls: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append(func.__name__)
        return "intercepted"


def test_functions_and_methods_see_the_override():
    Recorder.calls.clear()
    x = ember.ones(2)
    assert ember.add(x, Recorder()) == "intercepted"
    assert ember.mul(Recorder(), 2) == "intercepted"
    assert x.add(Recorder()) == "intercepted"
    assert (x + Recorder()) == "intercepted"
    assert ember.cat([x, Recorder()]) == "intercepted" if "cat" in FUNCTIONS else True
    assert ember.add(x, other=Recorder()) == "intercepted"
    assert Recorder.calls[:4] == ["add", "mul", "add", "__add__"]


def test_every_registered_callable_is_a_dispatch_wrapper():
    for name, fn in list(FUNCTIONS.items()) + list(METHODS.items()):
        assert getattr(fn, "_ember_kind", None) in ("function", "method"), name


def test_method_and_function_are_distinct_objects():
    assert ember.Tensor.add is not ember.add
    assert ember.Tensor.add._ember_kind == "method" and ember.add._ember_kind == "function"


class MyTensor(ember.Tensor):
    pass


def test_subclass_results_keep_the_subclass():
    x = ember.ones(3).as_subclass(MyTensor)
    y = x * 2 + 1
    assert type(y) is MyTensor
    np.testing.assert_allclose(y.numpy(), [3, 3, 3])
    assert type(x.view(3, 1)) is MyTensor


class Logged(ember.Tensor):
    log: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.log.append(func.__name__)
        return super().__torch_function__(func, types, args, kwargs)


def test_subclass_override_is_called_and_inner_calls_are_not_reintercepted():
    Logged.log.clear()
    x = ember.ones(2).as_subclass(Logged)
    y = x.sum()
    assert Logged.log == ["sum"]
    assert type(y) is Logged


def test_parameter_like_subclass_with_disabled_impl_takes_fast_path():
    class P(ember.Tensor):
        __torch_function__ = ember._disabled_torch_function_impl

    p = ember.ones(2).as_subclass(P)
    from ember.overrides import _PLAIN

    assert P in _PLAIN
    assert type(p * 2) is ember.Tensor


def test_no_implementation_raises_type_error():
    class Refuses:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    with pytest.raises(TypeError, match="no implementation found"):
        ember.add(ember.ones(1), Refuses())


def test_ember_debug_traces_ops_with_shapes_dtypes_devices():
    import subprocess
    import sys

    code = "import ember; x = ember.ones(2, 3); (x * 2).sum()"
    env = {"EMBER_DEBUG": "1", "PATH": "", "PYTHONPATH": "."}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "[ember] ones(2, 3) -> Tensor[2, 3]:float32@cpu" in r.stderr
    assert "[ember] Tensor.__mul__(Tensor[2, 3]:float32@cpu, 2) -> Tensor[2, 3]" in r.stderr
    assert "Tensor.sum(Tensor[2, 3]:float32@cpu) -> Tensor[]:float32@cpu" in r.stderr
