#pragma once
// «Собрания» (@meetings): owners' general meetings as the Housing Code has them (ст. 44–48):
// initiated by owners holding at least 10% of the votes (others join with `!поддерживаю N`) or
// by the management company, announced at least 10 days ahead in the owners' room, voted on by
// owners only, weighted by owned area × share, a second vote replacing the first until the end,
// paper ballots entered by the administrator, and at the end counted exactly, with quorum and
// each question's threshold, into a protocol posted in the owners' room. Electronic decisions
// have legal force through the state system (StateSystemConnector), or here only where the
// operator declared this server the region's designated system.
#include "housing/bots/bot.hpp"
#include "housing/bots/meetings/meeting_protocol.hpp"
#include "housing/bots/meetings/meeting_store.hpp"
#include "housing/bots/meetings/state_connector.hpp"
#include "housing/law/meeting.hpp"
#include "housing/process/housing_directory.hpp"

namespace domovoy::housing {

class MeetingsBot : public Bot {
 public:
  MeetingsBot(std::string user_id, HousingDirectory& directory, MeetingStore& meetings, BotStore& store,
              StateSystemConnector& connector, law::MeetingRules rules, bool designated_system);

  const std::string& user_id() const override { return user_id_; }
  bool knows(const Command& command) const override;
  bool personal(const std::string&) const override { return false; }
  void handle(CommandContext& context) override;
  Message help(Language language) const override;
  Text name() const override { return {"Собрания", "Meetings"}; }

  // An answer to one of the meeting's polls (org.matrix.msc3381.poll.response or m.poll.response).
  void on_poll_response(CommandContext& context, const boost::json::object& content);
  // The bot's own poll, as the homeserver sent it back: its event id is remembered.
  void on_own_poll(const std::string& event_id, const boost::json::object& content, storage::WriteBatch& batch);
  // Notices, the opening of voting with its polls, the last day, the mirrored running result and
  // the closing with its protocol, each once, as the dates come.
  void run_schedule(std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out);
  // The finished meetings of a building, for `!итоги` of @domovoy.
  Message past_results(const std::string& building_id, Language language) const;

  // A seat of an owner in a meeting: an apartment and the owner's index in the registry.
  struct Seat {
    const Apartment* apartment = nullptr;
    std::size_t owner_index = 0;
  };
  // The user's seats in the building: for each apartment the user is a verified owner of, the
  // owner of the registry they stand for (owners verified earlier take the first places).
  std::vector<Seat> seats_of(const std::string& user_id, const Building& building);

 private:
  void list(CommandContext& context, const Building& building);
  void create(CommandContext& context, const Building& building);
  void support(CommandContext& context);
  void vote(CommandContext& context, std::uint64_t number, std::size_t question, const std::string& choice);
  void ballot(CommandContext& context);
  void results(CommandContext& context);
  void schedule_one(Meeting& meeting, const std::shared_ptr<const Registry>& registry, std::chrono::year_month_day today,
                    std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out);
  void announce(Meeting& meeting, const Building& building, std::int64_t now_ms, storage::WriteBatch& batch, Conversation& out);
  law::MeetingTally tally_input(const Meeting& meeting, const Building& building,
                                std::vector<ProtocolParticipant>* participants) const;
  law::TallyResult count(const Meeting& meeting, const law::MeetingTally& tally);
  std::string counted_by() const;
  const Building* building_for(CommandContext& context);
  std::string owners_room(const std::string& building_id) const;

  std::string user_id_;
  HousingDirectory& directory_;
  MeetingStore& meetings_;
  BotStore& store_;
  StateSystemConnector& connector_;
  law::MeetingRules rules_;
  bool designated_system_;
};

}  // namespace domovoy::housing
