// What the housing process remembers (housing/process/bot_store.hpp): the outbox's sequence goes
// on across a restart, so a reply's transaction id is never reused; handled marks and direct
// rooms in both directions; numbers counted from 1.
#include <gtest/gtest.h>

#include "homeserver/tests/test_support.hpp"
#include "housing/process/bot_store.hpp"

namespace domovoy::housing {
namespace {

TEST(BotStore, OutboxSequenceGoesOnAfterAReopen) {
  test::TempDir dir;
  std::uint64_t last = 0;
  {
    auto database = storage::Database::open({dir.str("db"), false, 8});
    BotStore store(*database);
    storage::WriteBatch batch;
    for (int i = 0; i < 3; ++i) store.stage_reply(batch, OutgoingMessage{0, "@meters:x", "!room:x", "", "m.room.message", {{"body", i}}});
    database->write(std::move(batch));
    auto pending = store.pending_replies(10);
    ASSERT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending[0].seq + 2, pending[2].seq);
    for (const auto& message : pending) store.reply_sent(message.seq);
    last = pending[2].seq;
    EXPECT_TRUE(store.pending_replies(10).empty());
  }
  auto database = storage::Database::open({dir.str("db"), false, 8});
  BotStore store(*database);
  storage::WriteBatch batch;
  store.stage_reply(batch, OutgoingMessage{0, "@meters:x", "", "@r:x", "m.room.message", {}});
  database->write(std::move(batch));
  auto pending = store.pending_replies(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].seq, last + 1);
  EXPECT_EQ(pending[0].dm_with, "@r:x");
}

TEST(BotStore, MarksDirectRoomsSettingsAndNumbers) {
  test::TempDir dir;
  auto database = storage::Database::open({dir.str("db"), false, 8});
  BotStore store(*database);
  storage::WriteBatch batch;
  BotStore::mark_event(batch, "$e");
  BotStore::mark_transaction(batch, "17");
  BotStore::stage_direct_room(batch, "@meters:x", "@r:x", "!dm:x");
  BotStore::stage_setting(batch, "@r:x", "language", "en");
  BotStore::stage_reminded(batch, "@r:x", "bill:2026-11:7");
  EXPECT_EQ(store.next_number(batch, "ticket"), 1u);
  database->write(std::move(batch));
  EXPECT_TRUE(store.event_done("$e"));
  EXPECT_FALSE(store.event_done("$other"));
  EXPECT_TRUE(store.transaction_done("17"));
  EXPECT_FALSE(store.transaction_done("$e"));  // events and transactions do not share names
  EXPECT_EQ(store.direct_room("@meters:x", "@r:x"), "!dm:x");
  auto members = store.direct_room_members("!dm:x");
  ASSERT_TRUE(members);
  EXPECT_EQ(members->first, "@meters:x");
  EXPECT_EQ(members->second, "@r:x");
  EXPECT_EQ(store.setting("@r:x", "language"), "en");
  EXPECT_TRUE(store.reminded("@r:x", "bill:2026-11:7"));
  EXPECT_FALSE(store.reminded("@r:x", "bill:2026-12:7"));
  storage::WriteBatch next;
  EXPECT_EQ(store.next_number(next, "ticket"), 2u);
  EXPECT_EQ(store.next_number(next, "meeting"), 1u);
}

}  // namespace
}  // namespace domovoy::housing
