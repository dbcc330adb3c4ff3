// Comprehensions and generator expressions: each is its own function (kComprehension) that the
// enclosing function creates and calls with the first iterable, evaluated in the enclosing scope
// and received as the parameter ".0". Inside, every `for` clause is a loop (with its ir::Loop) and
// every `if` clause a branch back to the innermost loop's header.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/lowerer.h"

namespace flopscope::frontend {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

InstrId FunctionLowerer::ComprehensionCall(TSNode node) {
  const TSSymbol s = ts_node_symbol(node);
  const char* base = s == k_.list_comprehension         ? "listcomp"
                     : s == k_.set_comprehension        ? "setcomp"
                     : s == k_.dictionary_comprehension ? "dictcomp"
                                                        : "genexpr";
  // The first iterable runs in this scope.
  TSNode first_clause{};
  bool is_async = false;
  for (Children c(pool_, node); c.NextNamed();) {
    if (ts_node_symbol(c.node()) != k_.for_in_clause) continue;
    if (ts_node_is_null(first_clause)) first_clause = c.node();
    is_async = is_async || HasToken(c.node(), k_.kw_async);
  }
  if (ts_node_is_null(first_clause)) return OpaqueExpr(node, "malformed comprehension", true);
  Operands rights;
  TSNode right_node = first_clause;
  for (Children c(pool_, first_clause); c.NextNamed();) {
    if (c.field() != k_.field.right) continue;
    right_node = c.node();
    rights.push_back(Expr(c.node()));
  }
  InstrId iterable;
  if (rights.size() == 1) {
    iterable = rights[0];
  } else {
    iterable = Emit(Opcode::kBuildTuple, right_node, rights);
    fn_.instr(iterable).arg_names.assign(rights.size(), "");
  }
  if (const ir::FuncId existing = m_.FunctionFor(node); existing.valid()) {
    // The same comprehension met again in a copy of a finally body.
    const InstrId make = Emit(Opcode::kMakeFunction, node, {}, "", existing.value());
    const InstrId call = Emit(Opcode::kCall, node, {make, iterable});
    fn_.instr(call).arg_names = {""};
    return call;
  }
  std::string name = NumberedName(base);
  std::string qualname = ChildQualname(name);
  const ir::FuncId child = m_.NewFunction(ir::FunctionKind::kComprehension, std::move(name),
                                          std::move(qualname), id_, node);
  m_.RememberFunction(node, child);
  ir::Function& fn = m_.function(child);
  ir::Param param;
  param.name = ".0";
  param.range = RangeOf(right_node);
  fn.params.push_back(std::move(param));
  fn.is_async = is_async;
  fn.is_generator = s == k_.generator_expression;
  const InstrId make = Emit(Opcode::kMakeFunction, node, {}, "", child.value());
  fn.definition = make;
  const InstrId call = Emit(Opcode::kCall, node, {make, iterable});
  fn_.instr(call).arg_names = {""};
  return call;
}

void FunctionLowerer::LowerComprehensionBody() {
  EmitParams();
  const TSSymbol s = ts_node_symbol(node_);
  const bool is_list = s == k_.list_comprehension;
  const bool is_set = s == k_.set_comprehension;
  const bool is_dict = s == k_.dictionary_comprehension;
  const std::string result = "$result";
  if (is_list || is_set || is_dict) {
    const Opcode op = is_list  ? Opcode::kBuildList
                      : is_set ? Opcode::kBuildSet
                               : Opcode::kBuildDict;
    StoreTemp(result, Emit(op, node_), node_);
  }
  const BlockId done = NewBlock();
  BlockId resume = done;  // where the innermost loop continues when an element is finished
  bool first = true;
  for (Children c(pool_, node_); c.NextNamed();) {
    const TSNode clause = c.node();
    const TSSymbol cs = ts_node_symbol(clause);
    if (cs == k_.for_in_clause) {
      TSNode left{};
      Operands rights;
      TSNode last_right = clause;
      for (Children f(pool_, clause); f.NextNamed();) {
        if (f.field() == k_.field.left) {
          left = f.node();
        } else if (f.field() == k_.field.right) {
          last_right = f.node();
          if (!first) rights.push_back(Expr(f.node()));
        }
      }
      InstrId source;
      if (first) {
        source = LoadTemp(".0", clause);
      } else if (rights.size() == 1) {
        source = rights[0];
      } else {
        source = Emit(Opcode::kBuildTuple, clause, rights);
        fn_.instr(source).arg_names.assign(rights.size(), "");
      }
      const InstrId iter =
          Emit(Opcode::kGetIter, clause, {source}, "", HasToken(clause, k_.kw_async) ? 1 : 0);
      const BlockId header = NewBlock();
      const BlockId body = NewBlock();
      const BlockId exit = NewBlock();
      JumpIfOpen(header, clause);
      SetBlock(header);
      const ir::SourceRange range = RangeSpan(clause, last_right);
      const InstrId next = EmitAt(Opcode::kForIter, range, {iter});
      fn_.instr(next).targets = {body, exit};
      const ir::LoopId loop = NewLoop(clause, range, /*is_while=*/false);
      fn_.loops[loop.index()].header = header;
      fn_.loops[loop.index()].for_iter = next;
      loop_ = loop;
      SetBlock(exit);
      JumpIfOpen(resume, clause);
      SetBlock(body);
      if (!ts_node_is_null(left)) Store(left, next);
      resume = header;
      first = false;
    } else if (cs == k_.if_clause) {
      const BlockId pass = NewBlock();
      Cond(FirstNamedChild(pool_, clause), pass, resume);
      SetBlock(pass);
    }
  }
  const TSNode body = Field(node_, k_.field.body);
  if (is_dict) {
    const InstrId key = Expr(Is(body, k_.pair) ? Field(body, k_.field.key) : body);
    const InstrId value = Is(body, k_.pair) ? Expr(Field(body, k_.field.value)) : key;
    Emit(Opcode::kStoreSubscript, body, {LoadTemp(result, body), key, value});
  } else if (is_list || is_set) {
    const InstrId element = Expr(body);
    const InstrId method =
        Emit(Opcode::kLoadAttr, body, {LoadTemp(result, body)}, is_list ? "append" : "add");
    const InstrId call = Emit(Opcode::kCall, body, {method, element});
    fn_.instr(call).arg_names = {""};
  } else {
    Emit(Opcode::kYield, body, {Expr(body)});
  }
  JumpIfOpen(resume, body);
  SetBlock(done);
  const InstrId value = is_list || is_set || is_dict ? LoadTemp(result, node_) : None(node_);
  Emit(Opcode::kReturn, node_, {value});
}

}  // namespace flopscope::frontend
