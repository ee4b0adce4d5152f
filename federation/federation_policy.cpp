#include "federation/federation_policy.hpp"

#include "federation/server_discovery.hpp"
#include "homeserver/core/case_fold.hpp"

namespace domovoy::federation {

FederationPolicy::FederationPolicy(const Config::Federation& config) : open_(config.open) {
  for (const auto& pattern : config.allow) patterns_.push_back(ascii_lower(pattern));
}

bool FederationPolicy::allows(std::string_view server_name) const {
  auto parts = split_server_name(server_name);
  if (!parts) return false;
  if (open_) return true;
  auto whole = ascii_lower(server_name);
  for (const auto& pattern : patterns_) {
    if (pattern == whole || pattern == parts->host) return true;
    if (pattern.starts_with("*.") && parts->host.size() > pattern.size() - 1 &&
        parts->host.ends_with(std::string_view(pattern).substr(1)))
      return true;
  }
  return false;
}

}  // namespace domovoy::federation
