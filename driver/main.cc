// flopscope's command line: CLI11 parses argv into driver::Options, driver/commands.cc does the
// work. This is the only place exceptions (CLI11's) are caught, and where a Status becomes an
// exit code: 0 clean, 1 findings, 2 usage or fatal error.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "driver/commands.h"
#include "driver/options.h"

namespace {

using flopscope::driver::Options;

constexpr int kExitUsage = 2;

void AddCommonOptions(CLI::App& command, Options& options) {
  command.add_option("--root", options.root,
                     "analysis root that module names are relative to (default: each path's "
                     "directory, above any enclosing packages)");
  command.add_option("--jobs,-j", options.jobs, "worker threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("flopscope: finds compute-efficiency anti-patterns in Python ML research code",
               "flopscope");
  app.set_version_flag("--version", std::string("flopscope ") + FLOPSCOPE_VERSION);
  app.require_subcommand(1);
  Options options;

  CLI::App* check = app.add_subcommand("check", "analyze Python files and directories");
  check->add_option("paths", options.paths, "files and directories to analyze")
      ->required()
      ->check(CLI::ExistingPath);
  check->add_flag("--stats", options.stats,
                  "print files, lines and wall time per phase, and the ratio to parse-only");
  check->add_flag("--list-files", options.list_files,
                  "print `analyzed MODULE PATH` for every analyzed file");
  check->add_flag("--verify-ir", options.verify_ir,
                  "check every function's IR for internal consistency (reported as notes)");
  check->add_option("--format", options.format, "report format: text, json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  check->add_option("--output,-o", options.output, "write the report to FILE instead of stdout");
  check->add_option("--select", options.select,
                    "rules to run: codes, prefixes (FS1), slugs or ALL, comma-separated")
      ->delimiter(',');
  check->add_option("--ignore", options.ignore, "rules not to run (same forms as --select)")
      ->delimiter(',');
  check->add_option("--config", options.config,
                    "read [tool.flopscope] from this TOML file instead of the nearest "
                    "pyproject.toml");
  check->add_flag("--no-config", options.no_config,
                  "ignore pyproject.toml: only the command line's settings apply");
  AddCommonOptions(*check, options);

  CLI::App* rule = app.add_subcommand("rule", "print a rule's documentation, or list the rules");
  rule->add_option("code", options.rule, "rule code or slug (FS101, reload-in-loop)");
  rule->add_flag("--all", options.all_rules, "list every rule: code, slug, severity, summary");

  CLI::App* ir = app.add_subcommand("ir", "print the SSA IR of one Python file");
  ir->add_option("file", options.paths, "the Python file")->required()->expected(1)->check(
      CLI::ExistingFile);
  AddCommonOptions(*ir, options);

  CLI::App* callgraph = app.add_subcommand("callgraph", "print the call graph");
  callgraph->add_option("paths", options.paths, "files and directories to analyze")
      ->required()
      ->check(CLI::ExistingPath);
  callgraph->add_option("--format", options.graph_format, "json (PyCG adjacency) or dot")
      ->check(CLI::IsMember({"json", "dot"}));
  AddCommonOptions(*callgraph, options);

  CLI::App* facts = app.add_subcommand(
      "facts", "print what the analysis knows about the values used on one line, and why");
  facts->add_option("location", options.facts_location, "FILE:LINE")->required();
  AddCommonOptions(*facts, options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(error) == 0 ? 0 : kExitUsage;
  }
  if (check->parsed()) options.command = Options::Command::kCheck;
  if (ir->parsed()) options.command = Options::Command::kIr;
  if (callgraph->parsed()) options.command = Options::Command::kCallGraph;
  if (rule->parsed()) options.command = Options::Command::kRule;
  if (facts->parsed()) options.command = Options::Command::kFacts;

  const absl::StatusOr<int> exit_code =
      flopscope::driver::RunCommand(options, std::cout, std::cerr);
  std::cout.flush();
  if (!exit_code.ok()) {
    std::cerr << "flopscope: error: " << exit_code.status().message() << '\n';
    return kExitUsage;
  }
  return *exit_code;
}
