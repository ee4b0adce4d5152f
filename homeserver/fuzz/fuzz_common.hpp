#pragma once
// Helpers shared by the fuzz targets.
#include <boost/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace domovoy::fuzz {

// Stops the fuzzer with a message: libFuzzer treats the abort as a crash and saves the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what);
  std::abort();
}

// JSON equality where numbers compare by value (1e10 == 10000000000, -0 == 0), as canonical
// JSON rewrites integral doubles as integers.
// With `approximate`, doubles may differ in their last bits: Boost.JSON 1.81 parses long
// decimal literals imprecisely, so a double does not always survive serialise + parse exactly.
inline bool same_number(const boost::json::value& a, const boost::json::value& b, bool approximate = false) {
  auto as_double = [](const boost::json::value& v) -> long double {
    if (v.is_int64()) return static_cast<long double>(v.get_int64());
    if (v.is_uint64()) return static_cast<long double>(v.get_uint64());
    return static_cast<long double>(v.get_double());
  };
  long double x = as_double(a), y = as_double(b);
  if (x == y) return true;
  if (!approximate || !(a.is_double() || b.is_double())) return false;
  return std::fabs(x - y) <= 1e-12L * std::fmax(std::fabs(x), std::fabs(y));
}

inline bool json_equal(const boost::json::value& a, const boost::json::value& b, bool approximate = false) {
  bool a_number = a.is_number(), b_number = b.is_number();
  if (a_number || b_number) return a_number && b_number && same_number(a, b, approximate);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case boost::json::kind::array: {
      const auto &x = a.get_array(), &y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!json_equal(x[i], y[i], approximate)) return false;
      return true;
    }
    case boost::json::kind::object: {
      const auto &x = a.get_object(), &y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        const auto* other = y.if_contains(member.key());
        if (!other || !json_equal(member.value(), *other, approximate)) return false;
      }
      return true;
    }
    default: return a == b;
  }
}

}  // namespace domovoy::fuzz
