// Parsing: one tree-sitter parse per file, plus the syntax-error scan that turns ERROR and MISSING
// nodes into Problems. The scan walks only subtrees that contain errors and never recurses, so
// pathological nesting costs no C++ stack.
#include <tree_sitter/api.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/frontend.h"
#include "frontend/parsed_file.h"
#include "frontend/syntax.h"

namespace flopscope::frontend {
namespace {

struct TsParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
using TsParserPtr = std::unique_ptr<TSParser, TsParserDeleter>;

uint32_t CountLines(absl::string_view text) {
  if (text.empty()) return 0;
  const auto newlines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n'));
  return text.back() == '\n' ? newlines : newlines + 1;
}

// A short, single-line excerpt of the unexpected text for the message.
std::string Excerpt(absl::string_view text) {
  constexpr size_t kMaxExcerpt = 40;
  const size_t newline = text.find_first_of("\r\n");
  absl::string_view line = text.substr(0, newline);
  std::string out;
  for (char c : line.substr(0, kMaxExcerpt)) out.push_back(c == '\0' || c == '\t' ? ' ' : c);
  if (line.size() > kMaxExcerpt || newline != absl::string_view::npos) out += "...";
  return out;
}

void AddSyntaxProblem(ParsedFile& file, TSNode node, size_t& dropped) {
  if (file.problems.size() >= kMaxSyntaxProblems) {
    ++dropped;
    return;
  }
  ir::Problem problem;
  problem.kind = ir::Problem::Kind::kSyntaxError;
  problem.path = file.source.path;
  problem.range = RangeOf(node);
  if (ts_node_is_missing(node)) {
    problem.message = absl::StrCat("syntax error: missing `", ts_node_type(node), "`");
  } else {
    const std::string excerpt = Excerpt(TextOf(file.source.text, node));
    problem.message =
        excerpt.empty() ? "syntax error" : absl::StrCat("syntax error: unexpected `", excerpt, "`");
  }
  file.problems.push_back(std::move(problem));
}

// Pre-order walk over the subtrees that contain errors, with one cursor and no recursion.
void CollectSyntaxErrors(ParsedFile& file) {
  const TSNode root = ts_tree_root_node(file.tree);
  if (!ts_node_has_error(root)) return;
  size_t dropped = 0;
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  bool descend = true;
  while (true) {
    const TSNode node = ts_tree_cursor_current_node(&cursor);
    if (descend) {
      if (IsErrorNode(node) || ts_node_is_missing(node)) {
        AddSyntaxProblem(file, node, dropped);
        descend = false;  // report the outermost ERROR only
      } else if (!ts_node_has_error(node)) {
        descend = false;
      }
    }
    if (descend && ts_tree_cursor_goto_first_child(&cursor)) continue;
    if (ts_tree_cursor_goto_next_sibling(&cursor)) {
      descend = true;
      continue;
    }
    bool moved = false;
    while (ts_tree_cursor_goto_parent(&cursor)) {
      if (ts_tree_cursor_goto_next_sibling(&cursor)) {
        moved = true;
        break;
      }
    }
    if (!moved) break;
    descend = true;
  }
  ts_tree_cursor_delete(&cursor);
  if (dropped > 0) {
    ir::Problem more;
    more.kind = ir::Problem::Kind::kSyntaxError;
    more.path = file.source.path;
    more.range = file.problems.back().range;
    more.message = absl::StrCat("syntax error: ", dropped, " further syntax errors not listed");
    file.problems.push_back(std::move(more));
  }
}

}  // namespace

absl::Status CheckLanguageVersion(uint32_t version) {
  if (version < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION ||
      version > TREE_SITTER_LANGUAGE_VERSION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tree-sitter-python grammar ABI ", version, " cannot be loaded by the tree-sitter runtime ",
        "(supports ", TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, "..",
        TREE_SITTER_LANGUAGE_VERSION, ")"));
  }
  return absl::OkStatus();
}

void ParsedFileDeleter::operator()(ParsedFile* file) const { delete file; }

absl::StatusOr<ParsedFilePtr> Parse(SourceFile source) {
  const TSLanguage* language = tree_sitter_python();
  if (absl::Status status = CheckLanguageVersion(ts_language_version(language)); !status.ok()) {
    return status;
  }
  const Syntax& syntax = GetSyntax();
  if (!syntax.missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("tree-sitter-python grammar lacks expected node kinds: ", syntax.missing));
  }
  // tree-sitter addresses bytes with uint32_t.
  if (source.text.size() >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.path, " is too large to parse (", source.text.size(), " bytes)"));
  }
  TsParserPtr parser(ts_parser_new());
  if (!ts_parser_set_language(parser.get(), language)) {
    return absl::FailedPreconditionError("tree-sitter runtime refused the python grammar");
  }
  ParsedFilePtr file(new ParsedFile());
  file->source = std::move(source);
  file->tree = ts_parser_parse_string(parser.get(), nullptr, file->source.text.data(),
                                      static_cast<uint32_t>(file->source.text.size()));
  if (file->tree == nullptr) {
    return absl::InternalError(
        absl::StrCat("tree-sitter returned no tree for ", file->source.path));
  }
  file->line_count = CountLines(file->source.text);
  CollectSyntaxErrors(*file);
  return file;
}

absl::StatusOr<ir::ModuleUnit> ParseAndLower(SourceFile source) {
  absl::StatusOr<ParsedFilePtr> parsed = Parse(std::move(source));
  if (!parsed.ok()) return parsed.status();
  return Lower(**parsed);
}

}  // namespace flopscope::frontend
