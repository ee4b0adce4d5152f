// The RocksDB wrapper (storage/database.hpp) on a real database in a temporary directory.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy::storage {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  DatabaseOptions options() const { return {dir.str("db"), /*sync_writes=*/false, /*block_cache_mb=*/8}; }
  std::unique_ptr<Database> open() { return Database::open(options()); }

  std::vector<std::pair<std::string, std::string>> scan(const Database& db, Table table, std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    db.scan_prefix(table, prefix, [&](std::string_view key, std::string_view value) {
      out.emplace_back(key, value);
      return true;
    });
    return out;
  }

  test::TempDir dir;
};

TEST_F(DatabaseTest, FreshDatabaseHasTheCurrentSchema) {
  auto db = open();
  EXPECT_EQ(db->schema_version(), Database::kSchemaVersion);
  EXPECT_EQ(db->get(Table::meta, "schema_version"), be64(Database::kSchemaVersion));
}

TEST_F(DatabaseTest, TableNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Table::count_); ++i)
    EXPECT_TRUE(names.insert(table_name(static_cast<Table>(i))).second) << i;
  EXPECT_EQ(table_name(Table::eventid_event), "eventid_event");
}

TEST_F(DatabaseTest, PutGetRemove) {
  auto db = open();
  EXPECT_FALSE(db->get(Table::userid_account, "@a:x").has_value());
  WriteBatch put;
  put.put(Table::userid_account, "@a:x", "record");
  EXPECT_FALSE(put.empty());
  EXPECT_EQ(put.size_bytes(), 4u + 6u);
  db->write(std::move(put));
  EXPECT_EQ(db->get(Table::userid_account, "@a:x"), "record");
  EXPECT_TRUE(db->contains(Table::userid_account, "@a:x"));
  // Tables are separate keyspaces.
  EXPECT_FALSE(db->contains(Table::alias_roomid, "@a:x"));
  WriteBatch remove;
  remove.remove(Table::userid_account, "@a:x");
  db->write(std::move(remove));
  EXPECT_FALSE(db->contains(Table::userid_account, "@a:x"));
}

TEST_F(DatabaseTest, ValuesMayHoldZeroBytes) {
  auto db = open();
  std::string key("k\0ey", 4), value("va\0\xffl", 5);
  WriteBatch batch;
  batch.put(Table::meta, key, value);
  db->write(std::move(batch));
  EXPECT_EQ(db->get(Table::meta, key), value);
  EXPECT_FALSE(db->contains(Table::meta, "k"));
}

TEST_F(DatabaseTest, DataSurvivesReopening) {
  {
    auto db = open();
    WriteBatch batch;
    batch.put(Table::eventid_event, "$e", "event");
    batch.put(Table::roomid_room, "!r:x", "room");
    db->write(std::move(batch));
  }
  auto db = open();
  EXPECT_EQ(db->get(Table::eventid_event, "$e"), "event");
  EXPECT_EQ(db->get(Table::roomid_room, "!r:x"), "room");
  EXPECT_EQ(db->schema_version(), Database::kSchemaVersion);
}

TEST_F(DatabaseTest, WriteBatchIsAtomicAndLastWriteWins) {
  auto db = open();
  WriteBatch batch;
  batch.put(Table::meta, "a", "1");
  batch.put(Table::userid_account, "b", "2");
  batch.put(Table::meta, "a", "3");
  batch.remove(Table::userid_account, "b");
  batch.put(Table::alias_roomid, "c", "4");
  db->write(std::move(batch));
  EXPECT_EQ(db->get(Table::meta, "a"), "3");
  EXPECT_FALSE(db->contains(Table::userid_account, "b"));
  EXPECT_EQ(db->get(Table::alias_roomid, "c"), "4");
}

TEST_F(DatabaseTest, ReadersNeverSeeHalfABatch) {
  // Each batch sets "a" and then "b" to the same counter. A reader that reads "a" first and "b"
  // second must find b >= a: seeing the new "a" without the new "b" would be half a batch.
  auto db = open();
  WriteBatch initial;
  initial.put(Table::meta, "a", be64(0));
  initial.put(Table::meta, "b", be64(0));
  db->write(std::move(initial));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    do {  // at least once, however the threads are scheduled
      auto a = read_be64(*db->get(Table::meta, "a"));
      auto b = read_be64(*db->get(Table::meta, "b"));
      if (b < a) torn.fetch_add(1);
      reads.fetch_add(1);
    } while (!done.load());
  });
  for (std::uint64_t i = 1; i <= 3000; ++i) {
    WriteBatch batch;
    batch.put(Table::meta, "a", be64(i));
    batch.put(Table::meta, "b", be64(i));
    db->write(std::move(batch));
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(read_be64(*db->get(Table::meta, "b")), 3000u);
}

TEST_F(DatabaseTest, ScanPrefixVisitsOnlyThePrefixInOrder) {
  auto db = open();
  WriteBatch batch;
  for (std::uint64_t position : {3, 1, 300, 2}) {
    std::string key = key_prefix({"!a:x"});
    append_be64(key, position);
    batch.put(Table::roomstream_eventid, key, "$a" + std::to_string(position));
  }
  std::string other = key_prefix({"!ab:x"});
  append_be64(other, 0);
  batch.put(Table::roomstream_eventid, other, "$other");
  batch.put(Table::roomstream_eventid, "!a:w", "$before");
  db->write(std::move(batch));

  auto rows = scan(*db, Table::roomstream_eventid, key_prefix({"!a:x"}));
  std::vector<std::string> values;
  for (auto& [key, value] : rows) values.push_back(value);
  EXPECT_EQ(values, (std::vector<std::string>{"$a1", "$a2", "$a3", "$a300"}));
}

TEST_F(DatabaseTest, ScanStopsWhenTheVisitorSaysSo) {
  auto db = open();
  WriteBatch batch;
  for (char c = 'a'; c <= 'e'; ++c) batch.put(Table::meta, std::string("k") + c, "v");
  db->write(std::move(batch));
  int visits = 0;
  db->scan_prefix(Table::meta, "k", [&](std::string_view, std::string_view) { return ++visits < 2; });
  EXPECT_EQ(visits, 2);
}

TEST_F(DatabaseTest, ScanFromStartsAtTheGivenKey) {
  auto db = open();
  WriteBatch batch;
  for (char c = 'a'; c <= 'e'; ++c) batch.put(Table::meta, std::string("k") + c, std::string(1, c));
  db->write(std::move(batch));
  std::string seen;
  db->scan_from(Table::meta, "k", "kc", [&](std::string_view, std::string_view value) {
    seen += value;
    return true;
  });
  EXPECT_EQ(seen, "cde");
}

TEST_F(DatabaseTest, ScanReverseFromTheEndAndFromAKey) {
  auto db = open();
  WriteBatch batch;
  for (std::uint64_t position = 1; position <= 5; ++position) {
    std::string key = key_prefix({"!r:x"});
    append_be64(key, position);
    batch.put(Table::roomstream_eventid, key, std::to_string(position));
  }
  std::string after = key_prefix({"!s:x"});
  append_be64(after, 0);
  batch.put(Table::roomstream_eventid, after, "other room");
  batch.put(Table::roomstream_eventid, std::string("!r:x\xff", 5), "not under the prefix");
  db->write(std::move(batch));

  auto prefix = key_prefix({"!r:x"});
  std::string seen;
  db->scan_reverse(Table::roomstream_eventid, prefix, "", [&](std::string_view, std::string_view value) {
    seen += value;
    return true;
  });
  EXPECT_EQ(seen, "54321");

  seen.clear();
  std::string start = prefix;
  append_be64(start, 3);
  db->scan_reverse(Table::roomstream_eventid, prefix, start, [&](std::string_view, std::string_view value) {
    seen += value;
    return true;
  });
  EXPECT_EQ(seen, "321");

  seen.clear();
  db->scan_reverse(Table::roomstream_eventid, prefix, "", [&](std::string_view, std::string_view value) {
    seen += value;
    return seen.size() < 2;
  });
  EXPECT_EQ(seen, "54");
}

TEST_F(DatabaseTest, ScanReverseOfAnEmptyPrefixFindsTheGreatestKey) {
  auto db = open();
  WriteBatch batch;
  batch.put(Table::streampos_kind, be64(7), "event");
  batch.put(Table::streampos_kind, be64(300), "receipt");
  batch.put(Table::streampos_kind, be64(12), "event");
  db->write(std::move(batch));
  std::uint64_t last = 0;
  db->scan_reverse(Table::streampos_kind, "", "", [&](std::string_view key, std::string_view) {
    last = read_be64(key);
    return false;
  });
  EXPECT_EQ(last, 300u);
}

TEST_F(DatabaseTest, RefusesANewerSchema) {
  {
    auto db = open();
    WriteBatch batch;
    batch.put(Table::meta, "schema_version", be64(Database::kSchemaVersion + 1));
    db->write(std::move(batch));
  }
  EXPECT_THROW(open(), IncompatibleSchema);
  // IncompatibleSchema is a StorageError, which is what callers may catch.
  EXPECT_THROW(open(), StorageError);
}

TEST_F(DatabaseTest, RefusesSchemaZeroAndACorruptVersion) {
  {
    auto db = open();
    WriteBatch batch;
    batch.put(Table::meta, "schema_version", be64(0));
    db->write(std::move(batch));
  }
  EXPECT_THROW(open(), IncompatibleSchema);
  test::TempDir other;
  {
    auto db = Database::open({other.str("db"), false, 8});
    WriteBatch batch;
    batch.put(Table::meta, "schema_version", "short");
    db->write(std::move(batch));
  }
  EXPECT_THROW(Database::open({other.str("db"), false, 8}), IncompatibleSchema);
}

TEST_F(DatabaseTest, RefusesEventsWithoutASchemaVersion) {
  {
    auto db = open();
    WriteBatch batch;
    batch.put(Table::eventid_event, "$e", "{}");
    batch.remove(Table::meta, "schema_version");
    db->write(std::move(batch));
  }
  EXPECT_THROW(open(), IncompatibleSchema);
}

TEST_F(DatabaseTest, SameSchemaOpensAgain) {
  { auto db = open(); }
  EXPECT_NO_THROW(open());
}

}  // namespace
}  // namespace domovoy::storage
