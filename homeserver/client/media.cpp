// The content repository (client-server-api "Content repository", authed-content-repo.yaml and
// content-repo.yaml): uploads, asynchronous uploads (create + PUT), authenticated downloads and
// thumbnails under /_matrix/client/v1/media, and the legacy unauthenticated /_matrix/media/v3
// download and thumbnail for media older than the configured date only.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <charconv>

#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/http/blocking.hpp"
#include "homeserver/media/content_disposition.hpp"

namespace domovoy {

using boost::beast::http::verb;

namespace {

constexpr std::int64_t kDefaultWaitMs = 20000;  // timeout_ms: the spec's default
constexpr std::int64_t kMaxWaitMs = 60000;
constexpr int kMaxThumbnailsQueued = 64;

struct MediaContext {
  MediaContext(ClientServices& services_in, MediaStore& store_in, Thumbnailer& thumbnailer_in,
               boost::asio::thread_pool& pool_in)
      : services(services_in), store(store_in), thumbnailer(thumbnailer_in), thumbnail_pool(pool_in) {}
  ClientServices& services;
  MediaStore& store;
  Thumbnailer& thumbnailer;
  boost::asio::thread_pool& thumbnail_pool;
  std::atomic<int> thumbnails_queued{0};
};

std::string content_uri(const ClientServices& services, const std::string& media_id) {
  return "mxc://" + services.config.server_name + "/" + media_id;
}

std::string upload_content_type(const http::Request& request) {
  auto type = request.header("content-type");
  return type.empty() ? "application/octet-stream" : type;
}

std::string upload_filename(const http::Request& request) {
  auto name = request.query_param("filename").value_or("");
  if (!is_acceptable_filename(name)) throw invalid_param("File names may not hold control characters or pass 255 bytes");
  return name;
}

std::int64_t int_param(const http::Request& request, const std::string& name, std::optional<std::int64_t> fallback) {
  auto text = request.query_param(name);
  if (!text) {
    if (!fallback) throw missing_param("Missing '" + name + "'");
    return *fallback;
  }
  std::int64_t value = 0;
  auto result = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || result.ec != std::errc{} || result.ptr != text->data() + text->size())
    throw invalid_param("'" + name + "' must be an integer");
  return value;
}

// The media a path names, waiting up to timeout_ms while an asynchronous upload is still to come.
boost::asio::awaitable<MediaRecord> wait_for_media(MediaContext& media, http::Request& request, bool legacy) {
  const auto& server_name = request.path_params[0];
  const auto& media_id = request.path_params[1];
  if (!MediaStore::is_valid_media_id(media_id)) throw not_found("Unknown media");
  if (server_name != media.services.config.server_name) {
    // Another server's: from the cache, or fetched from it over federation and kept. The legacy
    // unauthenticated endpoints never fetch (the spec's freeze covers other servers' media too).
    if (legacy || !media.services.federation_media || !is_valid_server_name(server_name))
      throw not_found("Unknown media");
    auto cached = [&] { return media.store.find_remote(server_name, media_id); };
    if (auto record = co_await http::run_blocking(media.services.blocking_pool, cached)) co_return *record;
    auto fetching = media.services.federation_media(server_name, media_id);
    auto fetched = co_await std::move(fetching);
    if (fetched.bytes.size() > media.services.config.media.max_upload_bytes) throw too_large("The media is too large");
    auto keep = [&] {
      return media.store.store_remote(server_name, media_id, fetched.content_type, fetched.filename, fetched.bytes,
                                      now_ms());
    };
    co_return co_await http::run_blocking(media.services.blocking_pool, keep);
  }
  auto wait_ms = std::clamp<std::int64_t>(int_param(request, "timeout_ms", kDefaultWaitMs), 0, kMaxWaitMs);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  auto executor = co_await boost::asio::this_coro::executor;
  while (true) {
    auto lookup = [&] { return media.store.find(media_id); };
    auto record = co_await http::run_blocking(media.services.blocking_pool, lookup);
    if (!record || (record->pending && record->expires_ts <= now_ms())) throw not_found("Unknown media");
    // The legacy endpoints serve only media from before the configured date (the spec's freeze).
    if (legacy && record->created_ts >= media.services.config.media.legacy_unauthenticated_before_ms)
      throw not_found("Unknown media");
    if (!record->pending) co_return *record;
    if (std::chrono::steady_clock::now() >= deadline)
      throw ApiError(504, "M_NOT_YET_UPLOADED", "The media has not been uploaded yet");
    boost::asio::steady_timer timer(executor, std::chrono::milliseconds(100));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

http::Response media_response(std::string bytes, const std::string& content_type, const std::string& disposition) {
  http::Response response;
  response.content_type = content_type.empty() ? "application/octet-stream" : content_type;
  response.raw_body = std::move(bytes);
  response.headers = {{"Content-Disposition", disposition},
                      {"Content-Security-Policy", std::string(kMediaContentSecurityPolicy)},
                      {"X-Content-Type-Options", "nosniff"},
                      {"Cross-Origin-Resource-Policy", "cross-origin"},
                      {"Cache-Control", "private, max-age=86400"}};
  return response;
}

boost::asio::awaitable<http::Response> download(MediaContext& media, http::Request& request, bool legacy) {
  std::string requested_name = request.path_params.size() > 2 ? request.path_params[2] : std::string();
  if (!is_acceptable_filename(requested_name)) throw invalid_param("Invalid file name");
  auto record = co_await wait_for_media(media, request, legacy);
  auto read = [&] { return media.store.read(record.sha256); };
  auto bytes = co_await http::run_blocking(media.services.blocking_pool, read);
  if (!bytes) throw not_found("The media's file is missing");
  const auto& name = requested_name.empty() ? record.filename : requested_name;
  co_return media_response(std::move(*bytes), record.content_type, content_disposition(record.content_type, name));
}

boost::asio::awaitable<http::Response> thumbnail(MediaContext& media, http::Request& request, bool legacy) {
  auto width = int_param(request, "width", std::nullopt);
  auto height = int_param(request, "height", std::nullopt);
  if (width <= 0 || height <= 0 || width > 10000 || height > 10000)
    throw invalid_param("width and height must be positive integers");
  auto method = request.query_param("method").value_or("scale");
  if (method != "crop" && method != "scale") throw invalid_param("method must be crop or scale");
  auto animated_text = request.query_param("animated").value_or("false");
  if (animated_text != "true" && animated_text != "false") throw invalid_param("animated must be true or false");
  bool animated = animated_text == "true";
  auto size = pick_thumbnail_size(static_cast<int>(width), static_cast<int>(height), method == "crop");
  auto record = co_await wait_for_media(media, request, legacy);
  auto key = std::to_string(size.width) + "x" + std::to_string(size.height) + "-" + (size.crop ? "crop" : "scale") +
             (animated ? "-animated" : "");
  auto cached = [&] { return media.store.thumbnail(record.media_id, key); };
  auto known = co_await http::run_blocking(media.services.blocking_pool, cached);
  if (!known) {
    // Made on the thumbnail pool, a few at a time: a flood of images waits there (or is turned
    // away) and never holds the threads that answer everything else.
    if (media.thumbnails_queued.fetch_add(1) >= kMaxThumbnailsQueued) {
      media.thumbnails_queued.fetch_sub(1);
      throw ApiError(429, "M_LIMIT_EXCEEDED", "Too many thumbnails are being made", json::object{{"retry_after_ms", 1000}});
    }
    struct Done {
      std::atomic<int>& counter;
      ~Done() { counter.fetch_sub(1); }
    } done{media.thumbnails_queued};
    auto make = [&]() -> ThumbnailRecord {
      auto source = media.store.read(record.sha256);
      if (!source) throw not_found("The media's file is missing");
      try {
        auto made = media.thumbnailer.make(*source, size, animated);
        return media.store.put_thumbnail(record.media_id, key, made.content_type, made.bytes);
      } catch (const ThumbnailError& error) {
        if (error.kind() == ThumbnailError::Kind::too_large) throw too_large("Content is too large to thumbnail");
        throw ApiError(400, "M_UNKNOWN", "Cannot generate thumbnails for the requested content");
      }
    };
    known = co_await http::run_blocking(media.thumbnail_pool, make);
  }
  auto read = [&] { return media.store.read(known->sha256); };
  auto bytes = co_await http::run_blocking(media.services.blocking_pool, read);
  if (!bytes) throw not_found("The thumbnail's file is missing");
  auto extension = known->content_type.substr(known->content_type.find('/') + 1);
  co_return media_response(std::move(*bytes), known->content_type, "inline; filename=thumbnail." + extension);
}

json::object media_config(const ClientServices& services) {
  return {{"m.upload.size", services.config.media.max_upload_bytes}};
}

}  // namespace

void register_media_routes(http::Router& router, ClientServices& services, MediaStore& store, Thumbnailer& thumbnailer,
                           boost::asio::thread_pool& thumbnail_pool, UrlPreviewer* previewer) {
  auto media = std::make_shared<MediaContext>(services, store, thumbnailer, thumbnail_pool);
  auto config = [&services](http::Request&) { return http::Response::json(media_config(services)); };
  router.add(verb::get, "/_matrix/client/v1/media/config", http::Auth::required, config);
  // The legacy paths (/_matrix/media/v3 and the older r0 that some clients still use) upload and
  // tell the config as before; their downloads are frozen (below).
  for (std::string legacy_base : {"/_matrix/media/v3", "/_matrix/media/r0"}) {
    router.add(verb::get, legacy_base + "/config", http::Auth::required, config);
    router.add_spooled(
        verb::post, legacy_base + "/upload", http::Auth::required,
        [media](http::Request& request) {
          auto record = media->store.upload(request.user_id, upload_content_type(request), upload_filename(request),
                                            request.spooled_body->path(), now_ms());
          return http::Response::json(json::object{{"content_uri", content_uri(media->services, record.media_id)}});
        },
        store.spool_directory());
  }
  router.add(verb::post, "/_matrix/media/v1/create", http::Auth::required, [media](http::Request& request) {
    auto record = media->store.create_pending(request.user_id, now_ms());
    return http::Response::json(json::object{{"content_uri", content_uri(media->services, record.media_id)},
                                             {"unused_expires_at", record.expires_ts}});
  });
  router.add_spooled(
      verb::put, "/_matrix/media/v3/upload/{serverName}/{mediaId}", http::Auth::required,
      [media](http::Request& request) {
        if (request.path_params[0] != media->services.config.server_name)
          throw forbidden("Media of other servers cannot be uploaded here");
        media->store.upload_to(request.path_params[1], request.user_id, upload_content_type(request),
                               upload_filename(request), request.spooled_body->path(), now_ms());
        return http::Response::json(json::object{});
      },
      store.spool_directory());

  for (std::string base : {"/_matrix/client/v1/media", "/_matrix/media/v3", "/_matrix/media/r0"}) {
    bool legacy = base != "/_matrix/client/v1/media";
    auto auth = legacy ? http::Auth::optional : http::Auth::required;
    auto download_handler = [media, legacy](http::Request& request) { return download(*media, request, legacy); };
    router.add_async(verb::get, base + "/download/{serverName}/{mediaId}", auth, download_handler);
    router.add_async(verb::get, base + "/download/{serverName}/{mediaId}/{fileName}", auth, download_handler);
    router.add_async(verb::get, base + "/thumbnail/{serverName}/{mediaId}", auth,
                     [media, legacy](http::Request& request) { return thumbnail(*media, request, legacy); });
  }
  // URL previews fetch addresses for the server's users: off unless the operator enables them.
  for (std::string path : {"/_matrix/client/v1/media/preview_url", "/_matrix/media/v3/preview_url"}) {
    if (!previewer) {
      router.add(verb::get, path, http::Auth::required, [](http::Request&) -> http::Response {
        throw unrecognized("URL previews are not enabled on this server");
      });
      continue;
    }
    router.add_async(verb::get, path, http::Auth::required,
                     [previewer](http::Request& request) -> boost::asio::awaitable<http::Response> {
                       auto url = request.query_param("url");
                       if (!url) throw missing_param("Missing 'url'");
                       auto now = now_ms();
                       auto preview = co_await previewer->preview(*url, now);
                       co_return http::Response::json(std::move(preview));
                     });
  }
}

}  // namespace domovoy
