// Random mutations of a valid scenario give either a valid parse or an error that names a JSON
// path; never a crash, never an exception.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "harness/scenario.h"

namespace faultline::harness {
namespace {

const char* kValid = R"({
  "name": "s", "seed": 3, "duration_s": 5, "mode": ["at-least-once", "exactly-once"],
  "cluster": {"workers": 2, "slots": 4, "network": "direct"},
  "job": {"operator": "count"},
  "workload": {"rate": 100, "keys": 5, "distribution": "zipf", "zipf_exponent": 1.2,
               "event_time_disorder_ms": 10},
  "nemesis": [{"fault": "kill", "target": "worker-1", "at_s": 1, "duration_s": 1},
              {"fault": "pause", "target": "random-worker", "every_s": 2}],
  "checks": ["delivery", "state"],
  "quiesce": {"timeout_s": 30, "checkpoints": 2},
  "expect": {"at-least-once": "any"}
})";

// Every (parent, key or index) location of a JSON value, for picking a mutation point.
void Locations(nlohmann::json* j, std::vector<std::pair<nlohmann::json*, nlohmann::json>>* out) {
  if (j->is_object()) {
    for (auto& [k, v] : j->items()) {
      out->push_back({j, k});
      Locations(&v, out);
    }
  } else if (j->is_array()) {
    for (size_t i = 0; i < j->size(); ++i) {
      out->push_back({j, i});
      Locations(&(*j)[i], out);
    }
  }
}

nlohmann::json RandomValue() {
  switch (*rc::gen::inRange(0, 7)) {
    case 0:
      return *rc::gen::arbitrary<int>();
    case 1:
      return *rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~'));
    case 2:
      return nullptr;
    case 3:
      return *rc::gen::arbitrary<bool>();
    case 4:
      return nlohmann::json::array({1, "x"});
    case 5:
      return nlohmann::json::object({{"zzz", 1}});
    default:
      return *rc::gen::arbitrary<double>();
  }
}

TEST(Scenario, TheBaseScenarioIsValid) {
  auto s = ParseScenario(kValid, "base.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->modes.size(), 2u);
  EXPECT_EQ(s->nemesis.size(), 2u);
  auto again = ParseScenario(s->ToJson().dump(), "resolved.json");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), s->ToJson());  // the resolved form round-trips
}

TEST(Scenario, ErrorsNameThePath) {
  auto bad =
      ParseScenario(R"({"name":"x","mode":"exactly-once","workload":{"rate":"fast"}})", "b.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.json: $.workload.rate: expected an integer"),
            std::string::npos)
      << bad.status().message();
  auto unknown = ParseScenario(
      R"({"name":"x","mode":"exactly-once","nemesis":[{"fault":"kill","target":"coordinator","at_s":1,"durtion_s":2}]})",
      "u.json");
  EXPECT_NE(unknown.status().message().find("$.nemesis[0].durtion_s: unknown key"),
            std::string::npos)
      << unknown.status().message();
}

RC_GTEST_PROP(ScenarioProperty, MutationsParseOrNameAPath, ()) {
  nlohmann::json j = nlohmann::json::parse(kValid);
  std::vector<std::pair<nlohmann::json*, nlohmann::json>> locs;
  Locations(&j, &locs);
  auto [parent, where] = locs[*rc::gen::inRange<size_t>(0, locs.size())];
  switch (*rc::gen::inRange(0, 3)) {
    case 0:  // replace a value
      (*parent)[where.is_string()
                    ? nlohmann::json::json_pointer("/" + where.get<std::string>())
                    : nlohmann::json::json_pointer("/" + std::to_string(where.get<size_t>()))] =
          RandomValue();
      break;
    case 1:  // delete it
      if (where.is_string()) {
        parent->erase(where.get<std::string>());
      } else {
        parent->erase(where.get<size_t>());
      }
      break;
    default:  // add an unknown key next to it
      if (parent->is_object())
        (*parent)["unexpected_" + std::to_string(*rc::gen::inRange(0, 9))] = RandomValue();
      break;
  }
  auto r = ParseScenario(j.dump(), "m.json");
  if (!r.ok()) {
    RC_ASSERT(r.status().message().find("m.json: $") == 0);
  }
}

}  // namespace
}  // namespace faultline::harness
