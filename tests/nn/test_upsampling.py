"""interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area; size or scale_factor;
align_corners; recompute_scale_factor), pixel_shuffle/unshuffle and the Upsample layers against
torch: values, gradients, double backward, errors, printing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import as_dtype, gradcheck, noncontig, raises_both, run_both, torch

rng = np.random.default_rng(11)


def X(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.asarray(rng.standard_normal(shape).astype(dtype))


SIZES = [dict(scale_factor=2), dict(scale_factor=0.5), dict(size=(5, 11)),
         dict(scale_factor=(1.7, 0.6)), dict(size=(13, 4)), dict(size=(8, 9)),
         dict(scale_factor=2.5, recompute_scale_factor=True), dict(scale_factor=(3, 1))]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
@pytest.mark.parametrize("kw", SIZES)
def test_interpolate_2d(mode: str, kw: dict) -> None:
    corners = (None,) if mode in ("nearest", "nearest-exact", "area") else (False, True)
    for ac in corners:
        run_both(lambda m, x, ac=ac: m.nn.functional.interpolate(x, mode=mode, align_corners=ac,
                                                                 **kw), X(2, 3, 8, 9), grad=True)
    run_both(lambda m, x: m.nn.functional.interpolate(x, mode=mode, **kw),
             X(2, 3, 8, 9, dtype="float32"), grad=True, atol=2e-5)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "area"])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(scale_factor=0.7), dict(size=11),
                                dict(size=3), dict(size=(8,))])
def test_interpolate_1d(mode: str, kw: dict) -> None:
    ac = True if mode == "linear" else None
    run_both(lambda m, x: m.nn.functional.interpolate(x, mode=mode, align_corners=ac, **kw),
             X(2, 3, 8), grad=True)
    run_both(lambda m, x: m.nn.functional.interpolate(x, mode=mode, **kw), X(2, 3, 8), grad=True)


def test_interpolate_names_dtypes_noncontiguous() -> None:
    F = ember.nn.functional
    x = ember.tensor(X(1, 2, 4, 4), requires_grad=True)
    names = {"nearest": "UpsampleNearest2DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
             "bicubic": "UpsampleBicubic2DBackward0",
             "nearest-exact": "UpsampleNearestExact2DBackward0"}
    for mode, name in names.items():
        assert F.interpolate(x, scale_factor=2, mode=mode).grad_fn.name() == name
    run_both(lambda m, x: m.nn.functional.interpolate(x, scale_factor=3), noncontig(X(2, 3, 4, 5)))
    run_both(lambda m, x: m.nn.functional.interpolate(x, scale_factor=1.5, mode="bilinear"),
             noncontig(X(2, 3, 4, 5)))
    for dt in ("float16", "bfloat16"):
        run_both(lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear"),
                 as_dtype(X(1, 2, 4, 4, dtype="float32"), dt), grad=True)
    run_both(lambda m, x: m.nn.functional.interpolate(x, size=(7, 3)),
             rng.integers(0, 255, (1, 2, 4, 5)).astype(np.uint8))


def test_gradcheck_and_double_backward() -> None:
    for mode in ("nearest", "bilinear", "bicubic"):
        gradcheck(lambda m, x, mode=mode: m.nn.functional.interpolate(x, size=(5, 7), mode=mode),
                  X(1, 2, 3, 4))
    gradcheck(lambda m, x: m.nn.functional.interpolate(x, scale_factor=0.6, mode="linear",
                                                       align_corners=True), X(1, 2, 7))
    gradcheck(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), X(1, 8, 2, 3))
    gradcheck(lambda m, x: m.nn.functional.pixel_unshuffle(x, 2), X(1, 2, 4, 6))
    xd = X(1, 2, 3, 4)

    def second(m):  # noqa: ANN001, ANN202
        x = m.tensor(xd, requires_grad=True)
        y = m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")
        gy = m.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), requires_grad=True)
        (gx,) = m.autograd.grad(y, x, gy, create_graph=True)
        (r,) = m.autograd.grad((gx * gx).sum(), gy)
        return gx.detach(), r, gx.grad_fn.name()

    run_both(second)


def test_pixel_shuffle() -> None:
    e, _ = run_both(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), X(2, 8, 3, 5), grad=True)
    assert e.grad_fn.name() == "PixelShuffleBackward0"
    run_both(lambda m, x: m.nn.functional.pixel_unshuffle(x, 3), X(2, 6, 9), grad=True)
    run_both(lambda m, x: m.nn.functional.pixel_shuffle(x, 3), X(2, 1, 9, 2, 2), grad=True)
    run_both(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), noncontig(X(1, 4, 3, 3)))
    run_both(lambda m, x: getattr(m, "pixel_shuffle", None) and m.pixel_shuffle(x, 2)
             if m is torch else ember.ops.FUNCTIONS["pixel_shuffle"](x, 2), X(1, 4, 3, 3))


@pytest.mark.parametrize("fn,shape,msg", [
    (lambda m, x: m.nn.functional.interpolate(x, size=(4, 4), scale_factor=2), (2, 3, 5, 7),
     "only one of size or scale_factor should be defined"),
    (lambda m, x: m.nn.functional.interpolate(x), (2, 3, 5, 7),
     "either size or scale_factor should be defined"),
    (lambda m, x: m.nn.functional.interpolate(x, size=(4, 4, 4)), (2, 3, 5, 7),
     "Input and output must have the same number of spatial dimensions, but got input with "
     "spatial dimensions of [5, 7] and output size of (4, 4, 4)."),
    (lambda m, x: m.nn.functional.interpolate(x, scale_factor=(2, 2, 2)), (2, 3, 5, 7),
     "Input and scale_factor must have the same number of spatial dimensions"),
    (lambda m, x: m.nn.functional.interpolate(x, size=4, align_corners=True), (2, 3, 5, 7),
     "align_corners option can only be set with the interpolating modes"),
    (lambda m, x: m.nn.functional.interpolate(x, size=4, recompute_scale_factor=True),
     (2, 3, 5, 7), "recompute_scale_factor is not meaningful with an explicit size."),
    (lambda m, x: m.nn.functional.interpolate(x, size=4, mode="bilinear"), (2, 3, 5),
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda m, x: m.nn.functional.interpolate(x, size=4, mode="foo"), (2, 3, 5, 7), None),
    (lambda m, x: m.nn.functional.interpolate(x, size=4), (3, 4), None),
    (lambda m, x: m.nn.functional.interpolate(x, size=(0, 4)), (2, 3, 5, 7),
     "Input and output sizes should be greater than 0, but got input (H: 5, W: 7) output (H: 0, "
     "W: 4)"),
    (lambda m, x: m.nn.functional.interpolate(x.long(), scale_factor=2), (2, 3, 5, 7),
     "\"upsample_nearest2d_channels_last\" not implemented for 'Long'"),
    (lambda m, x: m.nn.functional.pixel_shuffle(x, 2), (5, 3, 4),
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
     "upscale_factor, but input.size(-3)=5 is not divisible by 4"),
    (lambda m, x: m.nn.functional.pixel_shuffle(x, 2), (3, 4),
     "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
     "dimension(s)"),
    (lambda m, x: m.nn.functional.pixel_unshuffle(x, 2), (4, 5, 4),
     "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=5 "
     "is not divisible by 2"),
])
def test_errors(fn, shape: tuple, msg: str | None) -> None:  # noqa: ANN001
    raises_both(fn, X(*shape, dtype="float32"), match=msg)


@pytest.mark.parametrize("name,args,kw", [
    ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear")),
    ("Upsample", (), dict(scale_factor=(1.5, 2), mode="bicubic", align_corners=True)),
    ("UpsamplingNearest2d", (), dict(size=6)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2)),
    ("PixelShuffle", (2,), {}),
    ("PixelUnshuffle", (2,), {}),
])
def test_modules(name: str, args: tuple, kw: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_mod, t_mod = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    run_both(lambda m, x: (e_mod if m is ember else t_mod)(x), X(2, 4, 4, 6), grad=True)


def test_deprecated_wrappers_warn() -> None:
    F = ember.nn.functional
    x = ember.tensor(X(1, 1, 2, 2))
    for fn, kw in ((F.upsample, dict(scale_factor=2)), (F.upsample_nearest, dict(size=3)),
                   (F.upsample_bilinear, dict(scale_factor=2))):
        with pytest.warns(UserWarning, match="is deprecated. Use `nn.functional.interpolate`"):
            e = fn(x, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = getattr(torch.nn.functional, fn.__name__)(torch.tensor(x.numpy()), **kw)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
