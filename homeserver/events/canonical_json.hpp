#pragma once
// Canonical JSON (appendices: "Canonical JSON"): keys sorted by code point, no insignificant
// whitespace, UTF-8 without \u escapes for non-ASCII, integers only.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <string_view>

#include <stdexcept>
#include <string>

namespace domovoy {

inline constexpr std::int64_t kMaxCanonicalInt = (std::int64_t{1} << 53) - 1;

class NotCanonical : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws NotCanonical for a number that has no canonical form: a fraction, or an integer outside
// [-(2^53)+1, 2^53-1]. Integral doubles such as 1e10 or -0 are written as integers.
std::string canonical_json(const boost::json::value& value);
void append_canonical_json(std::string& out, const boost::json::value& value);
// The canonical JSON of `object` without the given top-level keys (hashing and signing drop
// `signatures`, `unsigned`, `hashes` without copying the object).
std::string canonical_json_without(const boost::json::object& object, std::initializer_list<std::string_view> skip_keys);

// True when every number in `value` is an integer in the canonical range and no double appears
// anywhere: what room versions 6+ require of an event.
bool has_only_canonical_integers(const boost::json::value& value);

}  // namespace domovoy
