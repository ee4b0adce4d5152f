#include "app/housing_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "homeserver/appservice/registration.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/http/server.hpp"
#include "housing/bots/billing/billing_bot.hpp"
#include "housing/bots/bot_dispatcher.hpp"
#include "housing/bots/demo/demo_seed.hpp"
#include "housing/bots/formatting.hpp"
#include "housing/bots/meetings/meetings_bot.hpp"
#include "housing/bots/reminders/reminder_sweep.hpp"
#include "housing/bots/repairs/repairs_bot.hpp"
#include "housing/bots/domovoy/domovoy_bot.hpp"
#include "housing/bots/meters/meters_bot.hpp"
#include "housing/bots/notices/notice_publisher.hpp"
#include "housing/bots/notices/notice_store.hpp"
#include "homeserver/core/api_error.hpp"
#include "housing/registry/registry_ids.hpp"
#include "housing/process/appservice_endpoints.hpp"
#include "housing/process/bot_store.hpp"
#include "housing/process/homeserver_api.hpp"
#include "housing/process/housing_directory.hpp"
#include "housing/process/outbox_sender.hpp"
#include "housing/registry/iso_date.hpp"
#include "storage/database.hpp"

namespace domovoy {

using namespace housing;

namespace {

std::string user_of(const ProcessConfig& config, const std::string& localpart) {
  return "@" + localpart + ":" + config.server_name;
}

law::ReadingLimits reading_limits(const ProcessConfig& config) {
  law::ReadingLimits limits;
  auto set = [&](const char* type, Decimal& target) {
    auto it = config.monthly_maximum.find(type);
    if (it == config.monthly_maximum.end()) return;
    auto parsed = parse_decimal(it->second, 6);
    if (!parsed) throw ProcessConfigError(std::string("meters.monthly_maximum.") + type + " must be a decimal number");
    target = *parsed;
  };
  set("cold", limits.cold);
  set("hot", limits.hot);
  set("power_day", limits.power_day);
  set("power_night", limits.power_night);
  set("heat", limits.heat);
  set("gas", limits.gas);
  return limits;
}

law::Service demo_service(std::string name, std::string unit, std::int64_t kopecks, std::optional<MeterType> meter,
                          std::int64_t norm_units = 0, int norm_scale = 0) {
  law::Service service;
  service.name = std::move(name);
  service.unit = std::move(unit);
  service.tariff_kopecks = kopecks;
  service.basis = meter ? law::ServiceBasis::metered : law::ServiceBasis::per_area;
  if (meter) service.meter = *meter;
  service.norm.volume = Decimal{norm_units, norm_scale};
  return service;
}

BillingSetup billing_setup(const ProcessConfig& config) {
  BillingSetup setup;
  if (config.tariffs.empty()) {
    // Saint Petersburg's 2026 tariffs and norms, rounded: the demo's, and a start for a region.
    setup.services = {demo_service("Содержание жилого помещения", "м²", 3850, std::nullopt),
                      demo_service("Холодное водоснабжение", "м³", 5420, MeterType::cold, 4900, 3),
                      demo_service("Горячее водоснабжение", "м³", 24130, MeterType::hot, 3600, 3),
                      demo_service("Электроэнергия, день", "кВт·ч", 690, MeterType::power_day, 70, 0),
                      demo_service("Электроэнергия, ночь", "кВт·ч", 380, MeterType::power_night, 30, 0),
                      demo_service("Газоснабжение", "м³", 860, MeterType::gas, 10000, 3)};
  } else {
    for (const auto& tariff : config.tariffs) {
      auto norm = parse_decimal(tariff.norm_per_person, 6);
      if (!norm) throw ProcessConfigError("billing.tariffs: norm_per_person of '" + tariff.name + "' must be a decimal");
      std::optional<MeterType> meter;
      if (tariff.basis == "metered") meter = meter_type_from_string(tariff.meter_type);
      setup.services.push_back(demo_service(tariff.name, tariff.unit, tariff.kopecks_per_unit, meter, norm->units, norm->scale));
    }
  }
  setup.billing.due_day = config.due_day;
  setup.fallback.average_months = static_cast<int>(config.average_months);
  setup.persons_per_apartment = static_cast<int>(config.persons_per_apartment);
  for (const auto& [from, points] : config.key_rates) {
    auto date = parse_iso_date(from);
    if (!date) throw ProcessConfigError("billing.key_rates: '" + from + "' is not a date YYYY-MM-DD");
    setup.key_rates.push_back({*date, static_cast<std::int64_t>(points)});
  }
  return setup;
}

// The first billed month: kept from the first start, so bills do not reach back before the
// bots knew the building.
std::chrono::year_month billing_start(storage::Database& database, bool demo) {
  auto stored = database.get(storage::Table::meta, "housing_billing_start");
  if (stored)
    if (auto month = parse_month_key(*stored)) return *month;
  auto today = local_date(now_ms());
  // The demo comes with three months of history (demo_seed.hpp).
  auto month = demo ? demo_billing_start(now_ms()) : std::chrono::year_month{today.year(), today.month()};
  storage::WriteBatch batch;
  batch.put(storage::Table::meta, "housing_billing_start", month_key(month));
  database.write(std::move(batch));
  return month;
}

}  // namespace

struct HousingProcess::Parts {
  ProcessConfig config;
  appservice::Registration registration;
  std::unique_ptr<storage::Database> database;
  HomeserverApi api;
  HousingDirectory directory;
  BotStore store;
  NoticeStore notices;
  MeterStore meters;
  BillingStore bills;
  TicketStore tickets;
  MeetingStore meeting_store;
  SandboxStateConnector state_connector;
  SandboxPaymentProvider payments;
  BillingEngine billing;
  BotDispatcher dispatcher;
  BillingBot* billing_bot = nullptr;
  RepairsBot* repairs_bot = nullptr;
  MeetingsBot* meetings_bot = nullptr;
  std::unique_ptr<ReminderSweep> reminders;
  OutboxSender outbox;
  NoticePublisher publisher;
  std::mutex utility_tokens_mutex;
  // Utilities' tokens the homeserver vouched for, in memory only; a token revoked at the
  // homeserver stays known here until the bots restart.
  std::map<std::string, std::string> utility_tokens;
  boost::asio::io_context io{2};
  boost::asio::thread_pool blocking_pool{4};
  http::Router router;
  http::Server server;
  std::vector<std::thread> threads;
  std::thread clock_thread;
  std::mutex stop_mutex;
  std::condition_variable stop_signal;
  bool stopping = false;

  static std::unique_ptr<storage::Database> open_database(const ProcessConfig& config) {
    std::filesystem::create_directories(config.data_dir);
    return storage::Database::open({config.data_dir + "/db", true, 32});
  }

  explicit Parts(ProcessConfig given)
      : config(std::move(given)),
        registration(appservice::load_registration_file(config.registration_file)),
        database(open_database(config)),
        api(config.homeserver_base(), registration.as_token),
        directory(api),
        store(*database),
        notices(*database),
        meters(*database),
        bills(*database),
        tickets(*database),
        meeting_store(*database),
        billing(bills, meters, billing_setup(config)),
        dispatcher(store, directory, api, user_of(config, config.bots.domovoy)),
        outbox(store, api),
        publisher(dispatcher, directory, user_of(config, config.bots.domovoy), user_of(config, config.bots.billing)),
        server(io, blocking_pool, router,
               [this](const std::string& token, const http::Request&) -> std::optional<http::Session> {
                 if (token == registration.hs_token) return http::Session{"homeserver", "", "", "", false};
                 if (token == registration.as_token) return http::Session{"operator", "", "", "", false};
                 if (auto utility = utility_of(token)) return http::Session{"utility:" + *utility, "", "", "", false};
                 return std::nullopt;
               },
               http::ServerLimits{.max_body_bytes = 16u << 20}, http::RateLimits{.enabled = false}) {
    // The first billed month is the homeserver's month, test clock included: read it now.
    if (auto theirs = api.test_clock_ms()) {
      test_clock::enable();
      test_clock::set(*theirs);
    }
    dispatcher.set_room_speakers(user_of(config, config.bots.meetings), user_of(config, config.bots.repairs));
    law::MeetingRules meeting_rules;
    meeting_rules.min_notice_days = static_cast<int>(config.meeting_notice_days);
    meeting_rules.electronic_min_days = static_cast<int>(config.electronic_min_days);
    meeting_rules.electronic_max_days = static_cast<int>(config.electronic_max_days);
    auto meetings_owned = std::make_unique<MeetingsBot>(user_of(config, config.bots.meetings), directory, meeting_store, store,
                                                        state_connector, meeting_rules, config.designated_system);
    meetings_bot = meetings_owned.get();
    dispatcher.add_bot(std::make_unique<DomovoyBot>(
        user_of(config, config.bots.domovoy), api, directory, notices,
        [this](const std::string& building_id, Language language) { return meetings_bot->past_results(building_id, language); }));
    dispatcher.add_bot(std::make_unique<MetersBot>(user_of(config, config.bots.meters), directory, meters,
                                                   reading_limits(config),
                                                   law::ReadingWindow{config.reading_window_first_day, config.reading_window_last_day}));
    auto billing_bot_owned = std::make_unique<BillingBot>(user_of(config, config.bots.billing), directory, billing, bills,
                                                          payments, store, billing_start(*database, config.demo), notices);
    billing_bot = billing_bot_owned.get();
    dispatcher.add_bot(std::move(billing_bot_owned));
    auto repairs_bot_owned = std::make_unique<RepairsBot>(
        user_of(config, config.bots.repairs), directory, tickets, store, api,
        RepairDeadlines{static_cast<std::int64_t>(config.emergency_deadline_hours) * 3600 * 1000,
                        static_cast<std::int64_t>(config.routine_deadline_hours) * 3600 * 1000});
    repairs_bot = repairs_bot_owned.get();
    dispatcher.add_bot(std::move(repairs_bot_owned));
    dispatcher.add_bot(std::move(meetings_owned));
    reminders = std::make_unique<ReminderSweep>(
        directory, store, meters, billing, ReminderBots{user_of(config, config.bots.meters), user_of(config, config.bots.billing)},
        law::ReadingWindow{config.reading_window_first_day, config.reading_window_last_day}, billing_bot->first_period());
    dispatcher.on_poll_response(
        [this](CommandContext& context, const boost::json::object& content) { meetings_bot->on_poll_response(context, content); });
    dispatcher.on_own_event([this](const boost::json::object& event, storage::WriteBatch& batch) {
      auto type = event.if_contains("type");
      const auto* content = event.if_contains("content");
      const auto* id = event.if_contains("event_id");
      if (type && type->is_string() && type->as_string() == "org.matrix.msc3381.poll.start" && content && content->is_object() &&
          id && id->is_string())
        meetings_bot->on_own_poll(std::string(id->as_string()), content->as_object(), batch);
    });
    dispatcher.on_replies([this] { outbox.notify(); });
    std::set<std::string> bot_users;
    for (const auto* localpart : {&config.bots.domovoy, &config.bots.meters, &config.bots.billing, &config.bots.repairs,
                                  &config.bots.meetings})
      bot_users.insert(user_of(config, *localpart));
    register_appservice_endpoints(router, AppserviceEndpoints{dispatcher, bot_users});
    register_notice_routes(router, publisher, [this](const http::Request& request) {
      if (request.user_id == "operator") return Publisher{"operator", {}};
      if (request.user_id.rfind("utility:", 0) == 0) {
        auto user = request.user_id.substr(8);
        for (const auto& utility : config.utilities)
          if (utility.user_id == user) {
            Publisher publisher{user, {}};
            for (const auto& id : utility.buildings)
              if (auto normal = normalise_building_id(id)) publisher.buildings.insert(*normal);
            // A utility with no buildings serves none (an empty set would mean every building).
            if (publisher.buildings.empty()) publisher.buildings.insert("-");
            return publisher;
          }
      }
      throw forbidden("Only the operator and the configured utilities publish");
      return Publisher{};
    });
  }

  // A utility's appservice token: the homeserver says whose it is (whoami); only the utilities
  // of the configuration are let in. Answers are remembered for the process's life.
  std::optional<std::string> utility_of(const std::string& token) {
    if (config.utilities.empty() || token.size() > 512) return std::nullopt;
    {
      std::lock_guard lock(utility_tokens_mutex);
      if (auto it = utility_tokens.find(token); it != utility_tokens.end()) return it->second;
    }
    HomeserverApi as_them(config.homeserver_base(), token);
    auto answer = as_them.call(boost::beast::http::verb::get, "/_matrix/client/v3/account/whoami");
    if (!answer.ok() || !answer.body.is_object()) return std::nullopt;
    auto user = optional_string(answer.body.as_object(), "user_id");
    if (!user) return std::nullopt;
    for (const auto& utility : config.utilities)
      if (utility.user_id == *user) {
        std::lock_guard lock(utility_tokens_mutex);
        utility_tokens[token] = *user;
        return user;
      }
    return std::nullopt;
  }

  bool wait_or_stop(std::chrono::milliseconds delay) {
    std::unique_lock lock(stop_mutex);
    return stop_signal.wait_for(lock, delay, [this] { return stopping; });
  }

  // The bots exist on the homeserver and the registry is read: until then nothing can answer.
  bool connect() {
    auto delay = std::chrono::milliseconds(200);
    while (true) {
      bool registered = true;
      for (const auto* localpart : {&config.bots.domovoy, &config.bots.meters, &config.bots.billing, &config.bots.repairs,
                                    &config.bots.meetings})
        registered = api.register_user(*localpart) && registered;
      if (registered && directory.refresh()) return true;
      spdlog::warn("housing: the homeserver at {} is not ready; trying again", config.homeserver_base());
      if (wait_or_stop(delay)) return false;
      delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(5));
    }
  }

  // The homeserver's clock: when it runs on a test clock, so does this process, so that tests
  // move time for both with one PUT. Then the rules that fire on dates run (deadlines,
  // payments settled by the provider, reminders).
  void follow_clock() {
    while (!wait_or_stop(std::chrono::milliseconds(250))) {
      if (auto theirs = api.test_clock_ms()) {
        if (!test_clock::enabled()) test_clock::enable();
        if (std::llabs(*theirs - now_ms()) > 250) test_clock::set(*theirs);
      }
      directory.refresh_if_older(std::chrono::seconds(60));
      run_scheduled(now_ms());
    }
  }

  // Each kind of scheduled work on its own: one that fails (logged) never holds up the others.
  void run_scheduled(std::int64_t now) {
    auto guarded = [](const char* what, const std::function<void()>& work) {
      try {
        work();
      } catch (const std::exception& error) {
        spdlog::error("housing: scheduled {} failed: {}", what, error.what());
      }
    };
    guarded("payments", [&] {
      dispatcher.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) { billing_bot->settle_payments(now, batch, out); });
    });
    guarded("escalations", [&] {
      dispatcher.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) { repairs_bot->escalate_overdue(now, batch, out); });
    });
    guarded("meetings", [&] {
      dispatcher.run_exclusive([&](storage::WriteBatch& batch, Conversation& out) { meetings_bot->run_schedule(now, batch, out); });
    });
    guarded("reminders", [&] {
      reminders->run(now, [this](const std::function<void(storage::WriteBatch&, Conversation&)>& work) {
        dispatcher.run_exclusive(work);
      });
    });
  }
};

HousingProcess::HousingProcess(ProcessConfig config) : parts_(std::make_unique<Parts>(std::move(config))) {}

HousingProcess::~HousingProcess() {
  stop();
  for (auto& thread : parts_->threads)
    if (thread.joinable()) thread.join();
  if (parts_->clock_thread.joinable()) parts_->clock_thread.join();
  parts_->outbox.stop();
  parts_->blocking_pool.join();
}

unsigned short HousingProcess::listen() {
  auto port = parts_->server.listen(parts_->config.listen_address, parts_->config.listen_port);
  parts_->config.listen_port = port;
  return port;
}

void HousingProcess::run() {
  // Transactions that arrive before the registry is read are refused (5xx) and sent again by
  // the homeserver; the network threads start at once so that the homeserver's pings are answered.
  for (int i = 0; i < 2; ++i) parts_->threads.emplace_back([this] { parts_->io.run(); });
  if (!parts_->connect()) return;
  if (parts_->config.demo && seed_demo(*parts_->directory.registry(), parts_->store, parts_->billing, now_ms()))
    spdlog::info("housing: the demo region's readings, bills, notices and an open meeting are seeded");
  parts_->dispatcher.set_ready();
  spdlog::info("housing: connected to {}; bots ready", parts_->config.homeserver_base());
  parts_->outbox.start();
  parts_->clock_thread = std::thread([this] { parts_->follow_clock(); });
  std::unique_lock lock(parts_->stop_mutex);
  parts_->stop_signal.wait(lock, [this] { return parts_->stopping; });
}

void HousingProcess::stop() {
  {
    std::lock_guard lock(parts_->stop_mutex);
    parts_->stopping = true;
  }
  parts_->stop_signal.notify_all();
  parts_->server.stop();
  parts_->io.stop();
}

}  // namespace domovoy
