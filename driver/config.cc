#include "driver/config.h"

#include <fnmatch.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"

namespace flopscope::driver {
namespace {

namespace fs = std::filesystem;

absl::Status WrongType(const std::string& path, absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": [tool.flopscope] ", key, " must be a list of strings (or one string)"));
}

// A list of strings, or one string standing for a list of one.
absl::StatusOr<std::vector<std::string>> StringList(const toml::node& node,
                                                    const std::string& path,
                                                    absl::string_view key) {
  std::vector<std::string> out;
  if (const auto* one = node.as_string()) {
    out.push_back(one->get());
    return out;
  }
  const toml::array* array = node.as_array();
  if (array == nullptr) return WrongType(path, key);
  for (const toml::node& element : *array) {
    const auto* s = element.as_string();
    if (s == nullptr) return WrongType(path, key);
    out.push_back(s->get());
  }
  return out;
}

std::optional<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<ProjectConfig> LoadFile(const fs::path& file, bool* has_table) {
  const std::optional<std::string> text = ReadText(file);
  if (!text) {
    return absl::InvalidArgumentError(absl::StrCat(file.string(), ": cannot read the file"));
  }
  absl::StatusOr<ProjectConfig> config = ParseProjectConfig(*text, file.string(), has_table);
  if (!config.ok()) return config.status();
  config->path = file.string();
  std::error_code error;
  config->base_dir = fs::absolute(file, error).parent_path().lexically_normal().string();
  return config;
}

}  // namespace

absl::StatusOr<ProjectConfig> ParseProjectConfig(const std::string& text, const std::string& path,
                                                 bool* has_table) {
  *has_table = false;
  ProjectConfig config;
  toml::table document;
  try {
    document = toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return absl::InvalidArgumentError(absl::StrCat(path, ":", where.line, ":", where.column,
                                                   ": invalid TOML: ",
                                                   std::string(error.description())));
  }
  const toml::table* table = document["tool"]["flopscope"].as_table();
  if (table == nullptr) return config;
  *has_table = true;
  for (const auto& [key, node] : *table) {
    const std::string name(key.str());
    absl::StatusOr<std::vector<std::string>> values = StringList(node, path, name);
    if (name == "select") {
      if (!values.ok()) return values.status();
      config.select = *std::move(values);
    } else if (name == "ignore") {
      if (!values.ok()) return values.status();
      config.ignore = *std::move(values);
    } else if (name == "exclude") {
      if (!values.ok()) return values.status();
      config.exclude = *std::move(values);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown key `", name,
                       "` in [tool.flopscope] (known: select, ignore, exclude)"));
    }
  }
  return config;
}

absl::StatusOr<ProjectConfig> LoadProjectConfig(const std::vector<std::string>& paths,
                                                const std::optional<std::string>& explicit_path) {
  bool has_table = false;
  if (explicit_path) {
    if (!fs::is_regular_file(*explicit_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", *explicit_path, ": no such file"));
    }
    return LoadFile(*explicit_path, &has_table);
  }
  if (paths.empty()) return ProjectConfig{};
  std::error_code error;
  fs::path dir = fs::absolute(paths.front(), error).lexically_normal();
  if (!fs::is_directory(dir, error)) dir = dir.parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    const fs::path candidate = dir / "pyproject.toml";
    if (fs::is_regular_file(candidate, error)) {
      absl::StatusOr<ProjectConfig> config = LoadFile(candidate, &has_table);
      if (!config.ok() || has_table) return config;
    }
    if (dir == dir.root_path()) break;
  }
  return ProjectConfig{};
}

bool IsExcluded(const std::string& path, const std::vector<std::string>& patterns,
                const std::string& base_dir) {
  if (patterns.empty()) return false;
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error).lexically_normal();
  const std::string name = absolute.filename().string();
  std::string relative;
  if (!base_dir.empty()) {
    const fs::path rel = absolute.lexically_relative(base_dir);
    if (!rel.empty() && *rel.begin() != "..") relative = rel.generic_string();
  }
  for (std::string pattern : patterns) {
    while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
    if (pattern.find('/') == std::string::npos) {
      if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
    } else if (!relative.empty()) {
      if (absl::StartsWith(pattern, "./")) pattern.erase(0, 2);
      if (fnmatch(pattern.c_str(), relative.c_str(), 0) == 0) return true;
    }
  }
  return false;
}

}  // namespace flopscope::driver
