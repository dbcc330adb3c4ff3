#include "driver/discover.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "driver/config.h"

namespace flopscope::driver {
namespace {

namespace fs = std::filesystem;

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A regular package: the directory holds an __init__.py.
bool IsPackageDir(const std::string& dir) { return IsRegularFile(JoinPath(dir, "__init__.py")); }

std::vector<std::string> ListDirectory(const std::string& dir, int* error) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    *error = errno;
    return names;
  }
  *error = 0;
  while (const dirent* entry = ::readdir(handle)) {
    const absl::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(handle);
  // Byte order, so the walk (and every notification) is the same on every machine.
  std::sort(names.begin(), names.end());
  return names;
}

// `src/` layout: the root holds a `src` directory that is not itself a package but contains a
// package or a module. Module names then start below `src/`.
bool HasSrcLayout(const std::string& root) {
  const std::string src = JoinPath(root, "src");
  if (!IsDirectory(src) || IsPackageDir(src)) return false;
  int error = 0;
  for (const std::string& name : ListDirectory(src, &error)) {
    const std::string child = JoinPath(src, name);
    if (absl::EndsWith(name, ".py") && IsRegularFile(child)) return true;
    if (IsDirectory(child) && IsPackageDir(child)) return true;
  }
  return false;
}

// Why a directory met while walking is not entered, or nullopt to walk it. An empty reason means
// "skip without a notification": those directories hold no Python sources by convention.
std::optional<std::string> SkipReason(const std::string& dir, absl::string_view name) {
  if (name == "__pycache__" || name == ".git" || name == ".hg" || name == ".svn") return "";
  if (absl::StartsWith(name, ".")) return "hidden directory";
  if (name == "node_modules") return "third-party packages (node_modules)";
  if (name == "site-packages" || name == "dist-packages") {
    return absl::StrCat("installed third-party packages (", name, ")");
  }
  if (IsRegularFile(JoinPath(dir, "pyvenv.cfg"))) return "virtual environment (has pyvenv.cfg)";
  return std::nullopt;
}

ir::Problem MakeProblem(ir::Problem::Kind kind, std::string path, std::string message) {
  ir::Problem problem;
  problem.kind = kind;
  problem.path = std::move(path);
  problem.message = std::move(message);
  return problem;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Where a command-line argument sits relative to its analysis root.
struct ArgumentContext {
  int argument = 0;
  std::string root;       // display form
  std::string root_name;  // last component of the root, names a root-level __init__.py
  bool src_layout = false;
};

class Walker {
 public:
  Walker(const DiscoverOptions& options, Discovery& out) : options_(options), out_(out) {}

  // Walks a directory argument; `relative` is its path below the root. Real directories are
  // walked first and linked ones afterwards, so a file reachable both ways is named by its real
  // path, whatever the order of names.
  void WalkRoot(const ArgumentContext& context, const std::string& display,
                std::vector<std::string> relative) {
    context_ = &context;
    struct stat st;
    if (::stat(display.c_str(), &st) != 0) return;
    const DirKey key{st.st_dev, st.st_ino};
    if (!visited_.try_emplace(key, display).second) return;  // an earlier argument covered it
    ancestors_.push_back({key, display});
    WalkDirectory(display, relative, 0);
    ancestors_.pop_back();
    while (!deferred_links_.empty()) {
      DeferredLink link = std::move(deferred_links_.front());
      deferred_links_.pop_front();
      ancestors_ = std::move(link.ancestors);
      FollowLink(link.path, link.key, link.relative, link.depth);
      ancestors_.clear();
    }
  }

  void AddFile(const ArgumentContext& context, const std::string& display,
               const std::vector<std::string>& relative) {
    DiscoveredFile file;
    file.path = display;
    file.root = context.root;
    file.argument = context.argument;
    file.module_name = ModuleNameFromRelativePath(absl::StrJoin(relative, "/"),
                                                  context.src_layout, context.root_name,
                                                  &file.is_package);
    // The same file named twice (an argument inside another argument) is analyzed once.
    const std::string key = fs::absolute(fs::path(display)).lexically_normal().string();
    if (!seen_files_.insert(key).second) return;
    out_.files.push_back(std::move(file));
  }

 private:
  struct DirKey {
    dev_t dev;
    ino_t ino;
    friend bool operator==(const DirKey& a, const DirKey& b) {
      return a.dev == b.dev && a.ino == b.ino;
    }
    template <typename H>
    friend H AbslHashValue(H h, const DirKey& key) {
      return H::combine(std::move(h), key.dev, key.ino);
    }
  };

  void Report(ir::Problem::Kind kind, const std::string& path, std::string message) {
    out_.problems.push_back(MakeProblem(kind, path, std::move(message)));
  }

  void WalkDirectory(const std::string& display, std::vector<std::string>& relative, int depth) {
    int error = 0;
    const std::vector<std::string> names = ListDirectory(display, &error);
    if (error != 0) {
      Report(ir::Problem::Kind::kUnreadable, display,
             absl::StrCat("cannot read directory: ", ErrnoText(error)));
      return;
    }
    for (const std::string& name : names) {
      relative.push_back(name);
      VisitEntry(JoinPath(display, name), name, relative, depth);
      relative.pop_back();
    }
  }

  void VisitEntry(const std::string& path, const std::string& name,
                  std::vector<std::string>& relative, int depth) {
    if (IsExcluded(path, options_.exclude, options_.exclude_base)) return;
    const bool is_python = absl::EndsWith(name, ".py");
    struct stat link_st;
    if (::lstat(path.c_str(), &link_st) != 0) {
      if (is_python) {
        Report(ir::Problem::Kind::kUnreadable, path,
               absl::StrCat("not analyzed: ", ErrnoText(errno)));
      }
      return;
    }
    const bool is_link = S_ISLNK(link_st.st_mode);
    struct stat st = link_st;
    if (is_link && ::stat(path.c_str(), &st) != 0) {
      const int link_error = errno;
      if (is_python) {
        Report(ir::Problem::Kind::kUnreadable, path,
               link_error == ELOOP
                   ? std::string("not analyzed: symbolic link loop")
                   : absl::StrCat("not analyzed: dangling symbolic link (", ErrnoText(link_error),
                                  ")"));
      }
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      const DirKey key{st.st_dev, st.st_ino};
      if (std::optional<std::string> reason = SkipReason(path, name)) {
        if (!reason->empty()) {
          Report(ir::Problem::Kind::kOther, path, absl::StrCat("directory skipped: ", *reason));
        }
      } else if (is_link) {
        deferred_links_.push_back({path, key, relative, ancestors_, depth + 1});
      } else if (visited_.try_emplace(key, path).second) {
        EnterDirectory(path, key, relative, depth + 1);
      }
      return;
    }
    if (!is_python) return;
    if (!S_ISREG(st.st_mode)) {
      Report(ir::Problem::Kind::kUnreadable, path,
             absl::StrCat("not analyzed: not a regular file (", FileTypeName(st.st_mode), ")"));
      return;
    }
    AddFile(*context_, path, relative);
  }

  // A linked directory, followed once the real tree is walked: not into its own ancestors (a
  // loop), and not a second time (several links to one directory would multiply the work, and a
  // chain of them grows exponentially); its files are analyzed once, under the first path.
  void FollowLink(const std::string& path, DirKey key, std::vector<std::string>& relative,
                  int depth) {
    for (const auto& [ancestor, ancestor_path] : ancestors_) {
      if (ancestor == key) {
        Report(ir::Problem::Kind::kOther, path,
               absl::StrCat("not followed: symbolic link loop back to ", ancestor_path));
        return;
      }
    }
    auto [it, inserted] = visited_.try_emplace(key, path);
    if (!inserted) {
      Report(ir::Problem::Kind::kOther, path,
             absl::StrCat("not followed: directory already walked as ", it->second));
      return;
    }
    EnterDirectory(path, key, relative, depth);
  }

  void EnterDirectory(const std::string& path, DirKey key, std::vector<std::string>& relative,
                      int depth) {
    if (depth > options_.max_depth) {
      Report(ir::Problem::Kind::kTooDeep, path,
             absl::StrCat("directory skipped: nested deeper than ", options_.max_depth,
                          " levels"));
      return;
    }
    ancestors_.push_back({key, path});
    WalkDirectory(path, relative, depth);
    ancestors_.pop_back();
  }

  static const char* FileTypeName(mode_t mode) {
    if (S_ISFIFO(mode)) return "fifo";
    if (S_ISSOCK(mode)) return "socket";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    return "special file";
  }

  struct DeferredLink {
    std::string path;
    DirKey key;
    std::vector<std::string> relative;
    std::vector<std::pair<DirKey, std::string>> ancestors;
    int depth = 0;
  };

  const DiscoverOptions& options_;
  Discovery& out_;
  const ArgumentContext* context_ = nullptr;
  std::vector<std::pair<DirKey, std::string>> ancestors_;
  std::deque<DeferredLink> deferred_links_;
  absl::flat_hash_map<DirKey, std::string> visited_;
  absl::flat_hash_set<std::string> seen_files_;
};

// The analysis root of `start_dir` (absolute, normalized) when no --root is given: climb out of
// enclosing packages. Returns the root and the components from it down to start_dir.
std::pair<fs::path, std::vector<std::string>> ClimbPackages(fs::path dir) {
  std::vector<std::string> below;
  while (dir.has_relative_path() && IsPackageDir(dir.string())) {
    below.insert(below.begin(), dir.filename().string());
    dir = dir.parent_path();
  }
  return {dir, below};
}

fs::path Normalized(const std::string& path) {
  fs::path result = fs::absolute(fs::path(path)).lexically_normal();
  if (!result.has_filename() && result.has_relative_path()) result = result.parent_path();
  return result;
}

// The display form of `root` for a user who typed `argument`: keep it relative when they did.
std::string DisplayRoot(const fs::path& root) {
  std::error_code ec;
  const fs::path relative = fs::relative(root, fs::current_path(), ec);
  if (ec || relative.empty()) return root.string();
  if (absl::StartsWith(relative.string(), "..")) return root.string();
  return relative.string();
}

struct Placement {
  ArgumentContext context;
  std::vector<std::string> relative;  // the argument's own path below the root
};

absl::StatusOr<Placement> PlaceArgument(int index, const std::string& argument, bool is_dir,
                                        const DiscoverOptions& options) {
  Placement placement;
  placement.context.argument = index;
  const fs::path target = Normalized(argument);
  fs::path root;
  if (options.root.has_value()) {
    std::error_code ec;
    const fs::path canonical_root = fs::canonical(*options.root, ec);
    if (ec || !fs::is_directory(canonical_root)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--root ", *options.root, " is not a directory"));
    }
    const fs::path canonical_target = fs::canonical(target, ec);
    const fs::path relative = canonical_target.lexically_relative(canonical_root);
    if (ec || relative.empty() || *relative.begin() == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(argument, " is not inside --root ", *options.root));
    }
    root = canonical_root;
    for (const fs::path& part : relative) {
      if (part != ".") placement.relative.push_back(part.string());
    }
    if (!is_dir && !placement.relative.empty()) placement.relative.pop_back();
  } else {
    auto [climbed, below] = ClimbPackages(is_dir ? target : target.parent_path());
    root = climbed;
    placement.relative = std::move(below);
  }
  placement.context.root = options.root.has_value() ? *options.root : DisplayRoot(root);
  placement.context.root_name = root.filename().string();
  placement.context.src_layout = HasSrcLayout(root.string());
  if (!is_dir) placement.relative.push_back(target.filename().string());
  return placement;
}

void ReportDuplicates(Discovery& discovery) {
  for (size_t i = 1; i < discovery.files.size(); ++i) {
    const DiscoveredFile& file = discovery.files[i];
    size_t first = i;
    while (first > 0 && discovery.files[first - 1].module_name == file.module_name) --first;
    if (first == i) continue;
    const DiscoveredFile& winner = discovery.files[first];
    discovery.problems.push_back(MakeProblem(
        ir::Problem::Kind::kOther, file.path,
        absl::StrCat("duplicate module name `", file.module_name, "` (also ", winner.path,
                     "); imports of it resolve to ", winner.path)));
  }
}

}  // namespace

std::string ModuleNameFromRelativePath(absl::string_view relative, bool src_layout,
                                       absl::string_view root_name, bool* is_package) {
  std::vector<std::string> parts = absl::StrSplit(relative, '/', absl::SkipEmpty());
  *is_package = false;
  if (src_layout && parts.size() > 1 && parts.front() == "src") parts.erase(parts.begin());
  if (!parts.empty()) {
    std::string& last = parts.back();
    if (last == "__init__.py") {
      *is_package = true;
      parts.pop_back();
    } else if (absl::EndsWith(last, ".py")) {
      last.resize(last.size() - 3);
    }
  }
  if (parts.empty()) return std::string(root_name);
  return absl::StrJoin(parts, ".");
}

absl::StatusOr<Discovery> Discover(const std::vector<std::string>& paths,
                                   const DiscoverOptions& options) {
  Discovery discovery;
  Walker walker(options, discovery);
  std::vector<Placement> placements;
  placements.reserve(paths.size());  // the walker keeps a pointer to each context
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", ErrnoText(errno)));
    }
    const bool is_dir = S_ISDIR(st.st_mode);
    if (!is_dir && !S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is neither a directory nor a regular file"));
    }
    absl::StatusOr<Placement> placement =
        PlaceArgument(static_cast<int>(i), path, is_dir, options);
    if (!placement.ok()) return placement.status();
    placements.push_back(*std::move(placement));
    const Placement& placed = placements.back();
    if (is_dir) {
      walker.WalkRoot(placed.context, path, placed.relative);
    } else {
      walker.AddFile(placed.context, path, placed.relative);
    }
  }
  std::stable_sort(discovery.files.begin(), discovery.files.end(),
                   [](const DiscoveredFile& a, const DiscoveredFile& b) {
                     return std::forward_as_tuple(a.module_name, a.argument, b.is_package,
                                                  a.path) <
                            std::forward_as_tuple(b.module_name, b.argument, a.is_package,
                                                  b.path);
                   });
  ReportDuplicates(discovery);
  return discovery;
}

}  // namespace flopscope::driver
