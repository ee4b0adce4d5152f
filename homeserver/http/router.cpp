#include "homeserver/http/router.hpp"

#include <stdexcept>

namespace domovoy::http {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    segments.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

void Router::check_new(boost::beast::http::verb method, const std::vector<std::string>& segments) const {
  // Two handlers for one endpoint would leave which one answers to the order of registration.
  for (const auto& route : routes_)
    if (route.method == method && route.segments == segments)
      throw std::logic_error("route registered twice: /" + [&] {
        std::string path;
        for (const auto& segment : segments) path += segment + "/";
        return path;
      }());
}

void Router::add(boost::beast::http::verb method, std::string_view pattern, Auth auth, BlockingHandler handler,
                 std::string rate_limit_class) {
  auto segments = split_path(pattern);
  check_new(method, segments);
  routes_.push_back({method, std::move(segments), auth, std::move(handler), nullptr, std::move(rate_limit_class)});
}

void Router::add_spooled(boost::beast::http::verb method, std::string_view pattern, Auth auth, BlockingHandler handler,
                         std::string spool_directory) {
  add(method, pattern, auth, std::move(handler));
  routes_.back().spool_directory = std::move(spool_directory);
}

void Router::add_async(boost::beast::http::verb method, std::string_view pattern, Auth auth, AsyncHandler handler,
                       std::string rate_limit_class) {
  auto segments = split_path(pattern);
  check_new(method, segments);
  routes_.push_back({method, std::move(segments), auth, nullptr, std::move(handler), std::move(rate_limit_class)});
}

void Router::add_client_async(boost::beast::http::verb method, std::string_view suffix, Auth auth,
                              AsyncHandler handler, std::string rate_limit_class) {
  add_async(method, "/_matrix/client/v3" + std::string(suffix), auth, handler, rate_limit_class);
  add_async(method, "/_matrix/client/r0" + std::string(suffix), auth, std::move(handler), std::move(rate_limit_class));
}

void Router::add_client(boost::beast::http::verb method, std::string_view suffix, Auth auth, BlockingHandler handler,
                        std::string rate_limit_class) {
  add(method, "/_matrix/client/v3" + std::string(suffix), auth, handler, rate_limit_class);
  add(method, "/_matrix/client/r0" + std::string(suffix), auth, std::move(handler), std::move(rate_limit_class));
}

Router::Match Router::match(boost::beast::http::verb method, std::string_view path) const {
  auto raw_segments = split_path(path);
  Match result;
  for (const auto& route : routes_) {
    if (route.segments.size() != raw_segments.size()) continue;
    std::vector<std::string> params;
    bool matches = true;
    for (std::size_t i = 0; i < raw_segments.size() && matches; ++i) {
      const auto& expected = route.segments[i];
      if (expected.size() >= 2 && expected.front() == '{' && expected.back() == '}') {
        if (raw_segments[i].empty()) matches = false;
        else params.push_back(percent_decode(raw_segments[i]));
      } else {
        matches = expected == raw_segments[i];
      }
    }
    if (!matches) continue;
    if (route.method != method) {
      result.kind = MatchKind::wrong_method;
      continue;
    }
    return {MatchKind::found, &route, std::move(params)};
  }
  return result;
}

}  // namespace domovoy::http
