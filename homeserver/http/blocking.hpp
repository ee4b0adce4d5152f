#pragma once
// Runs a blocking function on the blocking pool and resumes the calling coroutine on its own
// executor afterwards: network threads never wait on disk, fsync or password hashing.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace domovoy::http {

// `function` is taken by reference and must be a named local of the awaiting coroutine: g++ 12
// destroys non-trivial temporaries inside a co_await full-expression twice (GCC bug 101367).
template <typename Function>
boost::asio::awaitable<std::invoke_result_t<Function&>> run_blocking(boost::asio::thread_pool& pool,
                                                                     Function& function) {
  using Result = std::invoke_result_t<Function&>;
  auto task = [&function]() -> boost::asio::awaitable<Result> { co_return function(); };
  co_return co_await boost::asio::co_spawn(pool, task, boost::asio::use_awaitable);
}

}  // namespace domovoy::http
