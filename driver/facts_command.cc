// `flopscope facts FILE:LINE`: the debugging view of the dataflow facts on one line. The facts
// of one line depend on the whole program (callers' arguments, config constants in other
// modules), so the command analyzes the whole tree the file belongs to, not the file alone.
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "checkers/check_context.h"
#include "dataflow/analysis.h"
#include "dataflow/describe.h"
#include "driver/commands.h"
#include "driver/pipeline.h"

namespace flopscope::driver {
namespace {

namespace fs = std::filesystem;

struct FactsLocation {
  fs::path file;
  int line = 0;
};

absl::StatusOr<FactsLocation> ParseLocation(const std::string& text) {
  const size_t colon = text.rfind(':');
  int line = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(text).substr(colon + 1), &line) || line <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("facts takes FILE:LINE with a positive line number, got `", text, "`"));
  }
  std::error_code error;
  fs::path file = fs::canonical(text.substr(0, colon), error);
  if (error || !fs::is_regular_file(file)) {
    return absl::NotFoundError(absl::StrCat("cannot open ", text.substr(0, colon)));
  }
  return FactsLocation{std::move(file), line};
}

bool IsPackageDir(const fs::path& dir) {
  std::error_code error;
  return fs::exists(dir / "__init__.py", error);
}

// The whole-program root for a file: the directory above the outermost package enclosing it;
// for a script outside any package, the git work tree holding it, else its own directory.
fs::path DefaultRoot(const fs::path& file) {
  fs::path dir = file.parent_path();
  if (IsPackageDir(dir)) {
    while (IsPackageDir(dir) && dir.has_parent_path() && dir.parent_path() != dir) {
      dir = dir.parent_path();
    }
    return dir;
  }
  std::error_code error;
  for (fs::path up = dir; !up.empty(); up = up.parent_path()) {
    if (fs::exists(up / ".git", error)) return up;
    if (up.parent_path() == up) break;
  }
  return dir;
}

}  // namespace

absl::StatusOr<int> RunFacts(const Options& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<FactsLocation> location = ParseLocation(options.facts_location);
  if (!location.ok()) return location.status();
  const std::string root =
      options.root.has_value() ? *options.root : DefaultRoot(location->file).string();

  PipelineOptions pipeline_options;
  pipeline_options.discover.root = root;
  pipeline_options.jobs = options.jobs;
  Pipeline pipeline(pipeline_options);
  if (absl::Status status = pipeline.Run({root}); !status.ok()) return status;
  for (const ir::Problem& problem : pipeline.Notifications()) {
    err << FormatNotification(problem) << '\n';
  }
  checkers::CheckContext ctx(pipeline.program(), pipeline.resolver(), pipeline.call_graph());
  out << dataflow::DescribeFactsAtLine(ctx.analysis(), location->file.string(), location->line);
  return 0;
}

}  // namespace flopscope::driver
