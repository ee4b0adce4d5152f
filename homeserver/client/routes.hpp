#pragma once
// One registration function per API area; app/main.cpp calls them all.
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include "homeserver/client/services.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/router.hpp"
#include "homeserver/media/media_store.hpp"
#include "homeserver/media/thumbnailer.hpp"
#include "homeserver/media/url_previewer.hpp"

namespace domovoy {

void register_discovery_routes(http::Router& router, ClientServices& services);
void register_account_routes(http::Router& router, ClientServices& services);
void register_device_routes(http::Router& router, ClientServices& services);
void register_profile_routes(http::Router& router, ClientServices& services);
void register_room_creation_routes(http::Router& router, ClientServices& services);
void register_membership_routes(http::Router& router, ClientServices& services);
void register_room_event_routes(http::Router& router, ClientServices& services);
void register_directory_routes(http::Router& router, ClientServices& services);
void register_ephemeral_routes(http::Router& router, ClientServices& services);
void register_account_data_routes(http::Router& router, ClientServices& services);
void register_push_rule_routes(http::Router& router, ClientServices& services);
void register_key_routes(http::Router& router, ClientServices& services);
void register_to_device_routes(http::Router& router, ClientServices& services);
void register_room_key_routes(http::Router& router, ClientServices& services);
void register_pusher_routes(http::Router& router, ClientServices& services);
void register_notification_routes(http::Router& router, ClientServices& services);
void register_openid_routes(http::Router& router, ClientServices& services);
// The federation half alone, for the federation listener (it needs the token, no signature).
void register_openid_userinfo_route(http::Router& router, ClientServices& services);
void register_report_routes(http::Router& router, ClientServices& services);
void register_user_directory_routes(http::Router& router, ClientServices& services);
void register_hierarchy_routes(http::Router& router, ClientServices& services);
void register_relation_routes(http::Router& router, ClientServices& services);
// `previewer` null: URL previews are off (404 M_UNRECOGNIZED).
void register_media_routes(http::Router& router, ClientServices& services, MediaStore& store, Thumbnailer& thumbnailer,
                           boost::asio::thread_pool& thumbnail_pool, UrlPreviewer* previewer);
void register_sync_routes(http::Router& router, ClientServices& services, boost::asio::thread_pool& pool);


}  // namespace domovoy
