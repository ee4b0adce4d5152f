#pragma once
// Which servers this one federates with (issue 9, "Policy"): a closed federation by default, of
// the servers the config's allow list names; `federation.open` lets any server in. The same
// answer decides who may call this server's federation API and where its requests may go. The
// signed federation list and room ACLs narrow it further where they apply.
#include <string>
#include <string_view>
#include <vector>

#include "homeserver/core/config.hpp"

namespace domovoy::federation {

class FederationList;

// Whether a lower-cased allow-list pattern names `server_name`: a pattern with a port names that
// server only; one without a port names the host on any port; "*.suffix" any host under suffix.
bool server_matches_pattern(std::string_view pattern, std::string_view server_name);

class FederationPolicy {
 public:
  // `signed_list`, when the config has one: a server must be on it too (with no allow list and
  // no open federation, the signed list alone decides).
  explicit FederationPolicy(const Config::Federation& config, const FederationList* signed_list = nullptr);

  // Whether `server_name` may federate with this server. A pattern with a port names that server
  // only; one without a port names the host on any port; "*.suffix" any host under suffix.
  bool allows(std::string_view server_name) const;

 private:
  bool open_ = false;
  const FederationList* signed_list_ = nullptr;
  std::vector<std::string> patterns_;  // lower-cased
};

}  // namespace domovoy::federation
