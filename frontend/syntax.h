// Internal to the frontend: the tree-sitter Python grammar's node symbols and field ids, looked up
// by name once per process (never strcmp per node), plus small helpers over TSNode (ranges, text,
// child iteration with pooled cursors). Nothing outside frontend/*.cc includes this.
#ifndef FLOPSCOPE_FRONTEND_SYNTAX_H_
#define FLOPSCOPE_FRONTEND_SYNTAX_H_

#include <tree_sitter/api.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "ir/ir.h"

extern "C" const TSLanguage* tree_sitter_python(void);

namespace flopscope::frontend {

// X(member, "grammar name") for every named node kind the frontend dispatches on.
#define FS_PY_NAMED_NODES(X)                                                                    \
  X(module, "module") X(block, "block") X(comment, "comment")                                  \
  X(expression_statement, "expression_statement") X(assignment, "assignment")                  \
  X(augmented_assignment, "augmented_assignment") X(return_statement, "return_statement")      \
  X(pass_statement, "pass_statement") X(break_statement, "break_statement")                    \
  X(continue_statement, "continue_statement") X(raise_statement, "raise_statement")            \
  X(assert_statement, "assert_statement") X(delete_statement, "delete_statement")              \
  X(global_statement, "global_statement") X(nonlocal_statement, "nonlocal_statement")          \
  X(import_statement, "import_statement") X(import_from_statement, "import_from_statement")    \
  X(future_import_statement, "future_import_statement") X(aliased_import, "aliased_import")    \
  X(dotted_name, "dotted_name") X(relative_import, "relative_import")                          \
  X(import_prefix, "import_prefix") X(wildcard_import, "wildcard_import")                      \
  X(print_statement, "print_statement") X(exec_statement, "exec_statement")                    \
  X(type_alias_statement, "type_alias_statement") X(if_statement, "if_statement")              \
  X(elif_clause, "elif_clause") X(else_clause, "else_clause") X(for_statement, "for_statement") \
  X(while_statement, "while_statement") X(try_statement, "try_statement")                      \
  X(except_clause, "except_clause") X(except_group_clause, "except_group_clause")              \
  X(finally_clause, "finally_clause") X(with_statement, "with_statement")                      \
  X(with_clause, "with_clause") X(with_item, "with_item") X(match_statement, "match_statement") \
  X(case_clause, "case_clause") X(case_pattern, "case_pattern")                                \
  X(function_definition, "function_definition") X(class_definition, "class_definition")        \
  X(decorated_definition, "decorated_definition") X(decorator, "decorator")                    \
  X(parameters, "parameters") X(lambda_parameters, "lambda_parameters")                        \
  X(default_parameter, "default_parameter") X(typed_parameter, "typed_parameter")              \
  X(typed_default_parameter, "typed_default_parameter")                                        \
  X(list_splat_pattern, "list_splat_pattern")                                                  \
  X(dictionary_splat_pattern, "dictionary_splat_pattern")                                      \
  X(keyword_separator, "keyword_separator") X(positional_separator, "positional_separator")     \
  X(tuple_pattern, "tuple_pattern") X(list_pattern, "list_pattern")                            \
  X(pattern_list, "pattern_list") X(identifier, "identifier") X(attribute, "attribute")        \
  X(subscript, "subscript") X(slice, "slice") X(call, "call") X(argument_list, "argument_list") \
  X(keyword_argument, "keyword_argument") X(list_splat, "list_splat")                          \
  X(dictionary_splat, "dictionary_splat")                                                      \
  X(parenthesized_list_splat, "parenthesized_list_splat")                                      \
  X(binary_operator, "binary_operator") X(unary_operator, "unary_operator")                    \
  X(not_operator, "not_operator") X(boolean_operator, "boolean_operator")                      \
  X(comparison_operator, "comparison_operator")                                                \
  X(conditional_expression, "conditional_expression") X(named_expression, "named_expression")  \
  X(lambda, "lambda") X(await, "await") X(yield, "yield") X(list, "list") X(tuple, "tuple")    \
  X(set, "set") X(dictionary, "dictionary") X(pair, "pair")                                    \
  X(list_comprehension, "list_comprehension") X(set_comprehension, "set_comprehension")        \
  X(dictionary_comprehension, "dictionary_comprehension")                                      \
  X(generator_expression, "generator_expression") X(for_in_clause, "for_in_clause")            \
  X(if_clause, "if_clause") X(parenthesized_expression, "parenthesized_expression")            \
  X(expression_list, "expression_list") X(string, "string")                                   \
  X(concatenated_string, "concatenated_string") X(string_start, "string_start")                \
  X(string_content, "string_content") X(string_end, "string_end")                              \
  X(interpolation, "interpolation") X(format_specifier, "format_specifier")                    \
  X(format_expression, "format_expression") X(escape_sequence, "escape_sequence")              \
  X(integer, "integer") X(float_, "float") X(true_, "true") X(false_, "false")                 \
  X(none, "none") X(ellipsis, "ellipsis") X(as_pattern, "as_pattern")                          \
  X(as_pattern_target, "as_pattern_target") X(type, "type")                                    \
  X(type_parameter, "type_parameter") X(class_pattern, "class_pattern")                        \
  X(union_pattern, "union_pattern") X(dict_pattern, "dict_pattern")                            \
  X(splat_pattern, "splat_pattern") X(keyword_pattern, "keyword_pattern")                      \
  X(complex_pattern, "complex_pattern") X(line_continuation, "line_continuation")              \
  X(generic_type, "generic_type")

// Anonymous tokens the frontend needs to recognise.
#define FS_PY_TOKENS(X)                                                                         \
  X(kw_async, "async") X(kw_from, "from") X(kw_underscore, "_") X(tok_minus, "-")              \
  X(tok_colon, ":") X(tok_star, "*") X(tok_double_star, "**") X(tok_dot, ".")                  \
  X(tok_comma, ",") X(tok_equals, "=")

#define FS_PY_FIELDS(X)                                                                         \
  X(alias, "alias") X(alternative, "alternative") X(argument, "argument")                       \
  X(arguments, "arguments") X(attribute, "attribute") X(body, "body") X(cause, "cause")         \
  X(code, "code") X(condition, "condition") X(consequence, "consequence")                       \
  X(definition, "definition") X(expression, "expression")                                       \
  X(format_specifier, "format_specifier") X(function, "function") X(guard, "guard")             \
  X(key, "key") X(left, "left") X(module_name, "module_name") X(name, "name")                   \
  X(object, "object") X(operator_, "operator") X(operators, "operators")                        \
  X(parameters, "parameters") X(return_type, "return_type") X(right, "right")                   \
  X(subject, "subject") X(subscript, "subscript") X(superclasses, "superclasses")               \
  X(type, "type") X(type_conversion, "type_conversion") X(type_parameters, "type_parameters")   \
  X(value, "value")

struct Syntax {
#define FS_DECLARE_SYMBOL(member, name) TSSymbol member = 0;
  FS_PY_NAMED_NODES(FS_DECLARE_SYMBOL)
  FS_PY_TOKENS(FS_DECLARE_SYMBOL)
#undef FS_DECLARE_SYMBOL
  struct Fields {
#define FS_DECLARE_FIELD(member, name) TSFieldId member = 0;
    FS_PY_FIELDS(FS_DECLARE_FIELD)
#undef FS_DECLARE_FIELD
  } field;
  // Names the loaded grammar lacks (empty when the grammar is the expected one).
  std::string missing;
};

// The grammar's ids, computed once (thread-safe static initialisation).
const Syntax& GetSyntax();

// Note: tree-sitter's node functions dereference the node, so every helper here accepts a null
// node (an absent optional field) and answers "nothing".

// 1-based range of a node (invalid for a null node).
inline ir::SourceRange RangeOf(TSNode node) {
  if (ts_node_is_null(node)) return {};
  const TSPoint start = ts_node_start_point(node);
  const TSPoint end = ts_node_end_point(node);
  return {start.row + 1, start.column + 1, end.row + 1, end.column + 1};
}

// Range from the start of `first` to the end of `last`.
inline ir::SourceRange RangeSpan(TSNode first, TSNode last) {
  ir::SourceRange range = RangeOf(first);
  if (ts_node_is_null(last) || !range.valid()) return range;
  const TSPoint end = ts_node_end_point(last);
  range.end_line = end.row + 1;
  range.end_col = end.column + 1;
  return range;
}

inline absl::string_view TextOf(absl::string_view source, TSNode node) {
  if (ts_node_is_null(node)) return {};
  const uint32_t begin = ts_node_start_byte(node);
  const uint32_t end = ts_node_end_byte(node);
  if (begin > end || end > source.size()) return {};
  return source.substr(begin, end - begin);
}

// tree-sitter's ERROR node (ts_builtin_sym_error in tree_sitter/parser.h, which we do not include).
inline constexpr TSSymbol kErrorSymbol = static_cast<TSSymbol>(-1);
inline bool IsErrorNode(TSNode node) { return ts_node_symbol(node) == kErrorSymbol; }

// Comments and line continuations can appear between any two tokens; they are never operands.
// Error recovery can also mark skipped input as an extra ERROR node: that one is kept, so broken
// code still shows up (as Opaque).
inline bool IsExtra(TSNode node) { return ts_node_is_extra(node) && !IsErrorNode(node); }

// A free list of tree cursors so child iteration costs no allocation per node (ts_node_child(i)
// walks from the first child each time, so indexing in a loop would be quadratic).
class CursorPool {
 public:
  CursorPool() = default;
  CursorPool(const CursorPool&) = delete;
  CursorPool& operator=(const CursorPool&) = delete;
  ~CursorPool();
  TSTreeCursor Take(TSNode node);
  void Give(TSTreeCursor cursor) { free_.push_back(cursor); }

 private:
  std::vector<TSTreeCursor> free_;
};

// Iterates over the direct children of a node: `for (Children c(pool, n); c.Next();)`.
class Children {
 public:
  Children(CursorPool& pool, TSNode parent)
      : pool_(pool),
        empty_(ts_node_is_null(parent)),
        cursor_(empty_ ? TSTreeCursor{} : pool.Take(parent)) {}
  ~Children() {
    if (!empty_) pool_.Give(cursor_);
  }
  Children(const Children&) = delete;
  Children& operator=(const Children&) = delete;

  // Moves to the next child (the first on the first call); false when there is none.
  bool Next() {
    if (empty_) return false;
    if (!started_) {
      started_ = true;
      return ts_tree_cursor_goto_first_child(&cursor_);
    }
    return ts_tree_cursor_goto_next_sibling(&cursor_);
  }
  // Moves to the next named, non-extra child.
  bool NextNamed() {
    while (Next()) {
      const TSNode n = node();
      if (ts_node_is_named(n) && !IsExtra(n)) return true;
    }
    return false;
  }
  TSNode node() const { return ts_tree_cursor_current_node(&cursor_); }
  TSFieldId field() const { return ts_tree_cursor_current_field_id(&cursor_); }

 private:
  CursorPool& pool_;
  const bool empty_;  // iterating a null node: no children
  TSTreeCursor cursor_;
  bool started_ = false;
};

// The first named, non-extra child, or a null node.
TSNode FirstNamedChild(CursorPool& pool, TSNode node);

// Key of a node within its tree: its subtree plus its position (a subtree could in principle be
// shared between two positions).
using NodeKey = std::pair<uintptr_t, uint32_t>;
inline NodeKey KeyOf(TSNode node) {
  return {reinterpret_cast<uintptr_t>(node.id), ts_node_start_byte(node)};
}

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_SYNTAX_H_
