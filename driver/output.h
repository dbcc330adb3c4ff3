// The glue between the driver's commands and the output formats: choosing a format, writing a
// Report to stdout or --output FILE, and the `flopscope rule` subcommand. main.cc/commands.cc call
// these so that format code stays in the report_* and sarif units.
//
// Users: driver/commands.cc, driver/main.cc.
#ifndef FLOPSCOPE_DRIVER_OUTPUT_H_
#define FLOPSCOPE_DRIVER_OUTPUT_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checkers/registry.h"
#include "driver/pipeline.h"
#include "driver/report.h"

namespace flopscope::driver {

enum class OutputFormat : uint8_t { kText, kJson, kSarif };

// "text", "json" or "sarif" (case-insensitive); InvalidArgument otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name);

std::string RenderReport(const Report& report, OutputFormat format);

// Renders `report` to `output_path`, or to `out` when the path is empty. NotFound /
// PermissionDenied-style errors (as InvalidArgument naming the path) when the file cannot be
// written.
[[nodiscard]] absl::Status WriteReport(const Report& report, OutputFormat format,
                                       const std::string& output_path, std::ostream& out);

// Runs the checkers of `rules` over the pipeline's program (after a successful Pipeline::Run) and
// gathers everything the output formats need: findings (and those suppressed in the source), the
// analyzed files, the pipeline's notifications, and `root` (empty: the working directory) as the
// SARIF %SRCROOT%. `ctx` must describe the pipeline's program; the caller owns it so it can build
// the shared dataflow facts (ctx.analysis()) as a phase of its own first.
Report BuildReport(const Pipeline& pipeline, const checkers::CheckContext& ctx,
                   const std::vector<const checkers::RuleInfo*>& rules, const std::string& root);

// `flopscope rule CODE` (print the page) or `flopscope rule --all` (list rules). Returns the exit
// code (0); NotFound for an unknown rule or a missing page.
[[nodiscard]] absl::StatusOr<int> RunRuleCommand(const checkers::Registry& registry,
                                                 absl::string_view code_or_slug, bool all,
                                                 std::ostream& out);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_OUTPUT_H_
