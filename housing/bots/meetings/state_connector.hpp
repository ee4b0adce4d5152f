#pragma once
// The state housing system's connector (ГИС ЖКХ, or the region's designated system): since
// 1 March 2025 (Federal Law 463-ФЗ) an electronic owners' meeting has legal force only there.
// The meetings bot publishes the notice through it, forwards the owners' decisions it collects,
// mirrors the running result into the owners' room and imports the official result at the end.
// The sandbox behaves like the real system, counting by the same law; a real connector (ГИС ЖКХ's
// SOAP services, signed with the operator's certificate) implements the same calls.
#include <cstdint>
#include <mutex>
#include <string>

#include "housing/law/meeting.hpp"

namespace domovoy::housing {

struct MeetingNotice {
  std::uint64_t number = 0;
  std::string building_id;  // the FIAS/GAR id the state system knows the building by
  std::string form, start, end;
  std::size_t questions = 0;
};

class StateSystemConnector {
 public:
  virtual ~StateSystemConnector() = default;
  virtual std::string name() const = 0;  // for the protocol: where the official result comes from
  // Publishes the notice; returns the state system's id of the meeting. Idempotent by number.
  virtual std::string publish(const MeetingNotice& notice) = 0;
  // The result as the state system counts it, from the decisions it holds (here: those given).
  virtual law::TallyResult result(const std::string& meeting_id, const law::MeetingTally& tally,
                                  const law::MeetingRules& rules) = 0;
};

class SandboxStateConnector : public StateSystemConnector {
 public:
  std::string name() const override { return "ГИС ЖКХ (песочница)"; }
  std::string publish(const MeetingNotice& notice) override;
  law::TallyResult result(const std::string& meeting_id, const law::MeetingTally& tally,
                          const law::MeetingRules& rules) override;
};

}  // namespace domovoy::housing
