#pragma once
// The user's push rules (client-server-api "Push Rules"): the spec's predefined rules with the
// user's own rules and changes to the predefined ones. They are kept where the spec shows them,
// in the user's global account data `m.push_rules`, so one write changes them and every client
// learns of it through /sync. What is stored is merged with the server's predefined rules when
// read: a rule the server adds in a later version appears, and the user's `enabled` and
// `actions` of a predefined rule are kept.
#include <boost/json/object.hpp>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "homeserver/push/push_evaluator.hpp"
#include "homeserver/sync/account_data_store.hpp"

namespace domovoy {

// The spec's predefined rules for `user_id` ({override, content, room, sender, underride}).
boost::json::object default_push_rules(const std::string& user_id);

class PushRules {
 public:
  using Wake = std::function<void(const std::string& user_id)>;
  PushRules(AccountDataStore& account_data, Wake wake) : account_data_(account_data), wake_(std::move(wake)) {}

  // The global ruleset as clients see it.
  boost::json::object ruleset(const std::string& user_id) const;
  // The same, compiled for evaluation (cached until the user's rules change).
  std::shared_ptr<const PushRuleSet> compiled(const std::string& user_id);

  // Each throws ApiError: 404 M_NOT_FOUND for an unknown rule (or before/after rule), 400
  // M_INVALID_PARAM for a malformed rule or a new rule whose id starts with '.'.
  void put_rule(const std::string& user_id, const std::string& kind, const std::string& rule_id,
                const boost::json::object& body, const std::string& before, const std::string& after);
  void delete_rule(const std::string& user_id, const std::string& kind, const std::string& rule_id);
  void set_enabled(const std::string& user_id, const std::string& kind, const std::string& rule_id, bool enabled);
  void set_actions(const std::string& user_id, const std::string& kind, const std::string& rule_id,
                   const boost::json::array& actions);
  // One rule as clients see it; nullopt when unknown.
  std::optional<boost::json::object> rule(const std::string& user_id, const std::string& kind,
                                          const std::string& rule_id) const;

  static bool is_kind(std::string_view kind);

 private:
  void change(const std::string& user_id, const std::function<void(boost::json::object& global)>& edit);
  std::mutex& lock_for(const std::string& user_id) {
    return user_locks_[std::hash<std::string>{}(user_id) % user_locks_.size()];
  }

  AccountDataStore& account_data_;
  Wake wake_;
  std::array<std::mutex, 64> user_locks_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const PushRuleSet>> compiled_;
};

}  // namespace domovoy
