#pragma once
// Wakes long-polling /sync requests. A waiter registers for one user before it computes its
// response, so nothing that happens in between is missed: a wake sets the flag and cancels the
// waiter's timer on the waiter's own strand.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace domovoy {

class Notifier {
 public:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    std::atomic<bool> woken{false};
  };

  // The returned guard unregisters the waiter when destroyed.
  class Registration {
   public:
    Registration(Notifier& notifier, std::string user_id, std::shared_ptr<Waiter> waiter)
        : notifier_(notifier), user_id_(std::move(user_id)), waiter_(std::move(waiter)) {}
    ~Registration() { notifier_.remove(user_id_, waiter_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    Waiter& waiter() { return *waiter_; }

   private:
    Notifier& notifier_;
    std::string user_id_;
    std::shared_ptr<Waiter> waiter_;
  };

  std::unique_ptr<Registration> listen(const std::string& user_id, boost::asio::any_io_executor executor);
  void wake(const std::vector<std::string>& user_ids);
  void wake_user(const std::string& user_id) { wake({user_id}); }
  std::size_t waiting() const;

 private:
  void remove(const std::string& user_id, const std::shared_ptr<Waiter>& waiter);
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unordered_set<std::shared_ptr<Waiter>>> waiters_;
};

}  // namespace domovoy
