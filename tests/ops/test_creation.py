"""Creation ops against torch, beyond the OpInfo rows: dtype inference, memory sharing, size
parsing, value checks, exact range values, out= and default-dtype/device behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.harness import assert_close, raises_both, run_both, to_numpy, torch

# ----------------------------------------------------------------------------- tensor()
INFER = [
    [1, 2], [1., 2], [True, False], [1j, 2], [True, 1], [True, 2.5], [1, 2.5j],
    [np.float32(1), 2.5], [np.float16(1.), 2.], [np.int32(1)], [np.int32(1), 2],
    np.float64(1.), np.float32(2.5), np.int16(3), np.bool_(True), [np.float64(1.)],
    [[1], [2]], [], [[]], [[], []], (), (1, 2.5), range(4), [range(2), range(2)], 3, 3.5, True,
    1j, [[1, 2], (3, 4)], [np.array([1, 2]), np.array([3, 4])], [np.array([1.5]), [2]],
    [[1], np.array([2.5])], [np.array([1, 2], dtype=np.int8)] * 2, [[True, 0.5], [1, 2]],
    np.array([[1, 2]], dtype=np.int16), np.zeros((2, 3), np.float16), np.array(2.5),
    np.array([True]), np.arange(6).reshape(2, 3).T, [2**62], [-2**63],
]
INFER_ERRORS = [
    [[1, 2], [3]], [1, [2]], [[1, 2], 3], "ab", ["ab"], {1}, {1: 2}, b"ab", None, [None],
    [[1], [2, 3]], [2**63], [-2**63 - 1], [np.array(1.5), 2], object, [[[1, 2], [3, 4]], [[1]]],
]


@pytest.mark.parametrize("data", INFER, ids=repr)
def test_tensor_infers_like_torch(data) -> None:  # noqa: ANN001
    e, t = run_both(lambda m: m.tensor(data), rtol=0, atol=0)
    assert e.is_contiguous() and e.is_leaf and not e.requires_grad


@pytest.mark.parametrize("data", INFER_ERRORS, ids=repr)
def test_tensor_bad_data(data) -> None:  # noqa: ANN001
    raises_both(lambda m: m.tensor(data))


def test_tensor_from_tensors() -> None:
    run_both(lambda m: m.tensor([m.tensor(1), m.tensor(2.)]))
    run_both(lambda m: m.tensor([m.tensor([1.]), m.tensor([2.])]))   # one element: a scalar
    run_both(lambda m: m.tensor([[m.tensor(1.)], [2.]]))
    run_both(lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2]))
    run_both(lambda m: m.tensor([m.tensor(1., dtype=m.float16), 2]))
    run_both(lambda m: m.tensor([m.tensor(1.5, dtype=m.bfloat16), 2]))
    raises_both(lambda m: m.tensor([m.tensor([1., 2.])]))


@pytest.mark.parametrize("data,dtype", [
    ([2**40], "int32"), ([300], "uint8"), ([-1], "uint8"), ([-256], "uint8"), ([-255], "uint8"),
    ([1.5e10], "int32"), ([1 + 2j], "float32"), ([1.7, -1.7], "int64"),
    ([float("nan")], "int64"), ([float("inf")], "int32"), ([1e300], "float32"),
    ([70000.], "float16"), ([2.5, 0.], "bool"), ([float("inf")], "float16"), ([1.5], "bfloat16"),
    ([-128, 127], "int8"), ([-129], "int8"), ([1, 2], "complex64"), ([True], "float64"),
    ([[0.1, 0.2]], "float64"), ([0.1], "float16"), ([1 + 0j], "int64"), ([2**53 + 1], "float64"),
])
def test_tensor_dtype_conversion(data, dtype: str) -> None:  # noqa: ANN001
    def f(m):  # noqa: ANN001, ANN202
        return m.tensor(data, dtype=getattr(m, dtype))

    try:
        t = f(torch)
    except Exception:  # noqa: BLE001
        raises_both(f)
        return
    assert_close(f(ember), t, rtol=0, atol=0)


def test_tensor_copies() -> None:
    a = np.arange(4.)
    t = ember.tensor(a)
    a[0] = 9.
    assert t.tolist() == [0., 1., 2., 3.]
    src = ember.arange(3.)
    with pytest.warns(UserWarning, match="clone"):
        c = ember.tensor(src)
    assert c.data_ptr() != src.data_ptr() and c.tolist() == [0., 1., 2.]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m: m.tensor(m.arange(6.).reshape(2, 3).t()).stride())
        run_both(lambda m: m.tensor(m.ones(2, requires_grad=True)).requires_grad)
        run_both(lambda m: m.tensor(m.arange(3), dtype=m.float64))
        d = ember.tensor(ember.zeros(2, device="meta"))
    assert d.device.type == "meta"  # tensor(t) stays on t's device, as in torch


def test_tensor_requires_grad() -> None:
    run_both(lambda m: m.tensor([1., 2.], requires_grad=True).requires_grad)
    raises_both(lambda m: m.tensor([1, 2], requires_grad=True))


def test_tensor_lenient_numpy_inputs() -> None:
    # Deviations (ember copies where torch refuses): negative strides, non-native byte order.
    a = np.arange(5)[::-1]
    assert ember.tensor(a).tolist() == [4, 3, 2, 1, 0]
    assert ember.tensor(np.array([1, 2], dtype=">i4")).dtype is ember.int32
    with pytest.raises(TypeError):
        ember.tensor(np.array([1, 2], dtype=np.uint16))  # torch 2.13 has uint16; ember not


# ----------------------------------------------------------------------------- as_tensor / asarray
def test_as_tensor_shares_numpy_memory() -> None:
    a = np.arange(6.).reshape(2, 3)
    t = ember.as_tensor(a)
    a[0, 0] = 5.
    assert t.tolist()[0][0] == 5. and t.dtype is ember.float64
    f = ember.as_tensor(a, dtype=ember.float32)
    a[0, 0] = 7.
    assert f.tolist()[0][0] == 5.  # a dtype change copies
    x = ember.zeros(2)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor(x, dtype=ember.float32) is x
    assert ember.as_tensor(x, device="cpu") is x
    run_both(lambda m: m.as_tensor([1, 2]))
    run_both(lambda m: m.as_tensor([1, 2], dtype=m.float32))
    run_both(lambda m: m.as_tensor(3.5))
    run_both(lambda m: m.as_tensor(m.zeros(2), dtype=m.float64))


def test_asarray() -> None:
    a = np.zeros(3)
    t = ember.asarray(a)
    a[1] = 2.
    assert t.tolist() == [0., 2., 0.]
    c = ember.asarray(a, copy=True)
    a[1] = 3.
    assert c.tolist() == [0., 2., 0.]
    x = ember.ones(2)
    assert ember.asarray(x) is x and ember.asarray(x, copy=False) is x
    assert ember.asarray(x, copy=True).data_ptr() != x.data_ptr()
    run_both(lambda m: m.asarray([1., 2.], dtype=m.float64))
    run_both(lambda m: m.asarray(3))
    run_both(lambda m: m.asarray(m.zeros(2), dtype=m.float64))
    run_both(lambda m: m.asarray(np.zeros(2), requires_grad=True).requires_grad)
    raises_both(lambda m: m.asarray([1, 2], copy=False))
    raises_both(lambda m: m.asarray(np.zeros(2), dtype=m.float32, copy=False))
    raises_both(lambda m: m.asarray(m.zeros(2), dtype=m.float64, copy=False))
    raises_both(lambda m: m.asarray([1, 2], requires_grad=True))


# ----------------------------------------------------------------------------- sizes
@pytest.mark.parametrize("args", [(2, 3), ((2, 3),), ([2, 3],), ((),), (0,), (np.int64(2),),
                                  ((2, np.int32(3)),)], ids=repr)
def test_size_forms(args: tuple) -> None:
    for name in ("zeros", "ones", "empty"):
        run_both(lambda m, n=name: getattr(m, n)(*args).shape)
    run_both(lambda m: m.zeros(m.Size([2, 1])))


def test_size_forms_tensors_and_keywords() -> None:
    run_both(lambda m: m.zeros(m.tensor(2)))
    run_both(lambda m: m.zeros((2, m.tensor(3))))
    run_both(lambda m: m.zeros(size=(2, 3)))
    run_both(lambda m: m.ones(size=[4]))


@pytest.mark.parametrize("args", [(2, -1), (-3,), (2.0,), ((2, 3.0),), (True,), (2, (3,)), (),
                                  ("a",), ((2, None),)], ids=repr)
def test_size_errors(args: tuple) -> None:
    for name in ("zeros", "ones", "empty"):
        raises_both(lambda m, n=name: getattr(m, n)(*args))


def test_factory_requires_grad() -> None:
    run_both(lambda m: (m.zeros(2, requires_grad=True).requires_grad,
                        m.ones(2, dtype=m.float64, requires_grad=True).is_leaf,
                        m.full((2,), 1., requires_grad=True).requires_grad,
                        m.arange(3., requires_grad=True).requires_grad,
                        m.linspace(0, 1, 3, requires_grad=True).requires_grad,
                        m.eye(2, requires_grad=True).requires_grad,
                        m.empty_strided((2,), (1,), requires_grad=True).requires_grad,
                        m.zeros_like(m.ones(2), requires_grad=True).requires_grad,
                        m.ones_like(m.ones(2, requires_grad=True)).requires_grad))
    for fn in (lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
               lambda m: m.arange(3, requires_grad=True),
               lambda m: m.full((2,), 1, requires_grad=True),
               lambda m: m.zeros_like(m.ones(2), dtype=m.int32, requires_grad=True)):
        raises_both(fn)


# ----------------------------------------------------------------------------- full
@pytest.mark.parametrize("value", [3, True, 2.5, 1j, np.float64(1.), np.int32(1), np.bool_(0),
                                   np.float16(1.5), -2**63], ids=repr)
def test_full_infers_dtype(value) -> None:  # noqa: ANN001
    run_both(lambda m: m.full((2,), value))


def test_full_tensor_values() -> None:
    run_both(lambda m: m.full((2,), m.tensor(3.)))
    run_both(lambda m: m.full((2,), m.tensor(3)))
    run_both(lambda m: m.full((2,), m.tensor(3, dtype=m.int8)))  # the Python number decides
    raises_both(lambda m: m.full((2,), m.tensor([3.])))


@pytest.mark.parametrize("value,dtype", [
    (2.5, "int64"), (-2.5, "int8"), (300, "uint8"), (-1, "uint8"), (-255, "uint8"),
    (-256, "uint8"), (-1., "uint8"), (-0.5, "uint8"), (255.5, "uint8"), (127.9, "int8"),
    (128., "uint8"), (float("nan"), "int32"), (float("inf"), "int64"), (1e300, "float32"),
    (float("inf"), "float16"), (65519., "float16"), (65504., "float16"), (2**63, "int64"),
    (True, "int32"), (1.5, "bool"), (1 + 1j, "float32"), (1 + 0j, "float32"), (1e39, "bfloat16"),
    (float("nan"), "float16"), (1 + 1j, "int64"), (2**31, "int32"), (-2**31, "int32"),
])
def test_full_value_checks(value, dtype: str) -> None:  # noqa: ANN001
    def f(m):  # noqa: ANN001, ANN202
        return m.full((2,), value, dtype=getattr(m, dtype))

    try:
        t = f(torch)
    except Exception:  # noqa: BLE001
        raises_both(f)
        return
    assert_close(f(ember), t, rtol=0, atol=0)


def test_full_like() -> None:
    run_both(lambda m: m.full_like(m.zeros(2, dtype=m.int64), 2.5))
    run_both(lambda m: m.full_like(m.zeros(2), 7, dtype=m.int8))
    run_both(lambda m: m.full_like(m.zeros(2, 3).t(), 1.5), check_stride=True)
    raises_both(lambda m: m.full_like(m.zeros(2, dtype=m.uint8), 300))
    raises_both(lambda m: m.full_like(m.zeros(2), 1j))


# ----------------------------------------------------------------------------- *_like
@pytest.mark.parametrize("src", [
    lambda m: m.ones(2, 3), lambda m: m.ones(2, 3).t(), lambda m: m.ones(2, 3).narrow(1, 0, 2),
    lambda m: m.ones(3).expand(2, 3), lambda m: m.ones(2, 3, 4).permute(2, 0, 1),
    lambda m: m.ones(2, 1, 4).permute(2, 0, 1), lambda m: m.ones(4, 6).select(1, 2),
    lambda m: m.ones(3, 4).t().narrow(0, 1, 2), lambda m: m.ones(()),
])
def test_like_preserves_dense_strides(src) -> None:  # noqa: ANN001
    for name in ("zeros_like", "ones_like", "empty_like"):
        run_both(lambda m, n=name: getattr(m, n)(src(m)).stride())
        run_both(lambda m, n=name: getattr(m, n)(src(m), dtype=m.float64).stride())
    run_both(lambda m: m.zeros_like(src(m)), check_stride=True)


def test_like_memory_format_contiguous() -> None:
    e = ember.zeros_like(ember.ones(2, 3).t(), memory_format="ember.contiguous_format")
    t = torch.zeros_like(torch.ones(2, 3).t(), memory_format=torch.contiguous_format)
    assert e.stride() == t.stride() == (2, 1)
    with pytest.raises(NotImplementedError):
        ember.zeros_like(ember.ones(2, 3), memory_format="ember.channels_last")


def test_like_dtype_device() -> None:
    run_both(lambda m: m.zeros_like(m.ones(2, dtype=m.int64), dtype=m.float32))
    run_both(lambda m: m.ones_like(m.ones(2, 3), dtype=m.bool))
    run_both(lambda m: m.empty_like(m.ones(2), device="meta").device.type)
    run_both(lambda m: m.zeros_like(m.ones(2, device="meta"), device="cpu"))


# ----------------------------------------------------------------------------- ranges
def _exact(e, t) -> None:  # noqa: ANN001
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    np.testing.assert_array_equal(to_numpy(e), to_numpy(t))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args", [(0, 1, 0.1), (-1, 1, 0.3), (0.1, 0.5, 0.1), (1, 1.3, 0.1),
                                  (10, 0, -0.7), (-3.3, 7.9, 0.37), (0, 1e3, 0.9), (0., 3.),
                                  (1e-3, 1, 1e-3), (5, -5, -1.25), (2.5,)], ids=repr)
def test_arange_exact(dtype: str, args: tuple) -> None:
    _exact(ember.arange(*args, dtype=getattr(ember, dtype)),
           torch.arange(*args, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int64", "int32",
                                   "int16"])
def test_arange_random_ranges_exact(dtype: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        a, b = rng.uniform(-60, 60, 2)
        s = float(rng.uniform(0.05, 6) * np.sign(b - a))
        if dtype.startswith("int") and abs(s) < 1:
            continue
        _exact(ember.arange(float(a), float(b), s, dtype=getattr(ember, dtype)),
               torch.arange(float(a), float(b), s, dtype=getattr(torch, dtype)))


def test_arange_dtype_inference() -> None:
    for args in [(5,), (5.,), (0, 5, 2), (0, 5, 0.5), (1, 2.5), (np.float64(3),), (np.int32(3),),
                 (True,), (10, 0, -3), (2**60, 2**60 + 3)]:
        run_both(lambda m, a=args: m.arange(*a), rtol=0, atol=0)
    run_both(lambda m: m.arange(m.tensor(5)))
    run_both(lambda m: m.arange(m.tensor(5.)))
    run_both(lambda m: m.arange(start=1, end=3))
    run_both(lambda m: m.arange(end=3))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8"])
@pytest.mark.parametrize("args", [(0.5, 5, 1.5), (0, 5, 1.5), (0, 5.5, 1), (0.9, 5, 2),
                                  (-0.5, 5, 2), (0, 4.9, 1.9), (5, 0, -1.5), (0, 2.5, 0.5),
                                  (0, 1, 0.1), (0, 300, 100)], ids=repr)
def test_arange_integer_dtypes_truncate(dtype: str, args: tuple) -> None:
    def f(m):  # noqa: ANN001, ANN202
        return m.arange(*args, dtype=getattr(m, dtype))

    try:
        t = f(torch)
    except Exception:  # noqa: BLE001
        raises_both(f)
        return
    _exact(f(ember), t)


@pytest.mark.parametrize("args", [(), (0, 1, 0), (5, 0), (0, 5, -1), (0, float("inf")),
                                  (float("nan"),), (1j,), ("a",)], ids=repr)
def test_arange_errors(args: tuple) -> None:
    raises_both(lambda m: m.arange(*args))
    raises_both(lambda m: m.arange(3, dtype=m.bool))
    raises_both(lambda m: m.arange(m.tensor([3])))


LIN = [(0, 1, 5), (0, 1, 1), (0, 1, 0), (0, 1, 2), (-1, 1, 7), (3, -2, 11), (0.1, 0.7, 100),
       (0, 10, 4), (1e-3, 1e3, 33), (-5.5, 5.5, 1000), (2, 2, 5), (0, 1, 17)]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int64", "int32",
                                   "int8", "complex64", "complex128"])
def test_linspace_exact(dtype: str) -> None:
    rng = np.random.default_rng(3)
    cases = list(LIN) + [(float(a), float(b), int(n)) for a, b, n in
                         zip(rng.uniform(-50, 50, 30), rng.uniform(-50, 50, 30),
                             rng.integers(2, 300, 30), strict=True)]
    for a, b, n in cases:
        if dtype == "int8" and max(abs(a), abs(b)) > 100:
            continue
        _exact(ember.linspace(a, b, n, dtype=getattr(ember, dtype)),
               torch.linspace(a, b, n, dtype=getattr(torch, dtype)))


def test_linspace_forms() -> None:
    run_both(lambda m: m.linspace(0, 1j, 3), rtol=0, atol=0)
    run_both(lambda m: m.linspace(m.tensor(0.), m.tensor(2.), 3), rtol=0, atol=0)
    run_both(lambda m: m.linspace(0, 1, m.tensor(3)), rtol=0, atol=0)
    run_both(lambda m: m.linspace(-1.5, 1.5, 5, dtype=m.int64), rtol=0, atol=0)
    run_both(lambda m: m.linspace(0, 10, 5), rtol=0, atol=0)  # default dtype, integer ends
    for bad in (lambda m: m.linspace(0, 1, -1), lambda m: m.linspace(0, 1, 3.0),
                lambda m: m.linspace(m.tensor([0.]), 1, 3), lambda m: m.linspace(0, 1),
                lambda m: m.linspace(0, 1 + 1j, 3, dtype=m.float32),
                lambda m: m.linspace(0, 300, 5, dtype=m.uint8)):
        raises_both(bad)


@pytest.mark.parametrize("dtype", ["float64", "int64", "int32"])
@pytest.mark.parametrize("base", [10.0, 2.0, 2.5, 0.5])
def test_logspace_exact(dtype: str, base: float) -> None:
    for a, b, n in LIN:
        a, b = a / 20 * (3 if dtype != "float64" else 1), b / 20 * (3 if dtype != "float64" else 1)
        _exact(ember.logspace(a, b, n, base=base, dtype=getattr(ember, dtype)),
               torch.logspace(a, b, n, base=base, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "complex64", "complex128"])
def test_logspace_close(dtype: str) -> None:
    # torch's float kernels use their own pow: results agree to a couple of ulps
    tol = {"float32": 3e-7, "complex64": 3e-7, "complex128": 1e-15, "float16": 1e-3,
           "bfloat16": 8e-3}[dtype]
    for a, b, n in LIN:
        if max(abs(a), abs(b)) > 60:  # large exponents amplify a 1-ulp exponent difference
            continue
        run_both(lambda m, a=a, b=b, n=n: m.logspace(a / 20, b / 20, n,
                                                     dtype=getattr(m, dtype)),
                 rtol=tol, atol=0)


def test_logspace_forms() -> None:
    run_both(lambda m: m.logspace(0, 2, 3, base=-2.), rtol=0, atol=0)
    run_both(lambda m: m.logspace(0, 400, 3), rtol=0, atol=0)
    run_both(lambda m: m.logspace(0, 1, 3, base=m.tensor(2.)), rtol=0, atol=0)
    run_both(lambda m: m.logspace(0, -3, 4, base=2, dtype=m.int64), rtol=0, atol=0)


def test_eye() -> None:
    for args in [(3,), (2, 4), (4, 2), (0,), (3, 0), (1, 1)]:
        run_both(lambda m, a=args: m.eye(*a), rtol=0, atol=0)
        run_both(lambda m, a=args: m.eye(*a, dtype=m.bool))
        run_both(lambda m, a=args: m.eye(*a, dtype=m.complex64))
    for bad in (lambda m: m.eye(-1), lambda m: m.eye(2, -1), lambda m: m.eye(2.0)):
        raises_both(bad)


# ----------------------------------------------------------------------------- empty_strided
@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 0)),
                                         ((2, 3), (6, 2)), ((0, 3), (1, 2)), ((), ()),
                                         ((4,), (3,))])
def test_empty_strided(size: tuple, stride: tuple) -> None:
    def f(m):  # noqa: ANN001, ANN202
        t = m.empty_strided(size, stride, dtype=m.float64)
        return (t.shape, t.stride(), t.storage_offset(), t.untyped_storage().nbytes(),
                t.is_contiguous() if t.numel() else None)

    run_both(f)


def test_empty_strided_is_writable_memory() -> None:
    t = ember.empty_strided((2, 3), (1, 2))
    t.copy_(ember.arange(6.).reshape(2, 3))
    assert t.tolist() == [[0., 1., 2.], [3., 4., 5.]]


# ----------------------------------------------------------------------------- out=
def test_out_variants() -> None:
    def f(m, fn, dtype):  # noqa: ANN001, ANN202
        out = m.empty(0, dtype=getattr(m, dtype))
        r = fn(m, out)
        assert r is out
        return out

    fns = [lambda m, o: m.zeros(2, 3, out=o), lambda m, o: m.ones(4, out=o),
           lambda m, o: m.full((2,), 1.5, out=o), lambda m, o: m.arange(0, 2, 0.5, out=o),
           lambda m, o: m.arange(5, out=o), lambda m, o: m.linspace(0, 2, 5, out=o),
           lambda m, o: m.logspace(0, 2, 3, out=o), lambda m, o: m.eye(2, 3, out=o)]
    for fn in fns:
        for dtype in ("float64", "int64", "float32"):
            try:
                f(torch, fn, dtype)
            except ValueError:  # arange(0, 2, 0.5) into an int64 out: step truncates to 0
                raises_both(lambda m, fn=fn, d=dtype: f(m, fn, d))
                continue
            run_both(lambda m, fn=fn, d=dtype: f(m, fn, d), rtol=0, atol=0)


def test_out_into_a_view() -> None:
    for m in (ember, torch):
        x = m.zeros(5)
        m.arange(3., out=x.narrow(0, 1, 3))
        assert x.tolist() == [0., 0., 1., 2., 0.]


def test_out_errors() -> None:
    raises_both(lambda m: m.zeros(2, out=m.empty(0, dtype=m.int64), dtype=m.float32))
    raises_both(lambda m: m.ones(2, out=m.empty(3, requires_grad=True)))
    raises_both(lambda m: m.zeros(2, out=[1]))


# ----------------------------------------------------------------------------- layout, misc
def test_layout_argument() -> None:
    assert ember.zeros(2, layout=ember.strided).shape == (2,)
    with pytest.raises(NotImplementedError):
        ember.zeros(2, layout="torch.sparse_coo")


def test_empty_tensor_strides() -> None:
    run_both(lambda m: m.zeros(0, 4).stride())
