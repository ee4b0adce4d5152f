#include "housing/service/verification_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/clock.hpp"
#include "homeserver/core/identifiers.hpp"
#include "homeserver/core/random.hpp"
#include "homeserver/core/time_format.hpp"
#include "homeserver/events/room_version.hpp"
#include "housing/verification/verification_code.hpp"

namespace domovoy::housing {

namespace json = boost::json;

namespace {
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::size_t kMaxTrackedUsers = 100000;  // failure records kept at once (bounded memory)
}  // namespace

VerificationService::VerificationService(const Config& config, RegistryStore& registry, VerificationStore& store,
                                         Provisioner& provisioner, RoomService& rooms)
    : config_(config), registry_(registry), store_(store), provisioner_(provisioner), rooms_(rooms) {}

VerificationService::~VerificationService() {
  {
    std::lock_guard lock(sweeper_mutex_);
    stopping_ = true;
  }
  sweeper_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

void VerificationService::check_role(const std::string& role) const {
  if (role != "owner" && role != "tenant") throw invalid_param("role must be owner or tenant");
}

const Apartment& VerificationService::apartment_of(const Registry& registry, const std::string& building_id,
                                                   const std::string& apartment) const {
  const auto* building = registry.find_building(building_id);
  if (!building) throw not_found("Unknown building " + building_id);
  const auto* found = building->find_apartment(apartment);
  if (!found) throw not_found("Building " + building_id + " has no apartment " + apartment);
  return *found;
}

std::vector<IssuedCode> VerificationService::issue_codes(const std::string& building_id,
                                                         const std::optional<std::string>& apartment,
                                                         const std::optional<std::string>& role,
                                                         std::optional<unsigned> valid_days) {
  auto registry = registry_.registry();
  const auto* building = registry->find_building(building_id);
  if (!building) throw not_found("Unknown building " + building_id);
  if (role) check_role(*role);
  if (apartment) apartment_of(*registry, building_id, *apartment);
  unsigned days = valid_days.value_or(config_.housing.code_valid_days);
  if (days < 1 || days > 3650) throw invalid_param("valid_days must be between 1 and 3650");
  auto expires_at = now_ms() + static_cast<std::int64_t>(days) * kDayMs;
  std::vector<IssuedCode> issued;
  std::vector<std::pair<std::string, CodeRecord>> hashed;
  std::vector<std::string> roles = role ? std::vector<std::string>{*role} : std::vector<std::string>{"owner", "tenant"};
  for (const auto& flat : building->apartments) {
    if (apartment && flat.number != *apartment) continue;
    for (const auto& each_role : roles) {
      auto code = generate_verification_code();
      hashed.emplace_back(*hash_verification_code(code), CodeRecord{building->id, flat.number, each_role, expires_at, {}});
      issued.push_back({building->id, flat.number, each_role, code, expires_at});
    }
  }
  store_.add_codes(hashed);
  return issued;
}

void VerificationService::check_not_limited(const std::string& user_id) {
  std::lock_guard lock(failures_mutex_);
  auto it = failures_.find(user_id);
  if (it == failures_.end()) return;
  auto window = static_cast<std::int64_t>(config_.housing.failed_redemption_window_s) * 1000;
  auto now = now_ms();
  while (!it->second.empty() && it->second.front() <= now - window) it->second.pop_front();
  if (it->second.size() >= config_.housing.failed_redemptions) {
    auto retry = it->second.front() + window - now;
    throw ApiError(429, "M_LIMIT_EXCEEDED",
                   "Слишком много неверных кодов, попробуйте позже / Too many failed codes, try again later",
                   json::object{{"retry_after_ms", std::max<std::int64_t>(retry, 1)}});
  }
}

void VerificationService::note_failure(const std::string& user_id) {
  std::lock_guard lock(failures_mutex_);
  if (failures_.size() >= kMaxTrackedUsers && !failures_.count(user_id)) {
    // Drop the records whose window has passed; they limit nobody any more.
    auto window = static_cast<std::int64_t>(config_.housing.failed_redemption_window_s) * 1000;
    auto now = now_ms();
    for (auto it = failures_.begin(); it != failures_.end();)
      it = it->second.empty() || it->second.back() <= now - window ? failures_.erase(it) : std::next(it);
  }
  failures_[user_id].push_back(now_ms());
}

Verification VerificationService::redeem(const std::string& user_id, const std::string& code) {
  check_not_limited(user_id);
  auto hash = hash_verification_code(code);
  if (!hash) {
    note_failure(user_id);
    throw forbidden("Неверный код / Wrong code");
  }
  auto valid_ms = static_cast<std::int64_t>(config_.housing.verification_valid_days) * kDayMs;
  auto redemption = store_.redeem(*hash, user_id, now_ms(), valid_ms);
  switch (redemption.outcome) {
    case VerificationStore::Outcome::verified:
      break;
    case VerificationStore::Outcome::unknown:
      note_failure(user_id);
      throw forbidden("Неверный код / Wrong code");
    case VerificationStore::Outcome::used:
      note_failure(user_id);
      throw forbidden("Код уже использован / This code was already used");
    case VerificationStore::Outcome::expired:
      note_failure(user_id);
      throw forbidden("Срок действия кода истёк / This code has expired");
  }
  provisioner_.reconcile_user(user_id);
  return redemption.verification;
}

Verification VerificationService::verify(const std::string& user_id, const std::string& building_id,
                                         const std::string& apartment, const std::string& role,
                                         const std::string& method) {
  check_role(role);
  if (!is_valid_user_id(user_id)) throw invalid_param("Invalid user id");
  auto registry = registry_.registry();
  apartment_of(*registry, building_id, apartment);
  auto now = now_ms();
  auto verification = store_.verify(Verification{user_id, building_id, apartment, role, method, now,
                                                 now + static_cast<std::int64_t>(config_.housing.verification_valid_days) * kDayMs,
                                                 {}});
  provisioner_.reconcile_user(user_id);
  return verification;
}

bool VerificationService::revoke(const std::string& user_id, const std::string& building_id,
                                 const std::string& apartment, const std::string& reason) {
  auto removed = store_.revoke(user_id, building_id, apartment);
  if (removed.empty()) return false;
  provisioner_.reconcile_user(user_id, reason);
  return true;
}

VerificationRequest VerificationService::request(const std::string& user_id, const std::string& building_id,
                                                 const std::string& apartment, const std::string& role) {
  check_role(role);
  auto registry = registry_.registry();
  apartment_of(*registry, building_id, apartment);
  for (const auto& existing : store_.requests_of_building(building_id))
    if (existing.user_id == user_id && existing.apartment == apartment && existing.status == "pending") return existing;
  VerificationRequest request{"vr" + random_letters(16), user_id, building_id, apartment, role, "pending", now_ms(), {}};
  store_.add_request(request);
  return request;
}

VerificationRequest VerificationService::decide(const std::string& request_id, const std::string& decider,
                                                bool decider_is_admin, bool approve) {
  auto request = store_.request(request_id);
  if (!request) throw not_found("Unknown verification request");
  auto registry = registry_.registry();
  const auto* building = registry->find_building(request->building_id);
  bool is_chair = building && building->chair && *building->chair == decider;
  if (!is_chair && !decider_is_admin) throw forbidden("Only the building's council chair decides requests");
  if (request->status != "pending") throw ApiError(400, "M_INVALID_PARAM", "The request was already " + request->status);
  request->status = approve ? "approved" : "refused";
  request->decided_by = decider;
  store_.decide_request(*request);
  if (approve) verify(request->user_id, request->building_id, request->apartment, request->role, "chair");
  return *request;
}

void VerificationService::send_notice(const std::string& user_id, const std::string& text) {
  // One direct room per resident with the server notices user, made on first need.
  const auto& notices = provisioner_.notices_user_id();
  RoomCreation creation;
  creation.creator = notices;
  creation.version = find_room_version(config_.default_room_version);
  creation.preset = "trusted_private_chat";
  creation.is_direct = true;
  creation.invitees = {user_id};
  creation.name = "Уведомления сервера / Server notices";
  creation.idempotency_key = "notices:" + user_id;
  auto room = rooms_.create_room(creation).room_id;
  auto& engine = rooms_.engine();
  if (engine.current_membership(room, user_id) == "invite")
    engine.send(room, EventDraft{"m.room.member", user_id, user_id, rooms_.own_member_content(user_id, "join", std::nullopt)});
  engine.send(room, EventDraft{"m.room.message", std::nullopt, notices,
                               json::object{{"msgtype", "m.notice"}, {"body", text}}});
}

void VerificationService::sweep() {
  auto now = now_ms();
  unsigned furthest = 0;
  for (auto days : config_.housing.reminder_days) furthest = std::max(furthest, days);
  auto registry = registry_.registry();
  for (const auto& verification : store_.expiring(now + static_cast<std::int64_t>(furthest) * kDayMs, 10000)) {
    if (verification.expires_at <= now) {
      revoke(verification.user_id, verification.building_id, verification.apartment,
             "Срок подтверждения адреса истёк / Your address verification expired");
      try {
        send_notice(verification.user_id,
                    "Подтверждение вашего адреса истекло, и вы вышли из комнат дома. Подтвердите адрес снова кодом из "
                    "квитанции. / Your address verification expired and you left the building's rooms; verify again "
                    "with a code from your bill.");
      } catch (const std::exception& error) {
        spdlog::warn("housing: expiry notice not sent: {}", error.what());
      }
      continue;
    }
    // The nearest reminder due and not yet sent (30 days, then 7 days before).
    std::optional<unsigned> due;
    for (auto days : config_.housing.reminder_days)
      if (verification.expires_at - now <= static_cast<std::int64_t>(days) * kDayMs &&
          std::find(verification.reminded.begin(), verification.reminded.end(), days) == verification.reminded.end())
        if (!due || days < *due) due = days;
    if (!due) continue;
    auto days_left = (verification.expires_at - now + kDayMs - 1) / kDayMs;
    std::string address;
    if (const auto* building = registry->find_building(verification.building_id)) address = building->address;
    try {
      send_notice(verification.user_id,
                  "Подтверждение вашего адреса (" + address + ") истекает через " + std::to_string(days_left) +
                      " дн., " + format_iso8601(verification.expires_at).substr(0, 10) +
                      ". Подтвердите его снова кодом из квитанции. / Your address verification expires in " +
                      std::to_string(days_left) + " days; verify again with a code from your bill.");
      // Every reminder of a larger lead is covered by this one.
      for (auto days : config_.housing.reminder_days)
        if (days >= *due) store_.mark_reminded(verification, days);
    } catch (const std::exception& error) {
      spdlog::warn("housing: reminder not sent: {}", error.what());
    }
  }
}

void VerificationService::poke() {
  {
    std::lock_guard lock(sweeper_mutex_);
    poked_ = true;
  }
  sweeper_wake_.notify_all();
}

void VerificationService::start_sweeper() {
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweeper_mutex_);
    while (!stopping_) {
      sweeper_wake_.wait_for(lock, std::chrono::minutes(1), [this] { return stopping_ || poked_; });
      if (stopping_) break;
      poked_ = false;
      lock.unlock();
      try {
        sweep();
      } catch (const std::exception& error) {
        spdlog::error("housing: verification sweep failed: {}", error.what());
      }
      lock.lock();
    }
  });
}

}  // namespace domovoy::housing
