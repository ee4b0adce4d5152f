// EventStream (rooms/event_stream.hpp) and ConsumerStore: durable consumers read every stored
// event in stream order, across rooms, only up to the visible position; a database made before
// the stream index existed gets it at start; a consumer's record survives a restart.
#include <gtest/gtest.h>

#include "homeserver/rooms/consumer_store.hpp"
#include "homeserver/rooms/event_stream.hpp"
#include "homeserver/tests/engine_fixture.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

const std::string kAlice = "@alice:example.org";

class EventStreamTest : public test::EngineTest {};

TEST_F(EventStreamTest, ReadsEveryRoomInStreamOrder) {
  auto first = create_room(kAlice);
  auto second = create_room(kAlice);
  auto a = text(first, kAlice, "a");
  auto b = text(second, kAlice, "b");
  auto c = text(first, kAlice, "c");
  EventStream events(*database, *stream);
  auto all = events.read_after(0, 100);
  ASSERT_EQ(all.size(), 9u);  // two rooms of create, join, join rules; three messages
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].position, all[i].position);
  EXPECT_EQ(all[6].event_id, a->event_id);
  EXPECT_EQ(all[6].room_id, first);
  EXPECT_EQ(all[7].event_id, b->event_id);
  EXPECT_EQ(all[7].room_id, second);
  EXPECT_EQ(all[8].event_id, c->event_id);
  auto after_a = events.read_after(a->stream, 1);
  ASSERT_EQ(after_a.size(), 1u);
  EXPECT_EQ(after_a[0].event_id, b->event_id);
  EXPECT_TRUE(events.read_after(c->stream, 10).empty());
}

TEST_F(EventStreamTest, StopsAtTheVisiblePosition) {
  auto room = create_room(kAlice);
  auto before = text(room, kAlice, "before");
  // A writer of another room holds the next position: what comes after it stays hidden.
  StreamTracker::Slot held(*stream);
  auto after = text(room, kAlice, "after");
  EventStream events(*database, *stream);
  auto seen = events.read_after(before->stream - 1, 10);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event_id, before->event_id);
  held.release();
  seen = events.read_after(before->stream, 10);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event_id, after->event_id);
}

TEST_F(EventStreamTest, IndexIsBuiltForADatabaseMadeBeforeIt) {
  auto room = create_room(kAlice);
  auto message = text(room, kAlice);
  {
    storage::WriteBatch batch;  // as a schema-2 database: no stream index, no flag
    database->scan_prefix(storage::Table::stream_eventid, "", [&](std::string_view key, std::string_view) {
      batch.remove(storage::Table::stream_eventid, key);
      return true;
    });
    batch.remove(storage::Table::meta, "rooms.stream_index");
    database->write(std::move(batch));
  }
  EXPECT_TRUE(EventStream(*database, *stream).read_after(0, 10).empty());
  open();
  auto all = EventStream(*database, *stream).read_after(0, 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.back().event_id, message->event_id);
  EXPECT_EQ(all.back().room_id, room);
}

TEST_F(EventStreamTest, ConsumerRecordSurvivesRestart) {
  {
    ConsumerStore consumers(*database);
    EXPECT_FALSE(consumers.load("appservice:bridge"));
    consumers.save("appservice:bridge", {{"position", 42}, {"txn", 7}});
  }
  open();
  ConsumerStore consumers(*database);
  auto record = consumers.load("appservice:bridge");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->at("position").to_number<std::uint64_t>(), 42u);
  EXPECT_EQ(record->at("txn").to_number<int>(), 7);
}

}  // namespace
}  // namespace domovoy
