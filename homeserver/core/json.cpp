#include "homeserver/core/json.hpp"

#include <cmath>

#include "homeserver/core/api_error.hpp"

namespace domovoy {

namespace {
// 1e400 parses to infinity, which has no JSON spelling: stored, it would never read back.
bool all_numbers_finite(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_: return std::isfinite(value.get_double());
    case json::kind::array:
      for (const auto& element : value.get_array())
        if (!all_numbers_finite(element)) return false;
      return true;
    case json::kind::object:
      for (const auto& member : value.get_object())
        if (!all_numbers_finite(member.value())) return false;
      return true;
    default: return true;
  }
}
}  // namespace

json::value parse_untrusted_json(std::string_view text, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) throw ApiError(400, "M_NOT_JSON", "Content not JSON: " + ec.message());
  if (!all_numbers_finite(value)) throw ApiError(400, "M_BAD_JSON", "Number out of range");
  return value;
}

json::object parse_json_object(std::string_view text, std::size_t max_depth) {
  auto value = parse_untrusted_json(text, max_depth);
  if (!value.is_object()) throw bad_json("Request body must be a JSON object");
  return std::move(value.as_object());
}

json::value parse_stored_json(std::string_view text) {
  // Stored records wrap client JSON (up to 64 deep) in a few levels of their own.
  json::parse_options options;
  options.max_depth = 256;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) throw std::runtime_error("stored JSON is corrupt: " + ec.message());
  return value;
}

std::string to_json(const json::value& value) { return json::serialize(value); }

const json::value* find_member(const json::object& object, std::string_view key) { return object.if_contains(key); }

std::optional<std::string> optional_string(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) throw bad_json("'" + std::string(key) + "' must be a string");
  return std::string(value->as_string());
}

std::string required_string(const json::object& object, std::string_view key) {
  auto value = optional_string(object, key);
  if (!value) throw missing_param("Missing '" + std::string(key) + "'");
  return *value;
}

std::optional<std::int64_t> as_integer(const json::value& value) {
  if (value.is_int64()) return value.as_int64();
  if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value.as_uint64());
  if (value.is_double()) {
    double d = value.as_double();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::int64_t> optional_int(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  auto integer = as_integer(*value);
  if (!integer) throw bad_json("'" + std::string(key) + "' must be an integer");
  return integer;
}

std::optional<bool> optional_bool(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_bool()) throw bad_json("'" + std::string(key) + "' must be a boolean");
  return value->as_bool();
}

const json::object* optional_object(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || value->is_null()) return nullptr;
  if (!value->is_object()) throw bad_json("'" + std::string(key) + "' must be an object");
  return &value->as_object();
}

}  // namespace domovoy
