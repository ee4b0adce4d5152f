#include "housing/registry/json_reader.hpp"

#include <algorithm>
#include <limits>

#include "homeserver/core/api_error.hpp"

namespace domovoy::housing {

namespace {
// The document as a whole has no path of its own to start a message with.
std::string shown(const std::string& path) { return path.empty() ? "$" : path; }
}  // namespace

std::string element_path(const std::string& array_path, std::size_t index) {
  return array_path + "[" + std::to_string(index) + "]";
}

void fail_bad_json(const std::string& path, const std::string& what) { throw bad_json(shown(path) + ": " + what); }

void fail_invalid(const std::string& path, const std::string& what) { throw invalid_param(shown(path) + ": " + what); }

const json::array& array_at(const json::value& value, const std::string& path) {
  if (!value.is_array()) fail_bad_json(path, "must be an array");
  return value.get_array();
}

std::string string_at(const json::value& value, const std::string& path) {
  if (!value.is_string()) fail_bad_json(path, "must be a string");
  return std::string(value.get_string());
}

int int_at(const json::value& value, const std::string& path) {
  auto integer = as_integer(value);
  if (!integer) fail_bad_json(path, "must be an integer");
  if (*integer < std::numeric_limits<int>::min() || *integer > std::numeric_limits<int>::max())
    fail_invalid(path, "out of range");
  return static_cast<int>(*integer);
}

double number_at(const json::value& value, const std::string& path) {
  if (!value.is_number()) fail_bad_json(path, "must be a number");
  return value.to_number<double>();
}

ObjectReader::ObjectReader(const json::value& value, std::string path) : path_(std::move(path)) {
  if (!value.is_object()) fail_bad_json(path_, "must be an object");
  object_ = &value.get_object();
}

std::string ObjectReader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ObjectReader::allow_only(std::initializer_list<std::string_view> keys) const {
  for (const auto& member : *object_) {
    std::string_view key = member.key();
    if (key.starts_with('_')) continue;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) fail_bad_json(path_of(key), "unknown key");
  }
}

const json::value* ObjectReader::optional(std::string_view key) const {
  const auto* value = object_->if_contains(key);
  return value && !value->is_null() ? value : nullptr;
}

const json::value& ObjectReader::required(std::string_view key) const {
  const auto* value = optional(key);
  if (!value) fail_bad_json(path_of(key), "missing");
  return *value;
}

std::optional<std::string> ObjectReader::optional_string(std::string_view key) const {
  const auto* value = optional(key);
  if (!value) return std::nullopt;
  return string_at(*value, path_of(key));
}

const json::array* ObjectReader::optional_array(std::string_view key) const {
  const auto* value = optional(key);
  return value ? &array_at(*value, path_of(key)) : nullptr;
}

std::optional<int> ObjectReader::optional_int(std::string_view key) const {
  const auto* value = optional(key);
  if (!value) return std::nullopt;
  return int_at(*value, path_of(key));
}

}  // namespace domovoy::housing
