#pragma once
// Boost.JSON helpers shared by every part: bounded parsing of untrusted bodies and typed access
// to members that throws the spec's errors.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domovoy {

namespace json = boost::json;

// Parses an untrusted body. Throws ApiError M_NOT_JSON for anything that is not one valid JSON
// document in UTF-8 nested at most `max_depth` deep.
json::value parse_untrusted_json(std::string_view text, std::size_t max_depth = 64);
// Same, and the document must be an object (M_BAD_JSON otherwise).
json::object parse_json_object(std::string_view text, std::size_t max_depth = 64);

// Trusted parse of what this server itself stored; throws std::runtime_error when corrupt.
json::value parse_stored_json(std::string_view text);

std::string to_json(const json::value& value);

const json::value* find_member(const json::object& object, std::string_view key);
std::optional<std::string> optional_string(const json::object& object, std::string_view key);
// Throws M_MISSING_PARAM when absent and M_BAD_JSON / M_INVALID_PARAM when of the wrong type.
std::string required_string(const json::object& object, std::string_view key);
std::optional<std::int64_t> optional_int(const json::object& object, std::string_view key);
std::optional<bool> optional_bool(const json::object& object, std::string_view key);
const json::object* optional_object(const json::object& object, std::string_view key);
// JSON integer that fits in int64 (also an integral double, as clients in JS may send).
std::optional<std::int64_t> as_integer(const json::value& value);

}  // namespace domovoy
