#include "checkers/registry.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "checkers/check_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/call_graph.h"
#include "ir/resolve.h"

namespace flopscope::checkers {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A test-only table: the registry's logic is tested independently of which rules exist.
Registry TestRegistry() {
  return Registry({
      RuleInfo{RuleId(201), "GradOn", "grad-on", Severity::kHigh, "b", nullptr},
      RuleInfo{RuleId(101), "ReloadA", "reload-a", Severity::kCritical, "a", nullptr},
      RuleInfo{RuleId(103), "LoadTwice", "load-twice", Severity::kHigh, "c", nullptr},
      RuleInfo{RuleId(111), "Other", "other-one", Severity::kLow, "d", nullptr},
  });
}

std::vector<std::string> Codes(const absl::StatusOr<std::vector<const RuleInfo*>>& rules) {
  EXPECT_TRUE(rules.ok()) << rules.status();
  std::vector<std::string> out;
  if (!rules.ok()) return out;
  for (const RuleInfo* rule : *rules) out.push_back(rule->Code());
  return out;
}

TEST(RegistryTest, SortedLookupByCodeSlugAndIndex) {
  Registry registry = TestRegistry();
  ASSERT_EQ(registry.rules().size(), 4u);
  EXPECT_EQ(registry.rules()[0].Code(), "FS101");
  EXPECT_EQ(registry.IndexOf(RuleId(103)), 1);
  EXPECT_EQ(registry.IndexOf(RuleId(999)), -1);
  EXPECT_EQ(registry.Find("fs103")->slug, "load-twice");
  EXPECT_EQ(registry.Find("grad-on")->Code(), "FS201");
  EXPECT_EQ(registry.Find("FS999"), nullptr);
  EXPECT_EQ(registry.Find(RuleId(111))->name, "Other");
  EXPECT_EQ(registry.Find("load-twice")->Stem(), "fs103_load_twice");
}

TEST(RegistryTest, SelectDefaultsToAllAndAcceptsPrefixesSlugsAndLists) {
  Registry registry = TestRegistry();
  EXPECT_THAT(Codes(registry.Select({}, {})), ElementsAre("FS101", "FS103", "FS111", "FS201"));
  EXPECT_THAT(Codes(registry.Select({"FS1"}, {})), ElementsAre("FS101", "FS103", "FS111"));
  EXPECT_THAT(Codes(registry.Select({"fs10"}, {})), ElementsAre("FS101", "FS103"));
  EXPECT_THAT(Codes(registry.Select({"FS201,reload-a"}, {})), ElementsAre("FS101", "FS201"));
  EXPECT_THAT(Codes(registry.Select({"ALL"}, {"FS2"})), ElementsAre("FS101", "FS103", "FS111"));
}

TEST(RegistryTest, MostSpecificSelectorWinsAndIgnoreWinsTies) {
  Registry registry = TestRegistry();
  EXPECT_THAT(Codes(registry.Select({"FS1"}, {"FS103"})), ElementsAre("FS101", "FS111"));
  EXPECT_THAT(Codes(registry.Select({"FS101"}, {"FS1"})), ElementsAre("FS101"));
  EXPECT_THAT(Codes(registry.Select({"FS10"}, {"FS10"})), ElementsAre());
  EXPECT_THAT(Codes(registry.Select({}, {"FS"})), ElementsAre());
}

TEST(RegistryTest, UnknownSelectorsAreInvalidArguments) {
  Registry registry = TestRegistry();
  auto bad_select = registry.Select({"FS7"}, {});
  EXPECT_EQ(bad_select.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_select.status().message(), HasSubstr("'FS7' selects no rule"));
  auto bad_ignore = registry.Select({}, {"E501"});
  EXPECT_EQ(bad_ignore.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_ignore.status().message(), HasSubstr("--ignore"));
  EXPECT_FALSE(registry.Select({"FS1011"}, {}).ok());
  EXPECT_FALSE(registry.Select({"no-such-rule"}, {}).ok());
}

// A checker that reports its own rule twice (once duplicated) and a rule it does not own.
class NoisyChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    Location b{"b.py", ir::SourceRange{3, 1, 3, 4}};
    Location a{"a.py", ir::SourceRange{9, 2, 9, 4}};
    sink.Report(Diagnostic::For(RuleId(101), b).Message("second"));
    sink.Report(Diagnostic::For(RuleId(101), a).Message("first").Step(a, "f", "calls g()"));
    sink.Report(Diagnostic::For(RuleId(101), a).Message("first"));
    sink.Report(Diagnostic::For(RuleId(201), a).Message("not selected"));
  }
};

std::unique_ptr<Checker> MakeNoisyChecker() { return std::make_unique<NoisyChecker>(); }

TEST(RegistryTest, RunCheckersFiltersSortsAndDeduplicates) {
  Registry registry({RuleInfo{RuleId(101), "Noisy", "noisy", Severity::kHigh, "n",
                              &MakeNoisyChecker},
                     RuleInfo{RuleId(201), "Quiet", "quiet", Severity::kHigh, "q", nullptr}});
  ir::Program program;
  ir::Resolver resolver(program);
  ir::CallGraph call_graph(program, resolver);
  CheckContext ctx(program, resolver, call_graph);
  auto selected = registry.Select({"FS101"}, {});
  ASSERT_TRUE(selected.ok());
  std::vector<Diagnostic> found = RunCheckers(*selected, ctx);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].location.path, "a.py");
  EXPECT_EQ(found[0].message, "first");
  EXPECT_EQ(found[0].call_path.size(), 1u);  // the first report of a duplicate is kept
  EXPECT_EQ(found[1].location.path, "b.py");
}

TEST(DiagnosticTest, FluentBuilderAndConfidenceWords) {
  Diagnostic d = Diagnostic::For(RuleId(101), Location{"x.py", {1, 1, 1, 2}})
                     .Message("m")
                     .Help("h")
                     .WithConfidence(1.7, "e")
                     .LogicalLocation("pkg.f")
                     .Related(Location{"x.py", {2, 1, 2, 2}}, "r");
  EXPECT_EQ(d.rule.Code(), "FS101");
  EXPECT_DOUBLE_EQ(d.confidence.score, 1.0);  // clamped
  EXPECT_EQ(d.confidence.Precision(), "very-high");
  EXPECT_EQ(d.related[0].message, "r");
  Confidence c;
  c.score = 0.85;
  EXPECT_EQ(ConfidenceLevelName(c.level()), "high");
  EXPECT_EQ(c.Precision(), "high");
  c.score = 0.5;
  EXPECT_EQ(ConfidenceLevelName(c.level()), "medium");
  c.score = 0.49;
  EXPECT_EQ(ConfidenceLevelName(c.level()), "low");
  EXPECT_EQ(c.Precision(), "low");
  EXPECT_EQ((PathStep{{}, "Loader.load", "calls x()"}).Text(), "in Loader.load(): calls x()");
  EXPECT_EQ((PathStep{{}, "<module>", "calls x()"}).Text(), "in <module>: calls x()");
  EXPECT_EQ((PathStep{{}, "", "calls x()"}).Text(), "calls x()");
}

// --- Consistency of the real table with the files on disk (STYLE.md section 3). ---

const fs::path& SourceDir() {
  static const fs::path dir(FLOPSCOPE_SOURCE_DIR);
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// File stems in `dir` that look like rule stems ("fs101_reload_in_loop"), with `suffix` removed
// from file names and "_project" from directory names.
std::set<std::string> RuleStems(const fs::path& dir, absl::string_view suffix, bool dirs_too) {
  std::set<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    std::string stem;
    if (entry.is_directory()) {
      if (!dirs_too) continue;
      stem = absl::EndsWith(name, "_project") ? name.substr(0, name.size() - 8) : name;
    } else {
      if (!absl::EndsWith(name, suffix)) continue;
      stem = name.substr(0, name.size() - suffix.size());
    }
    if (stem.size() > 6 && stem[0] == 'f' && stem[1] == 's' && absl::ascii_isdigit(stem[2]) &&
        absl::ascii_isdigit(stem[3]) && absl::ascii_isdigit(stem[4]) && stem[5] == '_') {
      out.insert(stem);
    }
  }
  return out;
}

std::string PascalCase(absl::string_view slug) {
  std::string out;
  for (absl::string_view word : absl::StrSplit(slug, '-')) {
    if (word.empty()) continue;
    out += absl::AsciiStrToUpper(word.substr(0, 1));
    out += std::string(word.substr(1));
  }
  return out;
}

TEST(RegistryFilesTest, EveryRuleHasCheckerDocAndCorpusWithOneNameInEveryCasing) {
  for (const RuleInfo& rule : Registry::Default().rules()) {
    SCOPED_TRACE(rule.Code());
    std::string stem = rule.Stem();
    EXPECT_TRUE(fs::exists(SourceDir() / "checkers" / (stem + ".cc")));
    EXPECT_TRUE(fs::exists(SourceDir() / "corpus" / (stem + ".py")) ||
                fs::is_directory(SourceDir() / "corpus" / (stem + "_project")))
        << "corpus/" << stem << ".py or corpus/" << stem << "_project/";
    EXPECT_EQ(rule.name, PascalCase(rule.slug));
    EXPECT_FALSE(rule.summary.empty());
    EXPECT_FALSE(absl::EndsWith(rule.summary, "."));
    EXPECT_TRUE(absl::ascii_islower(rule.summary[0]) || !absl::ascii_isalpha(rule.summary[0]));

    fs::path doc = SourceDir() / "docs" / "rules" / (stem + ".md");
    ASSERT_TRUE(fs::exists(doc)) << doc;
    std::string text = ReadFile(doc);
    EXPECT_TRUE(absl::StartsWith(text, absl::StrCat("# ", rule.Code(), " · ", rule.slug, "\n")))
        << "the page must start with `# " << rule.Code() << " · " << rule.slug << "`";
    for (const char* heading : {"What it does", "Why is this bad?", "Example", "Use instead",
                                "Known limitations", "Options", "References"}) {
      EXPECT_THAT(text, HasSubstr(absl::StrCat("\n## ", heading, "\n"))) << heading;
    }
  }
}

TEST(RegistryFilesTest, NoCheckerFileWithoutARulesDefLine) {
  std::set<std::string> registered;
  for (const RuleInfo& rule : Registry::Default().rules()) registered.insert(rule.Stem());
  for (const std::string& stem : RuleStems(SourceDir() / "checkers", ".cc", false)) {
    EXPECT_TRUE(registered.count(stem)) << "checkers/" << stem << ".cc has no line in rules.def";
  }
}

// Docs and corpus files may be written before their checker lands (they are the rule's
// specification); once a code is registered, their stems must agree with its slug.
TEST(RegistryFilesTest, DocAndCorpusStemsAgreeWithRegisteredSlugs) {
  std::set<std::string> stems = RuleStems(SourceDir() / "docs" / "rules", ".md", false);
  std::set<std::string> corpus = RuleStems(SourceDir() / "corpus", ".py", true);
  stems.insert(corpus.begin(), corpus.end());
  for (const std::string& stem : stems) {
    const RuleInfo* rule = Registry::Default().Find(absl::AsciiStrToUpper(stem.substr(0, 5)));
    if (rule == nullptr) continue;  // the rule's checker has not landed yet
    EXPECT_EQ(stem, rule->Stem()) << "a file named " << stem << " for " << rule->Code();
  }
}

}  // namespace
}  // namespace flopscope::checkers
