// Notifier (sync/notifier.hpp): a wake reaches exactly the long-polls of the users named, ends
// their wait on their own executor, is not lost when it comes before the wait starts, and a
// finished long-poll unregisters itself.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "homeserver/sync/notifier.hpp"

namespace domovoy {
namespace {

// Waits on the waiter's timer (as /sync does) and reports whether a wake ended the wait
// before `limit` did.
bool woken_within(boost::asio::io_context& io, Notifier::Waiter& waiter, std::chrono::milliseconds limit) {
  bool finished = false, cancelled = false, timed_out = false;
  waiter.timer.async_wait([&](const boost::system::error_code& ec) {
    finished = true;
    cancelled = ec == boost::asio::error::operation_aborted;
  });
  boost::asio::steady_timer guard(io, limit);
  guard.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    waiter.timer.cancel();
  });
  io.restart();
  while (!finished) io.run_one();
  guard.cancel();
  io.poll();
  return cancelled && !timed_out && waiter.woken;
}

TEST(Notifier, WakesOnlyTheUsersNamed) {
  boost::asio::io_context io;
  Notifier notifier;
  auto alice = notifier.listen("@alice:x", io.get_executor());
  auto bob = notifier.listen("@bob:x", io.get_executor());
  EXPECT_EQ(notifier.waiting(), 2u);
  notifier.wake({"@alice:x", "@carol:x"});
  EXPECT_TRUE(alice->waiter().woken);
  EXPECT_FALSE(bob->waiter().woken);
  EXPECT_TRUE(woken_within(io, alice->waiter(), std::chrono::seconds(5)));
}

TEST(Notifier, AWakeBeforeTheWaitIsKept) {
  boost::asio::io_context io;
  Notifier notifier;
  auto registration = notifier.listen("@alice:x", io.get_executor());
  notifier.wake_user("@alice:x");  // between registering and computing the response
  io.poll();                         // the cancel ran before anyone waited
  EXPECT_TRUE(registration->waiter().woken) << "the flag tells the long-poll not to wait";
}

TEST(Notifier, EveryLongPollOfAUserIsWokenAndUnregistersItself) {
  boost::asio::io_context io;
  Notifier notifier;
  {
    auto first = notifier.listen("@alice:x", io.get_executor());
    auto second = notifier.listen("@alice:x", io.get_executor());
    notifier.wake_user("@alice:x");
    EXPECT_TRUE(first->waiter().woken);
    EXPECT_TRUE(second->waiter().woken);
  }
  EXPECT_EQ(notifier.waiting(), 0u);
  notifier.wake_user("@alice:x");  // nobody waits: nothing happens
  io.poll();
}

}  // namespace
}  // namespace domovoy
