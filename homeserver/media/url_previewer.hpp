#pragma once
// URL previews (GET /_matrix/client/v1/media/preview_url): the server fetches a page for its
// user and answers its Open Graph fields, with the page's image stored as media of this server
// so the client shows it by mxc:// without fetching anything itself.
//
// The server must not become a way into its own network: every address a name resolves to is
// judged against the deny list (private, loopback, link-local, ... unless allowed) before a
// connection, and the connection goes to the address that was judged; each redirect is judged
// again. Pages and images are bounded in size and time. Answers are cached per URL for an hour,
// so a link posted in a room of 2,000 fetches once, not once per member's client.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "homeserver/core/ip_ranges.hpp"
#include "homeserver/http/client.hpp"

namespace domovoy {

class MediaStore;
class Thumbnailer;

struct UrlPreviewOptions {
  IpRanges denied;   // never connected to ...
  IpRanges allowed;  // ... unless also here
  std::size_t max_bytes = 10u << 20;             // a page or an image
  std::chrono::milliseconds timeout{10000};      // each request, redirects and image included
  std::chrono::milliseconds cache_for{3600000};  // how long an answer is reused
  unsigned max_redirects = 5;
};

class UrlPreviewer {
 public:
  UrlPreviewer(boost::asio::any_io_executor executor, boost::asio::thread_pool& blocking_pool, MediaStore& media,
               const Thumbnailer& images, std::string server_name, UrlPreviewOptions options);

  // The preview of `url` (http or https). Throws ApiError: 400 M_INVALID_PARAM for another
  // kind of URL, 403 M_FORBIDDEN when it leads to a denied address, 502 M_UNKNOWN when the page
  // cannot be fetched (status, size, time). `url` must be a named object (GCC bug 101367).
  boost::asio::awaitable<boost::json::object> preview(const std::string& url, std::int64_t now_ms);

  bool allows(const boost::asio::ip::address& address) const;

 private:
  struct Fetched {
    http::ClientResponse response;
    std::string final_url;
  };
  // GET with the redirects followed (each target judged again); throws ApiError as preview().
  boost::asio::awaitable<Fetched> fetch(const std::string& url);
  // The image at `url` stored as media, as og:image and its sizes; empty when it is no image.
  boost::asio::awaitable<boost::json::object> store_image(const std::string& url, std::int64_t now_ms);
  boost::json::object image_fields(const std::string& body, const std::string& content_type, std::int64_t now_ms);

  boost::asio::thread_pool& blocking_pool_;
  MediaStore& media_;
  const Thumbnailer& images_;
  std::string server_name_;
  UrlPreviewOptions options_;
  http::HttpClient client_;

  struct Cached {
    boost::json::object preview;
    std::int64_t expires_ms = 0;
  };
  static constexpr std::size_t kMaxCached = 4096;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace domovoy
