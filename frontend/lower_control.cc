// Control flow: if/elif/else, for/while (with else, break, continue), try/except/else/finally,
// with, return, and conditions lowered to branches (`and`/`or`/`not` short-circuit into the CFG).
// The lowering conventions are documented at the top of lower.cc.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "frontend/lowerer.h"

namespace flopscope::frontend {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

namespace {

// `1`, `0x10`, `1_000`, `2j` are truthy; `0`, `0x0`, `0_0`, `0j`, `00` are not.
bool IsNonZeroIntegerText(absl::string_view text) {
  if (text.size() > 1 && text[0] == '0' && absl::ascii_isalpha(text[1])) text.remove_prefix(2);
  for (const char c : text) {
    if (c == 'j' || c == 'J' || c == 'l' || c == 'L') break;  // complex / Python 2 long suffix
    if (c != '0' && c != '_' && absl::ascii_isxdigit(c)) return true;
  }
  return false;
}

}  // namespace

void FunctionLowerer::Cond(TSNode expr, BlockId if_true, BlockId if_false) {
  DepthGuard guard(*this);
  const TSSymbol s = ts_node_is_null(expr) ? 0 : ts_node_symbol(expr);
  if (!guard.too_deep()) {
    if (s == k_.parenthesized_expression) {
      const TSNode inner = FirstNamedChild(pool_, expr);
      if (!ts_node_is_null(inner)) return Cond(inner, if_true, if_false);
    } else if (s == k_.not_operator) {
      const TSNode argument = Field(expr, k_.field.argument);
      if (!ts_node_is_null(argument)) return Cond(argument, if_false, if_true);
    } else if (s == k_.boolean_operator) {
      const TSNode op = Field(expr, k_.field.operator_);
      const bool is_and = !ts_node_is_null(op) && Text(op) == "and";
      const BlockId rhs = NewBlock();
      if (is_and) {
        Cond(Field(expr, k_.field.left), rhs, if_false);
      } else {
        Cond(Field(expr, k_.field.left), if_true, rhs);
      }
      SetBlock(rhs);
      return Cond(Field(expr, k_.field.right), if_true, if_false);
    }
  }
  const InstrId value =
      ts_node_is_null(expr) ? OpaqueExpr(expr, "missing condition", false) : Expr(expr);
  Branch(value, if_true, if_false, expr);
}

void FunctionLowerer::If(TSNode node) {
  bool has_alternative = false;
  for (Children c(pool_, node); c.NextNamed();) {
    has_alternative = has_alternative || c.field() == k_.field.alternative;
  }
  const BlockId then = NewBlock();
  BlockId next = has_alternative ? NewBlock() : BlockId();
  const BlockId after = NewBlock();
  if (!has_alternative) next = after;
  Cond(Field(node, k_.field.condition), then, next);
  SetBlock(then);
  Statements(Field(node, k_.field.consequence));
  JumpIfOpen(after, node);
  for (Children c(pool_, node); c.NextNamed();) {
    if (c.field() != k_.field.alternative) continue;
    const TSNode clause = c.node();
    SetBlock(next);
    if (ts_node_symbol(clause) == k_.elif_clause) {
      const BlockId body = NewBlock();
      next = NewBlock();
      Cond(Field(clause, k_.field.condition), body, next);
      SetBlock(body);
      Statements(Field(clause, k_.field.consequence));
    } else {
      next = BlockId();
      Statements(Field(clause, k_.field.body));
    }
    JumpIfOpen(after, clause);
  }
  if (next.valid() && next != after) {
    SetBlock(next);
    JumpIfOpen(after, node);
  }
  SetBlock(after);
}

ir::LoopId FunctionLowerer::NewLoop(TSNode node, ir::SourceRange range, bool is_while) {
  const ir::LoopId id(static_cast<int32_t>(fn_.loops.size()));
  ir::Loop& loop = fn_.loops.emplace_back();
  loop.id = id;
  loop.parent = loop_;
  loop.range = range;
  loop.is_while = is_while;
  return id;
}

void FunctionLowerer::For(TSNode node) {
  const bool is_async = HasToken(node, k_.kw_async);
  const TSNode left = Field(node, k_.field.left);
  const TSNode right = Field(node, k_.field.right);
  const TSNode alternative = Field(node, k_.field.alternative);
  const InstrId iterable =
      ts_node_is_null(right) ? OpaqueExpr(node, "missing iterable", false) : ExprOrTuple(right);
  const InstrId iter = Emit(Opcode::kGetIter, ts_node_is_null(right) ? node : right, {iterable}, "",
                            is_async ? 1 : 0);
  const BlockId header = NewBlock();
  const BlockId body = NewBlock();
  const BlockId orelse = ts_node_is_null(alternative) ? BlockId() : NewBlock();
  const BlockId exit = NewBlock();
  JumpIfOpen(header, node);
  SetBlock(header);
  const ir::SourceRange range = RangeSpan(node, ts_node_is_null(right) ? node : right);
  const InstrId next = EmitAt(Opcode::kForIter, range, {iter});
  fn_.instr(next).targets = {body, orelse.valid() ? orelse : exit};
  const ir::LoopId loop = NewLoop(node, range, /*is_while=*/false);
  fn_.loops[loop.index()].header = header;
  fn_.loops[loop.index()].for_iter = next;

  SetBlock(body);
  const ir::LoopId outer_loop = loop_;
  loop_ = loop;
  if (!ts_node_is_null(left)) Store(left, next);
  Frame frame;
  frame.kind = Frame::Kind::kLoop;
  frame.break_target = exit;
  frame.continue_target = header;
  frames_.push_back(frame);
  Statements(Field(node, k_.field.body));
  JumpIfOpen(header, node);
  frames_.pop_back();
  loop_ = outer_loop;

  if (!ts_node_is_null(alternative)) {
    SetBlock(orelse);
    Statements(Field(alternative, k_.field.body));
    JumpIfOpen(exit, alternative);
  }
  SetBlock(exit);
}

void FunctionLowerer::While(TSNode node) {
  const TSNode condition = Field(node, k_.field.condition);
  const TSNode alternative = Field(node, k_.field.alternative);
  const BlockId header = NewBlock();
  const BlockId body = NewBlock();
  const BlockId orelse = ts_node_is_null(alternative) ? BlockId() : NewBlock();
  const BlockId exit = NewBlock();
  JumpIfOpen(header, node);
  SetBlock(header);
  const ir::SourceRange range = RangeSpan(node, ts_node_is_null(condition) ? node : condition);
  const ir::LoopId loop = NewLoop(node, range, /*is_while=*/true);
  fn_.loops[loop.index()].header = header;
  if (IsTruthyLiteral(condition)) {
    // A branch on the constant would give the CFG an edge to `exit` that never runs: code after
    // the loop would look reachable without a `break`, and facts from the header would leak past
    // it. The else clause is lowered as dead code (no predecessors), like code after `return`.
    JumpIfOpen(body, condition);
  } else {
    Cond(condition, body, orelse.valid() ? orelse : exit);
  }

  SetBlock(body);
  const ir::LoopId outer_loop = loop_;
  loop_ = loop;
  Frame frame;
  frame.kind = Frame::Kind::kLoop;
  frame.break_target = exit;
  frame.continue_target = header;
  frames_.push_back(frame);
  Statements(Field(node, k_.field.body));
  JumpIfOpen(header, node);
  frames_.pop_back();
  loop_ = outer_loop;

  if (!ts_node_is_null(alternative)) {
    SetBlock(orelse);
    Statements(Field(alternative, k_.field.body));
    JumpIfOpen(exit, alternative);
  }
  SetBlock(exit);
}

bool FunctionLowerer::IsTruthyLiteral(TSNode expr) const {
  while (!ts_node_is_null(expr) && ts_node_symbol(expr) == k_.parenthesized_expression) {
    expr = FirstNamedChild(pool_, expr);
  }
  if (ts_node_is_null(expr)) return false;
  const TSSymbol s = ts_node_symbol(expr);
  if (s == k_.true_) return true;
  if (s == k_.integer) return IsNonZeroIntegerText(Text(expr));
  if (s != k_.string) return false;
  // Non-empty and not an f-string (an interpolation could be anything, even the empty string).
  bool has_content = false;
  for (Children c(pool_, expr); c.NextNamed();) {
    const TSSymbol part = ts_node_symbol(c.node());
    if (part == k_.interpolation) return false;
    if (part == k_.string_content || part == k_.escape_sequence) {
      has_content = has_content || ts_node_end_byte(c.node()) > ts_node_start_byte(c.node());
    }
  }
  return has_content;
}

void FunctionLowerer::Return(TSNode node) {
  const TSNode value_node = FirstNamedChild(pool_, node);
  const InstrId value = ts_node_is_null(value_node) ? None(node) : ExprOrTuple(value_node);
  Unwind(0, node);
  if (Open()) Emit(Opcode::kReturn, node, {value});
}

void FunctionLowerer::BreakOrContinue(TSNode node, bool is_break) {
  size_t index = frames_.size();
  while (index > 0 && frames_[index - 1].kind != Frame::Kind::kLoop) --index;
  if (index == 0) {
    // Outside a loop: a syntax error CPython reports at compile time (tree-sitter accepts it).
    const char* what = is_break ? "break outside loop" : "continue outside loop";
    Emit(Opcode::kOpaque, node, {}, what);
    m_.AddProblem(ir::Problem::Kind::kSyntaxError, RangeOf(node),
                  absl::StrCat("syntax error: `", what, "`"));
    return;
  }
  const Frame loop = frames_[index - 1];
  Unwind(index, node);
  JumpIfOpen(is_break ? loop.break_target : loop.continue_target, node);
}

void FunctionLowerer::Unwind(size_t keep, TSNode node) {
  for (size_t i = frames_.size(); i > keep; --i) {
    if (!Open()) return;  // a finally copy returned or raised
    const Frame frame = frames_[i - 1];
    if (frame.kind == Frame::Kind::kWith) {
      Emit(Opcode::kWithExit, node, {frame.manager}, "", frame.region.value());
    } else if (frame.kind == Frame::Kind::kFinally) {
      InlineFinally(frame, i - 1);
    }
  }
}

void FunctionLowerer::InlineFinally(const Frame& frame, size_t frame_index) {
  if (finally_nesting_ >= kMaxFinallyNesting) {
    Emit(Opcode::kOpaque, frame.finally_body, {}, "finally body (nested too deeply to copy)");
    return;
  }
  // The copy runs outside the try: its handlers, regions and frames are those around the try.
  std::vector<BlockId> saved_handlers = handlers_;
  std::vector<Frame> saved_frames = frames_;
  const ir::RegionId saved_region = region_;
  handlers_.resize(frame.handlers_outside);
  frames_.resize(frame_index);
  region_ = frame.region_outside;
  const BlockId copy = NewBlock();
  JumpIfOpen(copy, frame.finally_body);
  SetBlock(copy);
  ++finally_nesting_;
  Statements(frame.finally_body);
  --finally_nesting_;
  // The code that follows (further unwinding, then the jump or return) also runs outside the
  // try, so it stays in the copy's last block.
  handlers_ = std::move(saved_handlers);
  frames_ = std::move(saved_frames);
  region_ = saved_region;
}

void FunctionLowerer::Try(TSNode node) {
  std::vector<TSNode> handlers;
  TSNode orelse{};
  TSNode finally_body{};
  for (Children c(pool_, node); c.NextNamed();) {
    const TSSymbol s = ts_node_symbol(c.node());
    if (s == k_.except_clause || s == k_.except_group_clause) {
      handlers.push_back(c.node());
    } else if (s == k_.else_clause) {
      orelse = Field(c.node(), k_.field.body);
    } else if (s == k_.finally_clause) {
      finally_body = FirstNamedChild(pool_, c.node());
      if (ts_node_is_null(finally_body)) finally_body = c.node();
    }
  }
  const bool has_finally = !ts_node_is_null(finally_body);
  const size_t handlers_outside = handlers_.size();
  // Blocks in the context around the try.
  const BlockId after = NewBlock();
  const BlockId normal_exit = has_finally ? NewBlock() : after;
  BlockId finally_exc;
  if (has_finally) {
    finally_exc = NewBlock();
    Frame frame;
    frame.kind = Frame::Kind::kFinally;
    frame.finally_body = finally_body;
    frame.handlers_outside = handlers_outside;
    frame.region_outside = region_;
    frames_.push_back(frame);
    handlers_.push_back(finally_exc);
  }
  BlockId dispatch;
  if (!handlers.empty()) {
    dispatch = NewBlock();
    handlers_.push_back(dispatch);
  }
  // The protected body.
  const BlockId body = NewBlock();
  JumpIfOpen(body, node);
  SetBlock(body);
  Statements(Field(node, k_.field.body));
  if (!handlers.empty()) handlers_.pop_back();
  if (!ts_node_is_null(orelse) && Open()) {
    const BlockId else_block = NewBlock();
    JumpIfOpen(else_block, orelse);
    SetBlock(else_block);
    Statements(orelse);
  }
  JumpIfOpen(normal_exit, node);

  // Handler dispatch: test each clause in order; an unmatched exception propagates.
  if (!handlers.empty()) {
    SetBlock(dispatch);
    for (const TSNode clause : handlers) {
      if (!Open()) break;  // a bare `except:` matched everything before this clause
      TSNode type{};
      TSNode alias{};
      TSNode block{};
      for (Children c(pool_, clause); c.NextNamed();) {
        const TSNode child = c.node();
        if (ts_node_symbol(child) == k_.block) {
          block = child;
        } else if (c.field() == k_.field.alias) {
          alias = child;
        } else if (ts_node_is_null(type)) {
          type = child;
        }
      }
      if (Is(type, k_.as_pattern)) {
        alias = Field(type, k_.field.alias);
        type = FirstNamedChild(pool_, type);
      }
      if (Is(type, k_.list_splat)) type = FirstNamedChild(pool_, type);  // except* E
      const BlockId handler = NewBlock();
      Operands type_operands;
      if (!ts_node_is_null(type)) {
        const InstrId type_value = ExprOrTuple(type);
        type_operands.push_back(type_value);
        const InstrId matches = Emit(Opcode::kOpaque, clause, {type_value}, "exception matches");
        const BlockId next = NewBlock();
        Branch(matches, handler, next, clause);
        SetBlock(handler);
        if (!ts_node_is_null(alias)) {
          const InstrId caught = Emit(Opcode::kCaughtException, clause, type_operands);
          Store(Is(alias, k_.as_pattern_target) ? FirstNamedChild(pool_, alias) : alias, caught);
        }
        Statements(block);
        JumpIfOpen(normal_exit, clause);
        SetBlock(next);
      } else {
        JumpIfOpen(handler, clause);
        SetBlock(handler);
        Statements(block);
        JumpIfOpen(normal_exit, clause);
      }
    }
    if (Open()) Emit(Opcode::kRaise, node);  // no clause matched: re-raise
  }

  if (has_finally) {
    frames_.pop_back();
    handlers_.pop_back();
    // Exceptional path: run the finally body, then re-raise.
    SetBlock(finally_exc);
    ++finally_nesting_;
    Statements(finally_body);
    if (Open()) Emit(Opcode::kRaise, node);
    // Normal path.
    SetBlock(normal_exit);
    Statements(finally_body);
    --finally_nesting_;
    JumpIfOpen(after, node);
  }
  SetBlock(after);
}

void FunctionLowerer::With(TSNode node) {
  const bool is_async = HasToken(node, k_.kw_async);
  std::vector<TSNode> items;
  for (Children c(pool_, node); c.NextNamed();) {
    if (ts_node_symbol(c.node()) != k_.with_clause) continue;
    for (Children w(pool_, c.node()); w.NextNamed();) {
      if (ts_node_symbol(w.node()) == k_.with_item) items.push_back(w.node());
    }
  }
  const BlockId after = NewBlock();
  const size_t frames_outside = frames_.size();
  const size_t handlers_outside = handlers_.size();
  const ir::RegionId region_outside = region_;
  std::vector<Frame> entered;
  for (const TSNode item : items) {
    TSNode value = Field(item, k_.field.value);
    TSNode alias{};
    if (Is(value, k_.parenthesized_expression)) {
      // `with (a as b):` with a single item keeps its parentheses in the tree.
      const TSNode inner = FirstNamedChild(pool_, value);
      if (Is(inner, k_.as_pattern)) value = inner;
    }
    if (Is(value, k_.as_pattern)) {
      alias = Field(value, k_.field.alias);
      value = FirstNamedChild(pool_, value);
    }
    const InstrId manager =
        ts_node_is_null(value) ? OpaqueExpr(item, "missing context manager", false) : Expr(value);
    const ir::RegionId region(static_cast<int32_t>(fn_.with_regions.size()));
    const InstrId enter = Emit(Opcode::kWithEnter, item, {manager}, "", region.value());
    ir::WithRegion& with_region = fn_.with_regions.emplace_back();
    with_region.id = region;
    with_region.parent = region_;
    with_region.enter = enter;
    with_region.range = RangeOf(item);
    with_region.is_async = is_async;
    // An exception inside the region exits this manager, then propagates outwards.
    const BlockId cleanup = NewBlock();
    {
      const BlockId current = b_.insert_block();
      SetBlock(cleanup);
      Emit(Opcode::kWithExit, item, {manager}, "", region.value());
      Emit(Opcode::kRaise, item);
      SetBlock(current);
    }
    handlers_.push_back(cleanup);
    region_ = region;
    const BlockId inside = NewBlock();
    JumpIfOpen(inside, item);
    SetBlock(inside);
    if (!ts_node_is_null(alias)) {
      Store(Is(alias, k_.as_pattern_target) ? FirstNamedChild(pool_, alias) : alias, enter);
    }
    Frame frame;
    frame.kind = Frame::Kind::kWith;
    frame.manager = manager;
    frame.region = region;
    frames_.push_back(frame);
    entered.push_back(frame);
  }
  Statements(Field(node, k_.field.body));
  for (auto it = entered.rbegin(); it != entered.rend() && Open(); ++it) {
    Emit(Opcode::kWithExit, node, {it->manager}, "", it->region.value());
  }
  frames_.resize(frames_outside);
  handlers_.resize(handlers_outside);
  region_ = region_outside;
  JumpIfOpen(after, node);
  SetBlock(after);
}

}  // namespace flopscope::frontend
