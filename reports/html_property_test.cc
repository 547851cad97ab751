#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "checkers/testing.h"
#include "reports/html.h"
#include "reports/report_testing.h"
#include "reports/run_report.h"

namespace faultline::reports {
namespace {

// Every `&` in `s` starts one of the entities HtmlEscape writes.
bool AmpersandsAreEntities(const std::string& s) {
  for (size_t p = s.find('&'); p != std::string::npos; p = s.find('&', p + 1)) {
    bool entity = false;
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
      if (s.compare(p, std::char_traits<char>::length(e), e) == 0) entity = true;
    }
    if (!entity) return false;
  }
  return true;
}

RC_GTEST_PROP(HtmlEscape, LeavesNoMarkup, (const std::string& text)) {
  std::string out = HtmlEscape(text);
  RC_ASSERT(out.find_first_of("<>\"'") == std::string::npos);
  RC_ASSERT(AmpersandsAreEntities(out));
}

RC_GTEST_PROP(HtmlEscape, IsReversible, (const std::string& text)) {
  std::string out = HtmlEscape(text);
  std::string back;
  for (size_t i = 0; i < out.size();) {
    bool matched = false;
    for (auto [e, c] : {std::pair{"&amp;", '&'},
                        {"&lt;", '<'},
                        {"&gt;", '>'},
                        {"&quot;", '"'},
                        {"&#39;", '\''}}) {
      size_t n = std::char_traits<char>::length(e);
      if (out.compare(i, n, e) == 0) {
        back.push_back(c);
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) back.push_back(out[i++]);
  }
  RC_ASSERT(back == text);
}

// A `<script>` planted in a history key, a fault target and a runtime reason, around arbitrary
// text, never appears raw in report.html.
RC_GTEST_PROP(RunReport, PlantedScriptNeverRaw, (const std::string& noise)) {
  const std::string planted = noise + "<script>alert(1)</script>" + noise;
  const std::string q = testing::Quote(planted);
  checkers::testing::HistoryText h;
  h.Meta("exactly-once").Phase(1, "generate");
  h.Line("{\"t\":10,\"type\":\"input\",\"id\":0,\"key\":" + q +
         ",\"partition\":0,\"offset\":0,\"event_time\":0,\"value\":1}");
  h.Line("{\"t\":20,\"type\":\"fault\",\"fault\":" + q + ",\"target\":" + q +
         ",\"phase\":\"begin\"}");
  h.Line(
      "{\"t\":25,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":\"failover-begin\","
      "\"reason\":" +
      q + "}");
  h.Line(
      "{\"t\":26,\"type\":\"runtime\",\"node\":\"coordinator\",\"event\":"
      "\"checkpoint-aborted\",\"checkpoint\":1,\"reason\":" +
      q + "}");
  h.Line("{\"t\":30,\"type\":\"fault\",\"fault\":" + q + ",\"target\":" + q +
         ",\"phase\":\"end\"}");
  h.FinalRead(2'000'000'000);
  RunData run = testing::MakeRun(h.str());
  std::string html = RenderRunReport(run);
  RC_ASSERT(html.find("<script") == std::string::npos);
  RC_ASSERT(html.find("</script") == std::string::npos);
  RC_ASSERT(testing::CountOf(html, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 3);
}

}  // namespace
}  // namespace faultline::reports
