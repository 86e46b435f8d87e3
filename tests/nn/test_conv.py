"""Convolutions against torch: conv1d/conv2d/conv_transpose1d/2d and torch.convolution (values,
gradients, double backward, dtypes, errors, grad_fn names) and the Conv*/ConvTranspose* layers
(initialisation, printing, padding modes, output_size)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import as_dtype, gradcheck, noncontig, raises_both, run_both, to_numpy, torch

rng = np.random.default_rng(3)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def X(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.asarray(rng.standard_normal(shape).astype(dtype))


def _top(m, name: str):  # noqa: ANN001, ANN202
    """torch.<name>; ember's published op (ember.<name> once ember/__init__ re-reads the registry
    after importing nn)."""
    return getattr(m, name, None) or ember.ops.FUNCTIONS[name]


def _bias(w_shape: tuple, groups: int, transposed: bool, dtype: str = "float64") -> np.ndarray:
    return X(w_shape[1] * groups if transposed else w_shape[0], dtype=dtype)


# ------------------------------------------------------------------ conv2d
CONV2D = [  # (input, weight, kwargs)
    ((2, 4, 9, 8), (6, 4, 3, 3), {}),
    ((2, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
    ((2, 4, 9, 8), (6, 2, 3, 3), dict(groups=2, padding=(1, 2))),
    ((2, 4, 11, 10), (6, 4, 3, 2), dict(stride=(2, 3), padding=(1, 0), dilation=(2, 1))),
    ((2, 4, 11, 10), (8, 1, 3, 3), dict(groups=4, stride=2, padding=1, dilation=2)),  # depthwise
    ((2, 6, 7, 7), (6, 1, 5, 5), dict(groups=6, padding=2)),  # depthwise
    ((1, 3, 8, 8), (5, 3, 1, 1), {}),  # 1x1, batch of 1
    ((2, 3, 8, 9), (4, 3, 2, 4), dict(padding="same")),  # even kernels: asymmetric pad
    ((2, 3, 8, 9), (4, 3, 2, 2), dict(padding="same", dilation=(3, 2))),
    ((2, 3, 8, 9), (4, 3, 3, 3), dict(padding="valid", stride=1)),
    ((2, 3, 5, 5), (4, 3, 5, 5), {}),  # kernel = input: 1x1 output
    ((0, 3, 5, 5), (4, 3, 3, 3), {}),  # empty batch
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, stride=3, padding=2)),
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_values_and_grads(xs: tuple, ws: tuple, kw: dict, bias: bool) -> None:
    b = _bias(ws, kw.get("groups", 1), False) if bias else None
    run_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), X(*xs), X(*ws), b,
             grad=True, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("xs,ws,kw", CONV2D[:6])
def test_conv2d_float32(xs: tuple, ws: tuple, kw: dict) -> None:
    run_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), X(*xs, dtype="float32"),
             X(*ws, dtype="float32"), _bias(ws, kw.get("groups", 1), False, "float32"),
             grad=True, atol=2e-5, rtol=1e-5)


def test_conv2d_positional_args_unbatched_and_noncontiguous() -> None:
    run_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, 2, 1, 1, 2), X(2, 4, 7, 7),
             X(6, 2, 3, 3), X(6), grad=True)
    e, _ = run_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=1), X(4, 6, 5),
                    X(3, 4, 3, 3), X(3), grad=True)
    assert e.grad_fn.name() == "SqueezeBackward1"
    assert e.grad_fn.next_functions[0][0].name() == "ConvolutionBackward0"
    run_both(lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2), noncontig(X(2, 3, 8, 8)),
             noncontig(X(4, 3, 3, 3)), grad=True)
    run_both(lambda m, x, w: m.nn.functional.conv2d(x.transpose(2, 3), w, padding=1),
             X(2, 3, 7, 5), X(4, 3, 3, 3), grad=True)
    run_both(lambda m, x, w: m.nn.functional.conv2d(x, w), X(2, 3, 6, 6), X(4, 3, 3, 3),
             check_stride=True)


def test_conv2d_dtypes() -> None:
    for dt in ("float16", "bfloat16"):
        run_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, padding=1),
                 as_dtype(X(2, 3, 6, 6, dtype="float32"), dt),
                 as_dtype(X(4, 3, 3, 3, dtype="float32"), dt), as_dtype(X(4, dtype="float32"), dt),
                 grad=True, atol=5e-2, rtol=2e-2)
    ints = [rng.integers(-5, 5, s) for s in ((2, 3, 5, 5), (4, 3, 3, 3))]
    run_both(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1), *ints)
    run_both(lambda m, x, w: m.nn.functional.conv2d(x, w), *(a.astype(np.int32) for a in ints))
    xc = (X(1, 2, 4, 4) + 1j * X(1, 2, 4, 4)).astype(np.complex128)
    wc = (X(3, 2, 2, 2) + 1j * X(3, 2, 2, 2)).astype(np.complex128)

    def cplx(m, x, w):  # noqa: ANN001, ANN202
        x.requires_grad_(), w.requires_grad_()
        y = m.nn.functional.conv2d(x, w, padding=1)
        return [y, *m.autograd.grad((y * y.conj()).real.sum() + y.imag.sum(), (x, w))]

    run_both(cplx, xc, wc)


def test_conv2d_meta_device() -> None:
    x = ember.empty(2, 3, 9, 9, device="meta")
    w = ember.empty(4, 3, 3, 3, device="meta")
    y = ember.nn.functional.conv2d(x, w, stride=2, padding=1)
    assert y.device.type == "meta" and tuple(y.shape) == (2, 4, 5, 5)
    wt = ember.empty(3, 4, 3, 3, device="meta")
    y = ember.nn.functional.conv_transpose2d(x, wt, stride=2, output_padding=1)
    assert tuple(y.shape) == (2, 4, 20, 20)


# ------------------------------------------------------------------ conv1d
CONV1D = [
    ((2, 4, 10), (6, 4, 3), {}),
    ((2, 4, 10), (6, 2, 3), dict(groups=2, stride=2, padding=1, dilation=2)),
    ((1, 4, 9), (6, 4, 4), dict(padding="same")),
    ((2, 4, 9), (4, 1, 3), dict(groups=4, padding=(1,))),
    ((3, 12), (5, 3, 2), dict(groups=1)),  # unbatched
]


@pytest.mark.parametrize("xs,ws,kw", CONV1D)
def test_conv1d_values_and_grads(xs: tuple, ws: tuple, kw: dict) -> None:
    run_both(lambda m, x, w, b: m.nn.functional.conv1d(x, w, b, **kw), X(*xs), X(*ws), X(ws[0]),
             grad=True, rtol=1e-10, atol=1e-10)
    run_both(lambda m, x, w: m.nn.functional.conv1d(x, w, **kw), noncontig(X(*xs)), X(*ws))


# ------------------------------------------------------------------ transposed
CONVT2D = [
    ((2, 4, 5, 6), (4, 3, 3, 3), {}),
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 6), (4, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                      groups=2, dilation=(2, 1))),
    ((2, 4, 4, 4), (4, 1, 3, 3), dict(groups=4, stride=2, padding=1)),
    ((2, 4, 4, 4), (4, 3, 2, 2), dict(stride=2, output_padding=1, dilation=3)),
    ((4, 5, 5), (4, 3, 3, 3), dict(padding=2)),  # unbatched
]


@pytest.mark.parametrize("xs,ws,kw", CONVT2D)
def test_conv_transpose2d(xs: tuple, ws: tuple, kw: dict) -> None:
    b = _bias(ws, kw.get("groups", 1), True)
    run_both(lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b, **kw), X(*xs),
             X(*ws), b, grad=True, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 4, 7), (4, 3, 3), dict(stride=3, padding=1, output_padding=2)),
    ((2, 4, 7), (4, 1, 4), dict(groups=4, dilation=2)),
    ((4, 7), (4, 2, 3), {}),
])
def test_conv_transpose1d(xs: tuple, ws: tuple, kw: dict) -> None:
    b = _bias(ws, kw.get("groups", 1), True)
    run_both(lambda m, x, w, b: m.nn.functional.conv_transpose1d(x, w, b, **kw), X(*xs),
             X(*ws), b, grad=True, rtol=1e-10, atol=1e-10)


def test_convolution_op_and_names() -> None:
    run_both(lambda m, x, w, b: _top(m, "convolution")(x, w, b, [2, 1], [1, 0], [1, 1], False, [0, 0], 1),
             X(2, 3, 6, 6), X(4, 3, 3, 3), X(4), grad=True)
    run_both(lambda m, x, w: _top(m, "convolution")(x, w, None, [2], [1], [1], True, [1], 1),
             X(2, 3, 6), X(3, 4, 3), grad=True)
    e, _ = run_both(lambda m, x, w: m.nn.functional.conv_transpose2d(x, w), X(1, 2, 3, 3),
                    X(2, 2, 2, 2), grad=True)
    assert e.grad_fn.name() == "ConvolutionBackward0"
    for name in ("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "convolution"):
        # published top-level (torch.conv2d ...) and in nn.functional: the same dispatcher
        assert ember.ops.FUNCTIONS[name] is getattr(ember.nn.functional, name)


# ------------------------------------------------------------------ gradcheck, double backward
def test_gradcheck_and_gradgradcheck() -> None:
    gradcheck(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2,
                                                        dilation=(1, 2)),
              X(2, 4, 6, 7), X(6, 2, 3, 2), X(6))
    gradcheck(lambda m, x, w, b: m.nn.functional.conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2), X(1, 4, 3, 3), X(4, 1, 3, 2),
        X(2))
    gradcheck(lambda m, x, w: m.nn.functional.conv1d(x, w, padding="same"), X(2, 3, 5),
              X(2, 3, 2))
    ts = [ember.tensor(X(*s), requires_grad=True) for s in ((1, 4, 5, 5), (4, 2, 3, 3), (4,))]
    assert ember.autograd.gradgradcheck(
        lambda x, w, b: ember.nn.functional.conv2d(x, w, b, stride=2, padding=1, groups=2),
        tuple(ts))
    ts = [ember.tensor(X(*s), requires_grad=True) for s in ((1, 4, 3, 3), (4, 2, 2, 2), (2,))]
    assert ember.autograd.gradgradcheck(
        lambda x, w, b: ember.nn.functional.conv_transpose2d(x, w, b, stride=2, output_padding=1),
        tuple(ts))


@pytest.mark.parametrize("fn", [
    lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
    lambda F, x, w, b: F.conv_transpose2d(x, w.transpose(2, 3), None, stride=2, padding=1,
                                          output_padding=1),
])
def test_double_backward_matches_torch(fn) -> None:  # noqa: ANN001
    arrays = X(2, 4, 5, 5), X(4, 2, 3, 3), X(4), X(2, 4, 3, 3), X(4, 2, 3, 3)

    def second(m):
        x, w, b = (m.tensor(a, requires_grad=True) for a in arrays[:3])
        y = fn(m.nn.functional, x, w, b)
        gy = m.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), requires_grad=True)
        gx, gw = m.autograd.grad(y, (x, w), gy, create_graph=True)
        s = (gx * gx).sum() + (gw.sin()).sum()
        r = m.autograd.grad(s, (x, w, gy), allow_unused=True)
        assert gx.grad_fn.name() == "ConvolutionBackwardBackward0"
        return [gx.detach(), gw.detach(), *r]

    run_both(second, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("fn,args,msg", [
    (lambda m, x, w: m.nn.functional.conv2d(x, w), ((4, 8), (6, 4, 3, 3)),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [4, 8]"),
    (lambda m, x, w: m.nn.functional.conv1d(x, w), ((2, 3, 4, 5), (6, 3, 3)),
     "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w), ((2, 4, 8, 8), (6, 3, 3, 3)),
     "Given groups=1, weight of size [6, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 "
     "channels, but got 4 channels instead"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, groups=4), ((2, 4, 8, 8), (6, 2, 3, 3)),
     "Given groups=4, expected weight to be divisible by 4 at dimension 0"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2, padding="same"),
     ((2, 4, 8, 8), (6, 4, 3, 3)), "padding='same' is not supported for strided convolutions"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, padding="foo"), ((2, 4, 8, 8), (6, 4, 3, 3)),
     "Invalid padding string: 'foo'"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, padding=-1), ((2, 4, 8, 8), (6, 4, 3, 3)),
     "negative padding is not supported"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, stride=0), ((2, 4, 8, 8), (6, 4, 3, 3)),
     "non-positive stride is not supported"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, dilation=0), ((2, 4, 8, 8), (6, 4, 3, 3)),
     "non-positive dilation is not supported"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, groups=0), ((2, 4, 8, 8), (6, 4, 3, 3)),
     "non-positive groups is not supported"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w), ((2, 4, 8, 8), (6, 4, 9, 9)),
     "Calculated padded input size per channel: (8 x 8). Kernel size: (9 x 9). Kernel size "
     "can't be greater than actual input size"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w, stride=(1, 2, 3)),
     ((2, 4, 8, 8), (6, 4, 3, 3)), "expected stride to be a single integer value or a list of 2 "
     "values to match the convolution dimensions, but got stride=[1, 2, 3]"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w), ((2, 4, 8, 8), (6, 4)),
     "weight should have at least three dimensions"),
    (lambda m, x, w: m.nn.functional.conv2d(x, w), ((2, 4, 8, 8), (0, 4, 3, 3)),
     "expected weight to be at least 1 at dimension 0"),
    (lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, output_padding=1),
     ((2, 4, 8, 8), (4, 3, 3, 3)), "output padding must be smaller than either stride or "
     "dilation, but got output_padding_height: 1 output_padding_width: 1 stride_height: 1"),
    (lambda m, x, w: m.nn.functional.conv_transpose2d(x, w), ((2, 4, 8, 8), (3, 3, 3, 3)),
     "Given transposed=1, weight of size [3, 3, 3, 3], expected input[2, 4, 8, 8] to have 3 "
     "channels, but got 4 channels instead"),
    (lambda m, x, w: _top(m, "convolution")(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1),
     ((4, 8), (6, 4, 3, 3)), "Expected 4-dimensional input for 4-dimensional weight "
     "[6, 4, 3, 3], but got 2-dimensional input of size [4, 8] instead"),
])
def test_errors(fn, args: tuple, msg: str) -> None:  # noqa: ANN001
    raises_both(fn, *(X(*s, dtype="float32") for s in args), match=msg)


def test_dtype_and_bias_errors() -> None:
    x, w = X(2, 4, 8, 8), X(6, 2, 3, 3)
    raises_both(lambda m, x, w: m.nn.functional.conv2d(x, w.float(), groups=2), x, w,
                match="expected scalar type Double but found Float")
    raises_both(lambda m, x, w: m.nn.functional.conv2d(x.float(), w, groups=2), x, w,
                match="Input type (torch.FloatTensor) and weight type (torch.DoubleTensor)")
    raises_both(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, groups=2), x, w, X(5),
                match="expected bias to be 1-dimensional with 6 elements, but got bias of size "
                "[5] instead")
    raises_both(lambda m, x, w, b: m.nn.functional.conv2d(x.float(), w.float(), b, groups=2),
                x, w, X(6), match="Input type (float) and bias type (double) should be the same")
    raises_both(lambda m, x, w: m.nn.functional.conv2d(x.bool(), w.bool(), groups=2), x, w)
    raises_both(lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, padding="same"), x, w)


# ------------------------------------------------------------------ modules
def _copy_params(e_mod, t_mod) -> None:  # noqa: ANN001
    for (n1, p1), (n2, p2) in zip(e_mod.named_parameters(), t_mod.named_parameters(),
                                  strict=True):
        assert n1 == n2 and tuple(p1.shape) == tuple(p2.shape)
        with ember.no_grad():
            p1.copy_(ember.tensor(p2.detach().numpy()))


MODULES = [
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 9)),
    ("Conv1d", (4, 6, 4), dict(padding="same", bias=False, padding_mode="reflect"), (2, 4, 9)),
    ("Conv2d", (4, 6, 3), {}, (2, 4, 7, 7)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=2, groups=2),
     (2, 4, 9, 8)),
    ("Conv2d", (4, 6, 3), dict(padding=1, padding_mode="reflect"), (2, 4, 7, 7)),
    ("Conv2d", (4, 6, 3), dict(padding=(2, 1), padding_mode="replicate"), (4, 7, 7)),
    ("Conv2d", (4, 6, 3), dict(padding=1, padding_mode="circular", groups=2), (2, 4, 7, 7)),
    ("Conv2d", (4, 6, 4), dict(padding="same", padding_mode="circular"), (2, 4, 7, 7)),
    ("Conv2d", (4, 6, 3), dict(padding="valid"), (2, 4, 7, 7)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2,
                                        dilation=1), (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(bias=False, dilation=(2, 1)), (4, 5, 5)),
]


@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_modules_against_torch(name: str, args: tuple, kw: dict, xs: tuple) -> None:
    t_mod = getattr(torch.nn, name)(*args, **kw).double()
    e_mod = getattr(ember.nn, name)(*args, **kw).double()
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy_params(e_mod, t_mod)
    x = X(*xs)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ty, ey = t_mod(tx), e_mod(ex)
    np.testing.assert_allclose(to_numpy(ey), to_numpy(ty), rtol=1e-10, atol=1e-10)
    assert ey.grad_fn.name() == ty.grad_fn.name()
    if kw.get("padding_mode", "zeros") != "zeros":  # F.pad's node feeds the convolution
        tname = ty.grad_fn.next_functions[0][0].name().replace("torch::autograd::", "")
        assert ey.grad_fn.next_functions[0][0].name() == tname
    gy = X(*ty.shape)
    ty.backward(torch.tensor(gy))
    ey.backward(ember.tensor(gy))
    np.testing.assert_allclose(to_numpy(ex.grad), to_numpy(tx.grad), rtol=1e-9, atol=1e-9)
    for (_, pe), (_, pt) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        np.testing.assert_allclose(to_numpy(pe.grad), to_numpy(pt.grad), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name,args,kw", [
    ("Conv2d", (16, 32, 3), {}), ("Conv2d", (8, 16, (5, 3)), dict(groups=4)),
    ("Conv1d", (12, 24, 5), {}), ("ConvTranspose2d", (16, 32, 3), dict(groups=2)),
    ("ConvTranspose1d", (20, 10, 4), {}),
])
def test_init_statistics(name: str, args: tuple, kw: dict) -> None:
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); so does the bias."""
    ember.manual_seed(0)
    e_mod = getattr(ember.nn, name)(*args, **kw)
    t_mod = getattr(torch.nn, name)(*args, **kw)
    for pe, pt in ((e_mod.weight, t_mod.weight), (e_mod.bias, t_mod.bias)):
        assert pe.dtype is ember.float32 and tuple(pe.shape) == tuple(pt.shape)
        assert type(pe) is ember.nn.Parameter and pe.requires_grad
    w = to_numpy(e_mod.weight)
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for p in (w, to_numpy(e_mod.bias)):
        assert np.abs(p).max() <= bound + 1e-7
    assert np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert abs(w.mean()) < 0.1 * bound


def test_module_options_and_errors() -> None:
    m = ember.nn.Conv2d(2, 4, 3, bias=False, dtype=ember.float64)
    assert m.bias is None and m.weight.dtype is ember.float64
    assert "bias" in dict(m.named_parameters()) or list(m.state_dict()) == ["weight"]
    for kw in (dict(groups=0), dict(groups=3), dict(padding="full"), dict(padding_mode="zero"),
               dict(padding="same", stride=2)):
        for mod in (torch.nn, ember.nn):
            with pytest.raises(ValueError):
                mod.Conv2d(6, 4, 3, **kw)
    for mod in (torch.nn, ember.nn):
        with pytest.raises(ValueError):
            mod.ConvTranspose2d(2, 4, 3, padding_mode="reflect")
    # ConvTranspose output_size picks the output padding
    t_mod = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    e_mod = ember.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    _copy_params(e_mod, t_mod)
    x = X(1, 3, 4, 4)
    for size in ([8, 8], [1, 2, 7, 8], (7, 7)):
        np.testing.assert_allclose(to_numpy(e_mod(ember.tensor(x), output_size=size)),
                                   to_numpy(t_mod(torch.tensor(x), output_size=size)))
    for size in ([9, 9], [7]):
        for mod, t in ((t_mod, torch.tensor(x)), (e_mod, ember.tensor(x))):
            with pytest.raises(ValueError):
                mod(t, output_size=size)


# ------------------------------------------------------------------ unfold / fold
@pytest.mark.parametrize("xs,args,kw", [
    ((2, 3, 5, 6), ((2, 3),), dict(dilation=(1, 2), padding=1, stride=(2, 1))),
    ((3, 5, 6), (2,), {}),
    ((1, 2, 4, 4), (3,), dict(padding=1)),
])
def test_unfold_fold(xs: tuple, args: tuple, kw: dict) -> None:
    e, _ = run_both(lambda m, x: m.nn.functional.unfold(x, *args, **kw), X(*xs), grad=True)
    assert e.grad_fn.name() == "Im2ColBackward0"
    e, _ = run_both(lambda m, x: m.nn.functional.fold(m.nn.functional.unfold(x, *args, **kw),
                                                      xs[-2:], *args, **kw), X(*xs), grad=True)
    assert e.grad_fn.name() == "Col2ImBackward0"
    gradcheck(lambda m, x: m.nn.functional.unfold(x, *args, **kw), X(*xs))


def test_unfold_fold_errors() -> None:
    raises_both(lambda m, x: m.nn.functional.unfold(x, 7), X(2, 3, 5, 6),
                match="calculated shape of the array of sliding blocks as (-1, 0), but its "
                "components must be at least one.")
    raises_both(lambda m, x: m.nn.functional.fold(x, (3, 3), 2), X(2, 13, 4),
                match="Expected size of input's dimension 1 to be divisible by the product of "
                "kernel_size, but got input.size(1)=13 and kernel_size=(2, 2).")
    raises_both(lambda m, x: m.nn.functional.fold(x, (3, 3), 2), X(2, 12, 5),
                match="expected size of input's dimension 2 to match the calculated number of "
                "sliding blocks 2 * 2 = 4, but got input.size(2)=5.")


def test_partial_requires_grad_and_inplace_guard() -> None:
    x, w, b = X(2, 3, 6, 6), X(4, 3, 3, 3), X(4)
    for need in ((True, False, False), (False, True, False), (False, False, True)):
        def f(m, need=need):  # noqa: ANN001, ANN202
            ts = [m.tensor(a, requires_grad=r) for a, r in zip((x, w, b), need)]
            y = m.nn.functional.conv2d(*ts, padding=1)
            return m.autograd.grad((y * y).sum(), [t for t in ts if t.requires_grad])
        run_both(f)

    def modified(m):  # noqa: ANN001, ANN202
        xi = m.tensor(x, requires_grad=True) * 1
        y = m.nn.functional.conv2d(xi, m.tensor(w, requires_grad=True))
        xi.add_(1)
        y.sum().backward()

    raises_both(modified, match="modified by an inplace operation")
