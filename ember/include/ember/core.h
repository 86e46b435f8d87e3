// Ember's C++ tensor API: the subset of ATen/c10 that CPU extensions use (docs/cpp-extension.md).
//
// An at::Tensor here is a handle on an ember Python Tensor: it keeps a reference to that object
// and to the NumPy array behind it, and reads the data pointer, sizes and element strides from
// the array once. Nothing is copied in either direction. Factories and the few ops offered call
// back into ember, so their results are ordinary ember tensors (autograd and versions included).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// Hidden like pybind11's own symbols: every extension carries its own copy of these.
#pragma GCC visibility push(hidden)

#include "ember/errors.h"
#include "ember/scalar_type.h"

namespace c10 {

// ----------------------------------------------------------------------------- ArrayRef
template <class T>
class ArrayRef {
 public:
  using value_type = T;
  using iterator = const T*;
  using const_iterator = const T*;
  constexpr ArrayRef() : data_(nullptr), size_(0) {}
  constexpr ArrayRef(const T& one) : data_(&one), size_(1) {}  // NOLINT: torch's implicit ctor
  constexpr ArrayRef(const T* data, size_t n) : data_(data), size_(n) {}
  ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  constexpr ArrayRef(const std::initializer_list<T>& l)  // NOLINT
      : data_(l.begin() == l.end() ? nullptr : l.begin()), size_(l.size()) {}
  template <size_t N>
  constexpr ArrayRef(const T (&a)[N]) : data_(a), size_(N) {}  // NOLINT

  constexpr const T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }
  const T& front() const { return at(0); }
  const T& back() const { return at(size_ - 1); }
  constexpr const T& operator[](size_t i) const { return data_[i]; }
  const T& at(size_t i) const {
    TORCH_CHECK_INDEX(i < size_, "ArrayRef: index ", i, " out of range for size ", size_);
    return data_[i];
  }
  ArrayRef slice(size_t start, size_t n) const {
    TORCH_CHECK_INDEX(start + n <= size_, "ArrayRef::slice(", start, ", ", n,
                      ") out of range for size ", size_);
    return ArrayRef(data_ + start, n);
  }
  ArrayRef slice(size_t start) const { return slice(start, size_ - start); }
  bool equals(ArrayRef o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (!(data_[i] == o.data_[i])) return false;
    return true;
  }
  std::vector<T> vec() const { return std::vector<T>(data_, data_ + size_); }

 private:
  const T* data_;
  size_t size_;
};

template <class T>
bool operator==(ArrayRef<T> a, ArrayRef<T> b) { return a.equals(b); }
template <class T>
bool operator!=(ArrayRef<T> a, ArrayRef<T> b) { return !a.equals(b); }
template <class T>
bool operator==(const std::vector<T>& a, ArrayRef<T> b) { return ArrayRef<T>(a).equals(b); }
template <class T>
bool operator==(ArrayRef<T> a, const std::vector<T>& b) { return a.equals(ArrayRef<T>(b)); }

template <class T>
std::ostream& operator<<(std::ostream& os, ArrayRef<T> a) {
  os << "[";
  for (size_t i = 0; i < a.size(); ++i) os << (i ? ", " : "") << a[i];
  return os << "]";
}

using IntArrayRef = ArrayRef<int64_t>;

// ----------------------------------------------------------------------------- Device
enum class DeviceType : int8_t { CPU = 0, CUDA = 1, Meta = 9 };
constexpr DeviceType kCPU = DeviceType::CPU;
constexpr DeviceType kCUDA = DeviceType::CUDA;
constexpr DeviceType kMeta = DeviceType::Meta;

inline const char* DeviceTypeName(DeviceType t) {
  switch (t) {
    case DeviceType::CPU: return "cpu";
    case DeviceType::CUDA: return "cuda";
    case DeviceType::Meta: return "meta";
  }
  return "unknown";
}

class Device {
 public:
  Device(DeviceType type, int8_t index = -1) : type_(type), index_(index) {}  // NOLINT
  explicit Device(const std::string& s) : type_(DeviceType::CPU), index_(-1) {
    std::string t = s.substr(0, s.find(':'));
    if (t == "cpu") type_ = DeviceType::CPU;
    else if (t == "cuda") type_ = DeviceType::CUDA;
    else if (t == "meta") type_ = DeviceType::Meta;
    else TORCH_CHECK_VALUE(false, "Expected one of cpu, cuda, meta device type at start of "
                           "device string: ", s);
    if (s.find(':') != std::string::npos) index_ = static_cast<int8_t>(std::stoi(s.substr(s.find(':') + 1)));
  }
  DeviceType type() const { return type_; }
  int8_t index() const { return index_; }
  bool has_index() const { return index_ >= 0; }
  bool is_cpu() const { return type_ == DeviceType::CPU; }
  bool is_cuda() const { return type_ == DeviceType::CUDA; }
  bool is_meta() const { return type_ == DeviceType::Meta; }
  std::string str() const {
    std::string s = DeviceTypeName(type_);
    return has_index() ? s + ":" + std::to_string(index_) : s;
  }
  bool operator==(const Device& o) const { return type_ == o.type_ && index_ == o.index_; }
  bool operator!=(const Device& o) const { return !(*this == o); }

 private:
  DeviceType type_;
  int8_t index_;
};
inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }
inline std::ostream& operator<<(std::ostream& os, DeviceType d) { return os << DeviceTypeName(d); }

// ----------------------------------------------------------------------------- TensorOptions
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(ScalarType s) : dtype_(s) {}  // NOLINT: torch's implicit conversions
  TensorOptions(caffe2::TypeMeta m) : dtype_(m.toScalarType()) {}  // NOLINT
  TensorOptions(Device d) : device_(d) {}  // NOLINT
  TensorOptions(DeviceType d) : device_(Device(d)) {}  // NOLINT

  TensorOptions dtype(ScalarType s) const { TensorOptions o = *this; o.dtype_ = s; return o; }
  TensorOptions dtype(caffe2::TypeMeta m) const { return dtype(m.toScalarType()); }
  template <class T>
  TensorOptions dtype() const { return dtype(CppTypeToScalarType<T>::value); }
  TensorOptions device(Device d) const { TensorOptions o = *this; o.device_ = d; return o; }
  TensorOptions requires_grad(bool r) const {
    TensorOptions o = *this;
    o.requires_grad_ = r;
    return o;
  }
  caffe2::TypeMeta dtype() const { return caffe2::TypeMeta(dtype_.value_or(kFloat)); }
  Device device() const { return device_.value_or(Device(kCPU)); }
  bool requires_grad() const { return requires_grad_; }
  bool has_dtype() const { return dtype_.has_value(); }
  bool has_device() const { return device_.has_value(); }
  std::optional<ScalarType> dtype_opt() const { return dtype_; }
  std::optional<Device> device_opt() const { return device_; }

 private:
  std::optional<ScalarType> dtype_;
  std::optional<Device> device_;
  bool requires_grad_ = false;
};

inline TensorOptions dtype(ScalarType s) { return TensorOptions().dtype(s); }
template <class T>
TensorOptions dtype() { return TensorOptions().dtype<T>(); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

// ----------------------------------------------------------------------------- Scalar
class Scalar {
 public:
  Scalar() : Scalar(int64_t(0)) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(Int), i_(static_cast<int64_t>(v)), d_(static_cast<double>(v)) {}  // NOLINT
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(Double), i_(static_cast<int64_t>(v)), d_(static_cast<double>(v)) {}  // NOLINT
  Scalar(bool v) : kind_(Bool), i_(v), d_(v) {}  // NOLINT
  Scalar(Half v) : Scalar(static_cast<float>(v)) {}  // NOLINT
  Scalar(BFloat16 v) : Scalar(static_cast<float>(v)) {}  // NOLINT
  bool isIntegral(bool include_bool) const { return kind_ == Int || (include_bool && kind_ == Bool); }
  bool isFloatingPoint() const { return kind_ == Double; }
  bool isBoolean() const { return kind_ == Bool; }
  double toDouble() const { return d_; }
  float toFloat() const { return static_cast<float>(d_); }
  int64_t toLong() const { return i_; }
  int toInt() const { return static_cast<int>(i_); }
  bool toBool() const { return d_ != 0; }
  template <class T>
  T to() const { return kind_ == Double ? static_cast<T>(d_) : static_cast<T>(i_); }
  pybind11::object to_py() const {
    if (kind_ == Bool) return pybind11::bool_(i_ != 0);
    if (kind_ == Int) return pybind11::int_(i_);
    return pybind11::float_(d_);
  }

 private:
  enum Kind { Int, Double, Bool } kind_;
  int64_t i_;
  double d_;
};

}  // namespace c10

// The names extension code spells: at::, torch:: and c10:: share one set of definitions.
namespace at {
using namespace c10;  // NOLINT: torch re-exports c10's types in at::
}  // namespace at

#include "ember/tensor.h"
#include "ember/dispatch.h"
#include "ember/ops.h"

namespace torch {
using namespace at;  // NOLINT
using at::Tensor;
constexpr auto kFloat32 = at::kFloat;
constexpr auto kFloat64 = at::kDouble;
constexpr auto kFloat16 = at::kHalf;
constexpr auto kInt8 = at::kChar;
constexpr auto kUInt8 = at::kByte;
constexpr auto kInt16 = at::kShort;
constexpr auto kInt32 = at::kInt;
constexpr auto kInt64 = at::kLong;
}  // namespace torch

#pragma GCC visibility pop
