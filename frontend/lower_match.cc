// `match`: each case is a MatchTest on the subject (kind of the outermost pattern, operands = the
// subject and every value the pattern compares against: literals, dotted names, class names,
// mapping keys) branching to the next case on failure, then a MatchBind per capture (text = where
// inside the subject the capture is taken from, e.g. "[0].x"), then the guard as a branch.
// Irrefutable patterns (a capture or `_`) emit no test.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/lowerer.h"

namespace flopscope::frontend {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

InstrId FunctionLowerer::ValuePattern(TSNode dotted) {
  InstrId value;
  bool first = true;
  for (Children c(pool_, dotted); c.NextNamed();) {
    if (!Is(c.node(), k_.identifier)) continue;
    if (first) {
      value = LoadName(Text(c.node()), c.node());
      first = false;
    } else {
      value = Emit(Opcode::kLoadAttr, c.node(), {value}, std::string(Text(c.node())));
    }
  }
  if (first) value = OpaqueExpr(dotted, "empty value pattern", false);
  return value;
}

std::string FunctionLowerer::Pattern(TSNode pattern, const std::string& path, Operands& values,
                                     std::vector<Capture>& captures) {
  DepthGuard guard(*this);
  if (guard.too_deep()) {
    values.push_back(TooDeep(pattern));
    return "opaque";
  }
  if (ts_node_is_null(pattern)) {
    values.push_back(OpaqueExpr(pattern, "missing pattern", false));
    return "opaque";
  }
  const TSSymbol s = ts_node_symbol(pattern);
  if (s == k_.case_pattern) {
    bool negative = false;
    bool wildcard = false;
    std::vector<TSNode> named;
    for (Children c(pool_, pattern); c.Next();) {
      const TSNode child = c.node();
      const TSSymbol cs = ts_node_symbol(child);
      if (cs == k_.tok_minus) negative = true;
      if (cs == k_.kw_underscore) wildcard = true;
      if (ts_node_is_named(child) && !IsExtra(child)) named.push_back(child);
    }
    if (named.empty()) return wildcard ? "" : "opaque";
    if (negative && named.size() == 1) {
      const bool is_float = Is(named[0], k_.float_);
      values.push_back(Const(is_float ? ir::ConstKind::kFloat : ir::ConstKind::kInt,
                             absl::StrCat("-", Text(named[0])), pattern));
      return "value";
    }
    if (named.size() == 1) return Pattern(named[0], path, values, captures);
    for (size_t i = 0; i < named.size(); ++i) {
      Pattern(named[i], absl::StrCat(path, "[", i, "]"), values, captures);
    }
    return "sequence";
  }
  if (s == k_.dotted_name) {
    int count = 0;
    TSNode first{};
    for (Children c(pool_, pattern); c.NextNamed();) {
      if (count++ == 0) first = c.node();
    }
    if (count == 1) {
      captures.push_back({first, path});
      return "";
    }
    values.push_back(ValuePattern(pattern));
    return "value";
  }
  if (s == k_.identifier) {
    captures.push_back({pattern, path});
    return "";
  }
  if (s == k_.integer || s == k_.float_ || s == k_.string || s == k_.concatenated_string ||
      s == k_.true_ || s == k_.false_ || s == k_.none) {
    values.push_back(Expr(pattern));
    return "value";
  }
  if (s == k_.complex_pattern) {
    values.push_back(Const(ir::ConstKind::kComplex, std::string(Text(pattern)), pattern));
    return "value";
  }
  if (s == k_.class_pattern) {
    bool class_name = true;
    int position = 0;
    for (Children c(pool_, pattern); c.NextNamed();) {
      const TSNode child = c.node();
      if (class_name && Is(child, k_.dotted_name)) {
        values.push_back(ValuePattern(child));
        class_name = false;
        continue;
      }
      const TSNode inner = Is(child, k_.case_pattern) ? FirstNamedChild(pool_, child) : child;
      if (Is(inner, k_.keyword_pattern)) {
        Pattern(inner, path, values, captures);
      } else {
        Pattern(child, absl::StrCat(path, "(", position++, ")"), values, captures);
      }
    }
    return "class";
  }
  if (s == k_.keyword_pattern) {
    std::string key;
    bool have_key = false;
    for (Children c(pool_, pattern); c.NextNamed();) {
      if (!have_key && Is(c.node(), k_.identifier)) {
        key = std::string(Text(c.node()));
        have_key = true;
        continue;
      }
      Pattern(c.node(), absl::StrCat(path, ".", key), values, captures);
    }
    return "keyword";
  }
  if (s == k_.list_pattern || s == k_.tuple_pattern) {
    std::vector<TSNode> elements;
    int star = -1;
    for (Children c(pool_, pattern); c.NextNamed();) {
      const TSNode element = c.node();
      const TSNode inner = Is(element, k_.case_pattern) ? FirstNamedChild(pool_, element) : element;
      if (Is(inner, k_.splat_pattern) && star < 0) star = static_cast<int>(elements.size());
      elements.push_back(element);
    }
    const int count = static_cast<int>(elements.size());
    for (int i = 0; i < count; ++i) {
      std::string element_path;
      if (i == star) {
        element_path = absl::StrCat(path, "[", i, ":",
                                    i - count + 1 == 0 ? "" : absl::StrCat(i - count + 1), "]");
      } else {
        element_path = absl::StrCat(path, "[", star >= 0 && i > star ? i - count : i, "]");
      }
      Pattern(elements[i], element_path, values, captures);
    }
    return "sequence";
  }
  if (s == k_.splat_pattern) {
    const TSNode name = FirstNamedChild(pool_, pattern);
    if (Is(name, k_.identifier)) captures.push_back({name, path});
    return "";
  }
  if (s == k_.dict_pattern) {
    std::string key_text;
    bool negative = false;
    for (Children c(pool_, pattern); c.Next();) {
      const TSNode child = c.node();
      if (c.field() == k_.field.key && ts_node_symbol(child) == k_.tok_minus) {
        negative = true;  // `-1: v` arrives as two key fields, '-' then the number
        continue;
      }
      if (!ts_node_is_named(child) || IsExtra(child)) continue;
      if (c.field() == k_.field.key) {
        key_text = absl::StrCat(negative ? "-" : "", Text(child));
        if (negative && (Is(child, k_.integer) || Is(child, k_.float_))) {
          values.push_back(Const(Is(child, k_.float_) ? ir::ConstKind::kFloat : ir::ConstKind::kInt,
                                 key_text, child));
        } else {
          std::vector<Capture> ignored;  // keys are values, never captures
          Pattern(child, path, values, ignored);
        }
        negative = false;
      } else if (c.field() == k_.field.value) {
        Pattern(child, absl::StrCat(path, "[", key_text, "]"), values, captures);
      } else if (Is(child, k_.splat_pattern)) {
        Pattern(child, absl::StrCat(path, "[**]"), values, captures);
      }
    }
    return "mapping";
  }
  if (s == k_.union_pattern) {
    bool first = true;
    for (Children c(pool_, pattern); c.NextNamed();) {
      // Every alternative binds the same names; bind them from the first one.
      std::vector<Capture> ignored;
      Pattern(c.node(), path, values, first ? captures : ignored);
      first = false;
    }
    return "or";
  }
  if (s == k_.as_pattern) {
    TSNode inner{};
    TSNode alias{};
    for (Children c(pool_, pattern); c.NextNamed();) {
      if (ts_node_is_null(inner)) {
        inner = c.node();
      } else if (Is(c.node(), k_.identifier)) {
        alias = c.node();
      }
    }
    const std::string kind = ts_node_is_null(inner) ? "" : Pattern(inner, path, values, captures);
    if (!ts_node_is_null(alias)) captures.push_back({alias, path});
    return kind;
  }
  values.push_back(OpaqueExpr(pattern, IsErrorNode(pattern) ? "syntax error" : "pattern", false));
  return "opaque";
}

void FunctionLowerer::Match(TSNode node) {
  Operands subjects;
  TSNode last_subject = node;
  for (Children c(pool_, node); c.NextNamed();) {
    if (c.field() != k_.field.subject) continue;
    last_subject = c.node();
    subjects.push_back(Expr(c.node()));
  }
  InstrId subject;
  if (subjects.size() == 1) {
    subject = subjects[0];
  } else {
    subject = Emit(Opcode::kBuildTuple, last_subject, subjects);
    fn_.instr(subject).arg_names.assign(subjects.size(), "");
  }
  const BlockId after = NewBlock();
  const TSNode body = Field(node, k_.field.body);
  if (!ts_node_is_null(body)) {
    for (Children c(pool_, body); c.NextNamed();) {
      const TSNode clause = c.node();
      if (!Is(clause, k_.case_clause)) continue;
      EnsureOpen();
      std::vector<TSNode> patterns;
      TSNode guard{};
      TSNode consequence{};
      for (Children p(pool_, clause); p.NextNamed();) {
        if (p.field() == k_.field.guard) {
          guard = FirstNamedChild(pool_, p.node());
        } else if (p.field() == k_.field.consequence) {
          consequence = p.node();
        } else if (Is(p.node(), k_.case_pattern)) {
          patterns.push_back(p.node());
        }
      }
      Operands values;
      std::vector<Capture> captures;
      std::string kind;
      if (patterns.size() == 1) {
        kind = Pattern(patterns[0], "", values, captures);
      } else {
        for (size_t i = 0; i < patterns.size(); ++i) {
          Pattern(patterns[i], absl::StrCat("[", i, "]"), values, captures);
        }
        kind = "sequence";
      }
      // Only a refutable pattern or a guard can fall through to the next case.
      const bool refutable = !kind.empty() || !ts_node_is_null(guard);
      const BlockId next = refutable ? NewBlock() : BlockId();
      if (!kind.empty()) {
        Operands operands = {subject};
        operands.insert(operands.end(), values.begin(), values.end());
        const InstrId test = Emit(Opcode::kMatchTest, clause, std::move(operands), kind);
        const BlockId matched = NewBlock();
        Branch(test, matched, next, clause);
        SetBlock(matched);
      }
      for (const Capture& capture : captures) {
        const InstrId bound = Emit(Opcode::kMatchBind, capture.name, {subject},
                                   capture.path.empty() ? "." : capture.path);
        StoreName(Text(capture.name), bound, capture.name);
      }
      if (!ts_node_is_null(guard)) {
        const BlockId guarded = NewBlock();
        Cond(guard, guarded, next);
        SetBlock(guarded);
      }
      Statements(consequence);
      JumpIfOpen(after, clause);
      if (next.valid()) SetBlock(next);
    }
  }
  JumpIfOpen(after, node);
  SetBlock(after);
}

}  // namespace flopscope::frontend
