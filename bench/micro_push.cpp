// Push-rule evaluation per member of a building's room: one message evaluated against the
// predefined rules of 2,000 members (each with their own compiled ruleset, display name and
// the room's context), as the unread counts and the push gateway do per event.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "homeserver/push/push_evaluator.hpp"
#include "homeserver/push/push_rules.hpp"

namespace {

using namespace domovoy;
namespace json = boost::json;

void BM_PushRulesPerMember(benchmark::State& state) {
  const int members = static_cast<int>(state.range(0));
  std::vector<PushRuleSet> rules;
  std::vector<PushContext> contexts;
  for (int i = 0; i < members; ++i) {
    auto user = "@resident" + std::to_string(i) + ":example.org";
    rules.push_back(compile_push_rules(default_push_rules(user)));
    PushContext context;
    context.user_id = user;
    context.display_name = "Жилец " + std::to_string(i);
    context.member_count = static_cast<std::uint64_t>(members);
    contexts.push_back(std::move(context));
  }
  json::object content{{"msgtype", "m.text"},
                       {"body", "Уважаемые соседи! Завтра с 10 до 14 часов не будет горячей воды во всём доме."},
                       {"m.mentions", json::object{}}};
  PushEvent event{json::object{{"type", "m.room.message"}, {"sender", "@chair:example.org"}, {"room_id", "!r:example.org"}},
                  &content};
  std::int64_t notified = 0;
  for (auto _ : state) {
    for (int i = 0; i < members; ++i) notified += evaluate_push_rules(rules[i], event, contexts[i]).notify ? 1 : 0;
  }
  benchmark::DoNotOptimize(notified);
  state.counters["per_member_us"] =
      benchmark::Counter(static_cast<double>(members), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert,
                         benchmark::Counter::OneK::kIs1000);
}
BENCHMARK(BM_PushRulesPerMember)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace
