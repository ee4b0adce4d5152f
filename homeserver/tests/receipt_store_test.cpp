// ReceiptStore (sync/receipt_store.hpp) on a real database: changed() answers from the stream
// index exactly what was written in (after, up_to], a replaced receipt moves to its new
// position, rooms stay apart, and a database written before the index existed gets one.
#include <gtest/gtest.h>

#include <algorithm>

#include "homeserver/core/json.hpp"
#include "homeserver/sync/receipt_store.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

using storage::Table;

constexpr const char* kRoom = "!room:example.org";
constexpr const char* kOtherRoom = "!other:example.org";

class ReceiptStoreTest : public ::testing::Test {
 protected:
  ReceiptStoreTest() { open(); }

  void open(std::uint64_t stream_start = 0) {
    receipts.reset();
    database.reset();
    database = storage::Database::open({dir.str(db_name), false, 8});
    stream = std::make_unique<StreamTracker>(stream_start);
    receipts = std::make_unique<ReceiptStore>(*database, *stream);
  }

  std::uint64_t put(const std::string& room, const std::string& user, const std::string& event_id,
                    const std::string& type = "m.read") {
    return receipts->put(Receipt{room, type, user, event_id, 1000, "", 0});
  }

  // "user=event@stream" for each receipt, which makes failures readable.
  static std::vector<std::string> describe(const std::vector<Receipt>& receipts) {
    std::vector<std::string> out;
    for (const auto& receipt : receipts)
      out.push_back(receipt.type + ":" + receipt.user_id + "=" + receipt.event_id + "@" +
                    std::to_string(receipt.stream));
    return out;
  }
  static std::string at(const std::string& type_user_event, std::uint64_t position) {
    return type_user_event + "@" + std::to_string(position);
  }

  test::TempDir dir;
  std::string db_name = "db";  // an old database is simulated in another one, never opened by a store
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<StreamTracker> stream;
  std::unique_ptr<ReceiptStore> receipts;
};

TEST_F(ReceiptStoreTest, ChangedReturnsExactlyTheRangeInStreamOrder) {
  auto p1 = put(kRoom, "@alice:x", "$a");
  auto p2 = put(kRoom, "@bob:x", "$b");
  auto p3 = put(kRoom, "@carol:x", "$c");
  ASSERT_LT(p1, p2);
  ASSERT_LT(p2, p3);
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, p3)),
            (std::vector<std::string>{at("m.read:@alice:x=$a", p1), at("m.read:@bob:x=$b", p2),
                                      at("m.read:@carol:x=$c", p3)}));
  EXPECT_EQ(describe(receipts->changed(kRoom, p1, p3)),
            (std::vector<std::string>{at("m.read:@bob:x=$b", p2), at("m.read:@carol:x=$c", p3)}));
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, p2)),
            (std::vector<std::string>{at("m.read:@alice:x=$a", p1), at("m.read:@bob:x=$b", p2)}));
  EXPECT_EQ(describe(receipts->changed(kRoom, p1, p2)), (std::vector<std::string>{at("m.read:@bob:x=$b", p2)}));
  EXPECT_TRUE(receipts->changed(kRoom, p3, p3).empty());
  EXPECT_TRUE(receipts->changed(kRoom, p3, p3 + 10).empty());
  EXPECT_TRUE(receipts->changed(kRoom, p2, p1).empty()) << "an empty range";
}

TEST_F(ReceiptStoreTest, ChangedCarriesTheWholeReceipt) {
  auto position = receipts->put(Receipt{kRoom, "m.read.private", "@alice:x", "$e", 1234, "$thread", 0});
  auto changed = receipts->changed(kRoom, 0, position);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].room_id, kRoom);
  EXPECT_EQ(changed[0].type, "m.read.private");
  EXPECT_EQ(changed[0].user_id, "@alice:x");
  EXPECT_EQ(changed[0].event_id, "$e");
  EXPECT_EQ(changed[0].ts, 1234);
  EXPECT_EQ(changed[0].thread_id, "$thread");
  EXPECT_EQ(changed[0].stream, position);
}

TEST_F(ReceiptStoreTest, ReplacedReceiptAppearsOnceAtItsNewPosition) {
  auto first = put(kRoom, "@alice:x", "$old");
  auto bob = put(kRoom, "@bob:x", "$b");
  auto second = put(kRoom, "@alice:x", "$new");
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, second)),
            (std::vector<std::string>{at("m.read:@bob:x=$b", bob), at("m.read:@alice:x=$new", second)}));
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, bob)), (std::vector<std::string>{at("m.read:@bob:x=$b", bob)}))
      << "the old position of a replaced receipt is gone";
  EXPECT_TRUE(receipts->changed(kRoom, 0, first).empty());
  EXPECT_EQ(describe(receipts->changed(kRoom, bob, second)),
            (std::vector<std::string>{at("m.read:@alice:x=$new", second)}));
  // The same after reopening: the index, not a cache, says so.
  open(second);
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, second)),
            (std::vector<std::string>{at("m.read:@bob:x=$b", bob), at("m.read:@alice:x=$new", second)}));
}

TEST_F(ReceiptStoreTest, TypesOfOneUserAreSeparateReceipts) {
  auto read = put(kRoom, "@alice:x", "$public", "m.read");
  auto hidden = put(kRoom, "@alice:x", "$private", "m.read.private");
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, hidden)),
            (std::vector<std::string>{at("m.read:@alice:x=$public", read),
                                      at("m.read.private:@alice:x=$private", hidden)}));
  EXPECT_EQ(receipts->get(kRoom, "m.read", "@alice:x")->event_id, "$public");
  EXPECT_EQ(receipts->get(kRoom, "m.read.private", "@alice:x")->event_id, "$private");
}

TEST_F(ReceiptStoreTest, OtherRoomsNeverAppear) {
  auto mine = put(kRoom, "@alice:x", "$a");
  auto theirs = put(kOtherRoom, "@alice:x", "$elsewhere");
  auto prefixed = put(std::string(kRoom) + "2", "@bob:x", "$prefix");  // a room id that extends this one
  auto last = put(kRoom, "@bob:x", "$b");
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, last)),
            (std::vector<std::string>{at("m.read:@alice:x=$a", mine), at("m.read:@bob:x=$b", last)}));
  EXPECT_EQ(describe(receipts->changed(kOtherRoom, 0, last)),
            (std::vector<std::string>{at("m.read:@alice:x=$elsewhere", theirs)}));
  EXPECT_TRUE(receipts->changed(kOtherRoom, theirs, last).empty());
  EXPECT_EQ(receipts->changed(std::string(kRoom) + "2", 0, last).size(), 1u);
  EXPECT_TRUE(receipts->changed("!empty:example.org", 0, last).empty());
  EXPECT_EQ(receipts->get(kRoom, "m.read", "@alice:x")->event_id, "$a");
  (void)prefixed;
}

TEST_F(ReceiptStoreTest, GetReturnsTheLatest) {
  EXPECT_FALSE(receipts->get(kRoom, "m.read", "@alice:x"));
  put(kRoom, "@alice:x", "$1");
  auto position = receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$2", 77, "", 0});
  auto got = receipts->get(kRoom, "m.read", "@alice:x");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->event_id, "$2");
  EXPECT_EQ(got->ts, 77);
  EXPECT_EQ(got->stream, position);
  EXPECT_FALSE(receipts->get(kRoom, "m.read", "@bob:x"));
  EXPECT_FALSE(receipts->get(kOtherRoom, "m.read", "@alice:x"));
}

// Threaded read receipts: the unthreaded one, main's and each thread's are kept apart.
TEST_F(ReceiptStoreTest, EachThreadKeepsItsOwnReceipt) {
  put(kRoom, "@alice:x", "$1");
  receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$2", 0, "main", 0});
  receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$3", 0, "$root", 0});
  auto last = receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$4", 0, "$root", 0});
  EXPECT_EQ(receipts->get(kRoom, "m.read", "@alice:x")->event_id, "$1");
  EXPECT_EQ(receipts->get(kRoom, "m.read", "@alice:x", "main")->event_id, "$2");
  EXPECT_EQ(receipts->get(kRoom, "m.read", "@alice:x", "$root")->event_id, "$4");
  std::vector<std::string> all;
  for (const auto& receipt : receipts->of_user(kRoom, "m.read", "@alice:x"))
    all.push_back(receipt.event_id + "@" + (receipt.thread_id.empty() ? "-" : receipt.thread_id));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"$1@-", "$2@main", "$4@$root"}));
  EXPECT_TRUE(receipts->of_user(kRoom, "m.read", "@alice:xy").empty()) << "another user, whose id goes on";
  // The replaced thread receipt left the room's stream index.
  auto changed = receipts->changed(kRoom, 0, last);
  EXPECT_EQ(changed.size(), 3u);
}

TEST_F(ReceiptStoreTest, ChangedSeesWritesAfterAnEarlierEmptyAnswer) {
  // The first changed() remembers the room's newest position; later writes must move it on.
  EXPECT_TRUE(receipts->changed(kRoom, 0, 100).empty());
  auto position = put(kRoom, "@alice:x", "$a");
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, position)),
            (std::vector<std::string>{at("m.read:@alice:x=$a", position)}));
}

// A database from before the stream index: receipts in roomreceipt_receipt only.
TEST_F(ReceiptStoreTest, IndexIsBuiltForAnOldDatabase) {
  receipts.reset();
  database.reset();
  db_name = "old";
  database = storage::Database::open({dir.str(db_name), false, 8});
  auto old_row = [](std::string_view event_id, std::uint64_t position) {
    return to_json(json::object{{"event_id", event_id}, {"ts", 500}, {"thread_id", ""}, {"stream", position}});
  };
  storage::WriteBatch batch;
  batch.put(Table::roomreceipt_receipt, storage::join_key({kRoom, "m.read", "@carol:x"}), old_row("$c", 3));
  batch.put(Table::roomreceipt_receipt, storage::join_key({kRoom, "m.read", "@alice:x"}), old_row("$a", 7));
  batch.put(Table::roomreceipt_receipt, storage::join_key({kRoom, "m.read.private", "@bob:x"}), old_row("$b", 5));
  batch.put(Table::roomreceipt_receipt, storage::join_key({kOtherRoom, "m.read", "@dave:x"}), old_row("$d", 4));
  database->write(std::move(batch));
  ASSERT_FALSE(database->contains(Table::meta, "receipts.stream_index"));

  open(10);
  EXPECT_TRUE(database->contains(Table::meta, "receipts.stream_index"));
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, 10)),
            (std::vector<std::string>{at("m.read:@carol:x=$c", 3), at("m.read.private:@bob:x=$b", 5),
                                      at("m.read:@alice:x=$a", 7)}));
  EXPECT_EQ(describe(receipts->changed(kRoom, 4, 6)), (std::vector<std::string>{at("m.read.private:@bob:x=$b", 5)}));
  EXPECT_EQ(describe(receipts->changed(kOtherRoom, 0, 10)), (std::vector<std::string>{at("m.read:@dave:x=$d", 4)}));
  EXPECT_EQ(receipts->changed(kRoom, 0, 10)[0].ts, 500);

  // A receipt replacing an old one drops the old one's index entry too.
  auto position = put(kRoom, "@carol:x", "$c2");
  EXPECT_GT(position, 10u);
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, position)),
            (std::vector<std::string>{at("m.read.private:@bob:x=$b", 5), at("m.read:@alice:x=$a", 7),
                                      at("m.read:@carol:x=$c2", position)}));
}

TEST_F(ReceiptStoreTest, IndexIsBuiltOnlyOnce) {
  auto position = put(kRoom, "@alice:x", "$a");
  ASSERT_TRUE(database->contains(Table::meta, "receipts.stream_index"));
  // A row without an index entry, written behind the store's back: a rebuild would index it.
  storage::WriteBatch batch;
  batch.put(Table::roomreceipt_receipt, storage::join_key({kRoom, "m.read", "@zed:x"}),
            to_json(json::object{{"event_id", "$z"}, {"ts", 1}, {"thread_id", ""}, {"stream", position + 1}}));
  database->write(std::move(batch));
  open(position + 1);
  EXPECT_EQ(describe(receipts->changed(kRoom, 0, position + 1)),
            (std::vector<std::string>{at("m.read:@alice:x=$a", position)}));
}

TEST_F(ReceiptStoreTest, WhenVisibleRuns) {
  int runs = 0;
  auto position = receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$a", 1, "", 0}, [&] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_GE(stream->current(), position);
}

TEST_F(ReceiptStoreTest, WhenVisibleWaitsForAnEarlierPosition) {
  int runs = 0;
  std::uint64_t visible_at_run = 0;
  std::uint64_t position = 0;
  {
    StreamTracker::Slot earlier(*stream);  // another writer, not yet finished
    position = receipts->put(Receipt{kRoom, "m.read", "@alice:x", "$a", 1, "", 0}, [&] {
      ++runs;
      visible_at_run = stream->current();
    });
    EXPECT_GT(position, earlier.position());
    EXPECT_EQ(runs, 0) << "not visible while an earlier position is pending";
    EXPECT_LT(stream->current(), position);
  }
  EXPECT_EQ(runs, 1);
  EXPECT_GE(visible_at_run, position);
}

}  // namespace
}  // namespace domovoy
