#include "homeserver/events/canonical_json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace domovoy {

namespace {
void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Copy runs of characters that need no escape in one go; most strings are a single run.
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}
}  // namespace

namespace {
void append_object(std::string& out, const boost::json::object& object,
                   std::initializer_list<std::string_view> skip_keys);
}

void append_canonical_json(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: {
      auto v = value.get_int64();
      if (v > kMaxCanonicalInt || v < -kMaxCanonicalInt) throw NotCanonical("integer outside canonical range");
      append_integer(out, v);
      break;
    }
    case boost::json::kind::uint64: {
      auto v = value.get_uint64();
      if (v > static_cast<std::uint64_t>(kMaxCanonicalInt)) throw NotCanonical("integer outside canonical range");
      append_integer(out, v);
      break;
    }
    case boost::json::kind::double_: {
      double d = value.get_double();
      if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > static_cast<double>(kMaxCanonicalInt))
        throw NotCanonical("non-integer number in canonical JSON");
      append_integer(out, static_cast<std::int64_t>(d));
      break;
    }
    case boost::json::kind::string: append_string(out, value.get_string()); break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out.push_back(',');
        append_canonical_json(out, element);
        first = false;
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: append_object(out, value.get_object(), {}); break;
  }
}

namespace {
void append_object(std::string& out, const boost::json::object& object,
                   std::initializer_list<std::string_view> skip_keys) {
  std::vector<const boost::json::key_value_pair*> members;
  members.reserve(object.size());
  for (const auto& member : object) {
    bool skipped = false;
    for (auto key : skip_keys) skipped = skipped || member.key() == key;
    if (!skipped) members.push_back(&member);
  }
  // Byte order of UTF-8 is code point order.
  std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  out.push_back('{');
  bool first = true;
  for (const auto* member : members) {
    if (!first) out.push_back(',');
    append_string(out, member->key());
    out.push_back(':');
    append_canonical_json(out, member->value());
    first = false;
  }
  out.push_back('}');
}
}  // namespace

std::string canonical_json_without(const boost::json::object& object, std::initializer_list<std::string_view> skip_keys) {
  std::string out;
  out.reserve(512);
  append_object(out, object, skip_keys);
  return out;
}

std::string canonical_json(const boost::json::value& value) {
  std::string out;
  append_canonical_json(out, value);
  return out;
}

bool has_only_canonical_integers(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_: return false;
    case boost::json::kind::int64: {
      auto v = value.get_int64();
      return v <= kMaxCanonicalInt && v >= -kMaxCanonicalInt;
    }
    case boost::json::kind::uint64: return value.get_uint64() <= static_cast<std::uint64_t>(kMaxCanonicalInt);
    case boost::json::kind::array:
      return std::all_of(value.get_array().begin(), value.get_array().end(), has_only_canonical_integers);
    case boost::json::kind::object:
      return std::all_of(value.get_object().begin(), value.get_object().end(),
                         [](const auto& member) { return has_only_canonical_integers(member.value()); });
    default: return true;
  }
}

}  // namespace domovoy
