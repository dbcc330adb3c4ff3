// The command line as plain data: main.cc fills it from CLI11, commands.cc acts on it. Nothing
// here knows about CLI11, so commands are testable without parsing argv.
#ifndef FLOPSCOPE_DRIVER_OPTIONS_H_
#define FLOPSCOPE_DRIVER_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

namespace flopscope::driver {

struct Options {
  enum class Command { kCheck, kIr, kCallGraph, kRule, kFacts };
  Command command = Command::kCheck;

  std::vector<std::string> paths;   // files and directories (`ir`: exactly one file)
  std::optional<std::string> root;  // --root: analysis root for module names
  int jobs = 0;                     // --jobs: worker threads, 0 = one per core

  // check
  bool stats = false;       // --stats: files, lines, wall time per phase, ratio to parse-only
  bool list_files = false;  // --list-files: one `analyzed MODULE PATH` line per analyzed file
  bool verify_ir = false;   // --verify-ir: run the IR verifier on every function
  std::string format = "text";      // --format text|json|sarif (driver/output.h)
  std::string output;               // --output FILE; empty = stdout
  std::vector<std::string> select;  // --select: codes, prefixes (FS1), slugs, ALL
  std::vector<std::string> ignore;  // --ignore: same forms
  std::optional<std::string> config;  // --config: a TOML file with [tool.flopscope]
  bool no_config = false;             // --no-config: ignore pyproject.toml

  // rule
  std::string rule;        // code or slug; empty lists the rules
  bool all_rules = false;  // --all

  // callgraph
  std::string graph_format = "json";  // --format json|dot

  // facts
  std::string facts_location;  // FILE:LINE
};

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_OPTIONS_H_
