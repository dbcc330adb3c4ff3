// Expressions: every expression node becomes instructions in the current block (or, for
// short-circuit operators and conditional expressions, a small diamond of blocks whose result
// flows through a kLocal temporary). Left-nested chains of binary and boolean operators are
// lowered iteratively, so long `a + b + c + ...` sums cost no C++ stack.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "frontend/lowerer.h"

namespace flopscope::frontend {
namespace {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

// The character a simple escape `\c` stands for, or 0 when `c` is not a simple escape.
char SimpleEscape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '\\':
    case '\'':
    case '"':
      return c;
    default:
      return 0;
  }
}

// The value of a non-raw string literal's body: the common escapes are decoded; others are kept
// as written (the analysis compares names and paths, which rarely contain escapes).
void AppendDecoded(absl::string_view body, bool raw, std::string& out) {
  if (raw) {
    out.append(body.data(), body.size());
    return;
  }
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c != '\\' || i + 1 == body.size()) {
      out.push_back(c);
      continue;
    }
    const char next = body[i + 1];
    if (next == '\n') {  // a backslash-newline inside the literal continues the line
      ++i;
    } else if (const char decoded = SimpleEscape(next); decoded != 0) {
      out.push_back(decoded);
      ++i;
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

InstrId FunctionLowerer::Expr(TSNode node) {
  DepthGuard guard(*this);
  if (guard.too_deep()) return TooDeep(node);
  return ExprInner(node);
}

InstrId FunctionLowerer::ExprInner(TSNode node) {
  if (ts_node_is_null(node)) return OpaqueExpr(node, "missing expression", false);
  if (ts_node_is_missing(node)) {
    return OpaqueExpr(node, absl::StrCat("syntax error: missing ", ts_node_type(node)), false);
  }
  const TSSymbol s = ts_node_symbol(node);
  if (s == k_.identifier) return Identifier(node);
  if (s == k_.attribute) return Attribute(node);
  if (s == k_.call) return Call(node);
  if (s == k_.integer) return Number(node, ir::ConstKind::kInt);
  if (s == k_.float_) return Number(node, ir::ConstKind::kFloat);
  if (s == k_.string) return String(node);
  if (s == k_.concatenated_string) return ConcatenatedString(node);
  if (s == k_.true_) return Const(ir::ConstKind::kBool, "True", node);
  if (s == k_.false_) return Const(ir::ConstKind::kBool, "False", node);
  if (s == k_.none) return None(node);
  if (s == k_.ellipsis) return Const(ir::ConstKind::kEllipsis, "...", node);
  if (s == k_.subscript) return Subscript(node);
  if (s == k_.binary_operator) return Binary(node);
  if (s == k_.unary_operator || s == k_.not_operator) return Unary(node);
  if (s == k_.boolean_operator) return BooleanOp(node);
  if (s == k_.comparison_operator) return Comparison(node);
  if (s == k_.conditional_expression) return Conditional(node);
  if (s == k_.named_expression) return Walrus(node);
  if (s == k_.lambda) return Lambda(node);
  if (s == k_.await) {
    return Emit(Opcode::kAwait, node, {Expr(FirstNamedChild(pool_, node))});
  }
  if (s == k_.yield) return YieldExpr(node);
  if (s == k_.list) return Sequence(node, Opcode::kBuildList);
  if (s == k_.tuple || s == k_.expression_list || s == k_.pattern_list) {
    return Sequence(node, Opcode::kBuildTuple);
  }
  if (s == k_.set) return Sequence(node, Opcode::kBuildSet);
  if (s == k_.dictionary) return Dict(node);
  if (s == k_.list_comprehension || s == k_.set_comprehension || s == k_.dictionary_comprehension ||
      s == k_.generator_expression) {
    return ComprehensionCall(node);
  }
  if ((s == k_.parenthesized_expression || s == k_.tuple) && KeyOf(node) == type_call_) {
    // `type(x)` whose name the grammar consumed as the `type` keyword (see TypeAlias).
    const InstrId callee = LoadName("type", node);
    Operands operands = {callee};
    if (s == k_.tuple) {
      for (Children c(pool_, node); c.NextNamed();) operands.push_back(Expr(c.node()));
    } else {
      operands.push_back(Expr(FirstNamedChild(pool_, node)));
    }
    const InstrId call = Emit(Opcode::kCall, node, operands);
    fn_.instr(call).arg_names.assign(operands.size() - 1, "");
    return call;
  }
  if (s == k_.parenthesized_expression) {
    const TSNode inner = FirstNamedChild(pool_, node);
    return ts_node_is_null(inner) ? OpaqueExpr(node, "empty parentheses", false) : Expr(inner);
  }
  if (IsErrorNode(node)) return OpaqueExpr(node, "syntax error", false);
  if (s == k_.list_splat) {
    if (KeyOf(node) == unwrap_splat_) return Expr(FirstNamedChild(pool_, node));
    return OpaqueExpr(node, "starred expression", true);
  }
  if (s == k_.keyword_argument) return OpaqueExpr(node, "keyword argument", true);
  if (s == k_.as_pattern) return OpaqueExpr(node, "as pattern", true);
  return OpaqueExpr(node, ts_node_type(node), true);
}

InstrId FunctionLowerer::OpaqueExpr(TSNode node, absl::string_view what, bool lower_children) {
  Operands operands;
  if (lower_children && !ts_node_is_null(node)) {
    for (Children c(pool_, node); c.NextNamed();) operands.push_back(Expr(c.node()));
  }
  return Emit(Opcode::kOpaque, node, std::move(operands), std::string(what));
}

InstrId FunctionLowerer::ExprOrTuple(TSNode node) {
  if (Is(node, k_.expression_list) || Is(node, k_.pattern_list)) {
    return Sequence(node, Opcode::kBuildTuple);
  }
  return Expr(node);
}

InstrId FunctionLowerer::Identifier(TSNode node) { return LoadName(Text(node), node); }

InstrId FunctionLowerer::Number(TSNode node, ir::ConstKind kind) {
  const absl::string_view text = Text(node);
  if (!text.empty() && (text.back() == 'j' || text.back() == 'J')) kind = ir::ConstKind::kComplex;
  return Const(kind, std::string(text), node);
}

bool FunctionLowerer::StringPart(TSNode node, std::string& text, Operands& operands, bool& bytes) {
  uint32_t begin = ts_node_start_byte(node);
  uint32_t end = ts_node_end_byte(node);
  bool is_f = false;
  bool raw = false;
  std::vector<TSNode> interpolations;
  for (Children c(pool_, node); c.Next();) {
    const TSNode child = c.node();
    const TSSymbol s = ts_node_symbol(child);
    if (s == k_.string_start) {
      begin = ts_node_end_byte(child);
      for (char ch : Text(child)) {
        const char lower = absl::ascii_tolower(static_cast<unsigned char>(ch));
        is_f = is_f || lower == 'f';
        raw = raw || lower == 'r';
        bytes = bytes || lower == 'b';
      }
    } else if (s == k_.string_end) {
      end = ts_node_start_byte(child);
    } else if (s == k_.interpolation) {
      interpolations.push_back(child);
    }
  }
  if (end < begin) end = begin;
  if (!is_f) {
    AppendDecoded(src_.substr(begin, end - begin), raw, text);
    return false;
  }
  uint32_t pos = begin;
  for (const TSNode interpolation : interpolations) {
    const uint32_t start = ts_node_start_byte(interpolation);
    if (start > pos) text.append(src_.data() + pos, start - pos);
    const TSNode expression = Field(interpolation, k_.field.expression);
    // `{x=}` prints the expression's text before its value.
    if (!ts_node_is_null(expression) && HasToken(interpolation, k_.tok_equals)) {
      const absl::string_view shown = Text(expression);
      text.append(shown.data(), shown.size());
      text += "=";
    }
    text += "{}";
    pos = std::max(pos, ts_node_end_byte(interpolation));
    operands.push_back(ts_node_is_null(expression) ? OpaqueExpr(interpolation,
                                                                "empty f-string "
                                                                "field",
                                                                false)
                                                   : ExprOrTuple(expression));
    // Expressions nested in the format spec (`{x:{width}}`) follow as extra operands.
    const TSNode spec = Field(interpolation, k_.field.format_specifier);
    if (ts_node_is_null(spec)) continue;
    for (Children c(pool_, spec); c.NextNamed();) {
      if (ts_node_symbol(c.node()) != k_.format_expression) continue;
      const TSNode nested = Field(c.node(), k_.field.expression);
      if (!ts_node_is_null(nested)) operands.push_back(ExprOrTuple(nested));
    }
  }
  if (end > pos) text.append(src_.data() + pos, end - pos);
  return true;
}

InstrId FunctionLowerer::String(TSNode node) {
  std::string text;
  Operands operands;
  bool bytes = false;
  if (StringPart(node, text, operands, bytes)) {
    return Emit(Opcode::kFormatString, node, std::move(operands), std::move(text));
  }
  return Const(bytes ? ir::ConstKind::kBytes : ir::ConstKind::kString, std::move(text), node);
}

InstrId FunctionLowerer::ConcatenatedString(TSNode node) {
  std::string text;
  Operands operands;
  bool bytes = false;
  bool is_f = false;
  for (Children c(pool_, node); c.NextNamed();) {
    if (ts_node_symbol(c.node()) != k_.string) continue;
    // Plain parts of an f-string concatenation keep their literal braces escaped.
    std::string part;
    const bool part_f = StringPart(c.node(), part, operands, bytes);
    if (!part_f && is_f) {
      for (char ch : part) {
        text.push_back(ch);
        if (ch == '{' || ch == '}') text.push_back(ch);
      }
    } else {
      text += part;
    }
    is_f = is_f || part_f;
  }
  if (is_f) return Emit(Opcode::kFormatString, node, std::move(operands), std::move(text));
  return Const(bytes ? ir::ConstKind::kBytes : ir::ConstKind::kString, std::move(text), node);
}

InstrId FunctionLowerer::Attribute(TSNode node) {
  const InstrId object = Expr(Field(node, k_.field.object));
  const TSNode attribute = Field(node, k_.field.attribute);
  return Emit(Opcode::kLoadAttr, node, {object}, std::string(Text(attribute)));
}

InstrId FunctionLowerer::Slice(TSNode node) {
  TSNode parts[3] = {{}, {}, {}};
  int index = 0;
  for (Children c(pool_, node); c.Next();) {
    const TSNode child = c.node();
    if (ts_node_symbol(child) == k_.tok_colon) {
      if (index < 2) ++index;
    } else if (ts_node_is_named(child) && !IsExtra(child)) {
      parts[index] = child;
    }
  }
  Operands operands;
  for (const TSNode part : parts) {
    operands.push_back(ts_node_is_null(part) ? None(node) : Expr(part));
  }
  return Emit(Opcode::kBuildSlice, node, std::move(operands));
}

InstrId FunctionLowerer::SubscriptKeys(TSNode subscript) {
  Operands keys;
  std::vector<std::string> names;
  bool any_starred = false;
  TSNode last = subscript;
  for (Children c(pool_, subscript); c.NextNamed();) {
    if (c.field() != k_.field.subscript) continue;
    last = c.node();
    bool starred = false;
    keys.push_back(Is(c.node(), k_.slice) ? Slice(c.node()) : StarredItem(c.node(), starred));
    names.emplace_back(starred ? "*" : "");
    any_starred = any_starred || starred;
  }
  if (keys.size() == 1 && !any_starred) return keys[0];
  const InstrId key = Emit(Opcode::kBuildTuple, keys.empty() ? subscript : last, keys);
  fn_.instr(key).arg_names = std::move(names);
  return key;
}

InstrId FunctionLowerer::Subscript(TSNode node) {
  const InstrId object = Expr(Field(node, k_.field.value));
  const InstrId key = SubscriptKeys(node);
  return Emit(Opcode::kLoadSubscript, node, {object, key});
}

InstrId FunctionLowerer::Call(TSNode node) {
  const InstrId callee = Expr(Field(node, k_.field.function));
  Operands operands = {callee};
  std::vector<std::string> names;
  const TSNode args = Field(node, k_.field.arguments);
  if (Is(args, k_.generator_expression)) {
    operands.push_back(ComprehensionCall(args));
    names.emplace_back();
  } else if (!ts_node_is_null(args)) {
    for (Children c(pool_, args); c.NextNamed();) {
      const TSNode arg = c.node();
      const TSSymbol s = ts_node_symbol(arg);
      if (s == k_.dictionary_splat) {
        operands.push_back(Expr(FirstNamedChild(pool_, arg)));
        names.emplace_back("**");
      } else if (s == k_.keyword_argument) {
        operands.push_back(Expr(Field(arg, k_.field.value)));
        names.emplace_back(Text(Field(arg, k_.field.name)));
      } else {
        bool starred = false;
        operands.push_back(StarredItem(arg, starred));
        names.emplace_back(starred ? "*" : "");
      }
    }
  }
  const InstrId call = Emit(Opcode::kCall, node, std::move(operands));
  fn_.instr(call).arg_names = std::move(names);
  return call;
}

InstrId FunctionLowerer::Binary(TSNode node) {
  std::vector<TSNode> spine;  // outermost first
  TSNode leftmost = node;
  while (Is(leftmost, k_.binary_operator)) {
    spine.push_back(leftmost);
    leftmost = Field(leftmost, k_.field.left);
  }
  InstrId value = Expr(leftmost);
  for (size_t i = spine.size(); i-- > 0;) {
    const TSNode step = spine[i];
    const InstrId right = Expr(Field(step, k_.field.right));
    const TSNode op = Field(step, k_.field.operator_);
    value =
        Emit(Opcode::kBinaryOp, step, {value, right}, ts_node_is_null(op) ? "?" : ts_node_type(op));
  }
  return value;
}

InstrId FunctionLowerer::Unary(TSNode node) {
  const InstrId argument = Expr(Field(node, k_.field.argument));
  if (Is(node, k_.not_operator)) return Emit(Opcode::kUnaryOp, node, {argument}, "not");
  const TSNode op = Field(node, k_.field.operator_);
  return Emit(Opcode::kUnaryOp, node, {argument}, ts_node_is_null(op) ? "?" : ts_node_type(op));
}

InstrId FunctionLowerer::BooleanOp(TSNode node) {
  const TSNode op = Field(node, k_.field.operator_);
  const absl::string_view op_text = ts_node_is_null(op) ? "or" : Text(op);
  const bool is_and = op_text == "and";
  std::vector<TSNode> spine;  // same-operator chain, outermost first
  TSNode leftmost = node;
  while (Is(leftmost, k_.boolean_operator)) {
    const TSNode this_op = Field(leftmost, k_.field.operator_);
    if (ts_node_is_null(this_op) || Text(this_op) != op_text) break;
    spine.push_back(leftmost);
    leftmost = Field(leftmost, k_.field.left);
  }
  const std::string temp = NewTemp();
  const BlockId merge = NewBlock();
  InstrId value = Expr(leftmost);
  StoreTemp(temp, value, leftmost);
  for (size_t i = spine.size(); i-- > 0;) {
    const TSNode step = spine[i];
    const BlockId rhs = NewBlock();
    if (is_and) {
      Branch(value, rhs, merge, step);
    } else {
      Branch(value, merge, rhs, step);
    }
    SetBlock(rhs);
    const TSNode right = Field(step, k_.field.right);
    value = Expr(right);
    StoreTemp(temp, value, step);
  }
  JumpIfOpen(merge, node);
  SetBlock(merge);
  return LoadTemp(temp, node);
}

InstrId FunctionLowerer::Comparison(TSNode node) {
  std::vector<TSNode> operands;
  std::vector<const char*> ops;
  for (Children c(pool_, node); c.Next();) {
    const TSNode child = c.node();
    if (c.field() == k_.field.operators) {
      ops.push_back(ts_node_type(child));
    } else if (ts_node_is_named(child) && !IsExtra(child)) {
      operands.push_back(child);
    }
  }
  if (ops.empty() || operands.size() != ops.size() + 1) {
    return OpaqueExpr(node, "malformed comparison", true);
  }
  InstrId left = Expr(operands[0]);
  if (ops.size() == 1) {
    const InstrId right = Expr(operands[1]);
    return Emit(Opcode::kCompare, node, {left, right}, ops[0]);
  }
  // a < b < c: each comparison short-circuits to the merge with its (false) result.
  const std::string temp = NewTemp();
  const BlockId merge = NewBlock();
  for (size_t i = 0; i < ops.size(); ++i) {
    const InstrId right = Expr(operands[i + 1]);
    const InstrId result =
        EmitAt(Opcode::kCompare, RangeSpan(operands[i], operands[i + 1]), {left, right}, ops[i]);
    StoreTemp(temp, result, node);
    if (i + 1 == ops.size()) break;
    const BlockId next = NewBlock();
    Branch(result, next, merge, node);
    SetBlock(next);
    left = right;
  }
  JumpIfOpen(merge, node);
  SetBlock(merge);
  return LoadTemp(temp, node);
}

InstrId FunctionLowerer::Conditional(TSNode node) {
  TSNode parts[3] = {{}, {}, {}};  // body, condition, orelse
  int count = 0;
  for (Children c(pool_, node); c.NextNamed();) {
    if (count < 3) parts[count] = c.node();
    ++count;
  }
  if (count != 3) return OpaqueExpr(node, "malformed conditional expression", true);
  const std::string temp = NewTemp();
  const BlockId if_true = NewBlock();
  const BlockId if_false = NewBlock();
  const BlockId merge = NewBlock();
  Cond(parts[1], if_true, if_false);
  SetBlock(if_true);
  StoreTemp(temp, Expr(parts[0]), parts[0]);
  JumpIfOpen(merge, node);
  SetBlock(if_false);
  StoreTemp(temp, Expr(parts[2]), parts[2]);
  JumpIfOpen(merge, node);
  SetBlock(merge);
  return LoadTemp(temp, node);
}

InstrId FunctionLowerer::Walrus(TSNode node) {
  const InstrId value = Expr(Field(node, k_.field.value));
  const TSNode name = Field(node, k_.field.name);
  if (!ts_node_is_null(name)) StoreName(Text(name), value, name);
  return value;
}

TSNode FunctionLowerer::LeadingSplat(TSNode item) {
  while (!ts_node_is_null(item)) {
    const TSSymbol s = ts_node_symbol(item);
    if (s == k_.list_splat) return item;
    if (s == k_.attribute) {
      item = Field(item, k_.field.object);
    } else if (s == k_.call) {
      item = Field(item, k_.field.function);
    } else if (s == k_.subscript) {
      item = Field(item, k_.field.value);
    } else {
      break;
    }
  }
  return TSNode{};
}

InstrId FunctionLowerer::StarredItem(TSNode item, bool& starred) {
  if (Is(item, k_.parenthesized_list_splat)) {
    const TSNode inner = FirstNamedChild(pool_, item);
    if (!ts_node_is_null(inner)) item = inner;
  }
  if (Is(item, k_.list_splat) || Is(item, k_.list_splat_pattern)) {
    starred = true;
    return Expr(FirstNamedChild(pool_, item));
  }
  const TSNode splat = LeadingSplat(item);
  if (ts_node_is_null(splat)) {
    starred = false;
    return Expr(item);
  }
  starred = true;
  const NodeKey saved = unwrap_splat_;
  unwrap_splat_ = KeyOf(splat);
  const InstrId value = Expr(item);
  unwrap_splat_ = saved;
  return value;
}

InstrId FunctionLowerer::Sequence(TSNode node, Opcode op) {
  Operands operands;
  std::vector<std::string> names;
  for (Children c(pool_, node); c.NextNamed();) {
    bool starred = false;
    operands.push_back(StarredItem(c.node(), starred));
    names.emplace_back(starred ? "*" : "");
  }
  const InstrId built = Emit(op, node, std::move(operands));
  fn_.instr(built).arg_names = std::move(names);
  return built;
}

InstrId FunctionLowerer::Dict(TSNode node) {
  Operands operands;
  std::vector<std::string> names;
  for (Children c(pool_, node); c.NextNamed();) {
    const TSNode item = c.node();
    if (Is(item, k_.pair)) {
      operands.push_back(Expr(Field(item, k_.field.key)));
      operands.push_back(Expr(Field(item, k_.field.value)));
      names.emplace_back();
    } else if (Is(item, k_.dictionary_splat)) {
      const InstrId mapping = Expr(FirstNamedChild(pool_, item));
      operands.push_back(mapping);
      operands.push_back(mapping);
      names.emplace_back("**");
    } else {
      const InstrId broken = Expr(item);  // error recovery: keep what is there
      operands.push_back(broken);
      operands.push_back(broken);
      names.emplace_back("?");
    }
  }
  const InstrId dict = Emit(Opcode::kBuildDict, node, std::move(operands));
  fn_.instr(dict).arg_names = std::move(names);
  return dict;
}

InstrId FunctionLowerer::YieldExpr(TSNode node) {
  fn_.is_generator = true;
  const TSNode value = FirstNamedChild(pool_, node);
  if (HasToken(node, k_.kw_from)) {
    return Emit(Opcode::kYieldFrom, node, {ExprOrTuple(value)});
  }
  if (ts_node_is_null(value)) return Emit(Opcode::kYield, node);
  return Emit(Opcode::kYield, node, {ExprOrTuple(value)});
}

InstrId FunctionLowerer::Lambda(TSNode node) {
  return MakeFunction(ir::FunctionKind::kLambda, "lambda", /*numbered=*/true, node,
                      Field(node, k_.field.parameters));
}

}  // namespace flopscope::frontend
