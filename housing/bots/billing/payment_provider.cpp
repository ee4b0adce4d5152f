#include "housing/bots/billing/payment_provider.hpp"

namespace domovoy::housing {

ProviderReceipt SandboxPaymentProvider::create(const PaymentOrder& order) {
  std::lock_guard lock(mutex_);
  // Idempotent by payment id, as a real acquirer is by its idempotency key.
  pending_.try_emplace(order.payment_id, Pending{order, std::chrono::steady_clock::now() + delay_});
  return {"sandbox-" + order.payment_id, "https://sandbox.invalid/pay/" + order.payment_id};
}

std::vector<Settlement> SandboxPaymentProvider::settlements() {
  std::lock_guard lock(mutex_);
  std::vector<Settlement> settled = std::move(refunds_);
  refunds_.clear();
  auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.settle_at > now) {
      ++it;
      continue;
    }
    if (it->second.order.kopecks % 100 == 13)
      settled.push_back({it->first, "failed", "Карта отклонена банком / The card was declined"});
    else
      settled.push_back({it->first, "succeeded", {}});
    it = pending_.erase(it);
  }
  return settled;
}

void SandboxPaymentProvider::refund(const std::string& payment_id) {
  std::lock_guard lock(mutex_);
  refunds_.push_back({payment_id, "refunded", {}});
}

void SandboxPaymentProvider::resume(const std::vector<PaymentOrder>& pending) {
  std::lock_guard lock(mutex_);
  for (const auto& order : pending)
    pending_.try_emplace(order.payment_id, Pending{order, std::chrono::steady_clock::now() + delay_});
}

}  // namespace domovoy::housing
