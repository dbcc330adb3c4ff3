// Runs the built flopscope binary (FLOPSCOPE_BINARY) as a user would and captures its exit code,
// stdout and stderr, for the CLI integration tests.
#ifndef FLOPSCOPE_TESTS_INTEGRATION_CLI_RUNNER_H_
#define FLOPSCOPE_TESTS_INTEGRATION_CLI_RUNNER_H_

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace flopscope::testing {

struct CliResult {
  int exit_code = -1;  // -1 when the process did not exit normally (a crash)
  std::string out;
  std::string err;
};

inline std::string ShellQuote(const std::string& arg) {
  return absl::StrCat("'", absl::StrReplaceAll(arg, {{"'", "'\\''"}}), "'");
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs `program args...` with stdout and stderr captured through files in `scratch_dir`.
inline CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                            const std::string& scratch_dir) {
  const std::string out_path = scratch_dir + "/stdout.txt";
  const std::string err_path = scratch_dir + "/stderr.txt";
  std::string command = ShellQuote(program);
  for (const std::string& arg : args) absl::StrAppend(&command, " ", ShellQuote(arg));
  absl::StrAppend(&command, " </dev/null >", ShellQuote(out_path), " 2>", ShellQuote(err_path));
  const int status = std::system(command.c_str());
  CliResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

#ifdef FLOPSCOPE_BINARY
inline CliResult RunFlopscope(const std::vector<std::string>& args,
                              const std::string& scratch_dir) {
  return RunProgram(FLOPSCOPE_BINARY, args, scratch_dir);
}
#endif

}  // namespace flopscope::testing

#endif  // FLOPSCOPE_TESTS_INTEGRATION_CLI_RUNNER_H_
