// State groups (rooms/state_store.hpp) on a real RocksDB: deltas give the right StateMap, long
// chains fold into full snapshots, and everything loads the same after reopening the database.
#include <gtest/gtest.h>

#include "homeserver/core/json.hpp"
#include "homeserver/rooms/state_store.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

using storage::Table;

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() { reopen(); }

  void reopen(std::size_t cache_entries = 512) {
    store.reset();
    database.reset();
    database = storage::Database::open({dir.str("db"), false, 8});
    store = std::make_unique<StateStore>(*database, cache_entries);
  }

  // Adds a group on `parent` with `changes`, writes it, and returns it.
  std::uint64_t add(std::uint64_t parent, const StateMap& changes) {
    StateMap next = parent == 0 ? StateMap{} : expected.at(parent);
    for (const auto& [key, id] : changes) next[key] = id;
    storage::WriteBatch batch;
    auto group = store->add_group(batch, parent, changes, std::make_shared<const StateMap>(next));
    database->write(std::move(batch));
    expected[group] = next;
    return group;
  }

  struct Record {
    std::uint64_t parent;
    int depth;
    std::size_t entries;
  };
  Record raw_record(std::uint64_t group) {
    auto stored = database->get(Table::stategroup_delta, storage::be64(group));
    if (!stored) throw std::runtime_error("no record for group " + std::to_string(group));
    auto object = parse_stored_json(*stored).as_object();
    return {object.at("parent").to_number<std::uint64_t>(), object.at("depth").to_number<int>(),
            object.at("set").as_array().size()};
  }
  // How many records a load of `group` reads: the group and its ancestors.
  int chain_length(std::uint64_t group) {
    int length = 0;
    for (; group != 0; group = raw_record(group).parent) ++length;
    return length;
  }

  static StateKey member(int i) { return {"m.room.member", "@u" + std::to_string(i) + ":x"}; }

  test::TempDir dir;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<StateStore> store;
  std::map<std::uint64_t, StateMap> expected;
};

TEST_F(StateStoreTest, GroupZeroIsEmpty) {
  ASSERT_NE(store->load(0), nullptr);
  EXPECT_TRUE(store->load(0)->empty());
}

TEST_F(StateStoreTest, DeltasBuildTheState) {
  auto g1 = add(0, {{{"m.room.create", ""}, "$create"}});
  auto g2 = add(g1, {{member(1), "$join1"}});
  auto g3 = add(g2, {{{"m.room.power_levels", ""}, "$pl"}, {member(2), "$join2"}});
  auto g4 = add(g3, {{member(1), "$leave1"}});  // replaces an entry
  EXPECT_EQ(raw_record(g4).entries, 1u) << "a delta stores only its changes";
  reopen();  // nothing from the cache
  EXPECT_EQ(*store->load(g1), (StateMap{{{"m.room.create", ""}, "$create"}}));
  EXPECT_EQ(*store->load(g2), (StateMap{{{"m.room.create", ""}, "$create"}, {member(1), "$join1"}}));
  EXPECT_EQ(*store->load(g4), (StateMap{{{"m.room.create", ""}, "$create"},
                                        {{"m.room.power_levels", ""}, "$pl"},
                                        {member(1), "$leave1"},
                                        {member(2), "$join2"}}));
  EXPECT_EQ(*store->load(g3), expected.at(g3));
}

TEST_F(StateStoreTest, BranchesFromOneParentStayApart) {
  auto base = add(0, {{{"m.room.create", ""}, "$create"}});
  auto left = add(base, {{{"m.room.name", ""}, "$left"}});
  auto right = add(base, {{{"m.room.name", ""}, "$right"}});
  EXPECT_NE(left, right);
  reopen();
  EXPECT_EQ(store->load(left)->at({"m.room.name", ""}), "$left");
  EXPECT_EQ(store->load(right)->at({"m.room.name", ""}), "$right");
  EXPECT_EQ(store->load(base)->count({"m.room.name", ""}), 0u);
}

TEST_F(StateStoreTest, LongChainsFoldIntoSnapshots) {
  const int kGroups = 3 * StateStore::kMaxChainDepth + 5;
  std::vector<std::uint64_t> groups;
  std::uint64_t parent = add(0, {{{"m.room.create", ""}, "$create"}});
  groups.push_back(parent);
  for (int i = 0; i < kGroups; ++i) {
    parent = add(parent, {{member(i), "$e" + std::to_string(i)}});
    groups.push_back(parent);
  }
  int snapshots = 0;
  for (auto group : groups) {
    auto record = raw_record(group);
    EXPECT_LT(record.depth, StateStore::kMaxChainDepth) << group;
    EXPECT_LE(chain_length(group), StateStore::kMaxChainDepth) << group;
    if (record.parent == 0 && group != groups.front()) {
      ++snapshots;
      EXPECT_EQ(record.entries, expected.at(group).size()) << "a folded group stores the whole state";
    }
  }
  EXPECT_GE(snapshots, 2);
  EXPECT_EQ(chain_length(groups.back()), raw_record(groups.back()).depth + 1);
}

TEST_F(StateStoreTest, FoldedChainsLoadRightAfterReopening) {
  std::uint64_t parent = add(0, {{{"m.room.create", ""}, "$create"}});
  for (int i = 0; i < 2 * StateStore::kMaxChainDepth + 3; ++i) {
    // Some changes replace earlier entries, so a wrong fold or order would show.
    parent = add(parent, {{member(i % 7), "$e" + std::to_string(i)}, {{"m.room.topic", ""}, "$t" + std::to_string(i)}});
  }
  reopen();
  for (const auto& [group, state] : expected) EXPECT_EQ(*store->load(group), state) << "group " << group;
}

TEST_F(StateStoreTest, NewGroupsContinueAfterReopening) {
  auto g1 = add(0, {{{"m.room.create", ""}, "$create"}});
  auto g2 = add(g1, {{member(1), "$j"}});
  reopen();
  auto g3 = add(g2, {{member(2), "$k"}});
  EXPECT_GT(g3, g2);
  EXPECT_GT(g2, g1);
  reopen();
  EXPECT_EQ(*store->load(g3), expected.at(g3));
  EXPECT_EQ(*store->load(g2), expected.at(g2));
}

TEST_F(StateStoreTest, SmallCacheStillLoadsRight) {
  reopen(/*cache_entries=*/2);
  std::uint64_t parent = add(0, {{{"m.room.create", ""}, "$create"}});
  for (int i = 0; i < 40; ++i) parent = add(parent, {{member(i), "$e" + std::to_string(i)}});
  for (const auto& [group, state] : expected) EXPECT_EQ(*store->load(group), state) << "group " << group;
  // And in reverse order, which evicts differently.
  for (auto it = expected.rbegin(); it != expected.rend(); ++it) EXPECT_EQ(*store->load(it->first), it->second);
}

TEST_F(StateStoreTest, MissingGroupThrows) {
  EXPECT_THROW(store->load(12345), std::runtime_error);
}

}  // namespace
}  // namespace domovoy
