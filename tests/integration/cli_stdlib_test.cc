// `flopscope check` over the whole CPython standard library installed on the machine, test/
// folder included with its deliberately broken files: no crash, exit code 0 or 1, and every .py
// file under it either analyzed or named in a notification with the reason.
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/driver/temp_tree.h"
#include "tests/integration/cli_runner.h"

#ifdef FLOPSCOPE_BINARY

namespace flopscope {
namespace {

constexpr char kStdlib[] = "/usr/lib/python3.11";

// The path a notification line names: the text before ": note: ", without ":line:col".
std::string NotifiedPath(absl::string_view line) {
  const size_t note = line.find(": note: ");
  if (note == absl::string_view::npos) return "";
  absl::string_view path = line.substr(0, note);
  for (int part = 0; part < 2; ++part) {
    const size_t colon = path.rfind(':');
    uint32_t number = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(path.substr(colon + 1), &number)) {
      break;
    }
    path = path.substr(0, colon);
  }
  return std::string(path);
}

bool UnderAny(const std::string& path, const std::set<std::string>& directories) {
  for (const std::string& dir : directories) {
    if (absl::StartsWith(path, dir + "/")) return true;
  }
  return false;
}

TEST(CliStdlibTest, WholeStdlibIsAnalyzedOrNotified) {
  if (!std::filesystem::is_directory(kStdlib)) GTEST_SKIP() << kStdlib << " is not installed";
  testing::TempTree scratch;
  const testing::CliResult result =
      testing::RunFlopscope({"check", kStdlib, "--stats", "--list-files"}, scratch.root());
  ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1)
      << "exit code " << result.exit_code << " (-1: crashed)\n"
      << result.err.substr(0, 4000);

  std::set<std::string> analyzed;
  std::string summary;
  bool in_stats = false;
  std::string stats;
  for (absl::string_view line : absl::StrSplit(result.out, '\n')) {
    if (absl::ConsumePrefix(&line, "analyzed ")) {
      const size_t space = line.find(' ');  // "MODULE PATH"
      ASSERT_NE(space, absl::string_view::npos) << line;
      analyzed.insert(std::string(line.substr(space + 1)));
    } else if (absl::StartsWith(line, "flopscope: ")) {
      summary = std::string(line);
      in_stats = true;
    } else if (in_stats) {
      stats += std::string(line) + "\n";
    }
  }
  std::set<std::string> notified;
  std::set<std::string> skipped_directories;
  for (absl::string_view line : absl::StrSplit(result.err, '\n', absl::SkipEmpty())) {
    const std::string path = NotifiedPath(line);
    ASSERT_FALSE(path.empty()) << "stderr line is not a notification: " << line;
    notified.insert(path);
    if (absl::StrContains(line, ": note: directory skipped")) skipped_directories.insert(path);
  }

  size_t python_files = 0;
  std::vector<std::string> unaccounted;
  for (auto it = std::filesystem::recursive_directory_iterator(
           kStdlib, std::filesystem::directory_options::skip_permission_denied);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && it->path().filename() == "__pycache__") {
      it.disable_recursion_pending();  // compiled files only
      continue;
    }
    if (it->path().extension() != ".py" || it->is_directory()) continue;
    ++python_files;
    const std::string path = it->path().string();
    if (analyzed.count(path) == 0 && notified.count(path) == 0 &&
        !UnderAny(path, skipped_directories)) {
      unaccounted.push_back(path);
    }
  }
  EXPECT_GT(python_files, 600u);
  EXPECT_TRUE(unaccounted.empty()) << unaccounted.size() << " files neither analyzed nor named, "
                                   << "e.g. " << unaccounted.front();
  for (const std::string& path : analyzed) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  EXPECT_TRUE(absl::StrContains(summary, std::to_string(analyzed.size()) + " files analyzed"))
      << summary;
  EXPECT_TRUE(absl::StrContains(stats, "total/parse-only:")) << stats;

  // The suite's deliberately broken files: a syntax error is a note, not the end of the run.
  const std::string broken = std::string(kStdlib) + "/test/badsyntax_3131.py";
  if (std::filesystem::exists(broken)) {
    EXPECT_EQ(analyzed.count(broken), 1u);
    EXPECT_TRUE(absl::StrContains(result.err, broken + ":2:1: note: syntax error")) << result.err;
  }
  const std::string not_utf8 = std::string(kStdlib) + "/test/badsyntax_pep3120.py";
  if (std::filesystem::exists(not_utf8)) {
    EXPECT_TRUE(absl::StrContains(result.err, not_utf8 + ":1:9: note: not valid UTF-8"));
  }
  std::cout << summary << "\n" << stats;  // the timings, for the record
  ::testing::Test::RecordProperty("stats", stats);
}

}  // namespace
}  // namespace flopscope

#endif  // FLOPSCOPE_BINARY
