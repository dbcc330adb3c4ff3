// A scratch directory tree for driver and CLI tests: files, symlinks and FIFOs under a fresh
// temporary directory that is removed when the object dies.
#ifndef FLOPSCOPE_TESTS_DRIVER_TEMP_TREE_H_
#define FLOPSCOPE_TESTS_DRIVER_TEMP_TREE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace flopscope::testing {

class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "flopscope_XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    root_ = pattern;
  }
  ~TempTree() {
    std::error_code ec;
    // Give back permissions taken away by tests so the tree can be removed.
    for (auto it = std::filesystem::recursive_directory_iterator(
             root_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink()) ::chmod(it->path().c_str(), 0755);
    }
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  // Writes `content` to `relative`, creating parent directories.
  std::string Write(const std::string& relative, const std::string& content = "") {
    const std::string path = Path(relative);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
    return path;
  }
  std::string Mkdir(const std::string& relative) {
    std::filesystem::create_directories(Path(relative));
    return Path(relative);
  }
  // A symbolic link at `relative` whose content is `target` (taken literally).
  void Symlink(const std::string& target, const std::string& relative) {
    std::filesystem::create_directories(std::filesystem::path(Path(relative)).parent_path());
    EXPECT_EQ(::symlink(target.c_str(), Path(relative).c_str()), 0) << relative;
  }
  void Fifo(const std::string& relative) {
    std::filesystem::create_directories(std::filesystem::path(Path(relative)).parent_path());
    EXPECT_EQ(::mkfifo(Path(relative).c_str(), 0644), 0) << relative;
  }

 private:
  std::string root_;
};

}  // namespace flopscope::testing

#endif  // FLOPSCOPE_TESTS_DRIVER_TEMP_TREE_H_
