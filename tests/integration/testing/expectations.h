// Inline corpus annotations (STYLE.md section 3) and how findings are matched against them.
//
//   model = load(PATH)  # expect: FS101 "reloaded" allow: FS401
//   # known-fn: FS101 -- loader hidden behind functools.partial is not resolved yet
//   m = load()
//
// - `expect: CODE ["substring"] ...`: the line must produce each listed finding (a quoted
//   substring after a code constrains that finding's message). Listing a code twice requires two
//   findings.
// - `allow: CODE ...`: a finding there is neither required nor wrong.
// - `known-fp: CODE -- reason`: a known false positive; the test fails when it disappears, so the
//   annotation gets removed.
// - `known-fn: CODE -- reason`: a known false negative; the test fails when the finding appears,
//   asking for the annotation to become `expect`.
// A trailing annotation applies to its own line; an annotation on a comment-only line applies to
// the next line holding code. Several keywords may share one comment. Comments are found with a
// small Python tokenizer, so `#` inside strings and docstrings is never mistaken for one.
// Every finding not accepted by an annotation on its line is unexpected.
//
// Header-only: used by tests/integration/corpus_test.cc and expectations_test.cc.
#ifndef FLOPSCOPE_TESTS_INTEGRATION_TESTING_EXPECTATIONS_H_
#define FLOPSCOPE_TESTS_INTEGRATION_TESTING_EXPECTATIONS_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace flopscope::testing {

enum class AnnotationKind { kExpect, kAllow, kKnownFp, kKnownFn };

inline absl::string_view AnnotationKindName(AnnotationKind kind) {
  switch (kind) {
    case AnnotationKind::kExpect:
      return "expect";
    case AnnotationKind::kAllow:
      return "allow";
    case AnnotationKind::kKnownFp:
      return "known-fp";
    case AnnotationKind::kKnownFn:
      return "known-fn";
  }
  return "?";
}

struct Annotation {
  AnnotationKind kind = AnnotationKind::kExpect;
  std::string code;       // "FS101"
  std::string substring;  // expect only; "" = any message
  std::string reason;     // known-fp / known-fn
  int line = 0;           // the line it applies to (1-based)
  int comment_line = 0;   // where it is written
};

struct FileExpectations {
  std::string path;
  std::vector<Annotation> annotations;
  std::vector<std::string> errors;  // malformed annotations, as "path:line: message"
};

// One finding as the corpus test sees it.
struct Finding {
  int line = 0;
  std::string code;
  std::string message;
};

// A comment found by the tokenizer: its text after '#', and whether code precedes it.
struct PythonComment {
  int line = 0;
  std::string text;
  bool trailing = false;
};

// Comments of a Python source: a '#' outside string literals up to the end of its line. String
// literals (any prefix, single or triple quoted, with backslash escapes) are skipped; an
// unterminated single-quoted string ends at the end of its line, as the tokenizer's error does.
inline std::vector<PythonComment> PythonComments(absl::string_view text) {
  std::vector<PythonComment> out;
  int line = 1;
  bool code_on_line = false;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      code_on_line = false;
      ++i;
      continue;
    }
    if (c == '#') {
      size_t end = text.find('\n', i);
      if (end == absl::string_view::npos) end = n;
      absl::string_view body = text.substr(i + 1, end - i - 1);
      if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
      out.push_back(PythonComment{line, std::string(body), code_on_line});
      i = end;
      continue;
    }
    if (c == '"' || c == '\'') {
      code_on_line = true;
      bool triple = i + 2 < n && text[i + 1] == c && text[i + 2] == c;
      size_t j = i + (triple ? 3 : 1);
      while (j < n) {
        if (text[j] == '\\' && j + 1 < n) {
          if (text[j + 1] == '\n') ++line;
          j += 2;
          continue;
        }
        if (text[j] == '\n') {
          if (!triple) break;  // unterminated: the string ends with the line
          ++line;
          ++j;
          continue;
        }
        if (text[j] == c && (!triple || (j + 2 < n && text[j + 1] == c && text[j + 2] == c))) {
          j += triple ? 3 : 1;
          break;
        }
        ++j;
      }
      i = j;
      continue;
    }
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) code_on_line = true;
    ++i;
  }
  return out;
}

namespace internal {

inline bool IsRuleCode(absl::string_view token) {
  return token.size() == 5 && token[0] == 'F' && token[1] == 'S' &&
         std::all_of(token.begin() + 2, token.end(),
                     [](char ch) { return absl::ascii_isdigit(static_cast<unsigned char>(ch)); });
}

inline bool KeywordAt(absl::string_view s, size_t pos, AnnotationKind* kind, size_t* length) {
  static constexpr struct {
    absl::string_view word;
    AnnotationKind kind;
  } kWords[] = {{"expect:", AnnotationKind::kExpect},
                {"allow:", AnnotationKind::kAllow},
                {"known-fp:", AnnotationKind::kKnownFp},
                {"known-fn:", AnnotationKind::kKnownFn}};
  if (pos > 0 && !absl::ascii_isspace(static_cast<unsigned char>(s[pos - 1])) && s[pos - 1] != '#') {
    return false;
  }
  for (const auto& w : kWords) {
    if (s.substr(pos, w.word.size()) == w.word) {
      *kind = w.kind;
      *length = w.word.size();
      return true;
    }
  }
  return false;
}

// Parses the annotations of one comment; appends to `out`, reports problems to `errors`.
inline void ParseComment(absl::string_view comment, int comment_line, int target_line,
                         absl::string_view path, std::vector<Annotation>& out,
                         std::vector<std::string>& errors) {
  auto error = [&](absl::string_view message) {
    errors.push_back(absl::StrCat(path, ":", comment_line, ": ", message));
  };
  size_t pos = 0;
  // Find the first keyword; comments without one are ordinary comments.
  AnnotationKind kind = AnnotationKind::kExpect;
  size_t length = 0;
  while (pos < comment.size() && !KeywordAt(comment, pos, &kind, &length)) ++pos;
  if (pos >= comment.size()) return;
  pos += length;
  int codes_in_clause = 0;
  auto end_clause = [&] {
    if (codes_in_clause == 0) {
      error(absl::StrCat("`", AnnotationKindName(kind), ":` lists no rule code"));
    }
    codes_in_clause = 0;
  };
  while (true) {
    while (pos < comment.size() &&
           (absl::ascii_isspace(static_cast<unsigned char>(comment[pos])) || comment[pos] == '#')) {
      ++pos;
    }
    if (pos >= comment.size()) break;
    AnnotationKind next_kind;
    size_t next_length = 0;
    if (KeywordAt(comment, pos, &next_kind, &next_length)) {
      if (kind == AnnotationKind::kKnownFp || kind == AnnotationKind::kKnownFn) {
        error(absl::StrCat("`", AnnotationKindName(kind), ":` needs `-- reason`"));
      }
      end_clause();
      kind = next_kind;
      pos += next_length;
      continue;
    }
    if (comment[pos] == '"') {
      size_t close = comment.find('"', pos + 1);
      if (kind != AnnotationKind::kExpect || out.empty() || codes_in_clause == 0 ||
          close == absl::string_view::npos) {
        error("a quoted message substring must follow a code of `expect:`");
        return;
      }
      out.back().substring = std::string(comment.substr(pos + 1, close - pos - 1));
      pos = close + 1;
      continue;
    }
    size_t end = pos;
    while (end < comment.size() && !absl::ascii_isspace(static_cast<unsigned char>(comment[end]))) {
      ++end;
    }
    absl::string_view token = comment.substr(pos, end - pos);
    if (token == "--") {
      if (kind != AnnotationKind::kKnownFp && kind != AnnotationKind::kKnownFn) {
        error("`-- reason` belongs to known-fp/known-fn only");
        return;
      }
      std::string reason(absl::StripAsciiWhitespace(comment.substr(end)));
      if (reason.empty()) error("empty reason after `--`");
      for (Annotation& a : out) {
        if (a.comment_line == comment_line && a.kind == kind && a.reason.empty()) a.reason = reason;
      }
      end_clause();
      return;
    }
    if (!IsRuleCode(token)) {
      error(absl::StrCat("`", token, "` is not a rule code (FSnnn)"));
      return;
    }
    out.push_back(Annotation{kind, std::string(token), "", "", target_line, comment_line});
    ++codes_in_clause;
    pos = end;
  }
  if (kind == AnnotationKind::kKnownFp || kind == AnnotationKind::kKnownFn) {
    error(absl::StrCat("`", AnnotationKindName(kind), ":` needs `-- reason`"));
  }
  end_clause();
}

}  // namespace internal

// All annotations of one file. An annotation on a comment-only line applies to the next line
// with code; with none left it is an error.
inline FileExpectations ParseExpectations(absl::string_view path, absl::string_view text) {
  FileExpectations result;
  result.path = std::string(path);
  std::vector<PythonComment> comments = PythonComments(text);
  // Lines with code: every line that is not blank and not only a comment.
  std::vector<bool> has_code(1, false);
  {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == absl::string_view::npos) end = text.size();
      absl::string_view content = absl::StripAsciiWhitespace(text.substr(start, end - start));
      has_code.push_back(!content.empty() && content[0] != '#');
      if (end == text.size()) break;
      start = end + 1;
    }
  }
  for (const PythonComment& comment : comments) {
    int target = comment.line;
    if (!comment.trailing) {
      target = 0;
      for (size_t l = static_cast<size_t>(comment.line) + 1; l < has_code.size(); ++l) {
        if (has_code[l]) {
          target = static_cast<int>(l);
          break;
        }
      }
    }
    size_t before = result.annotations.size();
    internal::ParseComment(comment.text, comment.line, target, path, result.annotations,
                           result.errors);
    if (target == 0 && result.annotations.size() > before) {
      result.errors.push_back(
          absl::StrCat(path, ":", comment.line, ": annotation is followed by no code line"));
      result.annotations.resize(before);
    }
  }
  return result;
}

// Matches the findings of one file against its annotations. Returns one FileCheck-style line per
// problem ("path:line: ..."), sorted by line; empty when everything matches.
inline std::vector<std::string> MatchFindings(const FileExpectations& expectations,
                                              const std::vector<Finding>& findings) {
  std::vector<std::pair<int, std::string>> problems;
  const std::string& path = expectations.path;
  for (const std::string& e : expectations.errors) problems.push_back({0, e});
  std::map<int, std::vector<const Annotation*>> by_line;
  for (const Annotation& a : expectations.annotations) by_line[a.line].push_back(&a);
  std::map<int, std::vector<const Finding*>> found;
  for (const Finding& f : findings) found[f.line].push_back(&f);

  std::vector<int> lines;
  for (const auto& [line, unused] : by_line) lines.push_back(line);
  for (const auto& [line, unused] : found) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());

  for (int line : lines) {
    std::vector<const Annotation*> annotations = by_line[line];
    std::vector<const Finding*> remaining = found[line];
    auto where = absl::StrCat(path, ":", line, ": ");
    auto take = [&](const Annotation& a) -> const Finding* {
      for (auto it = remaining.begin(); it != remaining.end(); ++it) {
        if ((*it)->code == a.code && absl::StrContains((*it)->message, a.substring)) {
          const Finding* f = *it;
          remaining.erase(it);
          return f;
        }
      }
      return nullptr;
    };
    // Exact expectations first (those with a substring), so a looser one cannot steal their
    // finding.
    std::stable_sort(annotations.begin(), annotations.end(),
                     [](const Annotation* a, const Annotation* b) {
                       return !a->substring.empty() && b->substring.empty();
                     });
    for (const Annotation* a : annotations) {
      if (a->kind != AnnotationKind::kExpect) continue;
      if (take(*a) == nullptr) {
        problems.push_back({line, absl::StrCat(where, "missing ", a->code,
                                               a->substring.empty() ? "" : absl::StrCat(
                                                   " with message containing \"",
                                                   a->substring, "\""))});
      }
    }
    for (const Annotation* a : annotations) {
      if (a->kind != AnnotationKind::kKnownFp) continue;
      if (take(*a) == nullptr) {
        problems.push_back({line, absl::StrCat(where, "known-fp ", a->code,
                                               " is no longer reported: remove the annotation")});
      }
    }
    for (const Annotation* a : annotations) {
      if (a->kind != AnnotationKind::kKnownFn) continue;
      if (take(*a) != nullptr) {
        problems.push_back({line, absl::StrCat(where, "known-fn ", a->code,
                                               " is now reported: change the annotation to "
                                               "`expect: ", a->code, "`")});
      }
    }
    for (const Finding* f : remaining) {
      bool allowed = std::any_of(annotations.begin(), annotations.end(), [&](const Annotation* a) {
        return a->kind == AnnotationKind::kAllow && a->code == f->code;
      });
      if (!allowed) {
        problems.push_back({line, absl::StrCat(where, "unexpected ", f->code, " ", f->message)});
      }
    }
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& p : problems) out.push_back(std::move(p.second));
  return out;
}

}  // namespace flopscope::testing

#endif  // FLOPSCOPE_TESTS_INTEGRATION_TESTING_EXPECTATIONS_H_
