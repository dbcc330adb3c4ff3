// The subcommands behind `flopscope check|ir|callgraph`, writing to the given streams so tests
// can run them in-process. Each returns the exit code (0 clean, 1 findings) or an error Status
// for unusable input, which main.cc turns into exit code 2.
//
// Problems met in single files (syntax errors, unreadable or non-UTF-8 files, symlink loops) are
// notifications on `err`, one per line, `path:line:col: note: message`; they never stop a run
// and never change the exit code.
#ifndef FLOPSCOPE_DRIVER_COMMANDS_H_
#define FLOPSCOPE_DRIVER_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "driver/options.h"
#include "driver/pipeline.h"
#include "ir/ir.h"

namespace flopscope::driver {

[[nodiscard]] absl::StatusOr<int> RunCheck(const Options& options, std::ostream& out,
                                           std::ostream& err);
[[nodiscard]] absl::StatusOr<int> RunIr(const Options& options, std::ostream& out,
                                        std::ostream& err);
[[nodiscard]] absl::StatusOr<int> RunCallGraph(const Options& options, std::ostream& out,
                                               std::ostream& err);

// `facts FILE:LINE`: analyzes the whole program around FILE (the --root, else the top of the
// package tree enclosing FILE, else the git work tree holding a script, else FILE's directory)
// and prints dataflow::DescribeFactsAtLine for that line. Defined in facts_command.cc.
[[nodiscard]] absl::StatusOr<int> RunFacts(const Options& options, std::ostream& out,
                                           std::ostream& err);

// Dispatches on options.command.
[[nodiscard]] absl::StatusOr<int> RunCommand(const Options& options, std::ostream& out,
                                             std::ostream& err);

// "path:line:col: note: message", or "path: note: message" for a whole-file problem.
std::string FormatNotification(const ir::Problem& problem);

// The --stats block: files, lines, functions, call edges, then wall and busy time per phase, the
// total and its ratio to parse-only (discover + read + parse).
std::string FormatStats(const PipelineStats& stats);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_COMMANDS_H_
