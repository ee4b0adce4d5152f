#include "housing/bots/meetings/state_connector.hpp"

#include <stdexcept>

namespace domovoy::housing {

std::string SandboxStateConnector::publish(const MeetingNotice& notice) {
  if (notice.questions == 0) throw std::invalid_argument("a meeting without questions cannot be published");
  return "GIS-SANDBOX-" + notice.building_id.substr(0, 8) + "-" + std::to_string(notice.number);
}

law::TallyResult SandboxStateConnector::result(const std::string& meeting_id, const law::MeetingTally& tally,
                                               const law::MeetingRules& rules) {
  if (meeting_id.rfind("GIS-SANDBOX-", 0) != 0) throw std::invalid_argument("unknown meeting " + meeting_id);
  return law::tally(tally, rules);
}

}  // namespace domovoy::housing
