// UnreadCounts (sync/unread_counts.hpp) over a real RoomEngine and ReceiptStore: what counts and
// highlights, what resets the count, and that counts brought forward from an earlier at() are
// the counts a fresh UnreadCounts computes from scratch.
#include <gtest/gtest.h>

#include <random>

#include "homeserver/sync/receipt_store.hpp"
#include "homeserver/sync/unread_counts.hpp"
#include "homeserver/tests/engine_fixture.hpp"

namespace domovoy {
namespace {

const std::string kAlice = "@alice:example.org";
const std::string kBob = "@bob:example.org";
const std::string kCarol = "@carol:example.org";

class UnreadCountsTest : public test::EngineTest {
 protected:
  UnreadCountsTest() {
    receipts = std::make_unique<ReceiptStore>(*database, *stream);
    account_data = std::make_unique<AccountDataStore>(*database, *stream);
    push_rules = std::make_unique<PushRules>(*account_data, nullptr);
    unread = std::make_unique<UnreadCounts>(*rooms, *receipts, *push_rules);
    room = create_room(kAlice);
    join(room, kBob);
    join(room, kCarol);
  }

  // "notifications/highlights" of `user` now, from the long-lived instance.
  std::string counts(const std::string& user = kAlice) { return counts_at(*unread, user, rooms->current_stream()); }
  // The same from an instance that has counted nothing before.
  std::string fresh_counts(const std::string& user, std::uint64_t up_to) {
    UnreadCounts fresh(*rooms, *receipts, *push_rules);
    return counts_at(fresh, user, up_to);
  }
  std::string counts_at(UnreadCounts& instance, const std::string& user, std::uint64_t up_to) {
    auto count = instance.at(user, room, up_to).total;
    return std::to_string(count.notifications) + "/" + std::to_string(count.highlights);
  }

  // Every count of the room: "total main [root:n/h ...]", for comparing whole answers.
  std::string detail_at(UnreadCounts& instance, const std::string& user, std::uint64_t up_to) {
    auto unread = instance.at(user, room, up_to);
    auto show = [](const UnreadCount& count) {
      return std::to_string(count.notifications) + "/" + std::to_string(count.highlights);
    };
    std::string out = show(unread.total) + " " + show(unread.main);
    for (const auto& [root, count] : unread.threads) out += " " + root + ":" + show(count);
    return out;
  }
  std::string detail(const std::string& user = kAlice) { return detail_at(*unread, user, rooms->current_stream()); }
  EventPtr in_thread(const std::string& sender, const EventPtr& root) {
    return message(room, sender,
                   {{"msgtype", "m.text"},
                    {"body", "в треде"},
                    {"m.relates_to", {{"rel_type", "m.thread"}, {"event_id", root->event_id}}}});
  }
  void read_thread(const std::string& user, const EventPtr& event, const std::string& thread,
                   const std::string& type = "m.read") {
    receipts->put(Receipt{room, type, user, event->event_id, 0, thread, 0});
  }

  EventPtr notice(const std::string& sender) { return message(room, sender, {{"msgtype", "m.notice"}, {"body", "bot"}}); }
  EventPtr mention(const std::string& sender, const std::string& user) {
    return message(room, sender,
                   {{"msgtype", "m.text"}, {"body", "hi"}, {"m.mentions", {{"user_ids", boost::json::array{user.c_str()}}}}});
  }
  EventPtr room_mention(const std::string& sender) {
    return message(room, sender, {{"msgtype", "m.text"}, {"body", "all"}, {"m.mentions", {{"room", true}}}});
  }
  void read(const std::string& user, const EventPtr& event, const std::string& type = "m.read") {
    receipts->put(Receipt{room, type, user, event->event_id, 0, "", 0});
  }

  std::unique_ptr<ReceiptStore> receipts;
  std::unique_ptr<AccountDataStore> account_data;
  std::unique_ptr<PushRules> push_rules;
  std::unique_ptr<UnreadCounts> unread;
  std::string room;
};

TEST_F(UnreadCountsTest, CountsMessagesFromOthers) {
  EXPECT_EQ(counts(), "0/0") << "joins are not messages";
  text(room, kBob);
  text(room, kBob);
  EXPECT_EQ(counts(), "2/0");
  text(room, kCarol);
  EXPECT_EQ(counts(), "3/0");
  send(room, state_draft(kAlice, "m.room.topic", "", {{"topic", "t"}}));  // own event: everything before is read
  EXPECT_EQ(counts(), "0/0");
  send(room, state_draft(kBob, "m.room.name", "", {{"name", "n"}}));
  EXPECT_EQ(counts(), "0/0") << "state events do not notify";
  EXPECT_EQ(counts(kBob), "0/0");
  EXPECT_EQ(counts(kCarol), "0/0") << "the topic of alice and the name of bob are no messages";
}

TEST_F(UnreadCountsTest, EncryptedEventsCount) {
  EventDraft encrypted;
  encrypted.type = "m.room.encrypted";
  encrypted.sender = kBob;
  encrypted.content = {{"algorithm", "m.megolm.v1.aes-sha2"}, {"ciphertext", "AAAA"}};
  send(room, encrypted);
  EXPECT_EQ(counts(), "1/0");
}

TEST_F(UnreadCountsTest, NoticesDoNotCount) {
  notice(kBob);
  EXPECT_EQ(counts(), "0/0");
  text(room, kBob);
  notice(kCarol);
  EXPECT_EQ(counts(), "1/0");
}

TEST_F(UnreadCountsTest, MentionsHighlight) {
  mention(kBob, kAlice);
  EXPECT_EQ(counts(), "1/1");
  EXPECT_EQ(counts(kCarol), "1/0") << "a mention of alice is a plain message for carol";
  mention(kBob, kCarol);
  EXPECT_EQ(counts(), "2/1");
  EXPECT_EQ(counts(kCarol), "2/1");
  room_mention(kBob);
  EXPECT_EQ(counts(), "3/1") << "@room highlights only from a sender with the room notification power (50)";
  EXPECT_EQ(counts(kCarol), "3/1");
  message(room, kBob, {{"msgtype", "m.text"}, {"body", "x"}, {"m.mentions", {{"room", false}, {"user_ids", boost::json::array{}}}}});
  EXPECT_EQ(counts(), "4/1");
  message(room, kBob, {{"msgtype", "m.notice"}, {"body", "x"}, {"m.mentions", {{"room", true}}}});
  EXPECT_EQ(counts(), "4/1") << "a notice does not count, even one that mentions";
}

TEST_F(UnreadCountsTest, RoomMentionFromAModeratorHighlights) {
  room_mention(kAlice);  // the room's creator (power 100)
  EXPECT_EQ(counts(kCarol), "1/1");
  EXPECT_EQ(counts(kBob), "1/1");
}

TEST_F(UnreadCountsTest, TheUsersOwnRulesDecide) {
  text(room, kBob);
  EXPECT_EQ(counts(), "1/0");
  // Alice mutes the room with a room rule: nothing counts; unmuting counts again.
  push_rules->put_rule(kAlice, "room", room, boost::json::object{{"actions", boost::json::array{}}}, "", "");
  EXPECT_EQ(counts(), "0/0");
  text(room, kBob);
  EXPECT_EQ(counts(), "0/0");
  push_rules->delete_rule(kAlice, "room", room);
  EXPECT_EQ(counts(), "2/0");
  // A keyword rule highlights messages with the word.
  push_rules->put_rule(kAlice, "content", "lift",
                       boost::json::object{{"pattern", "лифт"},
                                           {"actions", boost::json::array{"notify", boost::json::object{{"set_tweak", "highlight"}}}}},
                       "", "");
  message(room, kBob, {{"msgtype", "m.text"}, {"body", "Опять ЛИФТ сломан"}});
  message(room, kBob, {{"msgtype", "m.text"}, {"body", "лифтёр придёт"}});
  EXPECT_EQ(counts(), "4/1") << "a whole word only";
  EXPECT_EQ(counts(kCarol), "4/0") << "alice's rules are alice's";
  // Disabling the predefined message rule leaves plain messages uncounted: the unread ones are
  // counted again under the rules as they are now, so only the keyword's message remains.
  push_rules->set_enabled(kAlice, "underride", ".m.rule.message", false);
  text(room, kBob);
  EXPECT_EQ(counts(), "1/1");
}

TEST_F(UnreadCountsTest, OwnMessageResets) {
  text(room, kBob);
  mention(kBob, kAlice);
  EXPECT_EQ(counts(), "2/1");
  text(room, kAlice);
  EXPECT_EQ(counts(), "0/0");
  EXPECT_EQ(counts(kBob), "1/0");
  text(room, kBob);
  EXPECT_EQ(counts(), "1/0");
  EXPECT_EQ(counts(kBob), "0/0");
}

TEST_F(UnreadCountsTest, CountsRestartAfterTheReadReceipt) {
  auto first = text(room, kBob);
  auto second = mention(kBob, kAlice);
  text(room, kBob);
  EXPECT_EQ(counts(), "3/1");
  read(kAlice, first);
  EXPECT_EQ(counts(), "2/1");
  read(kAlice, second);
  EXPECT_EQ(counts(), "1/0");
  auto fourth = text(room, kCarol);
  EXPECT_EQ(counts(), "2/0");
  read(kAlice, fourth, "m.read.private");
  EXPECT_EQ(counts(), "0/0") << "a private receipt counts as well";
  text(room, kBob);
  EXPECT_EQ(counts(), "1/0");
  read(kBob, fourth);
  EXPECT_EQ(counts(), "1/0") << "another user's receipt changes nothing for alice";
}

TEST_F(UnreadCountsTest, CountsAtAnEarlierPosition) {
  auto first = text(room, kBob);
  auto second = text(room, kBob);
  text(room, kBob);
  EXPECT_EQ(counts(), "3/0");
  EXPECT_EQ(counts_at(*unread, kAlice, first->stream), "1/0");
  EXPECT_EQ(counts_at(*unread, kAlice, second->stream), "2/0");
  EXPECT_EQ(counts(), "3/0");
}

TEST_F(UnreadCountsTest, CountsPastManyPages) {
  // count_between reads the room in pages; 40 messages need several.
  for (int i = 0; i < 40; ++i) i % 5 == 0 ? notice(kBob) : text(room, kBob);
  EXPECT_EQ(counts(), "32/0");
  EXPECT_EQ(fresh_counts(kAlice, rooms->current_stream()), "32/0");
}

// A receipt on an event newer than the position counted at: the events up to the receipt are
// read, also when the next count is brought forward from this one.
TEST_F(UnreadCountsTest, ReceiptBeyondTheCountedPosition) {
  auto before = text(room, kBob);
  text(room, kBob);
  auto read_event = text(room, kBob);
  read(kAlice, read_event);
  EXPECT_EQ(counts_at(*unread, kAlice, before->stream), "0/0");
  text(room, kBob);
  EXPECT_EQ(counts(), fresh_counts(kAlice, rooms->current_stream()));
  EXPECT_EQ(counts(), "1/0");
}

TEST_F(UnreadCountsTest, ThreadedReceiptsReadTheirOwnTimeline) {
  auto root = text(room, kBob);
  auto first = in_thread(kBob, root);
  in_thread(kBob, root);
  auto later = text(room, kBob);
  const auto& r = root->event_id;
  EXPECT_EQ(detail(), "4/0 2/0 " + r + ":2/0") << "the root is in the main timeline";
  read_thread(kAlice, later, "main");
  EXPECT_EQ(detail(), "2/0 0/0 " + r + ":2/0") << "a receipt for main leaves the thread unread";
  read_thread(kAlice, first, r);
  EXPECT_EQ(detail(), "1/0 0/0 " + r + ":1/0");
  // A message related to one in the thread is in the thread; one related to the root is in main.
  auto reply = in_thread(kCarol, root);
  auto reference = [&](const EventPtr& target) {
    message(room, kBob, {{"msgtype", "m.text"},
                         {"body", "см. выше"},
                         {"m.relates_to", {{"rel_type", "m.reference"}, {"event_id", target->event_id}}}});
  };
  reference(reply);
  reference(root);
  EXPECT_EQ(detail(), "4/0 1/0 " + r + ":3/0");
  // An unthreaded receipt reads everything before its event, in every thread.
  auto last = text(room, kCarol);
  read(kAlice, last);
  EXPECT_EQ(detail(), "0/0 0/0");
}

TEST_F(UnreadCountsTest, OwnMessageInAThreadReadsThatThread) {
  auto root = text(room, kBob);
  read_thread(kAlice, root, "main");  // alice's client reads by thread
  in_thread(kBob, root);
  text(room, kBob);
  EXPECT_EQ(detail(), "2/0 1/0 " + root->event_id + ":1/0");
  in_thread(kAlice, root);
  EXPECT_EQ(detail(), "1/0 1/0") << "alice's reply reads the thread, not the main timeline";
  // A client that has never sent a threaded receipt: an own message reads the whole room.
  in_thread(kCarol, root);
  text(room, kBob);
  EXPECT_EQ(counts(kBob), "0/0") << "bob's message reads the thread before it too";
  in_thread(kCarol, root);
  EXPECT_EQ(counts(kBob), "1/0");
  EXPECT_EQ(detail(), "4/0 2/0 " + root->event_id + ":2/0");
}

// The property that makes the kept counts safe: however at() was called before, it answers
// what a fresh instance computes from scratch.
TEST_F(UnreadCountsTest, BroughtForwardCountsEqualCountsFromScratch) {
  std::mt19937 random(20240611);  // fixed: the same sequence on every run
  std::vector<EventPtr> events;
  std::vector<EventPtr> roots;
  const std::vector<std::string> users{kAlice, kBob, kCarol};
  for (int step = 0; step < 200; ++step) {
    const auto& actor = users[random() % users.size()];
    const auto& other = users[random() % users.size()];
    switch (random() % 11) {
      case 0:
      case 1:
        events.push_back(text(room, actor));
        break;
      case 2:
        events.push_back(notice(actor));
        break;
      case 3:
        events.push_back(mention(actor, other));
        break;
      case 4:
        events.push_back(room_mention(actor));
        break;
      case 5:
      case 6:
        if (!events.empty()) {
          // Mostly recent events, now and then an older one (receipts can go back).
          auto span = std::min<std::size_t>(events.size(), random() % 4 == 0 ? events.size() : 6);
          read(actor, events[events.size() - 1 - random() % span], random() % 3 == 0 ? "m.read.private" : "m.read");
        }
        break;
      case 7:
        break;  // no change: at() twice at one position
      case 8:
        if (!roots.empty()) events.push_back(in_thread(actor, roots[random() % roots.size()]));
        break;
      case 9:
        if (!events.empty()) {
          auto span = std::min<std::size_t>(events.size(), 6);
          const auto& target = events[events.size() - 1 - random() % span];
          std::string thread = target->content().contains("m.relates_to")
                                   ? std::string(target->content().at("m.relates_to").at("event_id").as_string())
                                   : "main";
          read_thread(actor, target, thread, random() % 3 == 0 ? "m.read.private" : "m.read");
        }
        break;
      case 10:
        roots.push_back(text(room, actor));
        events.push_back(roots.back());
        break;
    }
    auto now = rooms->current_stream();
    for (const auto& user : users) {
      ASSERT_EQ(counts_at(*unread, user, now), fresh_counts(user, now)) << "step " << step << " " << user;
      UnreadCounts fresh(*rooms, *receipts, *push_rules);
      ASSERT_EQ(detail_at(*unread, user, now), detail_at(fresh, user, now)) << "step " << step << " " << user;
    }
    if (step % 7 == 3) {
      // Now and then a count at an earlier position, as a slower /sync would ask.
      auto earlier = now - 1 - random() % std::min<std::uint64_t>(now - 1, 10);
      for (const auto& user : users)
        ASSERT_EQ(counts_at(*unread, user, earlier), fresh_counts(user, earlier)) << "step " << step << " " << user;
    }
  }
}

}  // namespace
}  // namespace domovoy
