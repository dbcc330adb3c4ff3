// Assignment targets (names, attributes, subscripts, tuple/list/starred unpacking), augmented
// assignment (target object evaluated once), `del`, and imports.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/lowerer.h"

namespace flopscope::frontend {

using ir::InstrId;
using ir::Opcode;

void FunctionLowerer::Assignment(TSNode node) {
  // `a = b = value`: the right spine holds the targets; the value is evaluated once, first, and
  // stored to the targets left to right.
  std::vector<TSNode> targets;
  TSNode current = node;
  TSNode value{};
  while (Is(current, k_.assignment)) {
    targets.push_back(Field(current, k_.field.left));
    value = Field(current, k_.field.right);
    current = value;
  }
  if (ts_node_is_null(value)) return;  // `x: int` annotates without binding a value
  InstrId result;
  if (Is(value, k_.augmented_assignment)) {
    AugmentedAssignment(value);
    result = OpaqueExpr(value, "augmented assignment used as a value", false);
  } else {
    result = ExprOrTuple(value);
  }
  for (const TSNode target : targets) {
    if (!ts_node_is_null(target)) Store(target, result);
  }
}

void FunctionLowerer::AugmentedAssignment(TSNode node) {
  const TSNode target = Field(node, k_.field.left);
  const TSNode op = Field(node, k_.field.operator_);
  const TSNode right = Field(node, k_.field.right);
  std::string op_text = ts_node_is_null(op) ? "?" : std::string(ts_node_type(op));
  if (!op_text.empty() && op_text.back() == '=') op_text.pop_back();  // "+=" -> "+"
  if (Is(target, k_.identifier)) {
    const absl::string_view name = Text(target);
    const InstrId old = LoadName(name, target);
    const InstrId rhs = ExprOrTuple(right);
    const InstrId updated = Emit(Opcode::kInplaceOp, node, {old, rhs}, std::move(op_text));
    StoreName(name, updated, target);
  } else if (Is(target, k_.attribute)) {
    const InstrId object = Expr(Field(target, k_.field.object));
    const std::string attribute(Text(Field(target, k_.field.attribute)));
    const InstrId old = Emit(Opcode::kLoadAttr, target, {object}, attribute);
    const InstrId rhs = ExprOrTuple(right);
    const InstrId updated = Emit(Opcode::kInplaceOp, node, {old, rhs}, std::move(op_text));
    Emit(Opcode::kStoreAttr, node, {object, updated}, attribute);
  } else if (Is(target, k_.subscript)) {
    const InstrId object = Expr(Field(target, k_.field.value));
    const InstrId key = SubscriptKeys(target);
    const InstrId old = Emit(Opcode::kLoadSubscript, target, {object, key});
    const InstrId rhs = ExprOrTuple(right);
    const InstrId updated = Emit(Opcode::kInplaceOp, node, {old, rhs}, std::move(op_text));
    Emit(Opcode::kStoreSubscript, node, {object, key, updated});
  } else {
    const InstrId rhs = ExprOrTuple(right);
    OpaqueExpr(node, "augmented assignment to an unsupported target", false);
    Emit(Opcode::kOpaque, node, {rhs}, "augmented assignment value");
  }
}

void FunctionLowerer::Store(TSNode target, InstrId value) {
  if (ts_node_is_null(target)) {
    Emit(Opcode::kOpaque, target, {value}, "store to missing target");
    return;
  }
  DepthGuard guard(*this);
  if (guard.too_deep()) {
    TooDeep(target);
    return;
  }
  const TSSymbol s = ts_node_symbol(target);
  if (s == k_.identifier) {
    StoreName(Text(target), value, target);
  } else if (s == k_.attribute) {
    const InstrId object = Expr(Field(target, k_.field.object));
    Emit(Opcode::kStoreAttr, target, {object, value},
         std::string(Text(Field(target, k_.field.attribute))));
  } else if (s == k_.subscript) {
    const InstrId object = Expr(Field(target, k_.field.value));
    const InstrId key = SubscriptKeys(target);
    Emit(Opcode::kStoreSubscript, target, {object, key, value});
  } else if (s == k_.tuple_pattern && !HasToken(target, k_.tok_comma)) {
    // `(a) = v`: the grammar calls parenthesized targets tuple patterns even without a comma.
    const TSNode inner = FirstNamedChild(pool_, target);
    if (ts_node_is_null(inner)) {
      Unpack(target, value);  // `() = v`
    } else {
      Store(inner, value);
    }
  } else if (s == k_.pattern_list || s == k_.tuple_pattern || s == k_.list_pattern ||
             s == k_.tuple || s == k_.list || s == k_.expression_list) {
    Unpack(target, value);
  } else if (s == k_.parenthesized_expression || s == k_.as_pattern_target) {
    const TSNode inner = FirstNamedChild(pool_, target);
    if (!ts_node_is_null(inner)) Store(inner, value);
  } else if (s == k_.list_splat_pattern || s == k_.list_splat) {
    // A lone starred target outside a sequence (a syntax error) still binds its name.
    const TSNode inner = FirstNamedChild(pool_, target);
    if (!ts_node_is_null(inner)) Store(inner, value);
  } else {
    Emit(Opcode::kOpaque, target, {value}, "store to unsupported target");
  }
}

void FunctionLowerer::Unpack(TSNode target, InstrId value) {
  std::vector<TSNode> elements;
  int star = -1;
  for (Children c(pool_, target); c.NextNamed();) {
    const TSNode element = c.node();
    if ((Is(element, k_.list_splat_pattern) || Is(element, k_.list_splat)) && star < 0) {
      star = static_cast<int>(elements.size());
    }
    elements.push_back(element);
  }
  const int count = static_cast<int>(elements.size());
  for (int i = 0; i < count; ++i) {
    const TSNode element = elements[i];
    if (i == star) {
      const InstrId rest =
          Emit(Opcode::kUnpackStar, element, {value}, absl::StrCat(count - i - 1), i);
      const TSNode inner = FirstNamedChild(pool_, element);
      if (!ts_node_is_null(inner)) Store(inner, rest);
      continue;
    }
    // Items after a starred target are addressed from the end.
    const int index = star >= 0 && i > star ? i - count : i;
    const InstrId item = Emit(Opcode::kUnpackItem, element, {value}, "", index);
    Store(element, item);
  }
}

void FunctionLowerer::Delete(TSNode target) {
  if (ts_node_is_null(target)) return;
  DepthGuard guard(*this);
  if (guard.too_deep()) {
    TooDeep(target);
    return;
  }
  const TSSymbol s = ts_node_symbol(target);
  if (s == k_.identifier) {
    const VarAccess access = ScopeTable::Access(*scope_, Text(target));
    Emit(Opcode::kDelVar, target, {}, std::string(Text(target)),
         static_cast<int32_t>(access.scope));
  } else if (s == k_.attribute) {
    const InstrId object = Expr(Field(target, k_.field.object));
    Emit(Opcode::kDelAttr, target, {object}, std::string(Text(Field(target, k_.field.attribute))));
  } else if (s == k_.subscript) {
    const InstrId object = Expr(Field(target, k_.field.value));
    const InstrId key = SubscriptKeys(target);
    Emit(Opcode::kDelSubscript, target, {object, key});
  } else if (s == k_.expression_list || s == k_.tuple || s == k_.list ||
             s == k_.parenthesized_expression || s == k_.pattern_list) {
    for (Children c(pool_, target); c.NextNamed();) Delete(c.node());
  } else {
    OpaqueExpr(target, "del of unsupported target", true);
  }
}

std::string FunctionLowerer::DottedName(TSNode node) {
  std::string out;
  for (Children c(pool_, node); c.NextNamed();) {
    if (ts_node_symbol(c.node()) != k_.identifier) continue;
    if (!out.empty()) out.push_back('.');
    const absl::string_view part = Text(c.node());
    out.append(part.data(), part.size());
  }
  return out;
}

void FunctionLowerer::Import(TSNode node) {
  for (Children c(pool_, node); c.NextNamed();) {
    if (c.field() != k_.field.name) continue;
    const TSNode name = c.node();
    if (Is(name, k_.aliased_import)) {
      // import a.b as c: c is the submodule a.b itself.
      const TSNode alias = Field(name, k_.field.alias);
      const InstrId module =
          Emit(Opcode::kImport, name, {}, DottedName(Field(name, k_.field.name)), 0);
      if (!ts_node_is_null(alias)) StoreName(Text(alias), module, alias);
    } else {
      // import a.b: binds the top-level package a.
      const TSNode first = FirstNamedChild(pool_, name);
      if (ts_node_is_null(first)) continue;
      const std::string top(Text(first));
      const InstrId module = Emit(Opcode::kImport, name, {}, top, 0);
      StoreName(top, module, first);
    }
  }
}

void FunctionLowerer::ImportFrom(TSNode node) {
  std::string module_name;
  int32_t level = 0;
  if (Is(node, k_.future_import_statement)) {
    module_name = "__future__";
  } else {
    const TSNode module = Field(node, k_.field.module_name);
    if (Is(module, k_.relative_import)) {
      for (Children c(pool_, module); c.NextNamed();) {
        if (Is(c.node(), k_.import_prefix)) {
          for (char ch : Text(c.node())) level += ch == '.' ? 1 : 0;
        } else if (Is(c.node(), k_.dotted_name)) {
          module_name = DottedName(c.node());
        }
      }
    } else if (!ts_node_is_null(module)) {
      module_name = DottedName(module);
    }
  }
  bool star = false;
  for (Children c(pool_, node); c.NextNamed();) star = star || Is(c.node(), k_.wildcard_import);
  if (star) {
    Emit(Opcode::kImportStar, node, {}, module_name, level);
    return;
  }
  const InstrId module = Emit(Opcode::kImport, node, {}, module_name, level);
  for (Children c(pool_, node); c.NextNamed();) {
    if (c.field() != k_.field.name) continue;
    const TSNode name = c.node();
    TSNode bound = name;
    std::string attribute;
    if (Is(name, k_.aliased_import)) {
      attribute = DottedName(Field(name, k_.field.name));
      bound = Field(name, k_.field.alias);
    } else {
      attribute = DottedName(name);
      bound = FirstNamedChild(pool_, name);
    }
    const InstrId value = Emit(Opcode::kLoadAttr, name, {module}, attribute);
    if (!ts_node_is_null(bound)) StoreName(Text(bound), value, bound);
  }
}

}  // namespace flopscope::frontend
