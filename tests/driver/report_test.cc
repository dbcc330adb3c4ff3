#include <unistd.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "driver/json.h"
#include "driver/output.h"
#include "driver/report_json.h"
#include "driver/report_text.h"
#include "driver/rules_doc.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/output_test_util.h"

namespace flopscope::driver {
namespace {

using ::testing::HasSubstr;
using testing::SampleReport;

TEST(TextReportTest, FindingLineThenPathRelatedAndFix) {
  Report report = SampleReport();
  report.notifications.clear();
  std::string text = RenderText(report);
  EXPECT_EQ(text,
            "/work/project/pkg/main.py:4:45: FS901 `ckpt.pt` is reloaded on every iteration "
            "[test-critical]\n"
            "    /work/project/pkg/main.py:4: in sweep(): calls models.load()\n"
            "    /work/project/pkg/models.py:4: in load(): checkpoint `ckpt.pt` loaded here\n"
            "    /work/project/pkg/main.py:4: note: loop starts here\n"
            "    fix: load once before the loop\n"
            "/work/project/pkg/models.py:4:12: FS903 say \"hi\" \\ tab\there newline \x01 ctl "
            "[test-medium]\n"
            "    fix: one-line fix\n"
            "Found 2 findings (FS901: 1, FS903: 1) in 2 files.\n");
}

TEST(TextReportTest, NotificationsAndSummary) {
  Report report = SampleReport();
  std::string text = RenderText(report);
  EXPECT_THAT(text, HasSubstr("/work/project/pkg/broken.py:2:1: warning: syntax error: "
                              "unexpected `)` [syntax-error]\n"));
  EXPECT_THAT(text, HasSubstr("in 2 files; 1 file had problems.\n"));
  report.findings.clear();
  report.notifications.clear();
  EXPECT_EQ(RenderText(report), "No findings in 2 files.\n");
}

TEST(JsonReportTest, DocumentedSchema) {
  absl::StatusOr<json::Value> parsed = json::Parse(RenderJson(SampleReport()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const json::Value& doc = *parsed;
  EXPECT_EQ(doc.Get("version")->AsInt(), kJsonReportVersion);
  const json::Value& findings = *doc.Get("findings");
  ASSERT_EQ(findings.size(), 2u);
  const json::Value& f = findings[0];
  EXPECT_EQ(f.Get("rule")->AsString(), "FS901");
  EXPECT_EQ(f.Get("slug")->AsString(), "test-critical");
  EXPECT_EQ(f.Get("severity")->AsString(), "critical");
  EXPECT_DOUBLE_EQ(f.Get("confidence")->Get("score")->AsDouble(), 0.9);
  EXPECT_EQ(f.Get("confidence")->Get("level")->AsString(), "high");
  EXPECT_EQ(f.Get("confidence")->Get("evidence")->AsString(), "checkpoint is a constant");
  EXPECT_EQ(f.Get("path")->AsString(), testing::kMainPath);
  EXPECT_EQ(f.Get("line")->AsInt(), 4);
  EXPECT_EQ(f.Get("column")->AsInt(), 45);
  EXPECT_EQ(f.Get("end_line")->AsInt(), 4);
  EXPECT_EQ(f.Get("end_column")->AsInt(), 58);
  EXPECT_EQ(f.Get("function")->AsString(), "pkg.main.sweep");
  EXPECT_EQ(f.Get("fix")->AsString(), "load once before the loop");
  const json::Value& path = *f.Get("call_path");
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[1].Get("path")->AsString(), testing::kModelsPath);
  EXPECT_EQ(path[1].Get("text")->AsString(), "in load(): checkpoint `ckpt.pt` loaded here");
  ASSERT_EQ(f.Get("related")->size(), 1u);
  EXPECT_EQ((*f.Get("related"))[0].Get("message")->AsString(), "loop starts here");
  EXPECT_EQ(findings[1].Get("message")->AsString(), SampleReport().findings[1].message);
  ASSERT_EQ(doc.Get("notifications")->size(), 1u);
  EXPECT_EQ((*doc.Get("notifications"))[0].Get("kind")->AsString(), "syntax-error");
  EXPECT_EQ(doc.Get("summary")->Get("findings")->AsInt(), 2);
  EXPECT_EQ(doc.Get("summary")->Get("by_rule")->Get("FS903")->AsInt(), 1);
}

TEST(OutputTest, FormatNamesAndWritingToAFile) {
  EXPECT_EQ(*ParseOutputFormat("SARIF"), OutputFormat::kSarif);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_FALSE(ParseOutputFormat("xml").ok());
  std::ostringstream out;
  ASSERT_TRUE(WriteReport(SampleReport(), OutputFormat::kJson, "", out).ok());
  EXPECT_TRUE(json::Parse(out.str()).ok());
  std::string path =
      absl::StrCat(::testing::TempDir(), "/flopscope_report_test_", getpid(), ".sarif");
  std::ostringstream unused;
  ASSERT_TRUE(WriteReport(SampleReport(), OutputFormat::kSarif, path, unused).ok());
  EXPECT_TRUE(unused.str().empty());
  EXPECT_FALSE(
      WriteReport(SampleReport(), OutputFormat::kSarif, "/nonexistent/dir/x.sarif", unused).ok());
}

TEST(RuleDocTest, ListingAndPages) {
  std::ostringstream out;
  ASSERT_TRUE(RunRuleCommand(testing::TestRegistry(), "", true, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("FS901  test-critical  critical  a critical rule\n"));
  EXPECT_THAT(out.str(), HasSubstr("FS905  test-low       low       a low rule\n"));
  std::ostringstream page;
  absl::StatusOr<int> missing = RunRuleCommand(testing::TestRegistry(), "FS901", false, page);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);  // test rules have no page
  EXPECT_EQ(RunRuleCommand(testing::TestRegistry(), "FS999", false, page).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RuleDocTest, EveryRegisteredRuleHasAnEmbeddedPage) {
  for (const checkers::RuleInfo& rule : checkers::Registry::Default().rules()) {
    absl::StatusOr<std::string> page = RuleDocumentation(checkers::Registry::Default(),
                                                         rule.Code());
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_THAT(*page, ::testing::StartsWith(absl::StrCat("# ", rule.Code())));
  }
}

TEST(RuleDocTest, MarkdownSectionsAndPlainText) {
  const char* page =
      "# FS901 · test\n\n## What it does\n\nFinds **bad** `code`.\n\n```python\n## not a heading\n"
      "x = 1\n```\nMore.\n\n## Why is this bad?\nSlow.\n";
  EXPECT_EQ(MarkdownSection(page, "What it does"),
            "Finds **bad** `code`.\n\n```python\n## not a heading\nx = 1\n```\nMore.");
  EXPECT_EQ(MarkdownSection(page, "why is this bad?"), "Slow.");
  EXPECT_EQ(MarkdownSection(page, "Options"), "");
  EXPECT_EQ(MarkdownToPlainText("## Title\nFinds **bad** `code`.\n```\n# kept\n```"),
            "Title\nFinds bad code.\n    # kept");
}

}  // namespace
}  // namespace flopscope::driver
