#include "homeserver/media/url_previewer.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <libxml/parser.h>

#include <algorithm>
#include <cctype>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/case_fold.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/media/media_store.hpp"
#include "homeserver/media/open_graph.hpp"
#include "homeserver/media/thumbnailer.hpp"

namespace domovoy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

// An absolute http(s) URL with a host and no user info; empty otherwise.
std::string checked_url(std::string_view text) {
  if (text.empty() || text.size() > kMaxUrlBytes) return {};
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return {};
  auto scheme = ascii_lower(parsed->scheme());
  if ((scheme != "http" && scheme != "https") || parsed->host().empty() || parsed->has_userinfo()) return {};
  boost::urls::url url(*parsed);
  url.remove_fragment();
  return std::string(url.buffer());
}

// "text/html; charset=windows-1251" -> {"text/html", "windows-1251"}
std::pair<std::string, std::string> media_type(const http::ClientResponse& response) {
  auto it = response.headers.find("content-type");
  if (it == response.headers.end()) return {};
  const auto& value = it->second;
  auto type = ascii_lower(value.substr(0, value.find(';')));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  std::string charset;
  auto at = ascii_lower(value).find("charset=");
  if (at != std::string::npos) {
    charset = value.substr(at + 8);
    charset = charset.substr(0, charset.find_first_of("; "));
    charset.erase(std::remove(charset.begin(), charset.end(), '"'), charset.end());
  }
  return {type, charset};
}

ApiError fetch_failed(const std::string& why) { return ApiError(502, "M_UNKNOWN", "Cannot preview the URL: " + why); }

}  // namespace

UrlPreviewer::UrlPreviewer(boost::asio::any_io_executor executor, boost::asio::thread_pool& blocking_pool,
                           MediaStore& media, const Thumbnailer& images, std::string server_name,
                           UrlPreviewOptions options)
    : blocking_pool_(blocking_pool),
      media_(media),
      images_(images),
      server_name_(std::move(server_name)),
      options_(std::move(options)),
      client_(executor, [this] {
        http::ClientOptions client;
        client.max_response_body_bytes = options_.max_bytes;
        client.max_idle_per_host = 0;  // pages of many sites, rarely the same twice
        client.user_agent = "Domovoy URL preview (Matrix homeserver)";
        client.allow_address = [this](const boost::asio::ip::address& address) { return allows(address); };
        return client;
      }()) {
  xmlInitParser();  // once, before parsing on several threads
}

bool UrlPreviewer::allows(const boost::asio::ip::address& address) const {
  return options_.allowed.contains(address) || !options_.denied.contains(address);
}

boost::asio::awaitable<UrlPreviewer::Fetched> UrlPreviewer::fetch(const std::string& url) {
  Fetched fetched;
  fetched.final_url = url;
  for (unsigned redirects = 0;; ++redirects) {
    http::ClientRequest request;
    request.url = fetched.final_url;
    request.timeout = options_.timeout;
    request.headers = {{"Accept", "text/html, application/xhtml+xml, image/*;q=0.9, */*;q=0.5"},
                       {"Accept-Language", "ru, en;q=0.8"}};
    fetched.response = co_await client_.request(request);
    const auto& response = fetched.response;
    if (response.error == http::ClientError::address_denied)
      throw forbidden("The URL leads to an address this server does not fetch from");
    if (response.error == http::ClientError::timeout) throw fetch_failed("the site did not answer in time");
    if (response.error == http::ClientError::invalid_response)
      throw fetch_failed("the answer is larger than " + std::to_string(options_.max_bytes >> 10) + " KiB or malformed");
    if (!response.ok()) throw fetch_failed("the site cannot be reached");
    if (response.status >= 300 && response.status < 400 && response.headers.count("location")) {
      if (redirects >= options_.max_redirects) throw fetch_failed("too many redirects");
      auto base = boost::urls::parse_uri(fetched.final_url);
      auto reference = boost::urls::parse_uri_reference(response.headers.at("location"));
      boost::urls::url next;
      if (!base || !reference || !boost::urls::resolve(*base, *reference, next)) throw fetch_failed("a bad redirect");
      auto checked = checked_url(next.buffer());
      if (checked.empty()) throw fetch_failed("a redirect to something that is not an http(s) URL");
      fetched.final_url = std::move(checked);
      continue;
    }
    if (response.status < 200 || response.status >= 300)
      throw fetch_failed("the site answered " + std::to_string(response.status));
    co_return fetched;
  }
}

json::object UrlPreviewer::image_fields(const std::string& body, const std::string& content_type, std::int64_t now_ms) {
  auto info = images_.inspect(body);
  if (!info) return {};
  auto record = media_.store_fetched(info->content_type.empty() ? content_type : info->content_type, body, now_ms);
  return {{"og:image", "mxc://" + server_name_ + "/" + record.media_id},
          {"og:image:type", record.content_type},
          {"og:image:width", info->width},
          {"og:image:height", info->height},
          {"matrix:image:size", record.size}};
}

boost::asio::awaitable<json::object> UrlPreviewer::store_image(const std::string& url, std::int64_t now_ms) {
  json::object fields;
  try {
    auto fetched = co_await fetch(url);
    auto type = media_type(fetched.response).first;
    if (type.rfind("image/", 0) != 0) co_return fields;
    auto store = [&] { return image_fields(fetched.response.body, type, now_ms); };
    fields = co_await http::run_blocking(blocking_pool_, store);
  } catch (const ApiError&) {
    // A page whose image cannot be had is still previewed, without the image.
  }
  co_return fields;
}

boost::asio::awaitable<json::object> UrlPreviewer::preview(const std::string& given, std::int64_t now_ms) {
  auto url = checked_url(given);
  if (url.empty()) throw invalid_param("url must be an absolute http or https URL");
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(url); it != cache_.end() && it->second.expires_ms > now_ms) co_return it->second.preview;
  }
  auto fetched = co_await fetch(url);
  auto media = media_type(fetched.response);
  const auto& type = media.first;
  const auto& charset = media.second;
  json::object preview;
  if (type.rfind("image/", 0) == 0) {
    auto store = [&] { return image_fields(fetched.response.body, type, now_ms); };
    preview = co_await http::run_blocking(blocking_pool_, store);
  } else if (type == "text/html" || type == "application/xhtml+xml") {
    auto parse = [&] { return parse_open_graph(fetched.response.body, fetched.final_url, charset); };
    preview = co_await http::run_blocking(blocking_pool_, parse);
    std::string image;
    for (const char* key : {"og:image", "og:image:url", "og:image:secure_url"})
      if (const auto* value = preview.if_contains(key); value && image.empty()) image = std::string(value->as_string());
    for (const char* key : {"og:image", "og:image:url", "og:image:secure_url", "og:image:type", "og:image:width",
                            "og:image:height"})
      preview.erase(key);
    if (auto checked = checked_url(image); !checked.empty()) {
      auto fields = co_await store_image(checked, now_ms);
      for (auto& field : fields) preview[field.key()] = field.value();
    }
  }
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kMaxCached) cache_.clear();  // a bound, not a policy: a miss fetches again
  cache_[url] = Cached{preview, now_ms + options_.cache_for.count()};
  co_return preview;
}

}  // namespace domovoy
