// Discovery: turns the paths given on the command line into the list of Python files to analyze,
// each with the dotted module name the repository layout gives it (packages, PEP 420 namespace
// packages, `src/` layout, scripts outside packages).
//
// Walking never hangs and never silently drops a Python file: symbolic links are followed, loops
// are cut by the (device, inode) of directories, and every `.py` entry that is not analyzed
// (dangling link, FIFO, skipped directory such as a virtualenv) is named in a notification.
//
// Users: the pipeline (driver/pipeline.h), `flopscope ir` to locate a file's module.
#ifndef FLOPSCOPE_DRIVER_DISCOVER_H_
#define FLOPSCOPE_DRIVER_DISCOVER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/ir.h"

namespace flopscope::driver {

struct DiscoverOptions {
  // Overrides the analysis root of every path (--root). Without it, a directory argument (or a
  // file argument's directory) is the root, raised past enclosing packages so that a package
  // keeps its own name: `check proj/pkg/` names `proj/pkg/mod.py` "pkg.mod".
  std::optional<std::string> root;
  // Deeper directory nesting than this is reported and not entered (guards the recursion).
  int max_depth = 256;
  // Files and directories the project configuration excludes (driver/config.h): not walked,
  // not analyzed, not reported.
  std::vector<std::string> exclude;
  std::string exclude_base;  // the directory `exclude` patterns are relative to
};

// One Python file to analyze.
struct DiscoveredFile {
  std::string path;         // as the user would spell it: the argument joined with the walk
  std::string root;         // the analysis root the module name is relative to
  std::string module_name;  // dotted: "pkg.sub.mod", "pkg" for pkg/__init__.py, "main"
  bool is_package = false;  // an __init__.py
  int argument = 0;         // index of the command-line path it was found under
};

struct Discovery {
  // In merge order: by module name, then command-line order, a package before a module of the
  // same name (Python's own precedence), then path. For duplicated names the first one wins.
  std::vector<DiscoveredFile> files;
  // Skipped directories, symlink loops, dangling links, non-regular files, duplicate names.
  std::vector<ir::Problem> problems;
};

// Fails (NotFound / InvalidArgument) only for unusable arguments: a path that does not exist, a
// --root that is not a directory or does not contain the path. Everything found while walking
// is a notification in Discovery::problems.
absl::StatusOr<Discovery> Discover(const std::vector<std::string>& paths,
                                   const DiscoverOptions& options);

// The module name of a file whose path below its analysis root is `relative` (components joined
// by '/'). `src_layout` drops a leading "src/" component. Sets *is_package for __init__.py.
// Exposed for tests.
std::string ModuleNameFromRelativePath(absl::string_view relative, bool src_layout,
                                       absl::string_view root_name, bool* is_package);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_DISCOVER_H_
