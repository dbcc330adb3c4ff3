#include "frontend/suppressions.h"

#include <cctype>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace flopscope::frontend {
namespace {

bool IsRuleCode(absl::string_view token) {
  if (token.size() != 5 || token[0] != 'F' || token[1] != 'S') return false;
  for (char c : token.substr(2)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Codes in `rest` ("FS101, E501 FS305 trailing words"): code-like tokens separated by commas or
// spaces; the list ends at the first token that is not code-like.
std::vector<std::string> CodeList(absl::string_view rest, char terminator) {
  std::vector<std::string> codes;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ',' || rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i >= rest.size() || rest[i] == terminator) break;
    size_t j = i;
    while (j < rest.size() && absl::ascii_isalnum(static_cast<unsigned char>(rest[j]))) ++j;
    if (j == i) break;
    const absl::string_view token = rest.substr(i, j - i);
    if (!absl::ascii_isupper(static_cast<unsigned char>(token[0]))) break;
    if (IsRuleCode(token)) codes.emplace_back(token);
    i = j;
  }
  return codes;
}

bool ContainsNoqa(absl::string_view s) {
  for (size_t i = 0; i + 4 <= s.size(); ++i) {
    if (absl::StartsWithIgnoreCase(s.substr(i), "noqa")) return true;
  }
  return false;
}

absl::string_view SkipBlanks(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// One directive starting right after a `#`.
std::optional<ir::Suppression> Directive(absl::string_view after_hash) {
  absl::string_view s = SkipBlanks(after_hash);
  if (absl::StartsWithIgnoreCase(s, "noqa")) {
    s.remove_prefix(4);
    if (s.empty() || s.front() != ':') return std::nullopt;  // bare noqa: another linter's
    ir::Suppression suppression;
    suppression.codes = CodeList(s.substr(1), '#');
    if (suppression.codes.empty()) return std::nullopt;
    return suppression;
  }
  if (absl::StartsWith(s, "flopscope:")) {
    s = SkipBlanks(s.substr(strlen("flopscope:")));
    if (!absl::StartsWith(s, "ignore")) return std::nullopt;
    s.remove_prefix(strlen("ignore"));
    ir::Suppression suppression;
    if (!s.empty() && s.front() == '[') {
      suppression.codes = CodeList(s.substr(1), ']');
      if (suppression.codes.empty()) return std::nullopt;  // `ignore[]` or foreign codes only
    } else if (!s.empty() && absl::ascii_isalnum(static_cast<unsigned char>(s.front()))) {
      return std::nullopt;  // "ignored", "ignores": not the directive
    }
    return suppression;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ir::Suppression> ParseSuppressionComment(absl::string_view comment) {
  // Several directives may share one comment (`# type: ignore  # noqa: FS401`); codes add up.
  std::optional<ir::Suppression> result;
  for (size_t hash = comment.find('#'); hash != absl::string_view::npos;
       hash = comment.find('#', hash + 1)) {
    std::optional<ir::Suppression> one = Directive(comment.substr(hash + 1));
    if (!one) continue;
    if (!result) {
      result = std::move(one);
    } else if (result->codes.empty() || one->codes.empty()) {
      result->codes.clear();
    } else {
      result->codes.insert(result->codes.end(), one->codes.begin(), one->codes.end());
    }
  }
  return result;
}

std::vector<ir::Suppression> CollectSuppressions(TSNode root, absl::string_view text) {
  std::vector<ir::Suppression> found;
  uint32_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      continue;
    }
    if (text[i] != '#') continue;
    // Cheap test on the rest of the line before asking the tree whether this `#` starts a
    // comment (it may sit inside a string).
    size_t end = text.find('\n', i);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view rest = text.substr(i, end - i);
    if (!ContainsNoqa(rest) && !absl::StrContains(rest, "flopscope:")) {
      i = end - 1;
      continue;
    }
    const TSNode node = ts_node_descendant_for_byte_range(root, static_cast<uint32_t>(i),
                                                          static_cast<uint32_t>(i + 1));
    if (ts_node_is_null(node) || std::strcmp(ts_node_type(node), "comment") != 0 ||
        ts_node_start_byte(node) != i) {
      continue;  // a `#` inside a string: look for a real comment later on the line
    }
    const uint32_t comment_end = ts_node_end_byte(node);
    if (std::optional<ir::Suppression> s =
            ParseSuppressionComment(text.substr(i, comment_end - i))) {
      s->line = line;
      found.push_back(std::move(*s));
    }
    i = comment_end - 1;
  }
  return found;
}

}  // namespace flopscope::frontend
