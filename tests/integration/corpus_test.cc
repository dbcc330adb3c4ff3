// The acceptance corpus: `flopscope check corpus/ --format json` runs once, and each corpus file
// (corpus/<stem>.py) or project (corpus/<name>/) is one test instance that compares the findings
// in its files with their inline annotations (tests/integration/testing/expectations.h). Failures
// are listed FileCheck-style as path:line.
//
// Expectations for a rule that is not registered yet (its checker has not landed) cannot be met
// and are reported as pending instead of failing; everything else is enforced: every finding
// must be annotated, and annotations must be well-formed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "checkers/registry.h"
#include "driver/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/testing/expectations.h"

namespace flopscope::testing {
namespace {

namespace fs = std::filesystem;

const fs::path& SourceDir() {
  static const fs::path dir = fs::path(FLOPSCOPE_SOURCE_DIR).lexically_normal();
  return dir;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// "corpus/x.py" for a file under the source tree, however the binary spelled it.
std::string RelativeToSource(const std::string& path) {
  fs::path p(path);
  if (p.is_relative()) p = SourceDir() / p;
  return p.lexically_normal().lexically_relative(SourceDir()).generic_string();
}

// One instance per corpus/*.py file and per corpus/*/ directory, sorted.
struct CorpusEntry {
  std::string name;  // test name: the stem, or the directory name ending in "_project"
  std::string path;  // "corpus/fs101_reload_in_loop.py" or "corpus/probing_study"
  bool is_dir = false;
};

// gtest prints the parameter of a failing instance with this.
void PrintTo(const CorpusEntry& entry, std::ostream* os) { *os << entry.path; }

std::vector<CorpusEntry> CorpusEntries() {
  std::vector<CorpusEntry> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(SourceDir() / "corpus", ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || name == "__pycache__") continue;
    if (e.is_directory()) {
      // A rule's directory is already named `<stem>_project/`: named `<stem>/`, it would be a
      // second module with the name of the rule's file.
      out.push_back({absl::EndsWith(name, "_project") ? name : name + "_project",
                     "corpus/" + name, true});
    } else if (absl::EndsWith(name, ".py")) {
      out.push_back({name.substr(0, name.size() - 3), "corpus/" + name, false});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const CorpusEntry& a, const CorpusEntry& b) { return a.name < b.name; });
  for (CorpusEntry& entry : out) {
    for (char& c : entry.name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
    }
  }
  return out;
}

// The .py files of an entry, relative to the source dir, sorted.
std::vector<std::string> PythonFiles(const CorpusEntry& entry) {
  if (!entry.is_dir) return {entry.path};
  std::vector<std::string> out;
  for (const fs::directory_entry& e :
       fs::recursive_directory_iterator(SourceDir() / entry.path)) {
    if (e.is_regular_file() && e.path().extension() == ".py") {
      out.push_back(RelativeToSource(e.path().string()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The single run of the binary over the corpus, shared by all instances.
struct CorpusRun {
  int exit_code = -1;
  std::string stderr_text;
  std::string error;  // why the output could not be used, if it could not
  driver::json::Value report;
  std::map<std::string, std::vector<Finding>> findings;  // by path relative to the source dir
};

const CorpusRun& RunOnCorpus() {
  static const CorpusRun* const run = [] {
    auto* result = new CorpusRun;
#ifdef FLOPSCOPE_BINARY
    fs::path dir = fs::path(::testing::TempDir()) / absl::StrCat("corpus_test_", getpid());
    fs::create_directories(dir);
    fs::path json = dir / "corpus.json";
    fs::path err = dir / "stderr.txt";
    auto quote = [](const std::string& s) {
      return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
    };
    std::string command = absl::StrCat(
        "cd ", quote(SourceDir().string()), " && ", quote(FLOPSCOPE_BINARY),
        " check corpus/ --format json --output ", quote(json.string()), " </dev/null >/dev/null 2>",
        quote(err.string()));
    int status = std::system(command.c_str());
    if (status != -1 && WIFEXITED(status)) result->exit_code = WEXITSTATUS(status);
    result->stderr_text = ReadFile(err);
    absl::StatusOr<driver::json::Value> parsed = driver::json::Parse(ReadFile(json));
    if (!parsed.ok()) {
      result->error = absl::StrCat("the JSON report does not parse: ", parsed.status().ToString());
      return result;
    }
    result->report = *std::move(parsed);
    const driver::json::Value* findings = result->report.Get("findings");
    if (findings == nullptr || !findings->is_array()) {
      result->error = "the JSON report has no findings array";
      return result;
    }
    for (const driver::json::Value& f : findings->items()) {
      const driver::json::Value* path = f.Get("path");
      const driver::json::Value* line = f.Get("line");
      const driver::json::Value* rule = f.Get("rule");
      const driver::json::Value* message = f.Get("message");
      if (path == nullptr || line == nullptr || rule == nullptr || message == nullptr) {
        result->error = absl::StrCat("a finding lacks path/line/rule/message: ", f.Serialize(0));
        return result;
      }
      result->findings[RelativeToSource(path->AsString())].push_back(
          Finding{static_cast<int>(line->AsInt()), rule->AsString(), message->AsString()});
    }
#else
    result->error = "FLOPSCOPE_BINARY is not defined";
#endif
    return result;
  }();
  return *run;
}

bool Registered(const std::string& code) {
  return checkers::Registry::Default().Find(code) != nullptr;
}

TEST(CorpusRunTest, BinaryRanAndProducedTheDocumentedJson) {
  const CorpusRun& run = RunOnCorpus();
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1)
      << "exit code " << run.exit_code << "\n" << run.stderr_text;
  ASSERT_TRUE(run.error.empty()) << run.error << "\n" << run.stderr_text;
  EXPECT_EQ(run.report.Get("version")->AsInt(), 1);
  const driver::json::Value& summary = *run.report.Get("summary");
  EXPECT_EQ(static_cast<size_t>(summary.Get("findings")->AsInt()),
            run.report.Get("findings")->size());
  EXPECT_GT(summary.Get("files")->AsInt(), 0);
  // Exit code 1 exactly when there are findings.
  EXPECT_EQ(run.exit_code == 1, run.report.Get("findings")->size() > 0);
}

// Every finding is a registered rule's and lies in a corpus file.
TEST(CorpusRunTest, FindingsAreRegisteredRulesInCorpusFiles) {
  const CorpusRun& run = RunOnCorpus();
  ASSERT_TRUE(run.error.empty()) << run.error;
  for (const auto& [path, findings] : run.findings) {
    EXPECT_TRUE(absl::StartsWith(path, "corpus/")) << path;
    EXPECT_TRUE(fs::exists(SourceDir() / path)) << path;
    for (const Finding& f : findings) EXPECT_TRUE(Registered(f.code)) << path << ":" << f.line;
  }
}

// The corpus reads cleanly: in particular no two corpus modules share a dotted name (a rule's
// multi-module case lives in `<stem>_project/`, beside `<stem>.py`).
TEST(CorpusRunTest, NoNotifications) {
  const CorpusRun& run = RunOnCorpus();
  ASSERT_TRUE(run.error.empty()) << run.error;
  const driver::json::Value* notifications = run.report.Get("notifications");
  ASSERT_NE(notifications, nullptr);
  for (const driver::json::Value& n : notifications->items()) ADD_FAILURE() << n.Serialize(0);
}

class CorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(CorpusTest, FindingsMatchAnnotations) {
  const CorpusRun& run = RunOnCorpus();
  ASSERT_TRUE(run.error.empty()) << run.error << "\n" << run.stderr_text;
  std::vector<std::string> problems;
  std::vector<std::string> pending;
  int enforced = 0;
  for (const std::string& file : PythonFiles(GetParam())) {
    FileExpectations expectations = ParseExpectations(file, ReadFile(SourceDir() / file));
    // Expectations of rules whose checker has not landed cannot be met yet.
    std::vector<Annotation> active;
    for (const Annotation& a : expectations.annotations) {
      if (Registered(a.code) || a.kind == AnnotationKind::kAllow) {
        active.push_back(a);
        if (a.kind == AnnotationKind::kExpect) ++enforced;
      } else if (a.kind != AnnotationKind::kAllow) {
        pending.push_back(absl::StrCat(file, ":", a.line, ": ", AnnotationKindName(a.kind), " ",
                                       a.code));
      }
    }
    expectations.annotations = std::move(active);
    auto found = run.findings.find(file);
    std::vector<std::string> file_problems = MatchFindings(
        expectations, found == run.findings.end() ? std::vector<Finding>{} : found->second);
    problems.insert(problems.end(), file_problems.begin(), file_problems.end());
  }
  RecordProperty("enforced_expectations", enforced);
  RecordProperty("pending_expectations", static_cast<int>(pending.size()));
  if (!pending.empty()) {
    std::cout << "[ pending  ] " << pending.size()
              << " annotation(s) name rules that are not registered yet, e.g. " << pending[0]
              << "\n";
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " mismatch(es):\n"
                                << absl::StrJoin(problems, "\n");
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTest, ::testing::ValuesIn(CorpusEntries()),
                         [](const ::testing::TestParamInfo<CorpusEntry>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace flopscope::testing
