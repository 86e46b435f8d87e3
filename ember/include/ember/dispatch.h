// AT_DISPATCH_*: run a lambda with `scalar_t` bound to the C++ type of a runtime ScalarType.
#pragma once

namespace ember {
namespace detail {
inline c10::ScalarType dispatch_type(c10::ScalarType s) { return s; }
inline c10::ScalarType dispatch_type(caffe2::TypeMeta m) { return m.toScalarType(); }
inline c10::ScalarType dispatch_type(const at::DeprecatedTypeProperties& p) { return p.st; }

[[noreturn]] inline void dispatch_fail(const char* name, c10::ScalarType s) {
  throw c10::NotImplementedError(c10::str('"', name, "\" not implemented for '", s, "'"));
}
}  // namespace detail
}  // namespace ember

#define EMBER_DISPATCH_CASE(ENUM, ...)                                              \
  if (_ember_st == (ENUM)) {                                                        \
    using scalar_t [[maybe_unused]] = ::c10::impl::ScalarTypeToCPPTypeT<(ENUM)>;    \
    return __VA_ARGS__();                                                           \
  }

#define EMBER_DISPATCH(TYPE, NAME, ...)                                             \
  [&] {                                                                             \
    const ::c10::ScalarType _ember_st = ::ember::detail::dispatch_type(TYPE);       \
    __VA_ARGS__                                                                     \
    ::ember::detail::dispatch_fail(NAME, _ember_st);                                \
  }()

#define EMBER_FLOATING_CASES(...)                                                   \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Double, __VA_ARGS__)                       \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Float, __VA_ARGS__)
#define EMBER_INTEGRAL_CASES(...)                                                   \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Byte, __VA_ARGS__)                         \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Char, __VA_ARGS__)                         \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Short, __VA_ARGS__)                        \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Int, __VA_ARGS__)                          \
  EMBER_DISPATCH_CASE(::c10::ScalarType::Long, __VA_ARGS__)
#define EMBER_COMPLEX_CASES(...)                                                    \
  EMBER_DISPATCH_CASE(::c10::ScalarType::ComplexDouble, __VA_ARGS__)                \
  EMBER_DISPATCH_CASE(::c10::ScalarType::ComplexFloat, __VA_ARGS__)

#define AT_DISPATCH_FLOATING_TYPES(TYPE, NAME, ...) \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__))
#define AT_DISPATCH_FLOATING_TYPES_AND_HALF(TYPE, NAME, ...)                        \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_DISPATCH_CASE(::c10::ScalarType::Half, __VA_ARGS__))
#define AT_DISPATCH_FLOATING_TYPES_AND(S1, TYPE, NAME, ...)                         \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_DISPATCH_CASE(S1, __VA_ARGS__))
#define AT_DISPATCH_FLOATING_TYPES_AND2(S1, S2, TYPE, NAME, ...)                    \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_DISPATCH_CASE(S1, __VA_ARGS__) EMBER_DISPATCH_CASE(S2, __VA_ARGS__))
#define AT_DISPATCH_INTEGRAL_TYPES(TYPE, NAME, ...) \
  EMBER_DISPATCH(TYPE, NAME, EMBER_INTEGRAL_CASES(__VA_ARGS__))
#define AT_DISPATCH_ALL_TYPES(TYPE, NAME, ...)                                      \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_INTEGRAL_CASES(__VA_ARGS__))
#define AT_DISPATCH_ALL_TYPES_AND(S1, TYPE, NAME, ...)                              \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_INTEGRAL_CASES(__VA_ARGS__) EMBER_DISPATCH_CASE(S1, __VA_ARGS__))
#define AT_DISPATCH_FLOATING_AND_COMPLEX_TYPES(TYPE, NAME, ...)                     \
  EMBER_DISPATCH(TYPE, NAME, EMBER_FLOATING_CASES(__VA_ARGS__)                      \
                 EMBER_COMPLEX_CASES(__VA_ARGS__))
