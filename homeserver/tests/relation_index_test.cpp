// RelationIndex through the room engine: an event's declared relation is indexed with it (only
// when its parent is an event of the same room), children come back by type and stream order
// within a window, a thread keeps its count, latest event and participants, and the room's
// threads are ordered by latest activity; and relation_of reads only a well-formed m.relates_to.
#include <gtest/gtest.h>

#include "homeserver/core/json.hpp"
#include "homeserver/rooms/relation_index.hpp"
#include "homeserver/tests/engine_fixture.hpp"

namespace domovoy {
namespace {

using test::EngineTest;

constexpr const char* kAlice = "@alice:example.org";
constexpr const char* kBob = "@bob:example.org";

class RelationIndexTest : public EngineTest {
 protected:
  EventPtr relate(const std::string& room, const std::string& sender, const std::string& rel_type,
                  const std::string& parent, const std::string& type = "m.room.message") {
    json::object content{{"body", "x"}, {"m.relates_to", json::object{{"rel_type", rel_type}, {"event_id", parent}}}};
    return send(room, EventDraft{type, {}, sender, content});
  }
};

TEST_F(RelationIndexTest, ChildrenByTypeOrderAndWindow) {
  auto room = create_room(kAlice);
  join(room, kBob);
  auto parent = text(room, kAlice);
  auto edit = relate(room, kAlice, "m.replace", parent->event_id);
  auto first = relate(room, kBob, "m.annotation", parent->event_id, "m.reaction");
  auto second = relate(room, kAlice, "m.annotation", parent->event_id, "m.reaction");
  const auto& index = rooms->relations();
  auto annotations = index.children(room, parent->event_id, "m.annotation", 0, UINT64_MAX, 10, true);
  ASSERT_EQ(annotations.size(), 2u);
  EXPECT_EQ(annotations[0].event_id, second->event_id);
  EXPECT_EQ(annotations[1].event_id, first->event_id);
  EXPECT_EQ(annotations[1].sender, kBob);
  auto all = index.children(room, parent->event_id, "", 0, UINT64_MAX, 10, false);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].event_id, edit->event_id);
  EXPECT_EQ(all[0].rel_type, "m.replace");
  auto window = index.children(room, parent->event_id, "", edit->stream, second->stream, 10, false);
  ASSERT_EQ(window.size(), 1u);
  EXPECT_EQ(window[0].event_id, first->event_id);
  EXPECT_EQ(index.children(room, parent->event_id, "", 0, UINT64_MAX, 1, true).size(), 1u);
  EXPECT_TRUE(index.has_children(room, parent->event_id));
  EXPECT_FALSE(index.has_children(room, edit->event_id));
}

TEST_F(RelationIndexTest, OnlyParentsOfTheSameRoom) {
  auto room = create_room(kAlice);
  auto other = create_room(kAlice);
  auto parent = text(room, kAlice);
  relate(other, kAlice, "m.annotation", parent->event_id, "m.reaction");
  relate(room, kAlice, "m.annotation", "$unknown:example.org", "m.reaction");
  EXPECT_FALSE(rooms->relations().has_children(room, parent->event_id));
  EXPECT_FALSE(rooms->relations().has_children(other, parent->event_id));
}

TEST_F(RelationIndexTest, ThreadsKeepTheirSummaryAndActivityOrder) {
  auto room = create_room(kAlice);
  join(room, kBob);
  auto root = text(room, kAlice);
  auto other_root = text(room, kBob);
  relate(room, kBob, "m.thread", root->event_id);
  auto reply = relate(room, kBob, "m.thread", other_root->event_id);
  auto latest = relate(room, kBob, "m.thread", root->event_id);
  const auto& index = rooms->relations();
  auto summary = index.thread(room, root->event_id);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->count, 2u);
  EXPECT_EQ(summary->latest_event_id, latest->event_id);
  EXPECT_TRUE(index.took_part(room, root->event_id, kAlice)) << "the root's sender";
  EXPECT_TRUE(index.took_part(room, root->event_id, kBob));
  EXPECT_FALSE(index.took_part(room, other_root->event_id, kAlice));
  auto threads = index.threads(room, UINT64_MAX, 10);
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0].first, root->event_id);
  EXPECT_EQ(threads[1].first, other_root->event_id);
  EXPECT_EQ(threads[1].second, reply->stream);
  auto older = index.threads(room, threads[0].second, 10);
  ASSERT_EQ(older.size(), 1u);
  EXPECT_EQ(older[0].first, other_root->event_id);
  open();  // what was indexed is durable
  EXPECT_EQ(rooms->relations().thread(room, root->event_id)->count, 2u);
}

// A database written before schema 5 (no relation index) or 6 (no annotation entries) gets the
// entries of its older events on the next start, once, and nothing twice.
class RelationIndexRebuildTest : public RelationIndexTest {
 protected:
  void forget(storage::Table table) {
    storage::WriteBatch batch;
    database->scan_prefix(table, "", [&](std::string_view key, std::string_view) {
      batch.remove(table, key);
      return true;
    });
    database->write(std::move(batch));
  }
  void forget_that_the_index_was_built() {
    storage::WriteBatch batch;
    batch.remove(storage::Table::meta, "rooms.relation_index");
    database->write(std::move(batch));
  }
};

TEST_F(RelationIndexRebuildTest, OlderEventsAreIndexedOnceOnTheNextStart) {
  auto room = create_room(kAlice);
  join(room, kBob);
  auto root = text(room, kAlice);
  relate(room, kBob, "m.thread", root->event_id);
  auto latest = relate(room, kAlice, "m.thread", root->event_id);
  json::object reaction{{"m.relates_to", json::object{{"rel_type", "m.annotation"}, {"event_id", root->event_id}, {"key", "👍"}}}};
  auto thumbs = send(room, EventDraft{"m.reaction", {}, kBob, reaction});
  auto edit = relate(room, kAlice, "m.replace", root->event_id);
  for (auto table : {storage::Table::eventrelation_child, storage::Table::roomthread_summary,
                     storage::Table::roomthread_activity, storage::Table::threadparticipant_flag,
                     storage::Table::annotation_eventid})
    forget(table);
  forget_that_the_index_was_built();
  open();
  const auto& index = rooms->relations();
  auto summary = index.thread(room, root->event_id);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->count, 2u);
  EXPECT_EQ(summary->latest_event_id, latest->event_id);
  EXPECT_TRUE(index.took_part(room, root->event_id, kBob));
  EXPECT_EQ(index.threads(room, UINT64_MAX, 10).size(), 1u);
  auto children = index.children(room, root->event_id, "", 0, UINT64_MAX, 10, false);
  ASSERT_EQ(children.size(), 4u);
  EXPECT_EQ(children.back().event_id, edit->event_id);
  EXPECT_EQ(index.annotation(room, root->event_id, "m.reaction", kBob, "👍"), thumbs->event_id);

  // A schema-5 database: the relations indexed, the annotations not, and the flag missing.
  forget(storage::Table::annotation_eventid);
  forget_that_the_index_was_built();
  open();
  EXPECT_EQ(rooms->relations().thread(room, root->event_id)->count, 2u) << "no thread event counted twice";
  EXPECT_EQ(rooms->relations().children(room, root->event_id, "", 0, UINT64_MAX, 10, false).size(), 4u);
  EXPECT_EQ(rooms->relations().annotation(room, root->event_id, "m.reaction", kBob, "👍"), thumbs->event_id);
  // Built once: an index entry lost after that is not made again at a restart.
  forget(storage::Table::annotation_eventid);
  open();
  EXPECT_FALSE(rooms->relations().annotation(room, root->event_id, "m.reaction", kBob, "👍"));
}

TEST(RelationOf, ReadsOnlyWellFormedRelations) {
  auto event_with = [](json::value relates) {
    auto event = std::make_shared<Event>();
    event->pdu = json::object{{"content", json::object{{"m.relates_to", relates}}}};
    return event;
  };
  EXPECT_TRUE(relation_of(*event_with(json::object{{"rel_type", "m.thread"}, {"event_id", "$a"}})));
  EXPECT_FALSE(relation_of(*event_with(json::object{{"m.in_reply_to", json::object{{"event_id", "$a"}}}})));
  EXPECT_FALSE(relation_of(*event_with(json::object{{"rel_type", 5}, {"event_id", "$a"}})));
  EXPECT_FALSE(relation_of(*event_with(json::object{{"rel_type", "m.thread"}})));
  EXPECT_FALSE(relation_of(*event_with("not an object")));
  EXPECT_FALSE(relation_of(*event_with(json::object{{"rel_type", "m.thread"}, {"event_id", ""}})));
}

}  // namespace
}  // namespace domovoy
