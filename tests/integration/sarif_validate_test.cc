// SARIF validity end to end: flopscope's SARIF is checked by the official 2.1.0 JSON schema
// (../shared/sarif/validate.py) and by Microsoft's SARIF multitool with GitHub's ingestion rules
// (`validate --rule-kind Gh`, plus the SDK's own Sarif rules), both for a synthetic report that exercises every part of the format
// (call paths, related locations, notifications, escaping, non-ASCII columns) and for the whole
// corpus run through the binary.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "driver/json.h"
#include "driver/sarif.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/output_test_util.h"

namespace flopscope {
namespace {

namespace fs = std::filesystem;

struct ShellRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

std::string Quote(const std::string& arg) {
  return absl::StrCat("'", absl::StrReplaceAll(arg, {{"'", "'\\''"}}), "'");
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs a shell command line (arguments already quoted), capturing its output.
ShellRun Shell(const std::string& command) {
  fs::path log =
      fs::path(::testing::TempDir()) / absl::StrCat("sarif_validate_", getpid(), ".log");
  int status =
      std::system(absl::StrCat(command, " </dev/null >", Quote(log.string()), " 2>&1").c_str());
  ShellRun run;
  if (status != -1 && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.output = ReadFile(log);
  return run;
}

// Per process: ctest runs each test in its own process, possibly in parallel.
fs::path TempFile(const std::string& name) {
  return fs::path(::testing::TempDir()) / absl::StrCat("flopscope_", getpid(), "_", name);
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

ShellRun SchemaValidate(const fs::path& sarif) {
  fs::path script = fs::path(FLOPSCOPE_SHARED_DIR) / "sarif" / "validate.py";
  return Shell(absl::StrCat("python3 ", Quote(script.string()), " ", Quote(sarif.string())));
}

// The multitool: $FLOPSCOPE_SARIF_MULTITOOL, else where setup.sh installs it in the build tree
// (<build>/_deps/sarif-multitool, next to this test binary's directory).
std::string MultitoolPath() {
  if (const char* env = std::getenv("FLOPSCOPE_SARIF_MULTITOOL"); env != nullptr && *env) {
    return env;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  fs::path base = self.parent_path().parent_path() / "_deps" / "sarif-multitool" / "node_modules";
  for (const fs::path& candidate :
       {base / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool",
        base / ".bin" / "sarif-multitool"}) {
    if (fs::exists(candidate, ec)) return candidate.string();
  }
  return "";
}

// Runs `validate` with GitHub's ingestion rules and the SARIF SDK's own rules and returns its
// error-level results (warnings, such as a missing informationUri, are allowed). The
// multitool exits 0 even when it finds errors, so its own SARIF output is read back.
std::vector<std::string> GithubErrors(const std::string& multitool, const fs::path& sarif) {
  fs::path out = TempFile("multitool_out.sarif");
  fs::remove(out);
  // Invariant globalization: the .NET tool then needs no ICU library on the machine.
  ShellRun run = Shell(absl::StrCat("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 ", Quote(multitool),
                                    " validate --rule-kind 'Gh;Sarif' -o ", Quote(out.string()),
                                    " ", Quote(sarif.string())));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  absl::StatusOr<driver::json::Value> log = driver::json::Parse(ReadFile(out));
  EXPECT_TRUE(log.ok()) << "multitool output unreadable: " << log.status() << "\n" << run.output;
  std::vector<std::string> errors;
  if (!log.ok()) return errors;
  for (const driver::json::Value& result : log->Get("runs")->items()[0].Get("results")->items()) {
    const driver::json::Value* level = result.Get("level");
    if (level != nullptr && level->AsString() == "error") {
      errors.push_back(absl::StrCat(result.Get("ruleId")->AsString(), ": ",
                                    result.Get("message")->Serialize(0)));
    }
  }
  return errors;
}

fs::path SyntheticSarif() {
  fs::path path = TempFile("synthetic.sarif");
  WriteFile(path, driver::RenderSarif(driver::testing::SampleReport()));
  return path;
}

TEST(SarifSchemaTest, SyntheticReportIsValidSarif) {
  ShellRun run = SchemaValidate(SyntheticSarif());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, ::testing::HasSubstr("valid SARIF 2.1.0"));
}

// The validator must be able to fail, or the test above proves nothing.
TEST(SarifSchemaTest, ValidatorRejectsABrokenLog) {
  std::string text = driver::RenderSarif(driver::testing::SampleReport());
  std::string broken = absl::StrReplaceAll(text, {{"\"startLine\": 4", "\"startLine\": 0"}});
  ASSERT_NE(broken, text);
  fs::path path = TempFile("broken.sarif");
  WriteFile(path, broken);
  ShellRun run = SchemaValidate(path);
  EXPECT_EQ(run.exit_code, 1) << run.output;
}

TEST(SarifMultitoolTest, SyntheticReportHasNoGithubErrors) {
  std::string multitool = MultitoolPath();
  if (multitool.empty()) GTEST_SKIP() << "sarif-multitool not installed (./setup.sh installs it)";
  EXPECT_THAT(GithubErrors(multitool, SyntheticSarif()), ::testing::IsEmpty());
}

TEST(SarifMultitoolTest, MultitoolReportsGithubErrors) {
  std::string multitool = MultitoolPath();
  if (multitool.empty()) GTEST_SKIP() << "sarif-multitool not installed (./setup.sh installs it)";
  // A rule without descriptions or help: GitHub rejects it (GH2012).
  fs::path path = TempFile("bare_rule.sarif");
  WriteFile(path,
            R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"R1"}]}},)"
            R"("results":[]}]})");
  EXPECT_THAT(GithubErrors(multitool, path), ::testing::Not(::testing::IsEmpty()));
}

#ifdef FLOPSCOPE_BINARY
// The whole corpus through the binary, as GitHub code scanning would receive it.
class CorpusSarifTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sarif_ = new fs::path(TempFile("corpus.sarif"));
    fs::remove(*sarif_);
    run_ = new ShellRun(Shell(absl::StrCat("cd ", Quote(FLOPSCOPE_SOURCE_DIR), " && ",
                                      Quote(FLOPSCOPE_BINARY),
                                      " check corpus/ --format sarif --output ",
                                      Quote(sarif_->string()))));
  }
  static void TearDownTestSuite() {
    delete sarif_;
    delete run_;
  }
  static fs::path* sarif_;
  static ShellRun* run_;
};
fs::path* CorpusSarifTest::sarif_ = nullptr;
ShellRun* CorpusSarifTest::run_ = nullptr;

TEST_F(CorpusSarifTest, ValidatesAgainstTheSchema) {
  ASSERT_TRUE(run_->exit_code == 0 || run_->exit_code == 1) << run_->output;
  ShellRun run = SchemaValidate(*sarif_);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(CorpusSarifTest, HasNoGithubErrors) {
  std::string multitool = MultitoolPath();
  if (multitool.empty()) GTEST_SKIP() << "sarif-multitool not installed (./setup.sh installs it)";
  ASSERT_TRUE(fs::exists(*sarif_)) << run_->output;
  EXPECT_THAT(GithubErrors(multitool, *sarif_), ::testing::IsEmpty());
}

// Every call path starts at the reported line and each step has its own location and message.
TEST_F(CorpusSarifTest, CodeFlowsLeadFromTheReportedLine) {
  absl::StatusOr<driver::json::Value> log = driver::json::Parse(ReadFile(*sarif_));
  ASSERT_TRUE(log.ok()) << log.status();
  const driver::json::Value& run = log->Get("runs")->items()[0];
  EXPECT_EQ(run.Get("originalUriBaseIds")->Get("%SRCROOT%")->Get("uri")->AsString().back(), '/');
  for (const driver::json::Value& result : run.Get("results")->items()) {
    const driver::json::Value& primary = *result.Get("locations")->items()[0].Get(
        "physicalLocation");
    EXPECT_EQ(primary.Get("artifactLocation")->Get("uriBaseId")->AsString(), "%SRCROOT%");
    const driver::json::Value* flows = result.Get("codeFlows");
    if (flows == nullptr) continue;
    const auto& steps = flows->items()[0].Get("threadFlows")->items()[0].Get("locations")->items();
    ASSERT_FALSE(steps.empty());
    const driver::json::Value& first = *steps[0].Get("location")->Get("physicalLocation");
    EXPECT_EQ(first.Get("artifactLocation")->Get("uri")->AsString(),
              primary.Get("artifactLocation")->Get("uri")->AsString());
    EXPECT_EQ(first.Get("region")->Get("startLine")->AsInt(),
              primary.Get("region")->Get("startLine")->AsInt());
    for (const driver::json::Value& step : steps) {
      EXPECT_FALSE(step.Get("location")->Get("message")->Get("text")->AsString().empty());
    }
  }
}

// For each rule, its corpus case whose fact crosses the most calls: the codeFlow must lead from
// the reported line through the calls to the line where the fact originates (the load, the
// root caller that never disables grad, the device move, the forward pass...). Lines are found
// by a snippet of their text (which must occur once in the file), so edits elsewhere in the
// corpus do not break the table.
struct CrossFunctionCase {
  const char* rule;
  const char* file;
  const char* line_text;
  const char* origin_file;
  const char* origin_text;
};
constexpr CrossFunctionCase kCrossFunctionCases[] = {
    {"FS101", "corpus/fs101_reload_in_loop.py", "table[layer] = run_ablation(layer, tokenizer",
     "corpus/fs101_reload_in_loop.py", "from_pretrained(\"tiiuae/falcon-7b\""},
    {"FS101", "corpus/probing_study/experiments.py", "models.load_model(config.STEER_MODEL)",
     "corpus/probing_study/models.py", "model = AutoModelForCausalLM.from_pretrained(name)"},
    {"FS103", "corpus/fs103_duplicate_model_load_project/experiments.py",
     "model = models.load_model()  # expect: FS103",
     "corpus/fs103_duplicate_model_load_project/models.py",
     "return AutoModelForCausalLM.from_pretrained(name,"},
    {"FS104", "corpus/fs104_model_deepcopy.py", "return copy.deepcopy(model)  # expect: FS104",
     "corpus/fs104_model_deepcopy.py", "from_pretrained(\"Qwen/Qwen2-7B\""},
    {"FS105", "corpus/fs105_concurrent_large_models.py", "sft = build_sft_model()",
     "corpus/fs105_concurrent_large_models.py",
     "def load_checkpoint(name):\n    model = AutoModelForCausalLM.from_pretrained"},
    {"FS201", "corpus/fs201_grad_enabled_inference.py", "outputs = model(**batch)  # expect: FS201",
     "corpus/fs201_grad_enabled_inference.py", "return evaluate_all(model, splits)"},
    {"FS301", "corpus/fs301_hook_never_removed.py",
     "return block.register_forward_hook(save_output(name))", "corpus/fs301_hook_never_removed.py",
     "handles = install_probes(model, layers)"},
    {"FS304", "corpus/probing_study/activations.py",
     "self.store[layer].append(output[0][:, -1].cpu())", "corpus/probing_study/run.py",
     "\n    main()"},
    {"FS305", "corpus/fs305_cuda_tensor_saved.py", "torch.save(obj, tmp_path)",
     "corpus/fs305_cuda_tensor_saved.py",
     "def collect_and_export(model, tokenizer, batches, layer, out_dir):\n    model.to(DEVICE)"},
    {"FS401", "corpus/fs401_fp32_model_load.py", "from_pretrained(name, low_cpu_mem_usage=True)",
     "corpus/fs401_fp32_model_load.py", "model, tokenizer = build_judge(JUDGE_CHECKPOINT)"},
    {"FS402", "corpus/probing_study/experiments.py", "running_loss += loss  # expect: FS402",
     "corpus/probing_study/run.py", "\n    main()"},
};

// The 1-based line on which the single occurrence of `text` ends (a snippet may span lines to
// be unique); 0 when it does not occur exactly once.
int LineOfSnippet(const std::string& file, const std::string& text) {
  const std::string source = ReadFile(fs::path(FLOPSCOPE_SOURCE_DIR) / file);
  const size_t at = source.find(text);
  if (at == std::string::npos || source.find(text, at + 1) != std::string::npos) return 0;
  const size_t end = at + text.size();
  return 1 + static_cast<int>(std::count(source.begin(), source.begin() + end, '\n')) -
         (text.back() == '\n' ? 1 : 0);
}

TEST_F(CorpusSarifTest, CrossFunctionFindingsExplainTheirPath) {
  absl::StatusOr<driver::json::Value> log = driver::json::Parse(ReadFile(*sarif_));
  ASSERT_TRUE(log.ok()) << log.status();
  const driver::json::Value& run = log->Get("runs")->items()[0];
  auto uri_line = [](const driver::json::Value& physical) {
    return std::make_pair(physical.Get("artifactLocation")->Get("uri")->AsString(),
                          static_cast<int>(physical.Get("region")->Get("startLine")->AsInt()));
  };
  for (const CrossFunctionCase& c : kCrossFunctionCases) {
    const int line = LineOfSnippet(c.file, c.line_text);
    const int origin_line = LineOfSnippet(c.origin_file, c.origin_text);
    SCOPED_TRACE(absl::StrCat(c.rule, " at ", c.file, ":", line, " (", c.line_text, ")"));
    ASSERT_GT(line, 0) << "snippet not found exactly once";
    ASSERT_GT(origin_line, 0) << "origin snippet not found exactly once: " << c.origin_text;
    const driver::json::Value* found = nullptr;
    for (const driver::json::Value& result : run.Get("results")->items()) {
      if (result.Get("ruleId")->AsString() != c.rule) continue;
      if (uri_line(*result.Get("locations")->items()[0].Get("physicalLocation")) ==
          std::make_pair(std::string(c.file), line)) {
        found = &result;
      }
    }
    ASSERT_NE(found, nullptr);
    const driver::json::Value* flows = found->Get("codeFlows");
    ASSERT_NE(flows, nullptr);
    const auto& steps = flows->items()[0].Get("threadFlows")->items()[0].Get("locations")->items();
    ASSERT_GE(steps.size(), 2u);
    EXPECT_EQ(uri_line(*steps.front().Get("location")->Get("physicalLocation")),
              std::make_pair(std::string(c.file), line));
    bool reaches_origin = false;
    for (const driver::json::Value& step : steps) {
      reaches_origin |= uri_line(*step.Get("location")->Get("physicalLocation")) ==
                        std::make_pair(std::string(c.origin_file), origin_line);
    }
    EXPECT_TRUE(reaches_origin) << "no step at " << c.origin_file << ":" << origin_line;
  }
}

// A finding silenced by a  comment stays in the SARIF log as a suppressed result.
TEST_F(CorpusSarifTest, SuppressedFindingsAreResultsWithAnInSourceSuppression) {
  absl::StatusOr<driver::json::Value> log = driver::json::Parse(ReadFile(*sarif_));
  ASSERT_TRUE(log.ok()) << log.status();
  const driver::json::Value& run = log->Get("runs")->items()[0];
  bool found = false;
  for (const driver::json::Value& result : run.Get("results")->items()) {
    const driver::json::Value& primary =
        *result.Get("locations")->items()[0].Get("physicalLocation");
    const bool at_line =
        primary.Get("artifactLocation")->Get("uri")->AsString() ==
            "corpus/fs401_fp32_model_load.py" &&
        primary.Get("region")->Get("startLine")->AsInt() == 257;
    const driver::json::Value* suppressions = result.Get("suppressions");
    if (!at_line) {
      EXPECT_EQ(suppressions, nullptr);
      continue;
    }
    found = true;
    ASSERT_NE(suppressions, nullptr);
    EXPECT_EQ(suppressions->items()[0].Get("kind")->AsString(), "inSource");
  }
  EXPECT_TRUE(found);
}
#endif  // FLOPSCOPE_BINARY

}  // namespace
}  // namespace flopscope
