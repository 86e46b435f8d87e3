// Factories and the small op set, each a call into ember: results are ember tensors, autograd
// records them, and in-place ops bump the version counter as they do from Python.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <vector>

namespace ember {
namespace detail {

inline pybind11::tuple shape_tuple(c10::IntArrayRef s) {
  pybind11::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = pybind11::int_(s[i]);
  return t;
}

// bridge.<fn>(*args) -> Tensor
template <class... A>
at::Tensor call(const char* fn, A&&... a) {
  pybind11::gil_scoped_acquire gil;
  return from_py(bridge().attr(fn)(std::forward<A>(a)...));
}

// self.<method>(*args) -> Tensor, through ember's own dispatch
template <class... A>
at::Tensor method(const at::Tensor& self, const char* name, A&&... a) {
  pybind11::gil_scoped_acquire gil;
  pybind11::handle h(self.py_object());
  return from_py(h.attr(name)(std::forward<A>(a)...));
}

// ------------------------------------------------------------------------------ factories
// kind: 0 empty, 1 zeros, 2 ones, 3 full. CPU tensors come from NumPy directly; meta tensors
// and requires_grad go through ember's own factories.
inline at::Tensor factory(int kind, c10::IntArrayRef size, const c10::TensorOptions& o,
                          const at::Tensor* like, const c10::Scalar* fill) {
  pybind11::gil_scoped_acquire gil;  // a kernel may have released it
  c10::ScalarType st = o.has_dtype() ? o.dtype().toScalarType()
                       : like        ? like->scalar_type()
                                     : default_dtype();
  c10::Device dev = o.has_device() ? o.device() : like ? like->device() : c10::Device(c10::kCPU);
  pybind11::object value = fill ? fill->to_py() : pybind11::object(pybind11::int_(0));
  if (dev.is_cpu() && !o.requires_grad())
    return numpy_factory(kind, shape_tuple(size), st, value.ptr());
  static const char* names[] = {"empty", "zeros", "ones", "full"};
  return call("factory", names[kind], shape_tuple(size),
              pybind11::make_tuple(static_cast<int>(st), dev.str(), o.requires_grad()), value);
}
}  // namespace detail
}  // namespace ember

namespace at {

inline Tensor empty(c10::IntArrayRef size, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(0, size, o, nullptr, nullptr);
}
inline Tensor zeros(c10::IntArrayRef size, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(1, size, o, nullptr, nullptr);
}
inline Tensor ones(c10::IntArrayRef size, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(2, size, o, nullptr, nullptr);
}
inline Tensor full(c10::IntArrayRef size, const c10::Scalar& v, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(3, size, o, nullptr, &v);
}
inline Tensor empty_like(const Tensor& t, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(0, t.sizes(), o, &t, nullptr);
}
inline Tensor zeros_like(const Tensor& t, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(1, t.sizes(), o, &t, nullptr);
}
inline Tensor ones_like(const Tensor& t, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(2, t.sizes(), o, &t, nullptr);
}
inline Tensor full_like(const Tensor& t, const c10::Scalar& v, const c10::TensorOptions& o = {}) {
  return ember::detail::factory(3, t.sizes(), o, &t, &v);
}

// ------------------------------------------------------------------------------ methods
inline Tensor Tensor::contiguous() const {
  return is_contiguous() ? *this : ember::detail::method(*this, "contiguous");
}
inline Tensor Tensor::to(c10::ScalarType d) const {
  return d == scalar_type() ? *this
                            : ember::detail::call("to_dtype", *this, static_cast<int>(d));
}
inline Tensor Tensor::to(c10::TensorOptions o) const {
  TORCH_CHECK(!o.has_device() || o.device() == device(),
              "Tensor::to(): moving between devices is not supported in Ember's C++ API");
  return o.has_dtype() ? to(o.dtype().toScalarType()) : *this;
}
inline Tensor Tensor::clone() const { return ember::detail::method(*this, "clone"); }
inline Tensor Tensor::detach() const { return ember::detail::method(*this, "detach"); }
inline Tensor& Tensor::zero_() {
  ember::detail::method(*this, "zero_");
  return *this;
}
inline Tensor& Tensor::fill_(const c10::Scalar& v) {
  ember::detail::method(*this, "fill_", v.to_py());
  return *this;
}
inline Tensor& Tensor::copy_(const Tensor& src) {
  ember::detail::method(*this, "copy_", src);
  return *this;
}
inline Tensor Tensor::view(c10::IntArrayRef s) const {
  return ember::detail::method(*this, "view", ember::detail::shape_tuple(s));
}
inline Tensor Tensor::reshape(c10::IntArrayRef s) const {
  return ember::detail::method(*this, "reshape", ember::detail::shape_tuple(s));
}
inline Tensor Tensor::transpose(int64_t a, int64_t b) const {
  return ember::detail::method(*this, "transpose", a, b);
}
inline Tensor Tensor::t() const { return ember::detail::method(*this, "t"); }
inline Tensor Tensor::permute(c10::IntArrayRef d) const {
  return ember::detail::method(*this, "permute", ember::detail::shape_tuple(d));
}
inline Tensor Tensor::unsqueeze(int64_t d) const {
  return ember::detail::method(*this, "unsqueeze", d);
}
inline Tensor Tensor::squeeze(int64_t d) const { return ember::detail::method(*this, "squeeze", d); }
inline Tensor Tensor::select(int64_t d, int64_t i) const {
  return ember::detail::method(*this, "select", d, i);
}
inline Tensor Tensor::narrow(int64_t d, int64_t s, int64_t n) const {
  return ember::detail::method(*this, "narrow", d, s, n);
}
inline Tensor Tensor::sum() const { return ember::detail::method(*this, "sum"); }
inline Tensor Tensor::sum(int64_t d, bool keepdim) const {
  return ember::detail::method(*this, "sum", d, keepdim);
}
inline Tensor Tensor::mean() const { return ember::detail::method(*this, "mean"); }
#define EMBER_UNARY(NAME) \
  inline Tensor Tensor::NAME() const { return ember::detail::method(*this, #NAME); }
EMBER_UNARY(neg)
EMBER_UNARY(exp)
EMBER_UNARY(log)
EMBER_UNARY(sqrt)
EMBER_UNARY(abs)
EMBER_UNARY(tanh)
EMBER_UNARY(sigmoid)
EMBER_UNARY(relu)
#undef EMBER_UNARY
inline Tensor Tensor::pow(const c10::Scalar& e) const {
  return ember::detail::method(*this, "pow", e.to_py());
}
inline Tensor Tensor::matmul(const Tensor& o) const {
  return ember::detail::method(*this, "matmul", o);
}
inline Tensor Tensor::mm(const Tensor& o) const { return ember::detail::method(*this, "mm", o); }
inline Tensor Tensor::add(const Tensor& o, const c10::Scalar& alpha) const {
  return ember::detail::method(*this, "add", o, pybind11::arg("alpha") = alpha.to_py());
}
inline Tensor Tensor::sub(const Tensor& o, const c10::Scalar& alpha) const {
  return ember::detail::method(*this, "sub", o, pybind11::arg("alpha") = alpha.to_py());
}
inline Tensor Tensor::mul(const Tensor& o) const { return ember::detail::method(*this, "mul", o); }
inline Tensor Tensor::div(const Tensor& o) const { return ember::detail::method(*this, "div", o); }

// ------------------------------------------------------------------------------ operators
#define EMBER_BINOP(OP, PYNAME, RPYNAME)                                                  \
  inline Tensor operator OP(const Tensor& a, const Tensor& b) {                           \
    return ember::detail::method(a, PYNAME, b);                                           \
  }                                                                                       \
  inline Tensor operator OP(const Tensor& a, const c10::Scalar& b) {                      \
    return ember::detail::method(a, PYNAME, b.to_py());                                   \
  }                                                                                       \
  inline Tensor operator OP(const c10::Scalar& a, const Tensor& b) {                      \
    return ember::detail::method(b, RPYNAME, a.to_py());                                  \
  }
EMBER_BINOP(+, "__add__", "__radd__")
EMBER_BINOP(-, "__sub__", "__rsub__")
EMBER_BINOP(*, "__mul__", "__rmul__")
EMBER_BINOP(/, "__truediv__", "__rtruediv__")
#undef EMBER_BINOP
inline Tensor operator-(const Tensor& a) { return a.neg(); }

// ------------------------------------------------------------------------------ functions
#define EMBER_FUNC1(NAME) \
  inline Tensor NAME(const Tensor& x) { return x.NAME(); }
EMBER_FUNC1(exp)
EMBER_FUNC1(log)
EMBER_FUNC1(sqrt)
EMBER_FUNC1(abs)
EMBER_FUNC1(tanh)
EMBER_FUNC1(sigmoid)
EMBER_FUNC1(relu)
#undef EMBER_FUNC1
inline Tensor matmul(const Tensor& a, const Tensor& b) { return a.matmul(b); }
inline Tensor mm(const Tensor& a, const Tensor& b) { return a.mm(b); }
inline Tensor cat(const std::vector<Tensor>& ts, int64_t dim = 0) {
  return ember::detail::call("call_op", "cat", ts, dim);
}
inline Tensor stack(const std::vector<Tensor>& ts, int64_t dim = 0) {
  return ember::detail::call("call_op", "stack", ts, dim);
}

// torch::wrap_pybind_function: torch's error translation; pybind11 already does it here.
template <class F>
F wrap_pybind_function(F f) { return f; }

// Outside the subset: naming these stops the build with a message. The IntArrayRef overload
// catches calls with a braced size list, which cannot bind to a deduced parameter pack.
#define EMBER_UNSUPPORTED_FN(NAME, WHY)                                                      \
  template <class... A>                                                                     \
  Tensor NAME(A&&...) {                                                                     \
    static_assert(ember::detail::dependent_false<A...>::value,                              \
                  "torch::" #NAME " is not supported by Ember's C++ extension API (" WHY    \
                  "); see docs/cpp-extension.md");                                          \
    return Tensor();                                                                        \
  }                                                                                         \
  template <class... A>                                                                     \
  Tensor NAME(c10::IntArrayRef, A&&...) {                                                   \
    static_assert(ember::detail::dependent_false<A...>::value,                              \
                  "torch::" #NAME " is not supported by Ember's C++ extension API (" WHY    \
                  "); see docs/cpp-extension.md");                                          \
    return Tensor();                                                                        \
  }
EMBER_UNSUPPORTED_FN(from_blob, "tensors must own NumPy memory; allocate with torch::empty")
EMBER_UNSUPPORTED_FN(tensor, "build tensors in Python or fill torch::empty")
EMBER_UNSUPPORTED_FN(arange, "not in the factory list")
EMBER_UNSUPPORTED_FN(linspace, "not in the factory list")
EMBER_UNSUPPORTED_FN(eye, "not in the factory list")
EMBER_UNSUPPORTED_FN(rand, "random factories: draw in Python")
EMBER_UNSUPPORTED_FN(randn, "random factories: draw in Python")
EMBER_UNSUPPORTED_FN(randint, "random factories: draw in Python")
EMBER_UNSUPPORTED_FN(rand_like, "random factories: draw in Python")
EMBER_UNSUPPORTED_FN(randn_like, "random factories: draw in Python")
EMBER_UNSUPPORTED_FN(einsum, "not in the op list")
EMBER_UNSUPPORTED_FN(bmm, "not in the op list")
EMBER_UNSUPPORTED_FN(addmm, "not in the op list")
EMBER_UNSUPPORTED_FN(softmax, "not in the op list")
EMBER_UNSUPPORTED_FN(log_softmax, "not in the op list")
EMBER_UNSUPPORTED_FN(conv2d, "not in the op list")
EMBER_UNSUPPORTED_FN(index_select, "not in the op list")
EMBER_UNSUPPORTED_FN(gather, "not in the op list")
#undef EMBER_UNSUPPORTED_FN

}  // namespace at
