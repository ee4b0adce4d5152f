// State resolution v2 (and room version 12's variant) on small forked rooms built here: each
// case states what the spec's algorithm must pick and why (power events first in reverse
// topological power order, the rest in mainline order, the unconflicted state on top).
#include "homeserver/rooms/state_resolution.hpp"

#include <gtest/gtest.h>

#include "homeserver/tests/auth_fixture.hpp"

namespace domovoy {
namespace {

using boost::json::object;
using test::create_pdu;

const std::string kAlice = "@alice:a.example";  // the creator
const std::string kBob = "@bob:a.example";
const std::string kCharlie = "@charlie:a.example";
const std::string kDave = "@dave:a.example";

class Dag {
 public:
  explicit Dag(const RoomVersion& version) : version_(version) {
    auto pdu = create_pdu(version, kAlice);
    create_id_ = event_id_of(pdu, version);
    room_id_ = version.room_id_from_create ? "!" + create_id_.substr(1) : std::string(pdu.at("room_id").as_string());
    events_[create_id_] = Event::from_pdu(std::move(pdu), create_id_, room_id_);
  }

  const std::string& create_id() const { return create_id_; }

  // A state event with the given auth events (the create event is added where the version cites it).
  std::string add(const std::string& id, const std::string& type, const std::string& state_key,
                  const std::string& sender, object content, std::vector<std::string> auth, std::int64_t ts) {
    boost::json::array auth_ids;
    if (!version_.room_id_from_create) auth_ids.emplace_back(create_id_);
    for (const auto& a : auth) auth_ids.emplace_back(a);
    object pdu{{"type", type},       {"state_key", state_key}, {"sender", sender},
               {"content", content}, {"room_id", room_id_},    {"origin_server_ts", ts},
               {"depth", 2},         {"prev_events", boost::json::array{}}, {"auth_events", auth_ids}};
    events_[id] = Event::from_pdu(std::move(pdu), id, room_id_);
    return id;
  }

  StateMap state(const std::vector<std::string>& ids) const {
    StateMap state;
    for (const auto& id : ids) {
      const auto& event = events_.at(id);
      state[StateKey{event->type, *event->state_key}] = id;
    }
    return state;
  }

  StateMap resolve(const std::vector<StateMap>& states) const {
    EventFetch fetch = [this](std::string_view id) -> EventPtr {
      auto found = events_.find(std::string(id));
      return found == events_.end() ? nullptr : found->second;
    };
    return resolve_state(version_, states, fetch, create_id_);
  }

  // Users' levels: v12 creators have infinite power and may not be listed.
  object levels(object users) const {
    if (!version_.room_id_from_create) users[kAlice] = 100;
    return object{{"users", std::move(users)}};
  }

 private:
  const RoomVersion& version_;
  std::string create_id_;
  std::string room_id_;
  std::map<std::string, EventPtr> events_;
};

class StateResolution : public ::testing::TestWithParam<const char*> {
 protected:
  StateResolution() : dag(test::room_version(GetParam())) {
    dag.add("$ima", "m.room.member", kAlice, kAlice, {{"membership", "join"}}, {}, 1);
    dag.add("$ipower", "m.room.power_levels", "", kAlice, dag.levels({{kBob, 50}}), {"$ima"}, 2);
    dag.add("$ijr", "m.room.join_rules", "", kAlice, {{"join_rule", "public"}}, {"$ima", "$ipower"}, 3);
    dag.add("$imb", "m.room.member", kBob, kBob, {{"membership", "join"}}, {"$ijr", "$ipower"}, 4);
    dag.add("$imc", "m.room.member", kCharlie, kCharlie, {{"membership", "join"}}, {"$ijr", "$ipower"}, 5);
  }
  std::vector<std::string> base() const { return {dag.create_id(), "$ima", "$ipower", "$ijr", "$imb", "$imc"}; }
  std::vector<std::string> base_with(std::vector<std::string> more) const {
    auto ids = base();
    // Later ids replace earlier ones of the same key when the state map is built.
    ids.insert(ids.end(), more.begin(), more.end());
    return ids;
  }
  std::string at(const StateMap& state, const std::string& type, const std::string& key = "") const {
    auto found = state.find(StateKey{type, key});
    return found == state.end() ? "" : found->second;
  }
  Dag dag;
};

TEST_P(StateResolution, OneStateOrAgreeingStatesAreTheirOwnResolution) {
  auto state = dag.state(base());
  EXPECT_EQ(dag.resolve({state}), state);
  EXPECT_EQ(dag.resolve({state, state}), state);
  EXPECT_TRUE(dag.resolve({}).empty());
}

TEST_P(StateResolution, BanBeatsAConcurrentPowerChangeByTheBannedUser) {
  // Alice bans Bob while Bob, concurrently, changes the power levels. Alice's ban sorts first
  // (greater power); once Bob is banned his change no longer passes the auth rules.
  dag.add("$mb", "m.room.member", kBob, kAlice, {{"membership", "ban"}}, {"$ima", "$ipower", "$imb"}, 10);
  dag.add("$pb", "m.room.power_levels", "", kBob, dag.levels({{kBob, 50}, {kCharlie, 50}}), {"$imb", "$ipower"}, 20);
  auto resolved = dag.resolve({dag.state(base_with({"$mb"})), dag.state(base_with({"$pb"}))});
  EXPECT_EQ(at(resolved, "m.room.member", kBob), "$mb");
  EXPECT_EQ(at(resolved, "m.room.power_levels"), "$ipower");
  EXPECT_EQ(at(resolved, "m.room.member", kCharlie), "$imc") << "unconflicted state is kept";
}

TEST_P(StateResolution, ConcurrentTopicsByOneSenderGoByTimestamp) {
  dag.add("$t_late", "m.room.topic", "", kAlice, {{"topic", "late"}}, {"$ima", "$ipower"}, 20);
  dag.add("$t_early", "m.room.topic", "", kAlice, {{"topic", "early"}}, {"$ima", "$ipower"}, 10);
  auto resolved = dag.resolve({dag.state(base_with({"$t_late"})), dag.state(base_with({"$t_early"}))});
  // Same mainline position: the earlier is applied first, so the later one stands.
  EXPECT_EQ(at(resolved, "m.room.topic"), "$t_late");
  // The order of the states does not matter.
  resolved = dag.resolve({dag.state(base_with({"$t_early"})), dag.state(base_with({"$t_late"}))});
  EXPECT_EQ(at(resolved, "m.room.topic"), "$t_late");
}

TEST_P(StateResolution, MainlineOrderBeatsTimestamps) {
  // Fork A: Alice makes Charlie a moderator, then Charlie sets a topic citing that power level.
  // Fork B: Alice sets a topic later, citing the older power levels. Charlie's topic is based
  // on a later point of the mainline, so it is applied last and stands.
  dag.add("$pl2", "m.room.power_levels", "", kAlice, dag.levels({{kBob, 50}, {kCharlie, 50}}), {"$ima", "$ipower"}, 10);
  dag.add("$t_charlie", "m.room.topic", "", kCharlie, {{"topic", "charlie"}}, {"$pl2", "$imc"}, 11);
  dag.add("$t_alice", "m.room.topic", "", kAlice, {{"topic", "alice"}}, {"$ima", "$ipower"}, 50);
  auto resolved = dag.resolve({dag.state(base_with({"$pl2", "$t_charlie"})), dag.state(base_with({"$t_alice"}))});
  EXPECT_EQ(at(resolved, "m.room.power_levels"), "$pl2");
  EXPECT_EQ(at(resolved, "m.room.topic"), "$t_charlie");
}

TEST_P(StateResolution, EventsThatFailTheAuthRulesDropOut) {
  // Dave never joined: his topic passes no auth check and does not survive resolution.
  dag.add("$t_alice", "m.room.topic", "", kAlice, {{"topic", "alice"}}, {"$ima", "$ipower"}, 10);
  dag.add("$t_dave", "m.room.topic", "", kDave, {{"topic", "dave"}}, {"$ipower"}, 99);
  auto resolved = dag.resolve({dag.state(base_with({"$t_alice"})), dag.state(base_with({"$t_dave"}))});
  EXPECT_EQ(at(resolved, "m.room.topic"), "$t_alice");
}

TEST_P(StateResolution, PowerEventsTieOnTimestampThenEventId) {
  // Two concurrent power level changes by Alice at the same time: the smaller event id goes
  // first, so the other one is the result.
  dag.add("$pl_b", "m.room.power_levels", "", kAlice, dag.levels({{kBob, 40}}), {"$ima", "$ipower"}, 10);
  dag.add("$pl_a", "m.room.power_levels", "", kAlice, dag.levels({{kBob, 30}}), {"$ima", "$ipower"}, 10);
  auto resolved = dag.resolve({dag.state(base_with({"$pl_a"})), dag.state(base_with({"$pl_b"}))});
  EXPECT_EQ(at(resolved, "m.room.power_levels"), "$pl_b");
  // An earlier timestamp goes first whatever the id.
  dag.add("$pl_c", "m.room.power_levels", "", kAlice, dag.levels({{kBob, 20}}), {"$ima", "$ipower"}, 5);
  resolved = dag.resolve({dag.state(base_with({"$pl_a"})), dag.state(base_with({"$pl_c"}))});
  EXPECT_EQ(at(resolved, "m.room.power_levels"), "$pl_a");
}

TEST_P(StateResolution, HigherPowerSortsFirstAmongPowerEvents) {
  // Bob (50) and Alice (creator) change join rules concurrently; Bob's is later in time but
  // Alice's sorts first by power, so Bob's, applied last, stands (it is allowed: Bob has 50).
  dag.add("$jr_bob", "m.room.join_rules", "", kBob, {{"join_rule", "invite"}}, {"$imb", "$ipower"}, 5);
  dag.add("$jr_alice", "m.room.join_rules", "", kAlice, {{"join_rule", "knock"}}, {"$ima", "$ipower"}, 30);
  auto resolved = dag.resolve({dag.state(base_with({"$jr_bob"})), dag.state(base_with({"$jr_alice"}))});
  EXPECT_EQ(at(resolved, "m.room.join_rules"), "$jr_bob");
}

TEST_P(StateResolution, AJoinAfterAConcurrentBanIsUndone) {
  // Alice bans Charlie; concurrently Charlie changes his display name (a join). The ban is a
  // power event, applied first; the rejoin then fails the auth rules.
  dag.add("$ban_c", "m.room.member", kCharlie, kAlice, {{"membership", "ban"}}, {"$ima", "$ipower", "$imc"}, 10);
  dag.add("$rename_c", "m.room.member", kCharlie, kCharlie, {{"membership", "join"}, {"displayname", "C"}},
          {"$ijr", "$ipower", "$imc"}, 20);
  auto resolved = dag.resolve({dag.state(base_with({"$ban_c"})), dag.state(base_with({"$rename_c"}))});
  EXPECT_EQ(at(resolved, "m.room.member", kCharlie), "$ban_c");
}

TEST_P(StateResolution, UnknownEventsTakeNoPart) {
  auto with_unknown = dag.state(base());
  with_unknown[StateKey{"m.room.topic", ""}] = "$nobody-has-this";
  dag.add("$t_alice", "m.room.topic", "", kAlice, {{"topic", "alice"}}, {"$ima", "$ipower"}, 10);
  auto resolved = dag.resolve({with_unknown, dag.state(base_with({"$t_alice"}))});
  EXPECT_EQ(at(resolved, "m.room.topic"), "$t_alice");
}

INSTANTIATE_TEST_SUITE_P(RoomVersions, StateResolution, ::testing::Values("10", "11", "12"));

}  // namespace
}  // namespace domovoy
