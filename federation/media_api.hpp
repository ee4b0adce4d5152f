#pragma once
// Media across servers (server-server-api "Content Repository", v1.11+): this server's media
// answered to other servers at GET /_matrix/federation/v1/media/download/{mediaId} in the
// spec's multipart/mixed form (a JSON part, then the bytes), and another server's media fetched
// the same way for local clients' authenticated downloads (kept in the media store's cache, so
// each is fetched once; thumbnails of it are then made here).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "federation/federation_client.hpp"
#include "federation/request_authenticator.hpp"
#include "homeserver/client/services.hpp"
#include "homeserver/media/media_store.hpp"

namespace domovoy::federation {

void register_media_routes(http::Router& router, RequestAuthenticator& authenticator,
                           boost::asio::thread_pool& blocking_pool, MediaStore& store);

// The parts of a multipart/mixed body: the JSON metadata, and the media's content type, file
// name (from Content-Disposition) and bytes. nullopt when malformed, or when the media part is a
// redirect (Location), which this server does not follow.
std::optional<ClientServices::RemoteMedia> parse_multipart_media(std::string_view content_type, std::string_view body);

boost::asio::awaitable<ClientServices::RemoteMedia> fetch_remote_media(FederationClient& client, std::string server_name,
                                                                      std::string media_id);

}  // namespace domovoy::federation
