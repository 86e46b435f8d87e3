// TORCH_CHECK and friends: C++ exceptions that pybind11 turns into the Python exception torch
// raises (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError).
#pragma once

#include <pybind11/pybind11.h>

#include <sstream>
#include <string>

namespace c10 {

// c10::Error is a pybind11 builtin_exception so that pybind11 raises the Python type that
// set_error names; it still derives from std::runtime_error like torch's.
class Error : public pybind11::builtin_exception {
 public:
  using pybind11::builtin_exception::builtin_exception;
  void set_error() const override { PyErr_SetString(PyExc_RuntimeError, what()); }
  const char* what_without_backtrace() const noexcept { return what(); }
};

#define EMBER_ERROR_CLASS(NAME, PYEXC)                                       \
  class NAME : public Error {                                               \
   public:                                                                  \
    using Error::Error;                                                     \
    void set_error() const override { PyErr_SetString(PYEXC, what()); }     \
  };
EMBER_ERROR_CLASS(ValueError, PyExc_ValueError)
EMBER_ERROR_CLASS(IndexError, PyExc_IndexError)
EMBER_ERROR_CLASS(TypeError, PyExc_TypeError)
EMBER_ERROR_CLASS(NotImplementedError, PyExc_NotImplementedError)
#undef EMBER_ERROR_CLASS

namespace detail {
inline void str_into(std::ostringstream&) {}
template <class T, class... R>
void str_into(std::ostringstream& s, const T& t, const R&... rest) {
  s << t;
  str_into(s, rest...);
}
template <class E>
[[noreturn]] inline void check_fail(const char* cond, const std::string& msg) {
  if (msg.empty())
    throw E(std::string("Expected ") + cond + " to be true, but got false.");
  throw E(msg);
}
}  // namespace detail

template <class... A>
std::string str(const A&... a) {
  std::ostringstream s;
  detail::str_into(s, a...);
  return s.str();
}

}  // namespace c10

#define EMBER_CHECK_IMPL(E, cond, ...)                                          \
  do {                                                                          \
    if (__builtin_expect(!(cond), 0))                                           \
      ::c10::detail::check_fail<E>(#cond, ::c10::str(__VA_ARGS__));            \
  } while (0)

#define TORCH_CHECK(cond, ...) EMBER_CHECK_IMPL(::c10::Error, cond, ##__VA_ARGS__)
#define TORCH_CHECK_VALUE(cond, ...) EMBER_CHECK_IMPL(::c10::ValueError, cond, ##__VA_ARGS__)
#define TORCH_CHECK_INDEX(cond, ...) EMBER_CHECK_IMPL(::c10::IndexError, cond, ##__VA_ARGS__)
#define TORCH_CHECK_TYPE(cond, ...) EMBER_CHECK_IMPL(::c10::TypeError, cond, ##__VA_ARGS__)
#define TORCH_CHECK_NOT_IMPLEMENTED(cond, ...) \
  EMBER_CHECK_IMPL(::c10::NotImplementedError, cond, ##__VA_ARGS__)
#define TORCH_INTERNAL_ASSERT(cond, ...) \
  EMBER_CHECK_IMPL(::c10::Error, cond, "INTERNAL ASSERT FAILED: " #cond " ", ##__VA_ARGS__)
#define AT_ERROR(...) throw ::c10::Error(::c10::str(__VA_ARGS__))
#define TORCH_WARN(...)                                                             \
  do {                                                                              \
    if (PyErr_WarnEx(PyExc_UserWarning, ::c10::str(__VA_ARGS__).c_str(), 1) < 0)    \
      throw ::pybind11::error_already_set();                                        \
  } while (0)
#define AT_ASSERT(cond, ...) TORCH_INTERNAL_ASSERT(cond, ##__VA_ARGS__)
