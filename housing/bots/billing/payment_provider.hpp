#pragma once
// The payment-provider interface of the billing bot, and a sandbox that behaves like a real
// acquirer: a payment is created pending and is settled later, asynchronously (succeeded or
// failed), and a settled one may be refunded. A real provider (ЮKassa, СБП through a bank)
// implements the same four calls: create, settlements (its webhooks or status polling), refund,
// and resume after a restart.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace domovoy::housing {

struct PaymentOrder {
  std::string payment_id;
  std::string account;
  std::int64_t kopecks = 0;
  std::string description;
};

struct ProviderReceipt {
  std::string reference;         // the provider's id of the payment
  std::string confirmation_url;  // where the payer confirms (3-D Secure, the bank's app)
};

struct Settlement {
  std::string payment_id;
  std::string status;  // succeeded | failed | refunded
  std::string reason;  // for failed
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // Idempotent by order.payment_id (a real acquirer's idempotency key): called again after a
  // crash, it does not charge twice.
  virtual ProviderReceipt create(const PaymentOrder& order) = 0;
  // What was settled since the last call.
  virtual std::vector<Settlement> settlements() = 0;
  virtual void refund(const std::string& payment_id) = 0;
  // After a restart: the payments still pending here, for the provider to follow again.
  virtual void resume(const std::vector<PaymentOrder>& pending) = 0;
};

// The sandbox settles each payment `delay` after it was created (steady time, so the test
// clock does not move it): an amount whose kopecks are 13 is declined ("the card was
// declined"), like the test cards of real acquirers, any other succeeds.
class SandboxPaymentProvider : public PaymentProvider {
 public:
  explicit SandboxPaymentProvider(std::chrono::milliseconds delay = std::chrono::milliseconds(300)) : delay_(delay) {}

  ProviderReceipt create(const PaymentOrder& order) override;
  std::vector<Settlement> settlements() override;
  void refund(const std::string& payment_id) override;
  void resume(const std::vector<PaymentOrder>& pending) override;

 private:
  struct Pending {
    PaymentOrder order;
    std::chrono::steady_clock::time_point settle_at;
  };
  std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::map<std::string, Pending> pending_;
  std::vector<Settlement> refunds_;
};

}  // namespace domovoy::housing
