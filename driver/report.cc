#include "driver/report.h"

#include <fstream>
#include <sstream>

#include "util/check.h"

namespace flopscope::driver {

Notification Notification::FromProblem(const ir::Problem& problem) {
  Notification n;
  n.path = problem.path;
  n.range = problem.range;
  n.message = problem.message;
  switch (problem.kind) {
    case ir::Problem::Kind::kSyntaxError:
      n.level = Level::kWarning;
      n.id = "syntax-error";
      break;
    case ir::Problem::Kind::kUnreadable:
      n.level = Level::kError;
      n.id = "unreadable-file";
      break;
    case ir::Problem::Kind::kNotUtf8:
      n.level = Level::kError;
      n.id = "not-utf8";
      break;
    case ir::Problem::Kind::kTooLarge:
      n.level = Level::kWarning;
      n.id = "file-too-large";
      break;
    case ir::Problem::Kind::kTooDeep:
      n.level = Level::kWarning;
      n.id = "nesting-too-deep";
      break;
    case ir::Problem::Kind::kOther:
      n.level = Level::kWarning;
      n.id = "analysis-problem";
      break;
  }
  return n;
}

absl::string_view NotificationLevelName(Notification::Level level) {
  switch (level) {
    case Notification::Level::kError:
      return "error";
    case Notification::Level::kWarning:
      return "warning";
    case Notification::Level::kNote:
      return "note";
  }
  return "warning";
}

const checkers::RuleInfo& Report::RuleOf(const checkers::Diagnostic& diagnostic) const {
  FS_CHECK(registry != nullptr);
  const checkers::RuleInfo* rule = registry->Find(diagnostic.rule);
  FS_CHECK(rule != nullptr);
  return *rule;
}

const std::string* SourceTexts::Get(absl::string_view path) {
  auto known = report_.sources.find(path);
  if (known != report_.sources.end()) return &known->second;
  auto cached = cache_.find(path);
  if (cached == cache_.end()) {
    std::optional<std::string> text;
    std::ifstream in{std::string(path), std::ios::binary};
    if (in) {
      std::ostringstream buffer;
      buffer << in.rdbuf();
      if (in.good() || in.eof()) text = std::move(buffer).str();
    }
    cached = cache_.emplace(std::string(path), std::move(text)).first;
  }
  return cached->second.has_value() ? &*cached->second : nullptr;
}

absl::string_view LineOf(absl::string_view text, uint32_t line) {
  if (line == 0) return {};
  size_t pos = 0;
  for (uint32_t current = 1; current < line; ++current) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == absl::string_view::npos) return {};
    pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  size_t end = text.find_first_of("\r\n", pos);
  return text.substr(pos, end == absl::string_view::npos ? absl::string_view::npos : end - pos);
}

}  // namespace flopscope::driver
