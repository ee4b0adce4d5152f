#include "housing/bots/meetings/meeting_store.hpp"

#include "homeserver/core/json.hpp"
#include "housing/law/meeting.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::housing {

namespace json = boost::json;
using storage::Table;

namespace {

std::string meeting_key(std::uint64_t number) { return storage::key_prefix({"meeting"}) + storage::be64(number); }

json::object meeting_record(const Meeting& meeting) {
  json::array questions, supporters;
  for (const auto& question : meeting.questions)
    questions.push_back(json::object{{"title", question.title}, {"threshold", question.threshold}});
  for (const auto& supporter : meeting.supporters) supporters.push_back(json::value(supporter));
  return {{"number", meeting.number},
          {"building_id", meeting.building_id},
          {"form", meeting.form},
          {"start", meeting.start},
          {"end", meeting.end},
          {"questions", std::move(questions)},
          {"initiator", meeting.initiator},
          {"initiated_by", meeting.initiated_by},
          {"supporters", std::move(supporters)},
          {"status", meeting.status},
          {"created_at", meeting.created_at},
          {"notice_at", meeting.notice_at},
          {"closed_at", meeting.closed_at},
          {"state_system_id", meeting.state_system_id},
          {"protocol_plain", meeting.protocol_plain},
          {"protocol_html", meeting.protocol_html},
          {"quorum", meeting.quorum}};
}

Meeting parse_meeting(std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  Meeting meeting;
  meeting.number = static_cast<std::uint64_t>(optional_int(record, "number").value_or(0));
  meeting.building_id = optional_string(record, "building_id").value_or("");
  meeting.form = optional_string(record, "form").value_or("");
  meeting.start = optional_string(record, "start").value_or("");
  meeting.end = optional_string(record, "end").value_or("");
  if (const auto* questions = record.if_contains("questions"); questions && questions->is_array())
    for (const auto& entry : questions->as_array())
      meeting.questions.push_back({optional_string(entry.as_object(), "title").value_or(""),
                                   optional_string(entry.as_object(), "threshold").value_or("")});
  meeting.initiator = optional_string(record, "initiator").value_or("");
  meeting.initiated_by = optional_string(record, "initiated_by").value_or("");
  if (const auto* supporters = record.if_contains("supporters"); supporters && supporters->is_array())
    for (const auto& supporter : supporters->as_array())
      if (supporter.is_string()) meeting.supporters.emplace_back(supporter.as_string());
  meeting.status = optional_string(record, "status").value_or("");
  meeting.created_at = optional_int(record, "created_at").value_or(0);
  meeting.notice_at = optional_int(record, "notice_at").value_or(0);
  meeting.closed_at = optional_int(record, "closed_at").value_or(0);
  meeting.state_system_id = optional_string(record, "state_system_id").value_or("");
  meeting.protocol_plain = optional_string(record, "protocol_plain").value_or("");
  meeting.protocol_html = optional_string(record, "protocol_html").value_or("");
  meeting.quorum = optional_bool(record, "quorum").value_or(false);
  return meeting;
}

StoredBallot parse_ballot(std::string_view value) {
  auto record = parse_stored_json(value).as_object();
  StoredBallot ballot;
  ballot.apartment = optional_string(record, "apartment").value_or("");
  ballot.owner_index = static_cast<std::size_t>(optional_int(record, "owner_index").value_or(0));
  ballot.user_id = optional_string(record, "user_id").value_or("");
  ballot.source = optional_string(record, "source").value_or("");
  ballot.at = optional_int(record, "at").value_or(0);
  if (const auto* answers = record.if_contains("answers"); answers && answers->is_array())
    for (const auto& answer : answers->as_array()) ballot.answers.emplace_back(answer.is_string() ? answer.as_string() : "");
  return ballot;
}

}  // namespace

std::optional<Meeting> MeetingStore::find(std::uint64_t number) const {
  auto stored = database_.get(Table::meeting_meeting, meeting_key(number));
  if (!stored) return std::nullopt;
  return parse_meeting(*stored);
}

std::vector<Meeting> MeetingStore::of_building(const std::string& building_id) const {
  std::vector<Meeting> meetings;
  database_.scan_prefix(Table::meeting_meeting, storage::key_prefix({"meeting"}), [&](std::string_view, std::string_view value) {
    auto meeting = parse_meeting(value);
    if (meeting.building_id == building_id) meetings.push_back(std::move(meeting));
    return true;
  });
  return meetings;
}

std::vector<Meeting> MeetingStore::open_meetings() const {
  std::vector<Meeting> meetings;
  database_.scan_prefix(Table::meeting_meeting, storage::key_prefix({"meeting"}), [&](std::string_view, std::string_view value) {
    auto meeting = parse_meeting(value);
    if (meeting.status != "closed") meetings.push_back(std::move(meeting));
    return true;
  });
  return meetings;
}

void MeetingStore::stage(storage::WriteBatch& batch, const Meeting& meeting) {
  batch.put(Table::meeting_meeting, meeting_key(meeting.number), to_json(meeting_record(meeting)));
}

std::vector<StoredBallot> MeetingStore::ballots(std::uint64_t number) const {
  std::vector<StoredBallot> ballots;
  database_.scan_prefix(Table::meetingballot_ballot, storage::be64(number) + '\0', [&](std::string_view, std::string_view value) {
    ballots.push_back(parse_ballot(value));
    return true;
  });
  return ballots;
}

std::optional<StoredBallot> MeetingStore::ballot(std::uint64_t number, const std::string& voter) const {
  auto stored = database_.get(Table::meetingballot_ballot, storage::be64(number) + '\0' + voter);
  if (!stored) return std::nullopt;
  return parse_ballot(*stored);
}

void MeetingStore::stage_ballot(storage::WriteBatch& batch, std::uint64_t number, const StoredBallot& ballot) {
  json::array answers;
  for (const auto& answer : ballot.answers) answers.push_back(answer.empty() ? json::value(nullptr) : json::value(answer));
  json::object record{{"apartment", ballot.apartment}, {"owner_index", ballot.owner_index}, {"user_id", ballot.user_id},
                      {"source", ballot.source},       {"answers", std::move(answers)},    {"at", ballot.at}};
  batch.put(Table::meetingballot_ballot,
            storage::be64(number) + '\0' + law::owner_voter_id(ballot.apartment, ballot.owner_index), to_json(record));
}

std::optional<std::pair<std::uint64_t, std::size_t>> MeetingStore::poll(const std::string& event_id) const {
  auto stored = database_.get(Table::meeting_meeting, storage::join_key({"poll", event_id}));
  if (!stored || stored->size() != 16) return std::nullopt;
  return std::pair{storage::read_be64(*stored), static_cast<std::size_t>(storage::read_be64(std::string_view(*stored).substr(8)))};
}

void MeetingStore::stage_poll(storage::WriteBatch& batch, const std::string& event_id, std::uint64_t number,
                              std::size_t question) {
  batch.put(Table::meeting_meeting, storage::join_key({"poll", event_id}), storage::be64(number) + storage::be64(question));
}

}  // namespace domovoy::housing
