"""utils.cpp_extension: the seed's op built from examples/custom_op, checked against torch's silu.

Compiling costs seconds, so the extensions are built once per module (module-scoped fixtures)
into temporary build folders; the build-system behaviour (second process, rebuild, concurrent
and killed builds, compiler errors) lives in test_cpp_extension_build.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck
from ember.utils import cpp_extension
from ember.utils.cpp_extension import _build

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX", "c++")) is None, reason="no C++ compiler"
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = os.path.join(ROOT, "examples", "custom_op", "custom_op.cpp")

INLINE = r"""
torch::Tensor same(torch::Tensor x) { return x; }

torch::Tensor fill_iota(torch::Tensor x) {  // writes through the pointer it was given
  TORCH_CHECK(x.scalar_type() == torch::kFloat, "fill_iota: expected Float, got ",
              x.scalar_type());
  auto a = x.accessor<float, 2>();
  for (int64_t i = 0; i < a.size(0); ++i)
    for (int64_t j = 0; j < a.size(1); ++j) a[i][j] = static_cast<float>(i * 10 + j);
  return x;
}

std::vector<int64_t> geometry(torch::Tensor x) {
  std::vector<int64_t> r = x.sizes().vec();
  for (auto s : x.strides()) r.push_back(s);
  r.push_back(x.dim());
  r.push_back(x.numel());
  r.push_back(x.is_contiguous());
  r.push_back(static_cast<int64_t>(x.scalar_type()));
  return r;
}

int64_t data_address(torch::Tensor x) { return reinterpret_cast<int64_t>(x.data_ptr()); }

double read_at(torch::Tensor x, int64_t i, int64_t j) { return x.accessor<double, 2>()[i][j]; }

torch::Tensor wrong_accessor(torch::Tensor x) { x.accessor<float, 3>(); return x; }

double item_sum(torch::Tensor x) { return x.sum().item<double>(); }

std::vector<torch::Tensor> factories(torch::Tensor like) {
  return {torch::zeros({2, 3}), torch::ones({2}, torch::kFloat64),
          torch::full({3}, 2.5, torch::TensorOptions().dtype(torch::kInt32)),
          torch::empty_like(like), torch::zeros_like(like), torch::ones_like(like),
          torch::empty({0, 4}, like.options())};
}

torch::Tensor ops_chain(torch::Tensor a, torch::Tensor b) {
  return torch::sigmoid(a * b + 1.0).sum(0) - a.mean();
}

double opt_sum(std::optional<torch::Tensor> t) { return t ? t->sum().item<double>() : -1.0; }

void warn_me(int64_t n) { TORCH_WARN("careful with ", n); }

torch::Tensor alloc_without_gil(int64_t n) {
  pybind11::gil_scoped_release nogil;  // factories take the GIL back themselves
  auto t = torch::ones({n}, torch::kFloat64);
  double* p = t.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] += static_cast<double>(i);
  return t;
}

torch::Tensor maybe(torch::Tensor x, bool give) { return give ? x : torch::Tensor(); }

torch::Tensor half_roundtrip(torch::Tensor x) {
  auto out = torch::empty_like(x);
  const at::Half* p = x.data_ptr<at::Half>();
  at::Half* o = out.data_ptr<at::Half>();
  for (int64_t i = 0; i < x.numel(); ++i) o[i] = static_cast<float>(p[i]) * 2.0f;
  return out;
}
"""

FUNCTIONS = [
    "same",
    "fill_iota",
    "geometry",
    "data_address",
    "read_at",
    "wrong_accessor",
    "item_sum",
    "factories",
    "ops_chain",
    "half_roundtrip",
    "opt_sum",
    "warn_me",
    "maybe",
    "alloc_without_gil",
]


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return cpp_extension.load(
        name="custom_op", sources=[SEED], build_directory=str(tmp_path_factory.mktemp("seed"))
    )


@pytest.fixture(scope="module")
def inline(tmp_path_factory):
    # built without ninja: the compiler-direct path
    mp = pytest.MonkeyPatch()
    mp.setattr(_build, "_ninja", lambda: None)
    try:
        return cpp_extension.load_inline(
            name="inline_ext",
            cpp_sources=INLINE,
            functions=FUNCTIONS,
            build_directory=str(tmp_path_factory.mktemp("inl")),
        )
    finally:
        mp.undo()


class CustomOpFunction(Function):
    """The seed's autograd.Function over the C++ op."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return CustomOpFunction.ext.custom_forward(input)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return CustomOpFunction.ext.custom_backward(grad.contiguous(), input)


def _silu_np(x):
    return x / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_forward_matches_torch_silu(seed, dtype):
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(dtype)
    out = seed.custom_forward(ember.tensor(x))
    ref = torch.nn.functional.silu(torch.tensor(x))
    assert isinstance(out, ember.Tensor) and out.dtype == getattr(ember, dtype)
    tol = 1e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(
        out.numpy().astype(np.float64), ref.numpy().astype(np.float64), rtol=tol, atol=tol
    )


def test_backward_through_function_matches_torch(seed):
    CustomOpFunction.ext = seed
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    xe = ember.tensor(x, requires_grad=True)
    CustomOpFunction.apply(xe).pow(2).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.silu(xt).pow(2).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gradcheck_float64(seed):
    CustomOpFunction.ext = seed
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(CustomOpFunction.apply, (x,))


def test_non_contiguous_inputs(seed):
    base = np.random.default_rng(2).standard_normal((6, 8))
    t = ember.tensor(base)
    for view in (t.t(), t[::2, 1::3], t[0].expand(6, 8)):
        assert not view.is_contiguous()
        np.testing.assert_allclose(
            seed.custom_forward(view).numpy(), _silu_np(view.numpy()), rtol=1e-12
        )
    g = ember.ones(8, 6, dtype=ember.float64).t()  # a transposed gradient
    ref = torch.ops.aten.silu_backward(torch.ones(6, 8, dtype=torch.float64), torch.tensor(base))
    np.testing.assert_allclose(seed.custom_backward(g, t).numpy(), ref.numpy(), rtol=1e-12)


def test_empty_and_0d_inputs(seed):
    assert seed.custom_forward(ember.empty(0, 3)).shape == (0, 3)
    z = seed.custom_forward(ember.tensor(1.5, dtype=ember.float64))
    assert z.shape == () and abs(z.item() - _silu_np(1.5)) < 1e-12


def test_torch_check_failure_is_runtime_error_with_message(seed):
    with pytest.raises(
        RuntimeError,
        match=r"custom_backward: grad has shape \[2\] but input "
        r"has shape \[3\]",
    ):
        seed.custom_backward(ember.ones(2), ember.ones(3))
    with pytest.raises(RuntimeError, match="expected a floating tensor, got Long"):
        seed.custom_forward(ember.arange(3))
    with pytest.raises(TypeError, match="incompatible function arguments"):
        seed.custom_forward([1.0, 2.0])


def test_dispatch_rejects_dtype_outside_its_list(seed):
    with pytest.raises(
        NotImplementedError, match="\"custom_forward\" not implemented for 'BFloat16'"
    ):
        seed.custom_forward(ember.ones(2, dtype=ember.bfloat16))


def test_meta_tensor_has_no_data(seed):
    with pytest.raises(RuntimeError, match="meta tensor has no data"):
        seed.custom_forward(ember.empty(2, device="meta"))


def test_tensors_cross_without_copies(inline):
    x = ember.zeros(3, 4)
    assert inline.same(x) is x  # a returned input is the same Python object
    assert inline.data_address(x) == x.data_ptr()
    inline.fill_iota(x)  # the write through the C++ pointer is visible in Python
    assert x[2, 3].item() == 23.0
    view = ember.zeros(4, 6)[1:, ::2]
    assert inline.data_address(view) == view.data_ptr()
    inline.fill_iota(view)
    assert view[1, 2].item() == 12.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: ember.arange(24.0).view(2, 3, 4).permute(2, 0, 1),
        lambda: ember.ones(5, 1).expand(5, 3),
        lambda: ember.empty(0, 2),
        lambda: ember.tensor(3.0),
    ],
)
def test_geometry_matches_python(inline, make):
    x = make()
    g = inline.geometry(x)
    n = x.dim()
    assert g[:n] == list(x.shape) and g[n : 2 * n] == list(x.stride())
    assert g[2 * n :] == [n, x.numel(), int(x.is_contiguous()), 6]


def test_accessor_reads_strided_and_checks(inline):
    t = ember.arange(12.0, dtype=ember.float64).view(3, 4).t()
    assert inline.read_at(t, 3, 2) == t[3, 2].item()
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension of size 4"):
        inline.read_at(t, 4, 0)
    with pytest.raises(RuntimeError, match="TensorAccessor expected 3 dims but tensor has 2"):
        inline.wrong_accessor(ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        inline.read_at(ember.ones(2, 2), 0, 0)


def test_factories_and_options(inline):
    like = ember.ones(2, 2, dtype=ember.float64)
    z, o, f, e, zl, ol, em = inline.factories(like)
    assert z.dtype == ember.float32 and z.shape == (2, 3) and not z.numpy().any()
    assert o.dtype == ember.float64 and o.numpy().tolist() == [1.0, 1.0]
    assert f.dtype == ember.int32 and f.numpy().tolist() == [2, 2, 2]
    assert e.shape == (2, 2) and e.dtype == ember.float64
    assert zl.numpy().tolist() == [[0, 0], [0, 0]] and ol.numpy().tolist() == [[1, 1], [1, 1]]
    assert em.shape == (0, 4) and em.dtype == ember.float64


def test_ops_called_from_cpp_record_autograd(inline):
    a = np.random.default_rng(3).standard_normal((3, 2)).astype(np.float32)
    b = np.random.default_rng(4).standard_normal((3, 2)).astype(np.float32)
    ae, be = ember.tensor(a, requires_grad=True), ember.tensor(b)
    out = inline.ops_chain(ae, be)
    out.sum().backward()
    at = torch.tensor(a, requires_grad=True)
    ref = torch.sigmoid(at * torch.tensor(b) + 1.0).sum(0) - at.mean()
    ref.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ae.grad.numpy(), at.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert inline.item_sum(ember.arange(5.0)) == 10.0


def test_half_conversions_round_like_torch(inline):
    vals = np.array([0.1, -2.5, 65504.0, 6e-8, 1e-5, 3.14159, -0.0, 40000.0], np.float16)
    out = inline.half_roundtrip(ember.tensor(vals))
    ref = (torch.tensor(vals).float() * 2.0).half()
    assert out.numpy().tobytes() == ref.numpy().tobytes()


def test_optional_tensor_and_warning(inline):
    assert inline.opt_sum(None) == -1.0 and inline.opt_sum(ember.ones(3)) == 3.0
    with pytest.warns(UserWarning, match="careful with 3"):
        inline.warn_me(3)


def test_factories_work_with_the_gil_released(inline):
    assert inline.alloc_without_gil(4).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_undefined_tensor_is_none_and_subclasses_pass_through(inline):
    p = ember.nn.Parameter(ember.ones(2))
    assert inline.maybe(p, True) is p
    assert inline.maybe(p, False) is None


def test_load_inline_functions_have_docstrings(inline):
    assert inline.same.__doc__.strip().startswith("same(")


def test_custom_op_from_cpp_with_autograd(seed):
    lib = ember.library
    lib.define("cppext::silu", "(Tensor x) -> Tensor")
    lib.impl("cppext::silu", "cpu", seed.custom_forward)

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return seed.custom_backward(grad.contiguous(), x)

    lib.register_autograd("cppext::silu", backward, setup_context=setup)
    lib.register_fake("cppext::silu", lambda x: ember.empty_like(x))
    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(ember.ops.cppext.silu, (x,))
    m = ember.ops.cppext.silu(ember.empty(5, 2, device="meta"))
    assert m.device.type == "meta" and m.shape == (5, 2)


def test_include_paths_and_errors():
    paths = cpp_extension.include_paths()
    assert os.path.exists(os.path.join(paths[0], "torch", "extension.h"))
    with pytest.raises(NotImplementedError, match="CPU-only"):
        cpp_extension.include_paths("cuda")
    with pytest.raises(NotImplementedError, match="CUDA"):
        cpp_extension.load("x", [SEED], with_cuda=True)
    with pytest.raises(NotImplementedError, match="SYCL"):
        cpp_extension.load_inline("x", "", sycl_sources="int x;")
    with pytest.raises(ValueError, match="valid Python identifier"):
        cpp_extension.load("bad-name", [SEED], build_directory="/nonexistent")


def test_example_script_runs(seed, capsys):
    spec = importlib.util.spec_from_file_location(
        "custom_op_example", os.path.join(ROOT, "examples", "custom_op", "custom_op.py")
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    res = example.main(build_directory=os.path.dirname(seed.__file__), verbose=True)
    assert res == {"gradcheck": True, "library_gradcheck": True, "meta_shape": (2, 3)}
    out, err = capsys.readouterr()
    assert "cache hit" in err and "forward matches x * sigmoid(x): True" in out
