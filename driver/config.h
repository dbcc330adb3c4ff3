// Project configuration: the `[tool.flopscope]` table of the nearest pyproject.toml (or a file
// given with --config), the way Ruff users keep their settings next to the code.
//
//   [tool.flopscope]
//   select = ["FS1", "FS201"]       # codes, prefixes, slugs or "ALL", like --select
//   ignore = ["FS104"]              # like --ignore
//   exclude = ["scratch", "notebooks/*.py"]
//
// `exclude` patterns are fnmatch globs: one without a `/` matches any file or directory name,
// one with a `/` matches the path relative to the configuration file's directory (`*` may
// cross `/`). Excluded files are not analyzed and not reported.
//
// Users: driver/commands.cc (check).
#ifndef FLOPSCOPE_DRIVER_CONFIG_H_
#define FLOPSCOPE_DRIVER_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace flopscope::driver {

struct ProjectConfig {
  std::string path;      // the file read; empty when there is none
  std::string base_dir;  // its directory, absolute: what `exclude` patterns are relative to
  std::optional<std::vector<std::string>> select;
  std::vector<std::string> ignore;
  std::vector<std::string> exclude;
};

// `explicit_path` (--config) when given, else the nearest pyproject.toml with a
// [tool.flopscope] table at or above the first path's directory (a pyproject.toml without that
// table is passed over, as Ruff does). A missing file, malformed TOML or a value of the wrong
// type is an InvalidArgument naming the file and the key.
absl::StatusOr<ProjectConfig> LoadProjectConfig(const std::vector<std::string>& paths,
                                                const std::optional<std::string>& explicit_path);

// Reads the [tool.flopscope] table of TOML text (for tests). `path` is only used in messages.
absl::StatusOr<ProjectConfig> ParseProjectConfig(const std::string& text, const std::string& path,
                                                 bool* has_table);

// Whether `path` (as discovered) is excluded by `patterns` relative to `base_dir`.
bool IsExcluded(const std::string& path, const std::vector<std::string>& patterns,
                const std::string& base_dir);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_CONFIG_H_
