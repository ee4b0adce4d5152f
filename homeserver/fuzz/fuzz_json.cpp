// libFuzzer target: untrusted JSON parsing, storage round trip and canonical JSON.
// Invariants: parse_untrusted_json either returns a value or throws ApiError 400; what it
// accepts survives to_json + parse_stored_json (how the server stores client JSON such as account
// data); canonical_json throws NotCanonical only if has_only_canonical_integers is false;
// canonical output parses back to an equal value, is a fixed point, and holds only canonical
// integers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/events/canonical_json.hpp"
#include "homeserver/fuzz/fuzz_common.hpp"

using namespace domovoy;

namespace {
// True when the value holds a double anywhere (canonical_json may still accept it when integral).
bool has_double(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_: return true;
    case json::kind::array:
      for (const auto& element : value.get_array())
        if (has_double(element)) return true;
      return false;
    case json::kind::object:
      for (const auto& member : value.get_object())
        if (has_double(member.value())) return true;
      return false;
    default: return false;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::value value;
  try {
    value = parse_untrusted_json(text);
  } catch (const ApiError& error) {
    // M_NOT_JSON for what is not JSON; M_BAD_JSON for JSON the server cannot represent (1e400).
    if ((error.errcode() != "M_NOT_JSON" && error.errcode() != "M_BAD_JSON") || error.status() != 400)
      fuzz::fail("unexpected ApiError from parsing");
    return 0;
  }
  // The object form refuses exactly the non-objects.
  try {
    auto object = parse_json_object(text);
    if (!value.is_object()) fuzz::fail("parse_json_object accepted a non-object");
  } catch (const ApiError& error) {
    if (value.is_object() || error.errcode() != "M_BAD_JSON") fuzz::fail("parse_json_object refused an object");
  }

  // The server stores client JSON (account data, tags, filters) with to_json and reads it back
  // with parse_stored_json: what it accepted must come back (FINDINGS.md F7).
  json::value stored;
  try {
    stored = parse_stored_json(to_json(value));
  } catch (const std::runtime_error&) {
    fuzz::fail("accepted JSON does not survive to_json + parse_stored_json");
  }
  if (!fuzz::json_equal(value, stored, /*approximate=*/true)) fuzz::fail("stored JSON reads back different");

  const bool only_integers = has_only_canonical_integers(value);
  std::string canonical;
  try {
    canonical = canonical_json(value);
  } catch (const NotCanonical&) {
    if (only_integers) fuzz::fail("canonical_json refused a value of canonical integers");
    return 0;
  }
  if (!only_integers && !has_double(value)) fuzz::fail("canonical_json accepted an out-of-range integer");

  json::value back;
  try {
    back = parse_untrusted_json(canonical);
  } catch (const ApiError&) {
    fuzz::fail("canonical JSON does not parse back");
  }
  if (!fuzz::json_equal(value, back)) fuzz::fail("canonical JSON parses back to a different value");
  if (!has_only_canonical_integers(back)) fuzz::fail("canonical JSON holds a non-canonical number");
  if (canonical_json(back) != canonical) fuzz::fail("canonical JSON is not a fixed point");
  // Another serialiser's output of the same value canonicalises to the same bytes.
  if (canonical_json(parse_untrusted_json(json::serialize(back))) != canonical)
    fuzz::fail("canonical JSON differs after a serialise round trip");
  return 0;
}
