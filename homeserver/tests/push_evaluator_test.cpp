// Push rule evaluation (homeserver/push/push_evaluator.hpp) against the spec's predefined rules:
// which rule decides, mentions, room mentions needing power, notices, edits, one-to-one rooms,
// display names as whole words, globs, and rules of kinds and conditions the user adds.
#include <gtest/gtest.h>

#include "homeserver/push/push_evaluator.hpp"
#include "homeserver/push/push_rules.hpp"

namespace domovoy {
namespace {

namespace json = boost::json;

constexpr const char* kUser = "@alice:example.org";

struct Message {
  json::object top;
  json::object content;
  PushEvent view() const { return PushEvent{top, &content}; }
};

Message message(json::object content, const std::string& type = "m.room.message", const std::string& sender = "@bob:example.org") {
  return {json::object{{"type", type}, {"sender", sender}, {"room_id", "!room:example.org"}}, std::move(content)};
}

PushContext context(std::uint64_t members = 10, std::int64_t sender_power = 0) {
  PushContext ctx;
  ctx.user_id = kUser;
  ctx.display_name = "Алиса";
  ctx.member_count = members;
  ctx.sender_power = sender_power;
  return ctx;
}

PushActions decide(const Message& event, const PushContext& ctx = context()) {
  static auto rules = compile_push_rules(default_push_rules(kUser));
  return evaluate_push_rules(rules, event.view(), ctx);
}

TEST(PushEvaluator, PredefinedRulesDecide) {
  auto plain = decide(message({{"msgtype", "m.text"}, {"body", "привет"}}));
  EXPECT_TRUE(plain.notify);
  EXPECT_FALSE(plain.highlight);
  EXPECT_EQ(plain.rule_id, ".m.rule.message");
  auto notice = decide(message({{"msgtype", "m.notice"}, {"body", "бот"}}));
  EXPECT_FALSE(notice.notify);
  EXPECT_EQ(notice.rule_id, ".m.rule.suppress_notices");
  auto mention = decide(message({{"body", "x"}, {"m.mentions", {{"user_ids", json::array{kUser}}}}}));
  EXPECT_TRUE(mention.highlight);
  EXPECT_EQ(mention.rule_id, ".m.rule.is_user_mention");
  auto room_low = decide(message({{"body", "x"}, {"m.mentions", {{"room", true}}}}));
  EXPECT_FALSE(room_low.highlight) << "@room from a sender below the notification level";
  auto room_high = decide(message({{"body", "x"}, {"m.mentions", {{"room", true}}}}), context(10, 50));
  EXPECT_TRUE(room_high.highlight);
  auto edit = decide(message({{"body", "* x"}, {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", "$e"}}}}));
  EXPECT_FALSE(edit.notify);
  EXPECT_EQ(edit.rule_id, ".m.rule.suppress_edits");
  auto direct = decide(message({{"msgtype", "m.text"}, {"body", "hi"}}), context(2));
  EXPECT_EQ(direct.rule_id, ".m.rule.room_one_to_one");
  EXPECT_EQ(direct.sound, "default");
  auto encrypted = decide(message({{"ciphertext", "..."}}, "m.room.encrypted"), context(2));
  EXPECT_EQ(encrypted.rule_id, ".m.rule.encrypted_room_one_to_one");
  auto reaction = decide(message({{"m.relates_to", {{"rel_type", "m.annotation"}}}}, "m.reaction"));
  EXPECT_FALSE(reaction.notify);
  Message invite = message({{"membership", "invite"}}, "m.room.member");
  invite.top["state_key"] = kUser;
  EXPECT_EQ(decide(invite).rule_id, ".m.rule.invite_for_me");
  Message other_invite = message({{"membership", "invite"}}, "m.room.member");
  other_invite.top["state_key"] = "@carol:example.org";
  EXPECT_FALSE(decide(other_invite).notify) << ".m.rule.member_event";
}

TEST(PushEvaluator, UserRulesAndConditions) {
  auto global = default_push_rules(kUser);
  global["override"].as_array().insert(
      global["override"].as_array().begin() + 1,
      json::object{{"rule_id", "name"}, {"enabled", true},
                   {"conditions", json::array{json::object{{"kind", "contains_display_name"}}}},
                   {"actions", json::array{"notify", json::object{{"set_tweak", "highlight"}}}}});
  global["content"].as_array().push_back(json::object{
      {"rule_id", "lift"}, {"enabled", true}, {"pattern", "лифт*"}, {"actions", json::array{"notify", json::object{{"set_tweak", "highlight"}}}}});
  global["room"].as_array().push_back(
      json::object{{"rule_id", "!muted:example.org"}, {"enabled", true}, {"actions", json::array{}}});
  global["override"].as_array().push_back(json::object{
      {"rule_id", "future"}, {"enabled", true},
      {"conditions", json::array{json::object{{"kind", "some_future_kind"}}}}, {"actions", json::array{"notify"}}});
  auto rules = compile_push_rules(global);
  auto eval = [&](json::object content, const std::string& room = "!room:example.org") {
    auto event = message(std::move(content));
    event.top["room_id"] = room;
    return evaluate_push_rules(rules, event.view(), context());
  };
  EXPECT_TRUE(eval({{"body", "Алиса, зайди"}}).highlight) << "the display name as a word, any case";
  EXPECT_TRUE(eval({{"body", "привет, АЛИСА!"}}).highlight);
  EXPECT_FALSE(eval({{"body", "Алисандра"}}).highlight) << "not inside another word";
  EXPECT_TRUE(eval({{"body", "Лифты встали"}}).highlight) << "content rule with a glob";
  EXPECT_FALSE(eval({{"body", "вертолифт"}}).highlight);
  auto muted = eval({{"body", "x"}}, "!muted:example.org");
  EXPECT_FALSE(muted.notify);
  EXPECT_EQ(muted.rule_id, "!muted:example.org");
  EXPECT_EQ(eval({{"body", "x"}}).rule_id, ".m.rule.message") << "a rule of an unknown condition kind never matches";
}

TEST(PushEvaluator, GlobsAndPaths) {
  EXPECT_TRUE(push_glob_matches("m.room.*", "m.room.message", false));
  EXPECT_FALSE(push_glob_matches("m.room.*", "m.reaction", false));
  EXPECT_TRUE(push_glob_matches("m.?oom.message", "M.ROOM.MESSAGE", false));
  EXPECT_FALSE(push_glob_matches("room", "m.room.message", false)) << "whole value unless words";
  EXPECT_TRUE(push_glob_matches("ремонт", "Когда ремонт?", true));
  EXPECT_FALSE(push_glob_matches("ремонт", "ремонтник", true));
  EXPECT_TRUE(push_glob_matches("ремонт*", "ремонтник", true));
  EXPECT_TRUE(push_glob_matches("ёлка", "ЕЛКА во дворе", true)) << "ё folds into е";
  // A key with an escaped dot reaches m.mentions.
  auto global = default_push_rules(kUser);
  auto rules = compile_push_rules(global);
  for (const auto& rule : rules.rules)
    if (rule.rule_id == ".m.rule.is_user_mention") {
      ASSERT_EQ(rule.conditions.size(), 1u);
      EXPECT_EQ(rule.conditions[0].key_path, (std::vector<std::string>{"content", "m.mentions", "user_ids"}));
    }
}

}  // namespace
}  // namespace domovoy
