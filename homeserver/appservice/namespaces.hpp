#pragma once
// The loaded application services and the questions the server asks about them: whose as_token
// is this, is this user / alias / room in an appservice's namespaces, and which appservice claims
// an id exclusively (application service API "Registration").
//
// Rules, from the spec and as Synapse applies them:
// - The users namespaces cover local users only ("application services can only register
//   interest in local users"); a remote user id is in no appservice's namespace.
// - An appservice's sender user (@sender_localpart:server_name) counts as in its users namespace
//   and as claimed exclusively by it.
// - Alias and room namespaces are not limited to this server.
// Regexes match from the start of the id, as in Synapse (namespace_matches in registration.hpp).
//
// Immutable after construction except for the match caches, so every method may be called from
// any thread. The Registration pointers it hands out live as long as the registry.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "homeserver/appservice/match_cache.hpp"
#include "homeserver/appservice/registration.hpp"

namespace domovoy::appservice {

class AppserviceRegistry {
 public:
  // Answers remembered per appservice and per kind of id (users, aliases, rooms); about 100 bytes
  // an entry, so the default bounds each cache near 10 MB.
  static constexpr std::size_t kDefaultCacheEntries = 100000;

  // Throws RegistrationError when two registrations clash (check_distinct) or when a sender user
  // id is not a valid user id on `server_name` (too long, for one).
  AppserviceRegistry(std::vector<Registration> registrations, std::string server_name,
                     std::size_t cache_entries = kDefaultCacheEntries);
  ~AppserviceRegistry();
  AppserviceRegistry(const AppserviceRegistry&) = delete;
  AppserviceRegistry& operator=(const AppserviceRegistry&) = delete;

  // Every registration, in the order given.
  const std::vector<const Registration*>& all() const { return all_; }
  bool empty() const { return all_.empty(); }
  const std::string& server_name() const { return server_name_; }

  // The appservice whose as_token this is, or nullptr. The token is hashed (sha256) and looked
  // up by its digest, so the time taken says nothing about how much of a real token it matches.
  const Registration* find_by_as_token(std::string_view token) const;
  // For /_matrix/client/v1/appservice/{appserviceId}/ping.
  const Registration* find_by_id(std::string_view id) const;

  // "@<sender_localpart>:<server_name>".
  const std::string& sender_user_id(const Registration& registration) const;

  // A local user matching one of the users namespaces, or the appservice's sender. This is the
  // test for masquerading (?user_id=), for m.login.application_service registration and for
  // whether an event's target makes the appservice interested.
  bool user_in_namespace(const Registration& registration, std::string_view user_id) const;
  // The spec's word for the same test.
  bool is_interested_user(const Registration& registration, std::string_view user_id) const {
    return user_in_namespace(registration, user_id);
  }
  bool is_interested_alias(const Registration& registration, std::string_view alias) const;
  bool is_interested_room(const Registration& registration, std::string_view room_id) const;

  // The first appservice other than `except` that claims the id exclusively, or nullptr.
  // A user is claimed by an exclusive users namespace or by being an appservice's sender. Pass the
  // asking appservice as `except` when it registers a user or creates an alias itself; pass
  // nullptr when a human does.
  const Registration* exclusive_owner_of_user(std::string_view user_id, const Registration* except = nullptr) const;
  const Registration* exclusive_owner_of_alias(std::string_view alias, const Registration* except = nullptr) const;

  // How many answers the registration's caches hold (for tests and metrics).
  std::size_t cached_answers(const Registration& registration) const;

 private:
  struct Entry;
  const Entry& entry_of(const Registration& registration) const;
  bool is_local_user(std::string_view user_id) const;

  std::string server_name_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<const Registration*> all_;
  std::unordered_map<std::string, const Entry*> by_token_digest_;
  std::unordered_map<std::string, const Entry*> by_id_;
  std::unordered_map<const Registration*, const Entry*> by_registration_;
};

}  // namespace domovoy::appservice
