#include "homeserver/appservice/namespaces.hpp"

#include <stdexcept>

#include "homeserver/core/identifiers.hpp"
#include "homeserver/events/signing_key.hpp"

namespace domovoy::appservice {

struct AppserviceRegistry::Entry {
  Entry(Registration registration_in, std::string sender_in, std::size_t cache_entries)
      : registration(std::move(registration_in)),
        sender(std::move(sender_in)),
        users(cache_entries),
        aliases(cache_entries),
        rooms(cache_entries) {}

  Registration registration;
  std::string sender;
  // The registry's only mutable state; the caches guard themselves.
  mutable MatchCache users;
  mutable MatchCache aliases;
  mutable MatchCache rooms;
};

namespace {

bool any_matches(const std::vector<Namespace>& list, std::string_view value, bool exclusive_only) {
  for (const auto& entry : list)
    if ((!exclusive_only || entry.exclusive) && namespace_matches(entry, value)) return true;
  return false;
}

// The answer for `value`, from the cache or from the regexes (and then remembered).
bool cached_match(MatchCache& cache, const std::vector<Namespace>& list, std::string_view value) {
  if (list.empty()) return false;
  if (auto known = cache.find(value)) return *known;
  bool matches = any_matches(list, value, /*exclusive_only=*/false);
  cache.insert(value, matches);
  return matches;
}

}  // namespace

AppserviceRegistry::AppserviceRegistry(std::vector<Registration> registrations, std::string server_name,
                                       std::size_t cache_entries)
    : server_name_(std::move(server_name)) {
  check_distinct(registrations);
  for (auto& registration : registrations) {
    auto sender = appservice::sender_user_id(registration, server_name_);
    if (!is_valid_user_id(sender))
      throw RegistrationError("appservice registration " + registration.file + ": key 'sender_localpart': '" + sender +
                              "' is not a valid user id");
    auto digest = sha256(registration.as_token);
    auto id = registration.id;
    entries_.push_back(std::make_unique<Entry>(std::move(registration), std::move(sender), cache_entries));
    const Entry* entry = entries_.back().get();
    all_.push_back(&entry->registration);
    by_token_digest_.emplace(std::move(digest), entry);
    by_id_.emplace(std::move(id), entry);
    by_registration_.emplace(&entry->registration, entry);
  }
}

AppserviceRegistry::~AppserviceRegistry() = default;

const AppserviceRegistry::Entry& AppserviceRegistry::entry_of(const Registration& registration) const {
  auto found = by_registration_.find(&registration);
  // A copy of a registration, or one of another registry, has no caches here: a caller's bug.
  if (found == by_registration_.end())
    throw std::invalid_argument("appservice registration '" + registration.id + "' is not from this registry");
  return *found->second;
}

bool AppserviceRegistry::is_local_user(std::string_view user_id) const {
  auto colon = user_id.find(':');
  return !user_id.empty() && user_id.front() == '@' && colon != std::string_view::npos &&
         user_id.substr(colon + 1) == server_name_;
}

const Registration* AppserviceRegistry::find_by_as_token(std::string_view token) const {
  if (token.empty()) return nullptr;
  auto found = by_token_digest_.find(sha256(token));
  return found == by_token_digest_.end() ? nullptr : &found->second->registration;
}

const Registration* AppserviceRegistry::find_by_id(std::string_view id) const {
  auto found = by_id_.find(std::string(id));
  return found == by_id_.end() ? nullptr : &found->second->registration;
}

const std::string& AppserviceRegistry::sender_user_id(const Registration& registration) const {
  return entry_of(registration).sender;
}

bool AppserviceRegistry::user_in_namespace(const Registration& registration, std::string_view user_id) const {
  const auto& entry = entry_of(registration);
  if (user_id == entry.sender) return true;
  if (!is_local_user(user_id)) return false;
  return cached_match(entry.users, registration.namespaces.users, user_id);
}

bool AppserviceRegistry::is_interested_alias(const Registration& registration, std::string_view alias) const {
  const auto& entry = entry_of(registration);
  return cached_match(entry.aliases, registration.namespaces.aliases, alias);
}

bool AppserviceRegistry::is_interested_room(const Registration& registration, std::string_view room_id) const {
  const auto& entry = entry_of(registration);
  return cached_match(entry.rooms, registration.namespaces.rooms, room_id);
}

const Registration* AppserviceRegistry::exclusive_owner_of_user(std::string_view user_id,
                                                                const Registration* except) const {
  // Exclusive claims are asked about when ids are created, which is rare: no cache.
  bool local = is_local_user(user_id);
  for (const auto& entry : entries_) {
    if (&entry->registration == except) continue;
    if (user_id == entry->sender) return &entry->registration;
    if (local && any_matches(entry->registration.namespaces.users, user_id, /*exclusive_only=*/true))
      return &entry->registration;
  }
  return nullptr;
}

const Registration* AppserviceRegistry::exclusive_owner_of_alias(std::string_view alias,
                                                                 const Registration* except) const {
  for (const auto& entry : entries_) {
    if (&entry->registration == except) continue;
    if (any_matches(entry->registration.namespaces.aliases, alias, /*exclusive_only=*/true))
      return &entry->registration;
  }
  return nullptr;
}

std::size_t AppserviceRegistry::cached_answers(const Registration& registration) const {
  const auto& entry = entry_of(registration);
  return entry.users.size() + entry.aliases.size() + entry.rooms.size();
}

}  // namespace domovoy::appservice
