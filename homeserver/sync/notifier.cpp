#include "homeserver/sync/notifier.hpp"

#include <boost/asio/post.hpp>

namespace domovoy {

std::unique_ptr<Notifier::Registration> Notifier::listen(const std::string& user_id,
                                                         boost::asio::any_io_executor executor) {
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->timer.expires_at(boost::asio::steady_timer::time_point::max());
  {
    std::lock_guard lock(mutex_);
    waiters_[user_id].insert(waiter);
  }
  return std::make_unique<Registration>(*this, user_id, waiter);
}

void Notifier::remove(const std::string& user_id, const std::shared_ptr<Waiter>& waiter) {
  std::lock_guard lock(mutex_);
  auto it = waiters_.find(user_id);
  if (it == waiters_.end()) return;
  it->second.erase(waiter);
  if (it->second.empty()) waiters_.erase(it);
}

void Notifier::wake(const std::vector<std::string>& user_ids) {
  std::vector<std::shared_ptr<Waiter>> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const auto& user : user_ids) {
      auto it = waiters_.find(user);
      if (it == waiters_.end()) continue;
      for (const auto& waiter : it->second)
        if (!waiter->woken.exchange(true)) to_wake.push_back(waiter);
    }
  }
  for (auto& waiter : to_wake) {
    boost::asio::post(waiter->timer.get_executor(), [waiter]() { waiter->timer.cancel(); });
  }
}

std::size_t Notifier::waiting() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [user, set] : waiters_) total += set.size();
  return total;
}

}  // namespace domovoy
