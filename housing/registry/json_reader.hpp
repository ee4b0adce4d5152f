#pragma once
// Reading a JSON document while knowing the path of every value, so that each error names the
// value at fault ("buildings[3].apartments[17].area: ..."). A missing key or a value of the wrong
// JSON type is M_BAD_JSON; a value of the right type that breaks a rule is the caller's
// M_INVALID_PARAM (fail_invalid).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "homeserver/core/json.hpp"

namespace domovoy::housing {

// "buildings" + 3 -> "buildings[3]".
std::string element_path(const std::string& array_path, std::size_t index);

[[noreturn]] void fail_bad_json(const std::string& path, const std::string& what);
[[noreturn]] void fail_invalid(const std::string& path, const std::string& what);

const json::array& array_at(const json::value& value, const std::string& path);
std::string string_at(const json::value& value, const std::string& path);
// A JSON integer (or integral number) that fits in int.
int int_at(const json::value& value, const std::string& path);
double number_at(const json::value& value, const std::string& path);

class ObjectReader {
 public:
  // M_BAD_JSON unless `value` is an object. The document itself has the empty path.
  ObjectReader(const json::value& value, std::string path);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;

  // Rejects any other key, so that a misspelt optional key is an error rather than silently
  // missing. Keys starting with '_' are free for the file's own notes (JSON has no comments).
  void allow_only(std::initializer_list<std::string_view> keys) const;

  // A null value counts as missing.
  const json::value* optional(std::string_view key) const;
  const json::value& required(std::string_view key) const;

  std::string required_string(std::string_view key) const { return string_at(required(key), path_of(key)); }
  std::optional<std::string> optional_string(std::string_view key) const;
  const json::array& required_array(std::string_view key) const { return array_at(required(key), path_of(key)); }
  const json::array* optional_array(std::string_view key) const;
  std::optional<int> optional_int(std::string_view key) const;
  double required_number(std::string_view key) const { return number_at(required(key), path_of(key)); }

 private:
  const json::object* object_ = nullptr;
  std::string path_;
};

}  // namespace domovoy::housing
