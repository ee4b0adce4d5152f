// AccountDataStore (sync/account_data_store.hpp) on a real database: changed() returns what was
// written after a position, once each; of_room returns one room's items; the per-user limits
// refuse with 400 M_TOO_LARGE and store nothing; an old database gets its stream index.
#include <gtest/gtest.h>

#include <algorithm>

#include "homeserver/core/api_error.hpp"
#include "homeserver/core/json.hpp"
#include "homeserver/sync/account_data_store.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

using storage::Table;

constexpr const char* kUser = "@alice:example.org";
constexpr const char* kOtherUser = "@bob:example.org";
constexpr const char* kRoom = "!room:example.org";
constexpr const char* kOtherRoom = "!other:example.org";

class AccountDataStoreTest : public ::testing::Test {
 protected:
  AccountDataStoreTest() { open(); }

  void open(AccountDataLimits limits = {}, std::uint64_t stream_start = 0) {
    store.reset();
    database.reset();
    database = storage::Database::open({dir.str(db_name), false, 8});
    stream = std::make_unique<StreamTracker>(stream_start);
    store = std::make_unique<AccountDataStore>(*database, *stream, limits);
  }

  std::uint64_t put(const std::string& room, const std::string& type, std::string_view content,
                    const std::string& user = kUser) {
    return store->put(user, room, type, test::parse_object(content));
  }

  // "room|type=content@stream" for each item.
  static std::vector<std::string> describe(const std::vector<AccountDataItem>& items) {
    std::vector<std::string> out;
    for (const auto& item : items)
      out.push_back(item.room_id + "|" + item.type + "=" + to_json(item.content) + "@" + std::to_string(item.stream));
    return out;
  }
  static std::string item(const std::string& room, const std::string& type, const std::string& content,
                          std::uint64_t position) {
    return room + "|" + type + "=" + content + "@" + std::to_string(position);
  }

  // Expects `call` to throw ApiError 400 M_TOO_LARGE.
  template <typename Call>
  static void expect_too_large(Call call) {
    try {
      call();
      ADD_FAILURE() << "no ApiError";
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 400u);
      EXPECT_EQ(error.errcode(), "M_TOO_LARGE");
    }
  }

  test::TempDir dir;
  std::string db_name = "db";  // an old database is simulated in another one, never opened by a store
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<StreamTracker> stream;
  std::unique_ptr<AccountDataStore> store;
};

TEST_F(AccountDataStoreTest, ChangedReturnsOnlyNewerItems) {
  auto p1 = put("", "m.push_rules", R"({"a":1})");
  auto p2 = put(kRoom, "m.tag", R"({"b":2})");
  auto p3 = put("", "m.direct", R"({"c":3})");
  EXPECT_EQ(describe(store->changed(kUser, 0, p3)),
            (std::vector<std::string>{item("", "m.push_rules", R"({"a":1})", p1), item(kRoom, "m.tag", R"({"b":2})", p2),
                                      item("", "m.direct", R"({"c":3})", p3)}));
  EXPECT_EQ(describe(store->changed(kUser, p1, p3)),
            (std::vector<std::string>{item(kRoom, "m.tag", R"({"b":2})", p2), item("", "m.direct", R"({"c":3})", p3)}));
  EXPECT_EQ(describe(store->changed(kUser, p1, p2)), (std::vector<std::string>{item(kRoom, "m.tag", R"({"b":2})", p2)}));
  EXPECT_TRUE(store->changed(kUser, p3, p3 + 5).empty());
  EXPECT_TRUE(store->changed(kOtherUser, 0, p3).empty()) << "another user's data";
}

TEST_F(AccountDataStoreTest, RewrittenItemAppearsOnceAtItsNewPosition) {
  auto first = put("", "m.direct", R"({"v":1})");
  auto other = put("", "m.other", R"({"o":true})");
  auto second = put("", "m.direct", R"({"v":2})");
  EXPECT_EQ(describe(store->changed(kUser, 0, second)),
            (std::vector<std::string>{item("", "m.other", R"({"o":true})", other), item("", "m.direct", R"({"v":2})", second)}));
  EXPECT_EQ(describe(store->changed(kUser, 0, other)),
            (std::vector<std::string>{item("", "m.other", R"({"o":true})", other)}))
      << "nothing left at the rewritten item's old position";
  EXPECT_TRUE(store->changed(kUser, 0, first).empty());
  EXPECT_EQ(to_json(*store->get(kUser, "", "m.direct")), R"({"v":2})");
  open({}, second);
  EXPECT_EQ(describe(store->changed(kUser, 0, second)),
            (std::vector<std::string>{item("", "m.other", R"({"o":true})", other), item("", "m.direct", R"({"v":2})", second)}));
}

TEST_F(AccountDataStoreTest, GlobalAndRoomItemsOfOneTypeAreSeparate) {
  put("", "m.tag", R"({"global":1})");
  put(kRoom, "m.tag", R"({"room":1})");
  EXPECT_EQ(to_json(*store->get(kUser, "", "m.tag")), R"({"global":1})");
  EXPECT_EQ(to_json(*store->get(kUser, kRoom, "m.tag")), R"({"room":1})");
  EXPECT_FALSE(store->get(kUser, kOtherRoom, "m.tag"));
  EXPECT_FALSE(store->get(kOtherUser, "", "m.tag"));
}

TEST_F(AccountDataStoreTest, OfRoomReturnsAllOfOneRoomsItems) {
  auto tag = put(kRoom, "m.tag", R"({"tags":{}})");
  put(kOtherRoom, "m.tag", R"({"other":1})");
  put(std::string(kRoom) + "2", "m.tag", R"({"prefix":1})");  // a room id that extends this one
  put("", "m.fully_read", R"({"global":1})");
  auto read = put(kRoom, "m.fully_read", R"({"event_id":"$e"})");
  put(kRoom, "m.tag", R"({"tags":{}})", kOtherUser);
  auto items = store->of_room(kUser, kRoom, read);
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.type < b.type; });
  EXPECT_EQ(describe(items), (std::vector<std::string>{item(kRoom, "m.fully_read", R"({"event_id":"$e"})", read),
                                                       item(kRoom, "m.tag", R"({"tags":{}})", tag)}));
  EXPECT_EQ(describe(store->of_room(kUser, kRoom, tag)),
            (std::vector<std::string>{item(kRoom, "m.tag", R"({"tags":{}})", tag)}))
      << "items written after up_to are left out";
  EXPECT_TRUE(store->of_room(kUser, "!none:example.org", read).empty());
}

TEST_F(AccountDataStoreTest, EntryPastMaxEntriesIsRefusedAndNotStored) {
  open({3, 1u << 20});
  put("", "t.1", R"({"n":1})");
  put(kRoom, "t.2", R"({"n":2})");
  auto last = put("", "t.3", R"({"n":3})");
  auto before = stream->current();
  expect_too_large([&] { put("", "t.4", R"({"n":4})"); });
  expect_too_large([&] { put(kOtherRoom, "t.1", R"({"n":4})"); });
  EXPECT_FALSE(store->get(kUser, "", "t.4"));
  EXPECT_FALSE(store->get(kUser, kOtherRoom, "t.1"));
  EXPECT_TRUE(store->changed(kUser, last, last + 10).empty());
  EXPECT_EQ(stream->current(), before) << "a refused write takes no stream position";

  // Overwriting an existing entry adds none.
  auto rewritten = put("", "t.1", R"({"n":"again"})");
  EXPECT_EQ(to_json(*store->get(kUser, "", "t.1")), R"({"n":"again"})");
  EXPECT_EQ(store->changed(kUser, last, rewritten).size(), 1u);
  // Another user has limits of their own.
  put("", "t.4", R"({"n":4})", kOtherUser);
  EXPECT_TRUE(store->get(kOtherUser, "", "t.4"));
}

TEST_F(AccountDataStoreTest, WritePastMaxTotalBytesIsRefusedAndNotStored) {
  // A stored record is {"stream":N,"content":...}: about 25 bytes besides the content.
  open({100, 120});
  const std::string large = R"({"v":")" + std::string(40, 'x') + R"("})";    // 48 bytes, ~73 stored
  const std::string larger = R"({"v":")" + std::string(70, 'y') + R"("})";   // 78 bytes, ~103 stored
  put("", "big", large);
  auto small = put("", "small", R"({"s":1})");  // ~31 stored: ~104 in all
  auto before = stream->current();
  expect_too_large([&] { put("", "big2", large); });
  EXPECT_FALSE(store->get(kUser, "", "big2"));
  expect_too_large([&] { put("", "big", larger); });  // replaces, but the new total is past the limit
  EXPECT_EQ(to_json(*store->get(kUser, "", "big")), large) << "a refused overwrite keeps the old content";
  EXPECT_TRUE(store->changed(kUser, small, small + 10).empty());
  EXPECT_EQ(stream->current(), before);

  // Overwriting within the limit works: the old entry's bytes are not counted twice.
  const std::string same_size = R"({"v":")" + std::string(40, 'z') + R"("})";
  auto position = put("", "big", same_size);
  EXPECT_EQ(to_json(*store->get(kUser, "", "big")), same_size);
  EXPECT_EQ(describe(store->changed(kUser, small, position)),
            (std::vector<std::string>{item("", "big", same_size, position)}));
}

// A database from before the stream index: items in useraccountdata_data only.
TEST_F(AccountDataStoreTest, IndexIsBuiltForAnOldDatabase) {
  store.reset();
  database.reset();
  db_name = "old";
  database = storage::Database::open({dir.str(db_name), false, 8});
  auto old_row = [](std::uint64_t position, std::string_view content) {
    return to_json(json::object{{"stream", position}, {"content", test::parse_object(content)}});
  };
  storage::WriteBatch batch;
  batch.put(Table::useraccountdata_data, storage::join_key({kUser, "", "m.direct"}), old_row(6, R"({"d":1})"));
  batch.put(Table::useraccountdata_data, storage::join_key({kUser, kRoom, "m.tag"}), old_row(2, R"({"t":1})"));
  batch.put(Table::useraccountdata_data, storage::join_key({kUser, "", "m.push_rules"}), old_row(4, R"({"p":1})"));
  batch.put(Table::useraccountdata_data, storage::join_key({kOtherUser, "", "m.direct"}), old_row(3, R"({"b":1})"));
  database->write(std::move(batch));
  ASSERT_FALSE(database->contains(Table::meta, "account_data.stream_index"));

  open({}, 10);
  EXPECT_TRUE(database->contains(Table::meta, "account_data.stream_index"));
  EXPECT_EQ(describe(store->changed(kUser, 0, 10)),
            (std::vector<std::string>{item(kRoom, "m.tag", R"({"t":1})", 2), item("", "m.push_rules", R"({"p":1})", 4),
                                      item("", "m.direct", R"({"d":1})", 6)}));
  EXPECT_EQ(describe(store->changed(kUser, 3, 5)), (std::vector<std::string>{item("", "m.push_rules", R"({"p":1})", 4)}));
  EXPECT_EQ(describe(store->changed(kOtherUser, 0, 10)),
            (std::vector<std::string>{item("", "m.direct", R"({"b":1})", 3)}));

  // Rewriting an old item drops its old index entry.
  auto position = put(kRoom, "m.tag", R"({"t":2})");
  EXPECT_EQ(describe(store->changed(kUser, 0, position)),
            (std::vector<std::string>{item("", "m.push_rules", R"({"p":1})", 4), item("", "m.direct", R"({"d":1})", 6),
                                      item(kRoom, "m.tag", R"({"t":2})", position)}));
}

TEST_F(AccountDataStoreTest, WhenVisibleRuns) {
  int runs = 0;
  auto position = store->put(kUser, "", "m.direct", {}, [&] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_GE(stream->current(), position);
}

}  // namespace
}  // namespace domovoy
