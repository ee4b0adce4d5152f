#include "federation/federation_policy.hpp"

#include "federation/federation_list.hpp"
#include "federation/server_discovery.hpp"
#include "homeserver/core/case_fold.hpp"

namespace domovoy::federation {

bool server_matches_pattern(std::string_view pattern, std::string_view server_name) {
  auto parts = split_server_name(server_name);
  if (!parts) return false;
  auto whole = ascii_lower(server_name);
  if (pattern == whole || pattern == parts->host) return true;
  return pattern.starts_with("*.") && parts->host.size() > pattern.size() - 1 &&
         parts->host.ends_with(pattern.substr(1));
}

FederationPolicy::FederationPolicy(const Config::Federation& config, const FederationList* signed_list)
    : open_(config.open), signed_list_(signed_list) {
  for (const auto& pattern : config.allow) patterns_.push_back(ascii_lower(pattern));
}

bool FederationPolicy::allows(std::string_view server_name) const {
  if (!split_server_name(server_name)) return false;
  bool local = open_ || (patterns_.empty() && signed_list_);
  for (auto it = patterns_.begin(); !local && it != patterns_.end(); ++it) local = server_matches_pattern(*it, server_name);
  return local && (!signed_list_ || signed_list_->allows(server_name));
}

}  // namespace domovoy::federation
