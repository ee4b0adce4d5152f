#include "app/homeserver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include "homeserver/core/clock.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "federation/federation_client.hpp"
#include "federation/federation_policy.hpp"
#include "federation/federation_list.hpp"
#include "federation/key_fetcher.hpp"
#include "federation/media_api.hpp"
#include "federation/notary.hpp"
#include "federation/e2ee_api.hpp"
#include "federation/edu_receiver.hpp"
#include "federation/key_server.hpp"
#include "federation/membership_api.hpp"
#include "federation/transaction_receiver.hpp"
#include "federation/transaction_sender.hpp"
#include "federation/queries.hpp"
#include "federation/remote_key_store.hpp"
#include "federation/request_authenticator.hpp"
#include "federation/server_signing_key.hpp"
#include "homeserver/admin/admin_auth.hpp"
#include "homeserver/appservice/appservice_auth.hpp"
#include "homeserver/appservice/appservice_routes.hpp"
#include "homeserver/appservice/transaction_pusher.hpp"
#include "homeserver/push/gateway_pusher.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/ip_ranges.hpp"
#include "homeserver/media/url_previewer.hpp"
#include "homeserver/sync/upgrade_carry_over.hpp"
#include "homeserver/admin/server_admin.hpp"
#include "homeserver/client/deactivation.hpp"
#include "homeserver/client/routes.hpp"
#include "homeserver/core/api_error.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/http/server.hpp"
#include "housing/api/housing_routes.hpp"
#include "housing/service/demo_region.hpp"
#include "housing/service/verification_bot.hpp"

namespace domovoy {

namespace {
// The housing user's join of a direct message opened from another server. The invite reaches
// this server before the inviting server has taken the signed invite into its room, so the
// first make_join may be refused: tried again for about 15 s.
boost::asio::awaitable<void> join_with_retries(ClientServices::FederationJoin join, std::string room_id, std::string via,
                                               std::string user_id, boost::json::object content,
                                               std::function<void()> joined) {
  auto wait = std::chrono::milliseconds(500);
  for (int attempt = 1;; ++attempt) {
    try {
      auto joining = join(room_id, {via}, user_id, content);
      co_await std::move(joining);
      joined();
      co_return;
    } catch (const std::exception& error) {
      if (attempt == 5) {
        spdlog::warn("housing: cannot join {} of another server: {}", room_id, error.what());
        co_return;
      }
    }
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, wait);
    co_await timer.async_wait(boost::asio::use_awaitable);
    wait *= 2;
  }
}
}  // namespace

struct Homeserver::Parts {
  Config config;
  std::unique_ptr<storage::Database> database;
  ServerIdentity identity;
  StreamTracker stream;
  StateStore states;
  RoomEngine rooms;
  RoomDirectory directory;
  AccountStore accounts;
  RoomService room_service;
  std::unique_ptr<appservice::AppserviceRegistry> appservices;
  PasswordHasher passwords;
  FailedLoginLimiter failed_logins;
  RegistrationTokens registration_tokens;
  DeviceKeyStore device_keys;
  ToDeviceStore to_device;
  KeyBackupStore key_backups;
  OpenIdTokens openid_tokens;
  ReportStore reports;
  PusherStore pusher_store;
  MediaStore media;
  Thumbnailer thumbnailer;
  AccountDataStore account_data;
  FilterStore filters;
  ReceiptStore receipts;
  TypingTracker typing;
  Notifier notifier;
  PushRules push_rules;
  UserInteractiveAuth uia;
  PresenceTracker presence;
  UnreadCounts unread;
  boost::asio::io_context io;
  boost::asio::thread_pool blocking_pool;
  boost::asio::thread_pool sync_pool;
  boost::asio::thread_pool thumbnail_pool;
  ClientServices services;
  EventStream event_stream;
  ConsumerStore consumers;
  std::unique_ptr<http::HttpClient> appservice_client;
  std::vector<std::unique_ptr<appservice::TransactionPusher>> pushers;
  std::unique_ptr<appservice::AppserviceQueries> appservice_queries;
  std::unique_ptr<http::HttpClient> gateway_client;
  std::unique_ptr<GatewayPusher> gateway_pusher;
  std::unique_ptr<UrlPreviewer> url_previewer;
  std::unique_ptr<UpgradeCarryOver> upgrade_carry_over;
  housing::RegistryStore housing_registry;
  housing::VerificationStore housing_verifications;
  housing::Provisioner provisioner;
  housing::VerificationService verification;
  housing::HousingServices housing;
  housing::VerificationBot verification_bot;
  housing::DemoFiles demo;
  http::Router router;
  http::Server server;
  // Federation, when the config has a listener: who may federate, other servers' keys, the
  // signed requests this server makes and the check of those it receives.
  std::unique_ptr<federation::FederationList> federation_list;
  std::unique_ptr<federation::FederationPolicy> federation_policy;
  std::unique_ptr<federation::RemoteKeyStore> remote_keys;
  std::unique_ptr<federation::FederationClient> federation_client;
  std::unique_ptr<federation::KeyFetcher> key_fetcher;
  std::unique_ptr<federation::RequestAuthenticator> federation_auth;
  std::unique_ptr<federation::MembershipApi> federation_membership;
  std::unique_ptr<federation::EduReceiver> edu_receiver;
  std::unique_ptr<federation::TransactionReceiver> federation_receiver;
  std::unique_ptr<federation::TransactionSender> federation_sender;
  std::unique_ptr<federation::DeviceListUpdates> device_list_updates;
  // The federation listener (TLS, its own routes), when the config has one.
  http::Router federation_router;
  std::unique_ptr<http::Server> federation_server;
  std::vector<std::thread> threads;

  static std::unique_ptr<storage::Database> open_database(const Config& config) {
    std::filesystem::create_directories(config.data_dir);
    return storage::Database::open({config.data_dir + "/db", config.sync_writes, config.block_cache_mb});
  }

  static http::ServerLimits limits_of(const Config& config) {
    http::ServerLimits limits;
    limits.max_body_bytes = config.max_body_bytes;
    // A region's registry file is megabytes; it is the operators' endpoint only.
    limits.body_limits_by_prefix.push_back({"/_domovoy/admin/v1/registry", std::max<std::size_t>(config.max_body_bytes, 64u << 20)});
    // Uploads are as large as the media limit allows (spooled to a file as they arrive).
    for (auto prefix : {"/_matrix/media/v3/upload", "/_matrix/media/r0/upload"})
      limits.body_limits_by_prefix.push_back({prefix, config.media.max_upload_bytes});
    // A transaction holds up to 50 PDUs of up to 65,536 bytes each and 100 EDUs
    // (server-server-api "Transactions"); each PDU's own limit is checked on its own.
    limits.body_limits_by_prefix.push_back({"/_matrix/federation/v1/send/", std::max<std::size_t>(config.max_body_bytes, 8u << 20)});
    limits.max_connections = config.max_connections;
    limits.max_connections_per_address = config.max_connections_per_address;
    limits.header_timeout = std::chrono::seconds(config.header_timeout_s);
    limits.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
    return limits;
  }

  static PasswordHashing password_hashing_of(const Config& config) {
    unsigned threads = config.password_threads;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    return {config.password_ops_limit, config.password_mem_limit_mb << 20, threads};
  }

  static http::RateLimits rate_limits_of(const Config& config) {
    http::RateLimits rate_limits;
    rate_limits.enabled = config.rate_limits_enabled;
    rate_limits.per_user = {config.rate_per_user.per_second, config.rate_per_user.burst};
    rate_limits.per_address = {config.rate_per_address.per_second, config.rate_per_address.burst};
    rate_limits.login = {config.rate_login.per_second, config.rate_login.burst};
    return rate_limits;
  }

  void import_registry_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read registry file " + path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      auto result = housing::import_registry(housing, text);
      spdlog::info("registry {}: {} buildings, {} apartments, {} rooms created", path, result.buildings,
                   result.apartments, result.created_rooms);
    } catch (const ApiError& error) {
      throw std::runtime_error("registry file " + path + ": " + error.what());
    }
  }

  static Config with_operator_secret(Config config) {
    std::filesystem::create_directories(config.data_dir);
    config.operator_secret = load_or_create_operator_secret(config);
    return config;
  }

  explicit Parts(Config config_in)
      : config(with_operator_secret(std::move(config_in))),
        database(open_database(config)),
        identity{config.server_name, federation::load_or_create_signing_key(config.data_dir)},
        stream(*database),
        states(*database),
        rooms(*database, identity, stream, states),
        directory(*database),
        accounts(*database),
        room_service(*database, rooms, directory, config.server_name,
                     [this](const std::string& user_id) -> std::optional<MemberProfile> {
                       auto account = accounts.find(user_id);
                       if (!account) return std::nullopt;
                       return MemberProfile{account->displayname, account->avatar_url};
                     }),
        appservices(std::make_unique<appservice::AppserviceRegistry>(
            appservice::load_registrations(config.appservice_files), config.server_name)),
        passwords(password_hashing_of(config)),
        failed_logins({config.rate_failed_login.per_second, config.rate_failed_login.burst}, config.rate_limits_enabled),
        registration_tokens(*database, config.registration_tokens, &now_ms),
        device_keys(*database, stream),
        to_device(*database, stream),
        key_backups(*database),
        openid_tokens(*database),
        reports(*database),
        pusher_store(*database),
        media(*database, config.data_dir + "/media",
              {config.media.quota_bytes_per_user, static_cast<std::int64_t>(config.media.pending_expiry_s) * 1000,
               config.media.max_pending_per_user}),
        thumbnailer(config.media.max_image_pixels),
        account_data(*database, stream, {config.account_data_entries, config.account_data_bytes}),
        filters(*database),
        receipts(*database, stream),
        push_rules(account_data, [this](const std::string& user_id) { notifier.wake_user(user_id); }),
        unread(rooms, receipts, push_rules),
        io(static_cast<int>(config.network_threads)),
        blocking_pool(config.blocking_threads),
        sync_pool(config.sync_threads ? config.sync_threads : std::max(1u, std::thread::hardware_concurrency())),
        thumbnail_pool(config.media.thumbnail_threads),
        services{config,         rooms, directory, room_service, *appservices, accounts,      account_data, filters,        receipts,     typing,
                 notifier,       push_rules,    uia,           presence, unread,     passwords,           failed_logins,
                 registration_tokens, device_keys, to_device, key_backups, openid_tokens, reports, pusher_store, blocking_pool},
        event_stream(*database, stream),
        consumers(*database),
        appservice_client(std::make_unique<http::HttpClient>(io.get_executor())),
        housing_registry(*database),
        housing_verifications(*database),
        provisioner(config, room_service, accounts, housing_registry, housing_verifications),
        verification(config, housing_registry, housing_verifications, provisioner, room_service),
        housing{housing_registry, housing_verifications, provisioner, verification},
        verification_bot(room_service, provisioner, verification, housing_registry, blocking_pool),
        server(io, blocking_pool, router,
               [this](const std::string& token, const http::Request& request) -> std::optional<http::Session> {
                 auto owner = accounts.resolve_token(token);
                 if (!owner) return appservice::appservice_session(*appservices, accounts, token, request);
                 return http::Session{owner->user_id, owner->device_id, owner->token_hash};
               },
               limits_of(config), rate_limits_of(config),
               [this](const std::string& token, const http::Request&) -> std::optional<http::Session> {
                 auto owner = accounts.cached_token(token);
                 if (!owner) return std::nullopt;
                 return http::Session{owner->user_id, owner->device_id, owner->token_hash};
               }) {
    rooms.add_listener([this](const EventPtr&, const std::vector<std::string>& users) { notifier.wake(users); });
    // Each appservice follows the persisted-event stream from its own durable position.
    for (const auto* registration : appservices->all())
      pushers.push_back(std::make_unique<appservice::TransactionPusher>(io, blocking_pool, *appservice_client, *appservices,
                                                                        *registration, event_stream, consumers, rooms,
                                                                        directory));
    appservice_queries = std::make_unique<appservice::AppserviceQueries>(io, *appservice_client, *appservices);
    appservice::register_appservice_routes(router, services, *appservice_client, *appservice_queries);
    if (!pushers.empty()) {
      services.query_appservice_user = [this](const std::string& user_id) {
        return user_id.size() <= 255 && appservice_queries->query_user(user_id);
      };
      services.query_appservice_alias = [this](const std::string& alias) {
        return alias.size() <= 255 && appservice_queries->query_alias(alias);
      };
      rooms.add_listener([this](const EventPtr&, const std::vector<std::string>&) {
        for (auto& pusher : pushers) pusher->notify();
      });
      services.ephemeral_out = [this](boost::json::object edu, const std::string& room_id) {
        for (auto& pusher : pushers) pusher->push_ephemeral(edu, room_id);
      };
      services.presence_out = [this](boost::json::object edu, const std::vector<std::string>& room_mates) {
        for (auto& pusher : pushers) pusher->push_presence(edu, room_mates);
      };
    }
    register_discovery_routes(router, services);
    register_account_routes(router, services);
    register_device_routes(router, services);
    register_profile_routes(router, services);
    register_room_creation_routes(router, services);
    register_membership_routes(router, services);
    register_room_event_routes(router, services);
    register_directory_routes(router, services);
    register_ephemeral_routes(router, services);
    register_account_data_routes(router, services);
    register_push_rule_routes(router, services);
    register_key_routes(router, services);
    register_to_device_routes(router, services);
    register_room_key_routes(router, services);
    register_relation_routes(router, services);
    register_hierarchy_routes(router, services);
    register_openid_routes(router, services);
    register_notification_routes(router, services);
    register_pusher_routes(router, services);
    // Push gateways get what each member's rules notify, from the durable "push" consumer.
    gateway_client = std::make_unique<http::HttpClient>(io.get_executor());
    gateway_pusher = std::make_unique<GatewayPusher>(io, blocking_pool, *gateway_client, event_stream, consumers, rooms,
                                                     pusher_store, unread);
    rooms.add_listener([this](const EventPtr&, const std::vector<std::string>&) { gateway_pusher->notify(); });
    // A member's tags and room push rule follow them into an upgraded room.
    upgrade_carry_over = std::make_unique<UpgradeCarryOver>(rooms, account_data, push_rules, config.server_name);
    rooms.add_listener([this](const EventPtr& event, const std::vector<std::string>&) {
      upgrade_carry_over->on_event(*event);
    });
    register_report_routes(router, services);
    register_user_directory_routes(router, services);
    if (config.media.url_preview_enabled) {
      UrlPreviewOptions preview_options;
      preview_options.denied = IpRanges::parse(config.media.url_preview_ip_range_denylist.empty()
                                                   ? default_denied_ranges()
                                                   : config.media.url_preview_ip_range_denylist);
      preview_options.allowed = IpRanges::parse(config.media.url_preview_ip_range_allowlist);
      preview_options.max_bytes = config.media.url_preview_max_bytes;
      preview_options.timeout = std::chrono::milliseconds(config.media.url_preview_timeout_ms);
      url_previewer = std::make_unique<UrlPreviewer>(io.get_executor(), blocking_pool, media, thumbnailer,
                                                     config.server_name, std::move(preview_options));
    }
    register_media_routes(router, services, media, thumbnailer, thumbnail_pool, url_previewer.get());
    register_sync_routes(router, services, sync_pool);
    federation::register_key_server_routes(router, config, identity);
    if (!config.federation.listen_address.empty()) {
      federation::register_key_server_routes(federation_router, config, identity);
      register_openid_userinfo_route(federation_router, services);
      if (!config.federation.signed_list.source.empty()) {
        federation_list = std::make_unique<federation::FederationList>(config.federation, config.data_dir,
                                                                       io.get_executor());
        federation_list->start();
        test_clock::on_set([this] { federation_list->refresh_if_due(); });
      }
      federation_policy = std::make_unique<federation::FederationPolicy>(config.federation, federation_list.get());
      remote_keys = std::make_unique<federation::RemoteKeyStore>(*database);
      federation_client =
          std::make_unique<federation::FederationClient>(io.get_executor(), identity, config.federation, *federation_policy);
      key_fetcher = std::make_unique<federation::KeyFetcher>(*federation_client, *remote_keys, blocking_pool, identity,
                                                             config.federation.trusted_key_servers);
      federation::register_notary_routes(federation_router, *key_fetcher);
      federation_auth = std::make_unique<federation::RequestAuthenticator>(*key_fetcher, *federation_policy,
                                                                          config.server_name);
      federation::register_query_routes(federation_router, *federation_auth, blocking_pool, services);
      federation_membership = std::make_unique<federation::MembershipApi>(
          rooms, room_service, *federation_client, *key_fetcher, blocking_pool, identity,
          [this](const std::string& user_id) {
            auto account = accounts.find(user_id);
            return account && !account->deactivated;
          });
      federation_membership->register_routes(federation_router, *federation_auth);
      federation::register_e2ee_routes(federation_router, *federation_auth, blocking_pool, services);
      federation::register_media_routes(federation_router, *federation_auth, blocking_pool, media);
      services.federation_media = [this](std::string server_name, std::string media_id) {
        return federation::fetch_remote_media(*federation_client, std::move(server_name), std::move(media_id));
      };
      device_list_updates = std::make_unique<federation::DeviceListUpdates>(services);
      edu_receiver = std::make_unique<federation::EduReceiver>(services);
      federation_receiver = std::make_unique<federation::TransactionReceiver>(
          *database, rooms, *federation_client, *key_fetcher, blocking_pool,
          [this](const std::string& origin, const boost::json::object& edu) { edu_receiver->handle(origin, edu); });
      federation_receiver->register_routes(federation_router, *federation_auth);
      federation_sender = std::make_unique<federation::TransactionSender>(io, blocking_pool, *federation_client, *database,
                                                                          event_stream, consumers, rooms);
      rooms.add_listener([this](const EventPtr&, const std::vector<std::string>&) { federation_sender->notify(); });
      federation_auth->on_heard_from([this](const std::string& origin) { federation_sender->heard_from(origin); });
      services.federation_invite = [this](std::string room_id, std::string sender, std::string target,
                                          boost::json::object content) {
        return federation_membership->invite_remote(std::move(room_id), std::move(sender), std::move(target),
                                                    std::move(content));
      };
      // Residents of other servers (issue 9, "Policy"): the housing user invites them into their
      // building's rooms and answers their codes in direct messages opened from their server.
      provisioner.set_remote_invite([this](const std::string& room_id, const std::string& sender, const std::string& target) {
        boost::asio::co_spawn(io, services.federation_invite(room_id, sender, target, boost::json::object{}),
                              [room_id](std::exception_ptr failure) {
                                if (!failure) return;
                                try {
                                  std::rethrow_exception(failure);
                                } catch (const std::exception& error) {
                                  spdlog::warn("housing: a resident of another server was not invited to {}: {}", room_id,
                                               error.what());
                                }
                              });
      });
      verification_bot.set_remote_join([this](const std::string& room_id, const std::string& via,
                                              std::function<void()> joined) {
        const auto& bot = provisioner.bot_user_id();
        boost::asio::co_spawn(io,
                              join_with_retries(services.federation_join, room_id, via, bot,
                                                room_service.own_member_content(bot, "join", std::nullopt), std::move(joined)),
                              boost::asio::detached);
      });
      services.federation_leave = [this](std::string room_id, std::string user_id, boost::json::object content) {
        return federation_membership->leave_remote(std::move(room_id), std::move(user_id), std::move(content));
      };
      services.federation_keys = [this](std::string destination, std::string what, boost::json::object body) {
        return federation::ask_for_keys(*federation_client, std::move(destination), std::move(what), std::move(body));
      };
      services.federation_to_device = [this](const std::string& destination, boost::json::object content) {
        federation_sender->send_edu({destination},
                                    boost::json::object{{"edu_type", "m.direct_to_device"}, {"content", std::move(content)}});
      };
      services.federation_device_change = [this](const std::string& user_id, const std::vector<std::string>& devices,
                                                 bool deleted, std::uint64_t stream) {
        std::set<std::string> servers;
        for (const auto& record : rooms.rooms_of_user(user_id))
          if (record.membership == "join")
            for (auto& server : rooms.joined_servers(record.room_id)) servers.insert(std::move(server));
        servers.erase(config.server_name);
        if (servers.empty()) return;
        for (auto& edu : device_list_updates->edus_for(user_id, devices, deleted, stream))
          federation_sender->send_edu(servers, std::move(edu));
      };
      // A local user's presence goes to the servers of their room mates too (m.presence); a
      // remote user's, received from its server, is not passed on.
      services.presence_out = [this, to_appservices = services.presence_out](
                                  boost::json::object edu, const std::vector<std::string>& room_mates) {
        if (to_appservices) to_appservices(edu, room_mates);
        const auto& content = edu.at("content").as_object();
        std::string user_id(content.at("user_id").as_string());
        if (!services.is_local_user(user_id)) return;
        std::set<std::string> servers;
        for (const auto& mate : room_mates) servers.emplace(server_name_of(mate));
        servers.erase(config.server_name);
        if (servers.empty()) return;
        boost::json::object update{{"user_id", user_id},
                                   {"presence", content.at("presence")},
                                   {"last_active_ago", 0},
                                   {"currently_active", content.at("presence") == "online"}};
        if (const auto* message = content.if_contains("status_msg")) update["status_msg"] = *message;
        federation_sender->send_edu(servers, boost::json::object{{"edu_type", "m.presence"},
                                                                 {"content", {{"push", boost::json::array{update}}}}});
      };
      services.federation_edu = [this](const std::string& room_id, boost::json::object edu) {
        federation_sender->send_edu(rooms.joined_servers(room_id), std::move(edu));
      };
      services.federation_knock = [this](std::string room_id, std::vector<std::string> servers, std::string user_id,
                                         boost::json::object content) {
        return federation_membership->knock_remote(std::move(room_id), std::move(servers), std::move(user_id),
                                                   std::move(content));
      };
      services.federation_join = [this](std::string room_id, std::vector<std::string> servers, std::string user_id,
                                        boost::json::object content) {
        return federation_membership->join_remote(std::move(room_id), std::move(servers), std::move(user_id),
                                                  std::move(content));
      };
      services.federation_call = [this](std::string destination, std::string method, std::string uri,
                                        std::optional<boost::json::object> body) {
        return federation::call_server(*federation_client, std::move(destination), std::move(method), std::move(uri),
                                       std::move(body));
      };
      services.federation_query = [this](std::string destination, std::string type,
                                         std::vector<std::pair<std::string, std::string>> arguments) {
        return federation::query_server(*federation_client, std::move(destination), std::move(type),
                                        std::move(arguments));
      };
      // Servers authenticate with X-Matrix signatures, never with access tokens.
      auto no_tokens = [](const std::string&, const http::Request&) -> std::optional<http::Session> { return std::nullopt; };
      federation_server = std::make_unique<http::Server>(io, blocking_pool, federation_router, no_tokens,
                                                         limits_of(config), rate_limits_of(config));
    }
    register_server_admin_routes(router, services);
    housing::register_housing_routes(router, services, housing);
    room_service.set_membership_gate([this](const std::string& room_id, const std::string& sender,
                                            const std::string& target, const std::string& membership) {
      provisioner.check_membership(room_id, sender, target, membership);
    });
    // The housing user answers codes itself unless the housing appservices (`domovoy housing`)
    // speak for it: then they do, and two answers to one code would be one too many.
    const auto* housing_appservice = appservices->find_by_id(config.housing.appservice_id);
    if (!housing_appservice || !appservices->user_in_namespace(*housing_appservice, provisioner.bot_user_id()))
      rooms.add_listener([this](const EventPtr& event, const std::vector<std::string>&) { verification_bot.on_event(event); });
    // A device's keys and to-device inbox go with it, and its owner's room mates learn of it.
    accounts.add_device_removal_stager([this](storage::WriteBatch& batch, const std::string& user_id,
                                              const std::string& device_id) {
      device_keys.stage_device_removal(batch, user_id, device_id);
      to_device.stage_device_removal(batch, user_id, device_id);
    });
    accounts.add_devices_removed_listener(
        [this](const std::string& user_id, const std::vector<std::string>& device_ids) {
          services.tell_device_change(user_id, device_ids, true);
        });
    accounts.add_creation_listener([this](const std::string& user_id) { provisioner.reconcile_user(user_id); });
    test_clock::on_set([this] { verification.sweep(); });
    // Before listening: a deactivation interrupted by a crash finishes its room leaves first.
    finish_deactivations(services);
    // Every appservice's sender exists from the start (it needs no registration of its own).
    for (const auto* registration : appservices->all()) {
      const auto& sender = appservices->sender_user_id(*registration);
      if (!accounts.exists(sender)) accounts.create(sender, "");
    }
    if (housing_appservice) {
      // Its sender sits everywhere as a moderator, unless it is the housing user itself (the
      // rooms' creator, whose power no power level may name).
      const auto& sender = appservices->sender_user_id(*housing_appservice);
      if (sender != provisioner.bot_user_id()) provisioner.set_housing_bots({sender});
      // The meetings bot sits in every owners' room and the repairs bot in every dispatchers'
      // room, when the housing appservice's namespace has them.
      housing::Provisioner::RoleBots role_bots;
      for (auto [localpart, target] : {std::pair{&config.housing.meetings_localpart, &role_bots.meetings},
                                       std::pair{&config.housing.repairs_localpart, &role_bots.repairs}}) {
        auto user = "@" + *localpart + ":" + config.server_name;
        if (appservices->user_in_namespace(*housing_appservice, user)) {
          if (!accounts.exists(user)) accounts.create(user, "");
          *target = user;
        }
      }
      provisioner.set_role_bots(role_bots);
    }
    // Then housing: what a crash left half-provisioned, then the registry files of the config.
    provisioner.start();
    for (const auto& file : config.housing.registry_files) import_registry_file(file);
    if (config.housing.demo)
      demo = housing::start_demo_region(config, housing, accounts,
                                        [this](const std::string& password) { return passwords.hash_now(password); });
    verification.start_sweeper();
    for (auto& pusher : pushers) pusher->start();
    gateway_pusher->start();
    if (federation_sender) federation_sender->start();
  }
};

Homeserver::Homeserver(Config config) : parts_(std::make_unique<Parts>(std::move(config))) {}

Homeserver::~Homeserver() {
  stop();
  for (auto& thread : parts_->threads)
    if (thread.joinable()) thread.join();
  parts_->blocking_pool.join();
  parts_->sync_pool.join();
  parts_->thumbnail_pool.join();
  // Before the io_context goes: a hash finishing later would resume a coroutine on it.
  parts_->passwords.stop();
}

const Config& Homeserver::config() const { return parts_->config; }
std::string Homeserver::demo_codes_file() const { return parts_->demo.codes_csv; }
std::string Homeserver::demo_admin_password_file() const { return parts_->demo.admin_password; }

unsigned short Homeserver::listen() {
  auto port = parts_->server.listen(parts_->config.listen_address, parts_->config.listen_port);
  // With port 0 the kernel chose one; what the server announces (base URL, delegation) must be it.
  parts_->config.listen_port = port;
  return port;
}

unsigned short Homeserver::listen_federation() {
  auto& federation = parts_->config.federation;
  if (!parts_->federation_server) return 0;
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  tls->set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                   boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                   boost::asio::ssl::context::no_tlsv1_1);
  tls->use_certificate_chain_file(federation.tls_cert_file);
  tls->use_private_key_file(federation.tls_key_file, boost::asio::ssl::context::pem);
  auto port = parts_->federation_server->listen_tls(federation.listen_address, federation.listen_port, std::move(tls));
  federation.listen_port = port;  // what /.well-known/matrix/server delegates to
  return port;
}

void Homeserver::run() {
  for (unsigned i = 1; i < parts_->config.network_threads; ++i) parts_->threads.emplace_back([this] { parts_->io.run(); });
  parts_->io.run();
  for (auto& thread : parts_->threads) thread.join();
}

void Homeserver::start_background() {
  for (unsigned i = 0; i < parts_->config.network_threads; ++i) parts_->threads.emplace_back([this] { parts_->io.run(); });
}

void Homeserver::stop() {
  // Only asks the threads to finish: run() or the destructor joins them, never two places at once.
  parts_->server.stop();
  if (parts_->federation_server) parts_->federation_server->stop();
  if (parts_->federation_sender) parts_->federation_sender->stop();
  parts_->io.stop();
}

}  // namespace domovoy
