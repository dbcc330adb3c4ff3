#include "frontend/syntax.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace flopscope::frontend {
namespace {

Syntax LoadSyntax() {
  Syntax syntax;
  const TSLanguage* language = tree_sitter_python();
  auto symbol = [&](const char* name, bool named, TSSymbol& out) {
    out = ts_language_symbol_for_name(language, name, static_cast<uint32_t>(std::strlen(name)),
                                      named);
    if (out == 0) absl::StrAppend(&syntax.missing, syntax.missing.empty() ? "" : ", ", name);
  };
#define FS_LOAD_NAMED(member, name) symbol(name, true, syntax.member);
  FS_PY_NAMED_NODES(FS_LOAD_NAMED)
#undef FS_LOAD_NAMED
#define FS_LOAD_TOKEN(member, name) symbol(name, false, syntax.member);
  FS_PY_TOKENS(FS_LOAD_TOKEN)
#undef FS_LOAD_TOKEN
#define FS_LOAD_FIELD(member, name)                                                            \
  syntax.field.member =                                                                        \
      ts_language_field_id_for_name(language, name, static_cast<uint32_t>(std::strlen(name))); \
  if (syntax.field.member == 0)                                                                \
    absl::StrAppend(&syntax.missing, syntax.missing.empty() ? "" : ", ", "field " name);
  FS_PY_FIELDS(FS_LOAD_FIELD)
#undef FS_LOAD_FIELD
  return syntax;
}

}  // namespace

const Syntax& GetSyntax() {
  static const Syntax* const syntax = new Syntax(LoadSyntax());
  return *syntax;
}

CursorPool::~CursorPool() {
  for (TSTreeCursor& cursor : free_) ts_tree_cursor_delete(&cursor);
}

TSTreeCursor CursorPool::Take(TSNode node) {
  if (free_.empty()) return ts_tree_cursor_new(node);
  TSTreeCursor cursor = free_.back();
  free_.pop_back();
  ts_tree_cursor_reset(&cursor, node);
  return cursor;
}

TSNode FirstNamedChild(CursorPool& pool, TSNode node) {
  Children children(pool, node);
  if (children.NextNamed()) return children.node();
  return TSNode{};
}

}  // namespace flopscope::frontend
