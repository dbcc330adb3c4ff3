#include "driver/sarif.h"

#include <string>

#include "driver/fingerprints.h"
#include "driver/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/output_test_util.h"

namespace flopscope::driver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::SampleReport;

// Serializes and parses back, so every test also checks that the output is valid JSON.
json::Value RoundTrip(const Report& report) {
  absl::StatusOr<json::Value> parsed = json::Parse(RenderSarif(report));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : json::Value();
}

const json::Value& At(const json::Value& v, std::initializer_list<absl::string_view> keys) {
  const json::Value* cur = &v;
  for (absl::string_view key : keys) {
    cur = cur->Get(key);
    if (cur == nullptr) {
      ADD_FAILURE() << "missing member " << key;
      static const json::Value kNull;
      return kNull;
    }
  }
  return *cur;
}

TEST(SarifTest, LogHasVersionSchemaToolAndRunProperties) {
  json::Value log = RoundTrip(SampleReport());
  EXPECT_EQ(At(log, {"version"}).AsString(), "2.1.0");
  EXPECT_THAT(At(log, {"$schema"}).AsString(), HasSubstr("sarif-schema-2.1.0.json"));
  ASSERT_EQ(At(log, {"runs"}).size(), 1u);
  const json::Value& run = At(log, {"runs"})[0];
  EXPECT_EQ(At(run, {"tool", "driver", "name"}).AsString(), "flopscope");
  EXPECT_FALSE(At(run, {"tool", "driver", "semanticVersion"}).AsString().empty());
  EXPECT_EQ(At(run, {"columnKind"}).AsString(), "utf16CodeUnits");
  EXPECT_EQ(At(run, {"originalUriBaseIds", "%SRCROOT%", "uri"}).AsString(),
            "file:///work/project/");
  EXPECT_TRUE(At(run, {"invocations"})[0].Get("executionSuccessful")->AsBool());
}

TEST(SarifTest, RulesCarryMetadataFromTheRegistryInCodeOrder) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& rules = At(At(log, {"runs"})[0], {"tool", "driver", "rules"});
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(At(rules[0], {"id"}).AsString(), "FS901");
  EXPECT_EQ(At(rules[0], {"name"}).AsString(), "TestCritical");
  EXPECT_EQ(At(rules[0], {"shortDescription", "text"}).AsString(), "a critical rule");
  EXPECT_FALSE(At(rules[0], {"fullDescription", "text"}).AsString().empty());
  EXPECT_THAT(At(rules[0], {"help", "markdown"}).AsString(), HasSubstr("FS901"));
  EXPECT_EQ(At(rules[0], {"defaultConfiguration", "level"}).AsString(), "error");
  EXPECT_EQ(At(rules[1], {"defaultConfiguration", "level"}).AsString(), "warning");
  EXPECT_EQ(At(rules[2], {"defaultConfiguration", "level"}).AsString(), "note");
  EXPECT_EQ(At(rules[2], {"properties", "problem.severity"}).AsString(), "recommendation");
  // Precision: the weakest finding of the rule (0.9 -> high; 0.4 -> low), "medium" without any.
  EXPECT_EQ(At(rules[0], {"properties", "precision"}).AsString(), "high");
  EXPECT_EQ(At(rules[1], {"properties", "precision"}).AsString(), "low");
  EXPECT_EQ(At(rules[2], {"properties", "precision"}).AsString(), "medium");
  const json::Value& tags = At(rules[0], {"properties", "tags"});
  ASSERT_GE(tags.size(), 1u);
  EXPECT_EQ(tags[0].AsString(), "efficiency");
  EXPECT_EQ(rules[0].Get("properties")->Get("security-severity"), nullptr);
}

TEST(SarifTest, ResultHasRuleLevelMessageAndRelativeLocation) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& run = At(log, {"runs"})[0];
  const json::Value& results = At(run, {"results"});
  ASSERT_EQ(results.size(), 2u);
  const json::Value& r = results[0];
  EXPECT_EQ(At(r, {"ruleId"}).AsString(), "FS901");
  int index = static_cast<int>(At(r, {"ruleIndex"}).AsInt());
  EXPECT_EQ(At(At(run, {"tool", "driver", "rules"})[index], {"id"}).AsString(), "FS901");
  EXPECT_EQ(At(r, {"level"}).AsString(), "error");
  EXPECT_EQ(At(r, {"message", "text"}).AsString(), "`ckpt.pt` is reloaded on every iteration");

  const json::Value& loc = At(r, {"locations"})[0];
  const json::Value& artifact = At(loc, {"physicalLocation", "artifactLocation"});
  EXPECT_EQ(At(artifact, {"uri"}).AsString(), "pkg/main.py");
  EXPECT_EQ(At(artifact, {"uriBaseId"}).AsString(), "%SRCROOT%");
  int artifact_index = static_cast<int>(At(artifact, {"index"}).AsInt());
  EXPECT_EQ(At(At(run, {"artifacts"})[artifact_index], {"location", "uri"}).AsString(),
            "pkg/main.py");
  EXPECT_EQ(At(loc, {"logicalLocations"})[0].Get("fullyQualifiedName")->AsString(),
            "pkg.main.sweep");
  EXPECT_EQ(At(r, {"properties", "fix"}).AsString(), "load once before the loop");
  EXPECT_EQ(At(r, {"properties", "confidenceLevel"}).AsString(), "high");
}

TEST(SarifTest, ColumnsAreUtf16CodeUnits) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& region =
      *At(At(At(log, {"runs"})[0], {"results"})[0], {"locations"})[0]
           .Get("physicalLocation")
           ->Get("region");
  EXPECT_EQ(At(region, {"startLine"}).AsInt(), 4);
  // Byte column 45 follows "é" (2 bytes, 1 unit) and "😀" (4 bytes, 2 units).
  EXPECT_EQ(At(region, {"startColumn"}).AsInt(), 42);
  EXPECT_EQ(At(region, {"endLine"}).AsInt(), 4);
  EXPECT_EQ(At(region, {"endColumn"}).AsInt(), 55);
}

TEST(SarifTest, Utf16ColumnConversion) {
  EXPECT_EQ(Utf16Column("abc", 1), 1u);
  EXPECT_EQ(Utf16Column("abc", 3), 3u);
  EXPECT_EQ(Utf16Column("abc", 4), 4u);               // end of line (exclusive end)
  EXPECT_EQ(Utf16Column("\xc3\xa9x", 3), 2u);          // é is one unit
  EXPECT_EQ(Utf16Column("\xe2\x82\xac" "x", 4), 2u);   // € (3 bytes) is one unit
  EXPECT_EQ(Utf16Column("\xf0\x9f\x98\x80x", 5), 3u);  // 😀 is a surrogate pair
  EXPECT_EQ(Utf16Column("\xffx", 2), 2u);              // an invalid byte counts one
  EXPECT_EQ(Utf16Column("ab", 6), 6u);                 // past the end keeps its distance
}

TEST(SarifTest, CallPathBecomesOneThreadFlowFromReportedLineToOrigin) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& r = At(At(log, {"runs"})[0], {"results"})[0];
  ASSERT_EQ(At(r, {"codeFlows"}).size(), 1u);
  const json::Value& steps = At(At(At(r, {"codeFlows"})[0], {"threadFlows"})[0], {"locations"});
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(At(steps[0], {"location", "message", "text"}).AsString(),
            "in sweep(): calls models.load()");
  EXPECT_EQ(At(steps[0], {"location", "physicalLocation", "artifactLocation", "uri"}).AsString(),
            "pkg/main.py");
  EXPECT_EQ(At(steps[1], {"location", "message", "text"}).AsString(),
            "in load(): checkpoint `ckpt.pt` loaded here");
  EXPECT_EQ(At(steps[1], {"location", "physicalLocation", "artifactLocation", "uri"}).AsString(),
            "pkg/models.py");
  EXPECT_EQ(At(steps[1], {"location", "physicalLocation", "region", "startLine"}).AsInt(), 4);
  // The local finding has no path, so no codeFlow.
  EXPECT_EQ(At(At(log, {"runs"})[0], {"results"})[1].Get("codeFlows"), nullptr);
}

TEST(SarifTest, CodeFlowStartsAtReportedLineEvenIfTheCheckerStartedElsewhere) {
  Report report = SampleReport();
  report.findings[0].call_path.erase(report.findings[0].call_path.begin());
  json::Value log = RoundTrip(report);
  const json::Value& steps = At(
      At(At(At(At(log, {"runs"})[0], {"results"})[0], {"codeFlows"})[0], {"threadFlows"})[0],
      {"locations"});
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(At(steps[0], {"location", "physicalLocation", "region", "startLine"}).AsInt(), 4);
  EXPECT_EQ(At(steps[0], {"location", "message", "text"}).AsString(),
            "`ckpt.pt` is reloaded on every iteration");
}

TEST(SarifTest, RelatedLocationsHaveIdsAndMessages) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& related = At(At(At(log, {"runs"})[0], {"results"})[0], {"relatedLocations"});
  ASSERT_EQ(related.size(), 1u);
  EXPECT_EQ(At(related[0], {"id"}).AsInt(), 1);
  EXPECT_EQ(At(related[0], {"message", "text"}).AsString(), "loop starts here");
  EXPECT_EQ(At(related[0], {"physicalLocation", "region", "startColumn"}).AsInt(), 5);
}

TEST(SarifTest, MessagesAreEscapedAndSurviveARoundTrip) {
  Report report = SampleReport();
  std::string text = RenderSarif(report);
  EXPECT_THAT(text, HasSubstr(R"(say \"hi\" \\ tab\there\nnewline \u0001 ctl)"));
  json::Value log = RoundTrip(report);
  EXPECT_EQ(At(At(At(log, {"runs"})[0], {"results"})[1], {"message", "text"}).AsString(),
            report.findings[1].message);
}

TEST(SarifTest, ParseProblemsAreToolExecutionNotifications) {
  json::Value log = RoundTrip(SampleReport());
  const json::Value& notes =
      At(At(At(log, {"runs"})[0], {"invocations"})[0], {"toolExecutionNotifications"});
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(At(notes[0], {"level"}).AsString(), "warning");
  EXPECT_EQ(At(notes[0], {"descriptor", "id"}).AsString(), "syntax-error");
  EXPECT_THAT(At(notes[0], {"message", "text"}).AsString(), HasSubstr("syntax error"));
  EXPECT_EQ(At(notes[0], {"locations"})[0].Get("physicalLocation")->Get("artifactLocation")
                ->Get("uri")->AsString(),
            "pkg/broken.py");
}

TEST(SarifTest, FilesOutsideTheRootGetAbsoluteFileUris) {
  Report report = SampleReport();
  report.findings[1].location.path = "/elsewhere/my lib.py";
  json::Value log = RoundTrip(report);
  const json::Value& artifact = *At(At(At(log, {"runs"})[0], {"results"})[1], {"locations"})[0]
                                     .Get("physicalLocation")
                                     ->Get("artifactLocation");
  EXPECT_EQ(At(artifact, {"uri"}).AsString(), "file:///elsewhere/my%20lib.py");
  EXPECT_EQ(artifact.Get("uriBaseId"), nullptr);
}

std::string Fingerprint(const json::Value& log, size_t result, absl::string_view key) {
  const json::Value* v = At(At(log, {"runs"})[0], {"results"})[result]
                             .Get("partialFingerprints")
                             ->Get(key);
  return v == nullptr ? "" : v->AsString();
}

TEST(SarifTest, FingerprintsSurviveUnrelatedLinesInsertedAbove) {
  json::Value before = RoundTrip(SampleReport(0));
  json::Value after = RoundTrip(SampleReport(3));
  for (size_t i = 0; i < 2; ++i) {
    std::string line_hash = Fingerprint(before, i, "primaryLocationLineHash");
    EXPECT_THAT(line_hash, ::testing::MatchesRegex("[0-9a-f]+:[0-9]+"));
    EXPECT_EQ(line_hash, Fingerprint(after, i, "primaryLocationLineHash"));
    std::string stable = Fingerprint(before, i, "flopscopeFingerprint/v1");
    EXPECT_THAT(stable, ::testing::MatchesRegex("[0-9a-f]{16}:1"));
    EXPECT_EQ(stable, Fingerprint(after, i, "flopscopeFingerprint/v1"));
  }
  EXPECT_NE(Fingerprint(before, 0, "flopscopeFingerprint/v1"),
            Fingerprint(before, 1, "flopscopeFingerprint/v1"));
}

TEST(SarifTest, FingerprintsChangeWhenTheFindingChanges) {
  Report report = SampleReport();
  json::Value before = RoundTrip(report);
  report.findings[0].message = "`other.pt` is reloaded on every iteration";
  std::string& main = report.sources[testing::kMainPath];
  main.replace(main.find("models.load()"), 13, "models.LOAD()");
  json::Value after = RoundTrip(report);
  EXPECT_NE(Fingerprint(before, 0, "flopscopeFingerprint/v1"),
            Fingerprint(after, 0, "flopscopeFingerprint/v1"));
  EXPECT_NE(Fingerprint(before, 0, "primaryLocationLineHash"),
            Fingerprint(after, 0, "primaryLocationLineHash"));
}

TEST(SarifTest, IdenticalFindingsInOneFunctionGetDistinctFingerprints) {
  Report report = SampleReport();
  checkers::Diagnostic twin = report.findings[0];
  twin.location.range.col = 5;
  report.findings.push_back(twin);
  json::Value log = RoundTrip(report);
  std::string a = Fingerprint(log, 0, "flopscopeFingerprint/v1");
  std::string b = Fingerprint(log, 2, "flopscopeFingerprint/v1");
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16));
  EXPECT_EQ(a.substr(16), ":1");
  EXPECT_EQ(b.substr(16), ":2");
}

TEST(SarifTest, NoLineHashWithoutTheFileText) {
  Report report = SampleReport();
  report.sources.clear();  // and the paths do not exist on disk
  json::Value log = RoundTrip(report);
  EXPECT_EQ(Fingerprint(log, 0, "primaryLocationLineHash"), "");
  EXPECT_NE(Fingerprint(log, 0, "flopscopeFingerprint/v1"), "");
  // Without the text, columns stay byte columns.
  EXPECT_EQ(At(At(At(log, {"runs"})[0], {"results"})[0], {"locations"})[0]
                .Get("physicalLocation")->Get("region")->Get("startColumn")->AsInt(),
            45);
}

// Expected values are those of the CodeQL action's own unit tests for its `hash` function
// (src/fingerprints.test.ts), so agreement here means GitHub computes the same fingerprints.
TEST(LineHashTest, MatchesCodeqlActionKnownValues) {
  EXPECT_THAT(LineHashes(""), ElementsAre("c129715d7a2bc9a3:1"));
  EXPECT_THAT(LineHashes(" a\nb\n  \t\tc\n d"),
              ElementsAre("271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1",
                          "a23a3dc5e078b07b:1"));
  EXPECT_THAT(LineHashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End"),
              ElementsAre("8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1",
                          "c6805c5e1288b612:1", "b86d3392aea1be30:1", "e6ceba753e1a442:1"));
}

TEST(LineHashTest, AllLineEndingsHashAlike) {
  const std::vector<std::string> expected = {
      "e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"};
  EXPECT_EQ(LineHashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n"), expected);
  EXPECT_EQ(LineHashes(" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r"), expected);
  EXPECT_EQ(LineHashes(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n"), expected);
  EXPECT_EQ(LineHashes(" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n"), expected);
}

TEST(LineHashTest, RepeatedLinesAreNumbered) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "Lorem ipsum dolor sit amet.\n";
  EXPECT_THAT(LineHashes(text),
              ElementsAre("a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3",
                          "a7f2ff13bc495cf2:4", "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6",
                          "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1",
                          "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"));
}

TEST(SarifTest, LevelsFollowCatalogSeverity) {
  EXPECT_EQ(SarifLevel(checkers::Severity::kCritical), "error");
  EXPECT_EQ(SarifLevel(checkers::Severity::kHigh), "error");
  EXPECT_EQ(SarifLevel(checkers::Severity::kMedium), "warning");
  EXPECT_EQ(SarifLevel(checkers::Severity::kLow), "note");
}

TEST(SarifTest, PercentEncodesUnsafePathCharacters) {
  EXPECT_EQ(PercentEncodePath("pkg/a b#c%.py"), "pkg/a%20b%23c%25.py");
  EXPECT_EQ(PercentEncodePath("caf\xc3\xa9.py"), "caf%C3%A9.py");
  EXPECT_EQ(PercentEncodePath("a-b_c~d.py"), "a-b_c~d.py");
}

}  // namespace
}  // namespace flopscope::driver
