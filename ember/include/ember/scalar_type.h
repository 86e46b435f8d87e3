// ScalarType (torch's numbering), the Half/BFloat16 element types and the C++-type mapping.
#pragma once

#include <complex>
#include <cstdint>
#include <cstring>
#include <ostream>

#include "ember/errors.h"

namespace c10 {

// --------------------------------------------------------------------------- Half, BFloat16
namespace detail {
inline float fp16_bits_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t f;
  if (exp == 0) {
    if (man == 0) {
      f = sign;
    } else {  // subnormal: normalise the mantissa
      uint32_t e = 0;
      while (!(man & 0x400u)) {
        man <<= 1;
        ++e;
      }
      f = sign | ((113u - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (man << 13);
  } else {
    f = sign | ((exp + 112u) << 23) | (man << 13);
  }
  float r;
  std::memcpy(&r, &f, 4);
  return r;
}

// Round to nearest even, as torch's conversion does.
inline uint16_t float_to_fp16_bits(float v) {
  uint32_t f;
  std::memcpy(&f, &v, 4);
  uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  uint32_t a = f & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;                  // NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;                 // overflow (and inf)
  if (a < 0x38800000u) {                                       // half subnormal or zero
    float fa;
    std::memcpy(&fa, &a, 4);
    fa += 0.5f;  // aligns the mantissa so the FPU rounds at 2**-24
    uint32_t r;
    std::memcpy(&r, &fa, 4);
    return sign | static_cast<uint16_t>(r - 0x3f000000u);
  }
  uint32_t odd = (a >> 13) & 1u;
  a += 0xc8000fffu + odd;  // rebias the exponent (-112 << 23) and round
  return sign | static_cast<uint16_t>(a >> 13);
}
}  // namespace detail

struct alignas(2) Half {
  uint16_t x;
  struct from_bits_t {};
  static constexpr from_bits_t from_bits() { return from_bits_t(); }
  Half() = default;
  constexpr Half(uint16_t bits, from_bits_t) : x(bits) {}
  Half(float v) : x(detail::float_to_fp16_bits(v)) {}  // NOLINT: implicit, as torch's
  operator float() const { return detail::fp16_bits_to_float(x); }  // NOLINT
};

struct alignas(2) BFloat16 {
  uint16_t x;
  struct from_bits_t {};
  static constexpr from_bits_t from_bits() { return from_bits_t(); }
  BFloat16() = default;
  constexpr BFloat16(uint16_t bits, from_bits_t) : x(bits) {}
  BFloat16(float v) {  // NOLINT: round to nearest even
    uint32_t f;
    std::memcpy(&f, &v, 4);
    if ((f & 0x7fffffffu) > 0x7f800000u) {
      x = static_cast<uint16_t>(((f >> 16) & 0x8000u) | 0x7fc0u);
    } else {
      f += 0x7fffu + ((f >> 16) & 1u);
      x = static_cast<uint16_t>(f >> 16);
    }
  }
  operator float() const {  // NOLINT
    uint32_t f = static_cast<uint32_t>(x) << 16;
    float r;
    std::memcpy(&r, &f, 4);
    return r;
  }
};

inline std::ostream& operator<<(std::ostream& os, Half h) { return os << static_cast<float>(h); }
inline std::ostream& operator<<(std::ostream& os, BFloat16 h) {
  return os << static_cast<float>(h);
}

template <class T>
using complex = std::complex<T>;

// --------------------------------------------------------------------------- ScalarType
enum class ScalarType : int8_t {
  Byte = 0,
  Char = 1,
  Short = 2,
  Int = 3,
  Long = 4,
  Half = 5,
  Float = 6,
  Double = 7,
  ComplexFloat = 9,
  ComplexDouble = 10,
  Bool = 11,
  BFloat16 = 15,
  Undefined = 127,
};

constexpr ScalarType kByte = ScalarType::Byte;
constexpr ScalarType kChar = ScalarType::Char;
constexpr ScalarType kShort = ScalarType::Short;
constexpr ScalarType kInt = ScalarType::Int;
constexpr ScalarType kLong = ScalarType::Long;
constexpr ScalarType kHalf = ScalarType::Half;
constexpr ScalarType kFloat = ScalarType::Float;
constexpr ScalarType kDouble = ScalarType::Double;
constexpr ScalarType kComplexFloat = ScalarType::ComplexFloat;
constexpr ScalarType kComplexDouble = ScalarType::ComplexDouble;
constexpr ScalarType kBool = ScalarType::Bool;
constexpr ScalarType kBFloat16 = ScalarType::BFloat16;

inline const char* toString(ScalarType t) {
  switch (t) {
    case ScalarType::Byte: return "Byte";
    case ScalarType::Char: return "Char";
    case ScalarType::Short: return "Short";
    case ScalarType::Int: return "Int";
    case ScalarType::Long: return "Long";
    case ScalarType::Half: return "Half";
    case ScalarType::Float: return "Float";
    case ScalarType::Double: return "Double";
    case ScalarType::ComplexFloat: return "ComplexFloat";
    case ScalarType::ComplexDouble: return "ComplexDouble";
    case ScalarType::Bool: return "Bool";
    case ScalarType::BFloat16: return "BFloat16";
    default: return "Undefined";
  }
}
inline std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << toString(t); }

inline size_t elementSize(ScalarType t) {
  switch (t) {
    case ScalarType::Byte: case ScalarType::Char: case ScalarType::Bool: return 1;
    case ScalarType::Short: case ScalarType::Half: case ScalarType::BFloat16: return 2;
    case ScalarType::Int: case ScalarType::Float: return 4;
    case ScalarType::Long: case ScalarType::Double: case ScalarType::ComplexFloat: return 8;
    case ScalarType::ComplexDouble: return 16;
    default: TORCH_CHECK(false, "elementSize: unknown ScalarType ", static_cast<int>(t));
  }
  return 0;
}

inline bool isFloatingType(ScalarType t) {
  return t == kHalf || t == kFloat || t == kDouble || t == kBFloat16;
}
inline bool isComplexType(ScalarType t) { return t == kComplexFloat || t == kComplexDouble; }
inline bool isIntegralType(ScalarType t, bool include_bool) {
  return t == kByte || t == kChar || t == kShort || t == kInt || t == kLong ||
         (include_bool && t == kBool);
}

template <class T>
struct CppTypeToScalarType;
template <ScalarType S>
struct ScalarTypeToCPPType;
#define EMBER_SCALAR_PAIR(T, S)                                                          \
  template <>                                                                            \
  struct CppTypeToScalarType<T> { static constexpr ScalarType value = ScalarType::S; };  \
  template <>                                                                            \
  struct ScalarTypeToCPPType<ScalarType::S> { using type = T; };
EMBER_SCALAR_PAIR(uint8_t, Byte)
EMBER_SCALAR_PAIR(int8_t, Char)
EMBER_SCALAR_PAIR(int16_t, Short)
EMBER_SCALAR_PAIR(int32_t, Int)
EMBER_SCALAR_PAIR(int64_t, Long)
EMBER_SCALAR_PAIR(Half, Half)
EMBER_SCALAR_PAIR(float, Float)
EMBER_SCALAR_PAIR(double, Double)
EMBER_SCALAR_PAIR(std::complex<float>, ComplexFloat)
EMBER_SCALAR_PAIR(std::complex<double>, ComplexDouble)
EMBER_SCALAR_PAIR(bool, Bool)
EMBER_SCALAR_PAIR(BFloat16, BFloat16)
#undef EMBER_SCALAR_PAIR
namespace impl {
template <ScalarType S>
using ScalarTypeToCPPTypeT = typename ScalarTypeToCPPType<S>::type;
}  // namespace impl

}  // namespace c10

namespace caffe2 {
// What Tensor::dtype() returns in torch; here a thin wrapper of the ScalarType.
class TypeMeta {
 public:
  constexpr TypeMeta() : s_(c10::ScalarType::Float) {}
  constexpr explicit TypeMeta(c10::ScalarType s) : s_(s) {}
  template <class T>
  static TypeMeta Make() { return TypeMeta(c10::CppTypeToScalarType<T>::value); }
  c10::ScalarType toScalarType() const { return s_; }
  size_t itemsize() const { return c10::elementSize(s_); }
  const char* name() const { return c10::toString(s_); }
  bool operator==(TypeMeta o) const { return s_ == o.s_; }
  bool operator!=(TypeMeta o) const { return s_ != o.s_; }
  bool operator==(c10::ScalarType o) const { return s_ == o; }
  bool operator!=(c10::ScalarType o) const { return s_ != o; }

 private:
  c10::ScalarType s_;
};
inline std::ostream& operator<<(std::ostream& os, TypeMeta m) { return os << m.name(); }
}  // namespace caffe2

namespace c10 {
using caffe2::TypeMeta;
inline ScalarType typeMetaToScalarType(caffe2::TypeMeta m) { return m.toScalarType(); }
inline caffe2::TypeMeta scalarTypeToTypeMeta(ScalarType s) { return caffe2::TypeMeta(s); }
}  // namespace c10
