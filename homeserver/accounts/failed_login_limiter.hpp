#pragma once
// A limit on failed password attempts per account (Synapse's rc_login.failed_attempts), on top
// of the per-address limit of the login routes: an attacker with many addresses still gets
// `burst` guesses and then `per_second` more per account. Only failures spend the bucket, so a
// user who types the right password is held back only while someone's failures are being paid
// off, never for good. While the bucket is empty every attempt waits, the right password too:
// otherwise an attacker could tell a right guess from a wrong one during the window.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace domovoy {

class FailedLoginLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Limit {
    double per_second = 0.17;
    double burst = 3;
  };

  // A disabled limiter allows everything (the server's rate_limits.enabled).
  FailedLoginLimiter(Limit limit, bool enabled, Clock clock = &std::chrono::steady_clock::now);

  // Milliseconds until a password attempt on `user_id` may be checked; 0 when it may now.
  std::int64_t wait_ms(const std::string& user_id);
  // A password attempt on `user_id` failed.
  void record_failure(const std::string& user_id);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  Bucket& refilled(const std::string& user_id, std::chrono::steady_clock::time_point now);

  Limit limit_;
  bool enabled_;
  Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  static constexpr std::size_t kMaxBuckets = 100000;
};

}  // namespace domovoy
