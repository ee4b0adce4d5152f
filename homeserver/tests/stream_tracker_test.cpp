// The stream position tracker (rooms/stream_tracker.hpp): positions are handed out in order,
// and readers see only up to the last position below which everything has completed.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "homeserver/rooms/stream_tracker.hpp"
#include "homeserver/tests/test_support.hpp"
#include "storage/database.hpp"
#include "storage/key_codec.hpp"

namespace domovoy {
namespace {

TEST(StreamTracker, StartsAtTheLastPersistedPosition) {
  StreamTracker tracker(41);
  EXPECT_EQ(tracker.current(), 41u);
  EXPECT_EQ(tracker.allocate(), 42u);
  EXPECT_EQ(tracker.allocate(), 43u);
}

TEST(StreamTracker, InOrderCompletionAdvances) {
  StreamTracker tracker(0);
  auto a = tracker.allocate();
  EXPECT_EQ(tracker.current(), 0u);
  tracker.complete(a);
  EXPECT_EQ(tracker.current(), a);
}

TEST(StreamTracker, OutOfOrderCompletionWaitsForTheGap) {
  StreamTracker tracker(10);
  auto p11 = tracker.allocate();
  auto p12 = tracker.allocate();
  auto p13 = tracker.allocate();
  ASSERT_EQ(p11, 11u);
  ASSERT_EQ(p13, 13u);
  tracker.complete(p13);
  EXPECT_EQ(tracker.current(), 10u) << "11 and 12 are still being written";
  tracker.complete(p12);
  EXPECT_EQ(tracker.current(), 10u) << "11 is still being written";
  tracker.complete(p11);
  EXPECT_EQ(tracker.current(), 13u);
}

TEST(StreamTracker, AllocationAfterAGapKeepsTheGap) {
  StreamTracker tracker(0);
  auto p1 = tracker.allocate();
  auto p2 = tracker.allocate();
  tracker.complete(p2);
  auto p3 = tracker.allocate();
  EXPECT_EQ(tracker.current(), 0u);
  tracker.complete(p1);
  EXPECT_EQ(tracker.current(), 2u) << "3 is pending";
  tracker.complete(p3);
  EXPECT_EQ(tracker.current(), 3u);
}

TEST(StreamTracker, SlotCompletesOnScopeExitAlsoWhenThrowing) {
  StreamTracker tracker(0);
  {
    StreamTracker::Slot slot(tracker);
    EXPECT_EQ(slot.position(), 1u);
    EXPECT_EQ(tracker.current(), 0u);
  }
  EXPECT_EQ(tracker.current(), 1u);
  try {
    StreamTracker::Slot slot(tracker);
    throw std::runtime_error("write failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(tracker.current(), 2u);
}

TEST(StreamTracker, ConcurrentAllocationsAreUnique) {
  StreamTracker tracker(0);
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::vector<std::uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        StreamTracker::Slot slot(tracker);
        seen[t].push_back(slot.position());
        EXPECT_LT(tracker.current(), slot.position()) << "a pending position is never visible";
      }
    });
  for (auto& thread : threads) thread.join();
  std::set<std::uint64_t> all;
  for (const auto& list : seen) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*all.rbegin(), static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_EQ(tracker.current(), static_cast<std::uint64_t>(kThreads * kEach));
}

TEST(StreamTracker, ResumesAfterTheGreatestPositionInTheDatabase) {
  test::TempDir dir;
  {
    auto db = storage::Database::open({dir.str("db"), false, 8});
    EXPECT_EQ(StreamTracker(*db).current(), 0u);
    storage::WriteBatch batch;
    for (std::uint64_t position : {5, 300, 17}) batch.put(storage::Table::streampos_kind, storage::be64(position), "event");
    db->write(std::move(batch));
  }
  auto db = storage::Database::open({dir.str("db"), false, 8});
  StreamTracker tracker(*db);
  EXPECT_EQ(tracker.current(), 300u);
  EXPECT_EQ(tracker.allocate(), 301u);
}

}  // namespace
}  // namespace domovoy
