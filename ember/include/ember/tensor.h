// at::Tensor: a handle on an ember Tensor (no copies), its accessors, and the pybind11 caster.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace ember {
namespace detail {

// The first fields of NumPy's PyArrayObject, unchanged from NumPy 1.x to 2.x. Reading them
// directly works for every dtype (the buffer protocol refuses ml_dtypes' bfloat16).
struct NumpyArrayHead {
  PyObject_HEAD
  char* data;
  int nd;
  Py_ssize_t* dimensions;
  Py_ssize_t* strides;
};

// What the C++ side knows of one ember tensor. It owns references to the ember Tensor (so a
// tensor returned unchanged is the same Python object) and to the array holding the memory.
struct TensorImpl {
  PyObject* tensor = nullptr;
  PyObject* array = nullptr;
  void* data = nullptr;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  int64_t numel = 1;
  c10::ScalarType dtype = c10::kFloat;
  c10::Device device = c10::Device(c10::kCPU);

  TensorImpl() = default;
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl() {
    if (!Py_IsInitialized()) return;  // interpreter gone: nothing left to release
    PyGILState_STATE g = PyGILState_Ensure();  // a kernel may drop tensors without the GIL
    Py_XDECREF(tensor);
    Py_XDECREF(array);
    PyGILState_Release(g);
  }
};

std::shared_ptr<TensorImpl> impl_from_py(PyObject* obj);
bool is_ember_tensor(PyObject* obj);
template <class...>
struct dependent_false : std::false_type {};

}  // namespace detail
}  // namespace ember

// A member torch has and Ember does not: using it stops the build with a message naming it.
#define EMBER_UNSUPPORTED_METHOD(NAME, WHY)                                                     \
  template <class... A>                                                                        \
  Tensor NAME(A&&...) const {                                                                  \
    static_assert(::ember::detail::dependent_false<A...>::value,                               \
                  "Tensor::" #NAME "() is not supported by Ember's C++ extension API (" WHY    \
                  "); see docs/cpp-extension.md");                                             \
    return *this;                                                                              \
  }

namespace at {

class Tensor;

// Indexing into a tensor's memory with its element strides; bounds are checked unless
// EMBER_NO_BOUNDS_CHECK is defined (torch does not check).
template <class T, size_t N>
class TensorAccessor {
 public:
  TensorAccessor(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  TensorAccessor<T, N - 1> operator[](int64_t i) const {
    check(i);
    return TensorAccessor<T, N - 1>(data_ + strides_[0] * i, sizes_ + 1, strides_ + 1);
  }
  int64_t size(int64_t d) const { return sizes_[d]; }
  int64_t stride(int64_t d) const { return strides_[d]; }
  c10::IntArrayRef sizes() const { return c10::IntArrayRef(sizes_, N); }
  c10::IntArrayRef strides() const { return c10::IntArrayRef(strides_, N); }
  T* data() const { return data_; }

 private:
  void check(int64_t i) const {
#ifndef EMBER_NO_BOUNDS_CHECK
    TORCH_CHECK_INDEX(i >= 0 && i < sizes_[0], "TensorAccessor: index ", i,
                      " is out of bounds for dimension of size ", sizes_[0]);
#else
    (void)i;
#endif
  }
  T* data_;
  const int64_t* sizes_;
  const int64_t* strides_;
};

template <class T>
class TensorAccessor<T, 1> {
 public:
  TensorAccessor(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  T& operator[](int64_t i) const {
#ifndef EMBER_NO_BOUNDS_CHECK
    TORCH_CHECK_INDEX(i >= 0 && i < sizes_[0], "TensorAccessor: index ", i,
                      " is out of bounds for dimension of size ", sizes_[0]);
#endif
    return data_[strides_[0] * i];
  }
  int64_t size(int64_t d) const { return sizes_[d]; }
  int64_t stride(int64_t d) const { return strides_[d]; }
  c10::IntArrayRef sizes() const { return c10::IntArrayRef(sizes_, 1); }
  c10::IntArrayRef strides() const { return c10::IntArrayRef(strides_, 1); }
  T* data() const { return data_; }

 private:
  T* data_;
  const int64_t* sizes_;
  const int64_t* strides_;
};

// What the legacy `x.type()` returns; only its scalar type is meaningful here.
struct DeprecatedTypeProperties {
  c10::ScalarType st;
  c10::ScalarType scalarType() const { return st; }
  operator c10::ScalarType() const { return st; }  // NOLINT
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<ember::detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  // ------------------------------------------------------------------ geometry
  bool defined() const { return impl_ != nullptr; }
  int64_t dim() const { return static_cast<int64_t>(impl().sizes.size()); }
  int64_t ndimension() const { return dim(); }
  c10::IntArrayRef sizes() const { return impl().sizes; }
  c10::IntArrayRef strides() const { return impl().strides; }
  int64_t size(int64_t d) const { return impl().sizes[wrap(d, "size")]; }
  int64_t stride(int64_t d) const { return impl().strides[wrap(d, "stride")]; }
  int64_t numel() const { return impl().numel; }
  bool is_contiguous() const;
  Tensor contiguous() const;

  // ------------------------------------------------------------------ dtype, device
  c10::ScalarType scalar_type() const { return impl().dtype; }
  caffe2::TypeMeta dtype() const { return caffe2::TypeMeta(impl().dtype); }
  DeprecatedTypeProperties type() const { return DeprecatedTypeProperties{impl().dtype}; }
  int64_t element_size() const { return static_cast<int64_t>(c10::elementSize(impl().dtype)); }
  int64_t itemsize() const { return element_size(); }
  int64_t nbytes() const { return numel() * element_size(); }
  bool is_floating_point() const { return c10::isFloatingType(impl().dtype); }
  bool is_complex() const { return c10::isComplexType(impl().dtype); }
  c10::Device device() const { return impl().device; }
  bool is_cpu() const { return impl().device.is_cpu(); }
  bool is_cuda() const { return false; }
  bool is_meta() const { return impl().device.is_meta(); }
  c10::TensorOptions options() const {
    return c10::TensorOptions().dtype(impl().dtype).device(impl().device);
  }
  bool requires_grad() const;

  // ------------------------------------------------------------------ data
  template <class T>
  T* data_ptr() const {
    static_assert(!std::is_const_v<T>, "use const_data_ptr<T>() for a const pointer");
    check_dtype<T>("data_ptr");
    return static_cast<T*>(raw_data("data_ptr"));
  }
  void* data_ptr() const { return raw_data("data_ptr"); }
  template <class T>
  const T* const_data_ptr() const { check_dtype<T>("const_data_ptr"); return data_ptr<T>(); }
  template <class T>
  T* mutable_data_ptr() const { return data_ptr<T>(); }
  const void* const_data_ptr() const { return raw_data("const_data_ptr"); }
  void* mutable_data_ptr() const { return raw_data("mutable_data_ptr"); }

  template <class T, size_t N>
  TensorAccessor<T, N> accessor() const& {
    static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
    TORCH_CHECK(dim() == static_cast<int64_t>(N), "TensorAccessor expected ", N,
                " dims but tensor has ", dim());
    return TensorAccessor<T, N>(data_ptr<T>(), impl().sizes.data(), impl().strides.data());
  }
  template <class T, size_t N>
  TensorAccessor<T, N> accessor() && = delete;  // the accessor would outlive the tensor

  template <class T>
  T item() const;
  c10::Scalar item() const;

  // ------------------------------------------------------------------ bridge to Python
  // The ember Tensor this handle stands for (a borrowed reference).
  PyObject* py_object() const { return impl().tensor; }
  std::string toString() const;

  // ------------------------------------------------------------------ ops (ember/ops.h)
  Tensor to(c10::ScalarType dtype) const;
  Tensor to(c10::TensorOptions options) const;
  Tensor clone() const;
  Tensor detach() const;
  Tensor& zero_();
  Tensor& fill_(const c10::Scalar& value);
  Tensor& copy_(const Tensor& src);
  Tensor view(c10::IntArrayRef shape) const;
  Tensor reshape(c10::IntArrayRef shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;
  Tensor permute(c10::IntArrayRef dims) const;
  Tensor unsqueeze(int64_t d) const;
  Tensor squeeze(int64_t d) const;
  Tensor select(int64_t d, int64_t index) const;
  Tensor narrow(int64_t d, int64_t start, int64_t length) const;
  Tensor sum() const;
  Tensor sum(int64_t d, bool keepdim = false) const;
  Tensor mean() const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor pow(const c10::Scalar& e) const;
  Tensor matmul(const Tensor& o) const;
  Tensor mm(const Tensor& o) const;
  Tensor add(const Tensor& o, const c10::Scalar& alpha = 1) const;
  Tensor sub(const Tensor& o, const c10::Scalar& alpha = 1) const;
  Tensor mul(const Tensor& o) const;
  Tensor div(const Tensor& o) const;

  // ------------------------------------------------------------------ outside the subset
  EMBER_UNSUPPORTED_METHOD(cuda, "Ember extensions run on CPU tensors")
  EMBER_UNSUPPORTED_METHOD(packed_accessor32, "CUDA-only; use accessor<T,N>()")
  EMBER_UNSUPPORTED_METHOD(packed_accessor64, "CUDA-only; use accessor<T,N>()")
  EMBER_UNSUPPORTED_METHOD(backward, "run backward from Python")
  EMBER_UNSUPPORTED_METHOD(grad, "read .grad from Python")
  EMBER_UNSUPPORTED_METHOD(resize_, "tensors cannot be resized in C++")
  EMBER_UNSUPPORTED_METHOD(set_, "tensors cannot be re-pointed in C++")
  EMBER_UNSUPPORTED_METHOD(index_put_, "not in the supported op list")

 private:
  const ember::detail::TensorImpl& impl() const {
    TORCH_CHECK(impl_ != nullptr, "tensor does not have a device / is undefined");
    return *impl_;
  }
  int64_t wrap(int64_t d, const char* what) const {
    int64_t n = dim() > 0 ? dim() : 1;
    TORCH_CHECK_INDEX(d >= -n && d < n, "Dimension out of range (expected to be in range of [",
                      -n, ", ", n - 1, "], but got ", d, ")");
    TORCH_CHECK_INDEX(dim() > 0, what, "(): tensor is 0-d");
    return d < 0 ? d + n : d;
  }
  void* raw_data(const char* what) const {
    TORCH_CHECK(!impl().device.is_meta(), what, "(): a meta tensor has no data");
    return impl().data;
  }
  template <class T>
  void check_dtype(const char* what) const {
    using U = std::remove_cv_t<T>;
    TORCH_CHECK(impl().dtype == c10::CppTypeToScalarType<U>::value, what,
                "(): expected scalar type ", c10::CppTypeToScalarType<U>::value,
                " but found ", impl().dtype);
  }

  std::shared_ptr<ember::detail::TensorImpl> impl_;
};

#undef EMBER_UNSUPPORTED_METHOD

inline std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.toString(); }

}  // namespace at

// ------------------------------------------------------------------------------- pybind11
namespace pybind11 {
namespace detail {
template <>
struct type_caster<at::Tensor> {
  PYBIND11_TYPE_CASTER(at::Tensor, const_name("ember.Tensor"));
  bool load(handle src, bool) {
    if (!ember::detail::is_ember_tensor(src.ptr())) return false;
    value = at::Tensor(ember::detail::impl_from_py(src.ptr()));
    return true;
  }
  static handle cast(const at::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    return handle(t.py_object()).inc_ref();
  }
};
}  // namespace detail
}  // namespace pybind11

namespace ember {
namespace detail {

// The Python side of the bridge (ember/utils/cpp_extension/_bridge.py) and the objects the
// conversions need, looked up once per extension module and kept for the process's life.
struct Bridge {
  PyObject* module;
  PyObject* tensor_type;
  PyObject* ndarray_type;
  PyObject* codes;        // {ember dtype: ScalarType code}
  PyObject* cpu;          // ember's cpu device object (every CPU tensor holds this one)
  PyObject* make;         // ember._tensor.make(array, dtype, device)
  PyObject* default_code; // () -> code of the default dtype
  PyObject* np_fn[4];     // numpy empty, zeros, ones, full
  PyObject* np_dtype[16]; // by ScalarType code
  PyObject* dtype[16];    // ember dtypes by ScalarType code
  PyObject* s_data;
  PyObject* s_device;
  PyObject* s_dtype;
  PyObject* s_type;
};

inline Bridge& bridge_state() {
  static Bridge* b = [] {
    auto* r = new Bridge();
    pybind11::module_ m = pybind11::module_::import("ember.utils.cpp_extension._bridge");
    auto get = [&](const char* name) { return pybind11::object(m.attr(name)).release().ptr(); };
    r->tensor_type = get("Tensor");
    r->ndarray_type = get("ndarray");
    r->codes = get("DTYPE_CODE");
    r->cpu = get("CPU");
    r->make = get("make");
    r->default_code = get("default_code");
    pybind11::tuple fns = pybind11::reinterpret_borrow<pybind11::tuple>(
        pybind11::handle(get("NUMPY_FACTORIES")));
    for (int i = 0; i < 4; ++i) r->np_fn[i] = pybind11::object(fns[i]).release().ptr();
    pybind11::tuple npd = pybind11::reinterpret_borrow<pybind11::tuple>(
        pybind11::handle(get("NP_DTYPES")));
    pybind11::tuple emd = pybind11::reinterpret_borrow<pybind11::tuple>(
        pybind11::handle(get("EMBER_DTYPES")));
    for (int i = 0; i < 16; ++i) {
      r->np_dtype[i] = pybind11::object(npd[i]).release().ptr();
      r->dtype[i] = pybind11::object(emd[i]).release().ptr();
    }
    r->s_data = PyUnicode_InternFromString("_data");
    r->s_device = PyUnicode_InternFromString("device");
    r->s_dtype = PyUnicode_InternFromString("dtype");
    r->s_type = PyUnicode_InternFromString("type");
    r->module = m.release().ptr();
    return r;
  }();
  return *b;
}

inline pybind11::module_ bridge() {
  return pybind11::reinterpret_borrow<pybind11::module_>(bridge_state().module);
}

inline bool is_ember_tensor(PyObject* obj) {
  PyObject* cls = bridge_state().tensor_type;
  if (reinterpret_cast<PyObject*>(Py_TYPE(obj)) == cls) return true;
  int r = PyObject_IsInstance(obj, cls);
  if (r < 0) throw pybind11::error_already_set();
  return r == 1;
}

// Sizes, element strides, numel and data pointer of a NumPy array, read from its struct.
inline void read_geometry(TensorImpl& impl, PyObject* arr) {
  TORCH_CHECK(PyObject_TypeCheck(arr, reinterpret_cast<PyTypeObject*>(bridge_state().ndarray_type)),
              "Ember C++ extensions: the tensor is not backed by a NumPy array");
  auto* a = reinterpret_cast<NumpyArrayHead*>(arr);
  const int64_t isz = static_cast<int64_t>(c10::elementSize(impl.dtype));
  impl.sizes.resize(a->nd);
  impl.strides.resize(a->nd);
  int64_t n = 1;
  for (int i = 0; i < a->nd; ++i) {
    impl.sizes[i] = a->dimensions[i];
    impl.strides[i] = a->strides[i] / isz;
    n *= a->dimensions[i];
  }
  impl.numel = n;
  if (n == 0 || impl.device.is_meta()) {  // torch's contiguous strides (NumPy zeroes these)
    int64_t acc = 1;
    for (int i = a->nd - 1; i >= 0; --i) {
      impl.strides[i] = acc;
      acc *= impl.sizes[i] > 1 ? impl.sizes[i] : 1;
    }
  }
  impl.data = impl.device.is_meta() ? nullptr : a->data;
}

inline pybind11::object getattr_(PyObject* o, PyObject* name) {
  PyObject* r = PyObject_GetAttr(o, name);
  if (r == nullptr) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::object>(r);
}

inline std::shared_ptr<TensorImpl> impl_from_py(PyObject* obj) {
  Bridge& b = bridge_state();
  auto impl = std::make_shared<TensorImpl>();
  impl->tensor = obj;
  Py_INCREF(obj);
  pybind11::object dev = getattr_(obj, b.s_device);
  if (dev.ptr() != b.cpu) {
    std::string devtype = getattr_(dev.ptr(), b.s_type).cast<std::string>();
    if (devtype == "meta") {
      impl->device = c10::Device(c10::kMeta);
    } else if (devtype != "cpu") {
      throw c10::Error("Ember C++ extensions take CPU (or meta) tensors, got a tensor on " +
                       devtype);
    }
  }
  pybind11::object dt = getattr_(obj, b.s_dtype);
  PyObject* code = PyDict_GetItem(b.codes, dt.ptr());  // borrowed
  TORCH_CHECK(code != nullptr, "Ember C++ extensions: unsupported dtype ",
              pybind11::str(dt).cast<std::string>());
  impl->dtype = static_cast<c10::ScalarType>(PyLong_AsLong(code));
  pybind11::object arr = getattr_(obj, b.s_data);
  read_geometry(*impl, arr.ptr());
  impl->array = arr.release().ptr();
  return impl;
}

// A new CPU tensor straight from NumPy (kind: 0 empty, 1 zeros, 2 ones, 3 full), wrapped as an
// ember tensor by ember._tensor.make: no Python-level call in between.
inline at::Tensor numpy_factory(int kind, pybind11::tuple shape, c10::ScalarType st,
                                PyObject* fill) {
  Bridge& b = bridge_state();
  const int code = static_cast<int>(st);
  TORCH_CHECK(code >= 0 && code < 16 && b.dtype[code] != Py_None,
              "Ember C++ extensions: unsupported dtype ", st);
  PyObject* arr = kind == 3
      ? PyObject_CallFunctionObjArgs(b.np_fn[3], shape.ptr(), fill, b.np_dtype[code], nullptr)
      : PyObject_CallFunctionObjArgs(b.np_fn[kind], shape.ptr(), b.np_dtype[code], nullptr);
  if (arr == nullptr) throw pybind11::error_already_set();
  auto arr_obj = pybind11::reinterpret_steal<pybind11::object>(arr);
  PyObject* t = PyObject_CallFunctionObjArgs(b.make, arr, b.dtype[code], b.cpu, nullptr);
  if (t == nullptr) throw pybind11::error_already_set();
  auto impl = std::make_shared<TensorImpl>();
  impl->tensor = t;  // the new reference is the impl's
  impl->dtype = st;
  read_geometry(*impl, arr);
  impl->array = arr_obj.release().ptr();
  return at::Tensor(std::move(impl));
}

inline c10::ScalarType default_dtype() {
  PyObject* r = PyObject_CallNoArgs(bridge_state().default_code);
  if (r == nullptr) throw pybind11::error_already_set();
  auto code = pybind11::reinterpret_steal<pybind11::object>(r).cast<int>();
  return static_cast<c10::ScalarType>(code);
}

inline at::Tensor from_py(const pybind11::object& o) {
  TORCH_CHECK(is_ember_tensor(o.ptr()), "expected an ember Tensor, got ",
              pybind11::str(pybind11::type::of(o)).cast<std::string>());
  return at::Tensor(impl_from_py(o.ptr()));
}

}  // namespace detail
}  // namespace ember

namespace at {

inline bool Tensor::is_contiguous() const {
  const auto& im = impl();
  if (im.numel == 0) return true;
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (im.sizes[i] == 1) continue;
    if (im.strides[i] != expected) return false;
    expected *= im.sizes[i];
  }
  return true;
}

inline bool Tensor::requires_grad() const {
  return pybind11::handle(py_object()).attr("requires_grad").cast<bool>();
}

template <class T>
T Tensor::item() const {
  TORCH_CHECK(numel() == 1, "a Tensor with ", numel(),
              " elements cannot be converted to Scalar");
  const void* p = raw_data("item");
  switch (scalar_type()) {
#define EMBER_ITEM_CASE(S)                                                                  \
  case c10::ScalarType::S:                                                                  \
    return static_cast<T>(*static_cast<const c10::impl::ScalarTypeToCPPTypeT<c10::ScalarType::S>*>(p));
    EMBER_ITEM_CASE(Byte) EMBER_ITEM_CASE(Char) EMBER_ITEM_CASE(Short) EMBER_ITEM_CASE(Int)
    EMBER_ITEM_CASE(Long) EMBER_ITEM_CASE(Float) EMBER_ITEM_CASE(Double) EMBER_ITEM_CASE(Bool)
#undef EMBER_ITEM_CASE
    case c10::ScalarType::Half:
      return static_cast<T>(static_cast<float>(*static_cast<const c10::Half*>(p)));
    case c10::ScalarType::BFloat16:
      return static_cast<T>(static_cast<float>(*static_cast<const c10::BFloat16*>(p)));
    default:
      TORCH_CHECK(false, "item<T>(): unsupported for dtype ", scalar_type());
  }
  return T();
}

inline c10::Scalar Tensor::item() const {
  if (c10::isFloatingType(scalar_type())) return c10::Scalar(item<double>());
  if (scalar_type() == c10::kBool) return c10::Scalar(item<bool>());
  return c10::Scalar(item<int64_t>());
}

inline std::string Tensor::toString() const {
  if (!defined()) return "[ Tensor (undefined) ]";
  return pybind11::repr(pybind11::handle(py_object())).cast<std::string>();
}

}  // namespace at
