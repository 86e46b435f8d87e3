"""ember.library: custom ops through the registry's dispatch, compared with torch.library.

Op names are unique per test: an operator cannot be redefined in a process (as in torch).
"""

import numpy as np
import pytest

import ember
from ember import library
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")


def _sin_op(m, qual):
    @m.library.custom_op(qual, mutates_args=())
    def op(x: m.Tensor, scale: float = 1.0) -> m.Tensor:
        return x.sin() * scale

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.scale = inputs[1]

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * ctx.scale, None

    op.register_autograd(backward, setup_context=setup)
    return op


def test_custom_op_forward_backward_match_torch():
    e_op, t_op = _sin_op(ember, "emtest::sin1"), _sin_op(torch, "emtest::sin1")
    x = np.random.default_rng(0).standard_normal((3, 4))
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = e_op(xe, scale=2.0), t_op(xt, scale=2.0)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy())
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())
    assert str(e_op._opoverload._schema) == str(t_op._opoverload._schema)


def test_custom_op_gradcheck_and_ops_namespace():
    op = _sin_op(ember, "emtest::sin2")
    assert ember.ops.emtest.sin2 is op._opoverload
    assert ember.ops.emtest.sin2.default is op._opoverload
    assert library.ops.emtest.sin2 is op._opoverload
    x = ember.randn(5, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: ember.ops.emtest.sin2(t, 0.5), (x,))


def test_backward_without_formula_raises_like_torch():
    def make(m):
        @m.library.custom_op("emtest::nograd", mutates_args=())
        def f(x: m.Tensor) -> m.Tensor:
            return x * 2

        return f

    fe, ft = make(ember), make(torch)
    ye, yt = fe(ember.ones(2, requires_grad=True)), ft(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError) as ee:
        ye.sum().backward()
    with pytest.raises(RuntimeError) as et:
        yt.sum().backward()
    assert str(ee.value) == str(et.value)


def test_no_grad_inputs_skip_autograd():
    op = _sin_op(ember, "emtest::sin3")
    y = op(ember.ones(2))
    assert y.grad_fn is None and not y.requires_grad
    with ember.no_grad():
        assert op(ember.ones(2, requires_grad=True)).grad_fn is None


def test_fake_runs_on_meta_and_missing_fake_errors():
    @library.custom_op("emtest::cat2", mutates_args=())
    def cat2(x: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
        return ember.cat([x, y])

    with pytest.raises(
        RuntimeError,
        match="no fake impl registered for <CustomOpDef"
        r"\(emtest::cat2\)>",
    ):
        cat2(ember.empty(2, device="meta"), ember.empty(3, device="meta"))

    @cat2.register_fake
    def _(x, y):
        return ember.empty(x.shape[0] + y.shape[0], device=x.device)

    out = cat2(ember.empty(2, device="meta"), ember.empty(3, device="meta"))
    assert out.device.type == "meta" and out.shape == (5,)
    assert cat2(ember.ones(1), ember.zeros(1)).tolist() == [1.0, 0.0]


class Recorder:
    """A minimal __torch_function__ type, as fx's Proxy is: it records what was called."""

    calls: list = []

    def __init__(self, value):
        self.value = value

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append((func, args, kwargs or {}))
        return "recorded"


def test_custom_op_goes_through_torch_function_overrides():
    op = _sin_op(ember, "emtest::sin4")
    Recorder.calls = []
    r = Recorder(1)
    assert op(r, scale=3.0) == "recorded"
    assert ember.ops.emtest.sin4(r) == "recorded"
    (f1, a1, k1), (f2, a2, _k2) = Recorder.calls
    assert f1 is op._opoverload and f2 is op._opoverload
    assert a1 == (r,) and k1 == {"scale": 3.0} and a2 == (r,)
    assert f1.__name__ == "sin4" and f1.__module__ == "ember.ops"


def test_define_impl_and_composite_implicit_autograd():
    library.define("emtest::axpy(Tensor x, Tensor y, *, float a=2.) -> Tensor")
    with pytest.raises(NotImplementedError, match="Could not run 'emtest::axpy'"):
        ember.ops.emtest.axpy(ember.ones(1), ember.ones(1))
    library.impl("emtest::axpy", "CompositeImplicitAutograd", lambda x, y, a: a * x + y)
    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    y = ember.randn(3, dtype=ember.float64, requires_grad=True)
    out = ember.ops.emtest.axpy(x, y, a=3.0)
    np.testing.assert_allclose(out.detach().numpy(), 3 * x.detach().numpy() + y.detach().numpy())
    assert gradcheck(lambda u, v: ember.ops.emtest.axpy(u, v), (x, y))  # through its ops
    m = ember.ops.emtest.axpy(ember.empty(2, 3, device="meta"), ember.empty(3, device="meta"))
    assert m.device.type == "meta" and m.shape == (2, 3)  # no fake needed: its ops run on meta
    with pytest.raises(TypeError, match="unexpected keyword"):
        ember.ops.emtest.axpy(x, y, b=1.0)
    with pytest.raises(TypeError, match="missing required argument 'y'"):
        ember.ops.emtest.axpy(x)


def test_keyword_only_arguments_reach_the_kernel_by_keyword():
    def make(m):
        @m.library.custom_op("emtest::scaled", mutates_args=())
        def scaled(x: m.Tensor, *, scale: float = 2.0) -> m.Tensor:
            return x * scale

        def backward(ctx, g):
            return g * ctx.scale

        def setup(ctx, inputs, keyword_only_inputs, output):
            ctx.scale = keyword_only_inputs["scale"]

        scaled.register_autograd(backward, setup_context=setup)
        return scaled

    e, t = make(ember), make(torch)
    assert str(e._opoverload._schema) == str(t._opoverload._schema)
    xe, xt = ember.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    e(xe, scale=3.0).sum().backward()
    t(xt, scale=3.0).sum().backward()
    assert xe.grad.tolist() == xt.grad.tolist() == [3.0, 3.0]
    assert e(ember.ones(1)).tolist() == [2.0]


def test_define_two_argument_form_and_library_class():
    library.define("emtest::twice", "(Tensor x) -> Tensor")

    @library.impl("emtest::twice", "cpu")
    def twice(x):
        return x * 2

    library.impl("emtest::twice", "meta", lambda x: ember.empty_like(x))
    assert ember.ops.emtest.twice(ember.ones(2)).tolist() == [2.0, 2.0]
    assert ember.ops.emtest.twice(ember.empty(4, device="meta")).shape == (4,)

    lib = library.Library("emtest2", "DEF")
    assert lib.define("neg3(Tensor x) -> Tensor") == "neg3"
    lib.impl("neg3", lambda x: -3 * x, "CPU")
    assert ember.ops.emtest2.neg3(ember.ones(1)).tolist() == [-3.0]


def test_mutating_op_bumps_version_and_schema():
    def make(m):
        @m.library.custom_op("emtest::addone", mutates_args=("x",))
        def addone(x: m.Tensor) -> None:
            x.numpy()[...] += 1  # writes behind the framework's back, as a C++ kernel would

        return addone

    e, t = make(ember), make(torch)
    assert str(e._opoverload._schema) == str(t._opoverload._schema)
    x = ember.zeros(2)
    v = x._version
    assert e(x) is None
    assert x.tolist() == [1.0, 1.0] and x._version == v + 1


def test_schema_errors_match_torch():
    def bad(x):
        return x

    with pytest.raises(ValueError) as ee:
        library.custom_op("emtest::bad", mutates_args=())(bad)
    with pytest.raises(ValueError) as et:
        torch.library.custom_op("emtest::bad", mutates_args=())(bad)
    assert str(ee.value) == str(et.value)
    with pytest.raises(ValueError, match="namespace::name"):
        library.define("nonamespace", "(Tensor x) -> Tensor")
    library.define("emtest::once", "(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match="already exists"):
        library.define("emtest::once", "(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match="does not exist"):
        library.register_fake("emtest::never_defined", lambda x: x)


def test_kernel_output_checked_against_schema():
    library.define("emtest::liar", "(Tensor x) -> (Tensor, Tensor)")
    library.impl("emtest::liar", "cpu", lambda x: x)
    with pytest.raises(RuntimeError, match="returns 2 values but the kernel returned Tensor"):
        ember.ops.emtest.liar(ember.ones(1))


def test_multiple_outputs_and_integer_args_with_autograd():
    def make(m):
        @m.library.custom_op("emtest::split2", mutates_args=())
        def split2(x: m.Tensor, k: int) -> tuple[m.Tensor, m.Tensor]:
            return x[:k].clone(), x[k:].clone()

        def backward(ctx, ga, gb):
            return m.cat([ga, gb]), None

        split2.register_autograd(backward)
        return split2

    e, t = make(ember), make(torch)
    x = np.arange(5.0)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ae, be), (at, bt) = e(xe, 2), t(xt, 2)
    (ae.sum() * 2 + be.sum() * 3).backward()
    (at.sum() * 2 + bt.sum() * 3).backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())
    assert str(e._opoverload._schema) == str(t._opoverload._schema)
