// Lowering of a parsed Python file to pre-SSA IR: the module, function and class records,
// definitions and simple statements. Control flow, expressions, targets and match live in the
// sibling lower_*.cc files (see lowerer.h).
//
// Choices other layers rely on:
// - Names. Module-level names are kGlobal; class-body names bound in the body are kClass; locals
//   of functions, lambdas and comprehensions are kLocal; `global` names and free names not bound in
//   any enclosing function are kGlobal. A name read from an enclosing function is kCell in the
//   reader (and in every scope in between: Function::free_vars).
// - Closures. In the owning function a captured local stays kLocal (SSA keeps its precision) and
//   every store to it is *also* emitted as a StoreVar kCell of the same value, so a closure's
//   LoadVar kCell can be linked to the owner's kCell stores. A variable that an inner function
//   rebinds (`nonlocal`, or a walrus in a comprehension) is kCell everywhere, owner included.
//   MakeFunction carries only default values; captured cells are listed in the owner's
//   Function::cell_vars and the closure's free_vars, never as MakeFunction operands (the cell may
//   not be bound yet when the function is created).
// - Temporaries introduced by lowering (`and`/`or`, conditional expressions, chained comparisons,
//   comprehension results) are kLocal variables named "$t<n>" / "$result" so SSA builds the phis.
// - try/finally: the finally body is copied onto every path leaving the try: once for normal
//   completion, once on the exceptional path (ending in a re-raise), and once before each
//   return/break/continue that crosses it (as CPython does). Copies nested more than
//   kMaxFinallyNesting deep become Opaque.
// - with: WithEnter per item opens a region; the body's blocks carry Block::with_region. Normal
//   exit emits WithExit for each item (innermost first); return/break/continue emit them too. An
//   exception inside item i's region goes to a cleanup block (WithExit, then re-raise); context
//   managers that suppress exceptions are not modeled.
// - Exception handlers: every block inside a try body lists the handler dispatch block (innermost
//   first, then outer handlers and cleanups) in Block::exception_targets. The dispatch evaluates
//   each clause's type and branches on Opaque "exception matches"; `except E as e` binds
//   CaughtException([E]); an unmatched exception re-raises.
// - Comprehensions are functions called with their first iterable (".0"); list/set results are
//   built with calls of the result's `append`/`add`, dict results with StoreSubscript, generator
//   expressions Yield. Functions and classes defined inside a finally body exist once (each copy
//   of the body emits its own MakeFunction/MakeClass of the same id; `definition` is the first).
// - Decorators: `@d1 @d2 def f` evaluates d1, d2, then MakeFunction, then Call(d2, f) and
//   Call(d1, that); the last call's value is stored. Function/Class::decorator_calls are those
//   two calls, outermost (d1's) first.
// - Not modeled, as Opaque with its range: syntax-error regions ("syntax error"), Python 2 print
//   and exec statements, `type X = ...` aliases (the name is bound to the Opaque), nesting deeper
//   than kMaxDepth ("too deeply nested", plus a kTooDeep Problem), the assert failure's exception
//   ("AssertionError") and the except-clause match ("exception matches").
// - Dead code (after return/raise/break/continue) is still lowered, into blocks without
//   predecessors; every block ends in exactly one terminator (Unreachable for empty leftovers).
// - A `while` whose test is a truthy literal (True, a non-zero int, a non-empty string or bytes
//   literal without interpolations, possibly parenthesized) does not evaluate the test: the
//   header jumps into the body, so only break/return/raise leave the loop. Its `else:` clause
//   and, without a break, the code after it are dead code as above (no predecessors). Loop::header
//   is still the block that `continue` and the end of the body jump back to.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/lowerer.h"
#include "frontend/suppressions.h"
#include "util/check.h"

namespace flopscope::frontend {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

// ---------------------------------------------------------------------------------------------
// ModuleLowerer

ModuleLowerer::ModuleLowerer(const ParsedFile& file)
    : file_(file), k_(GetSyntax()), scopes_(ts_tree_root_node(file.tree), file.source.text) {}

ir::FuncId ModuleLowerer::NewFunction(ir::FunctionKind kind, std::string name, std::string qualname,
                                      ir::FuncId parent, TSNode node) {
  const ir::FuncId id(static_cast<int32_t>(functions_.size()));
  ir::Function& fn = functions_.emplace_back();
  fn.id = id;
  fn.kind = kind;
  fn.name = std::move(name);
  fn.qualname = std::move(qualname);
  fn.parent = parent;
  fn.range = RangeOf(node);
  queue_.push_back({id, node});
  return id;
}

ir::ClassId ModuleLowerer::NewClass(std::string name, std::string qualname, ir::FuncId defined_in,
                                    TSNode node) {
  const ir::ClassId id(static_cast<int32_t>(classes_.size()));
  ir::Class& cls = classes_.emplace_back();
  cls.id = id;
  cls.name = std::move(name);
  cls.qualname = std::move(qualname);
  cls.defined_in = defined_in;
  cls.range = RangeOf(node);
  return id;
}

ir::FuncId ModuleLowerer::FunctionFor(TSNode node) const {
  auto it = function_by_node_.find(KeyOf(node));
  return it == function_by_node_.end() ? ir::FuncId() : it->second;
}

ir::ClassId ModuleLowerer::ClassFor(TSNode node) const {
  auto it = class_by_node_.find(KeyOf(node));
  return it == class_by_node_.end() ? ir::ClassId() : it->second;
}

void ModuleLowerer::AddProblem(ir::Problem::Kind kind, ir::SourceRange range, std::string message) {
  ir::Problem problem;
  problem.kind = kind;
  problem.path = file_.source.path;
  problem.range = range;
  problem.message = std::move(message);
  problems_.push_back(std::move(problem));
}

ir::ModuleUnit ModuleLowerer::Run() {
  const TSNode root = ts_tree_root_node(file_.tree);
  NewFunction(ir::FunctionKind::kModule, "<module>", "", ir::FuncId(), root);
  while (!queue_.empty()) {
    const Pending next = queue_.front();
    queue_.pop_front();
    FunctionLowerer(*this, next.id, next.node).Run();
  }
  ir::ModuleUnit unit;
  unit.module.name = file_.source.module_name;
  unit.module.path = file_.source.path;
  unit.module.is_package = file_.source.is_package;
  unit.module.body = ir::FuncId(0);
  unit.module.line_count = file_.line_count;
  unit.module.problems = file_.problems;
  for (ir::Problem& problem : problems_) unit.module.problems.push_back(std::move(problem));
  unit.module.suppressions = CollectSuppressions(root, file_.source.text);
  unit.functions.reserve(functions_.size());
  for (ir::Function& fn : functions_) unit.functions.push_back(std::move(fn));
  unit.classes.reserve(classes_.size());
  for (ir::Class& cls : classes_) unit.classes.push_back(std::move(cls));
  return unit;
}

ir::ModuleUnit Lower(const ParsedFile& parsed) { return ModuleLowerer(parsed).Run(); }

// ---------------------------------------------------------------------------------------------
// FunctionLowerer: set-up and bodies

FunctionLowerer::FunctionLowerer(ModuleLowerer& module, ir::FuncId id, TSNode node)
    : m_(module),
      k_(module.syntax()),
      src_(module.file().source.text),
      pool_(module.pool()),
      id_(id),
      fn_(module.function(id)),
      b_(fn_),
      scope_(module.scopes().ForNode(node)),
      node_(node) {
  if (scope_ == nullptr) {
    // Only possible for malformed trees; names then resolve through the fallback.
    fallback_scope_.kind = ScopeKind::kFunction;
    fallback_scope_.parent = module.scopes().module_scope();
    scope_ = &fallback_scope_;
  }
}

void FunctionLowerer::Run() {
  fn_.cell_vars = scope_->cell_vars;
  fn_.free_vars = scope_->free_vars;
  fn_.global_decls = scope_->global_decls;
  fn_.entry = NewBlock();
  SetBlock(fn_.entry);
  switch (fn_.kind) {
    case ir::FunctionKind::kModule:
      LowerModuleBody();
      break;
    case ir::FunctionKind::kFunction:
      LowerDefBody();
      break;
    case ir::FunctionKind::kLambda:
      LowerLambdaBody();
      break;
    case ir::FunctionKind::kComprehension:
      LowerComprehensionBody();
      break;
    case ir::FunctionKind::kClassBody:
      LowerClassBody();
      break;
  }
  // Every block ends in exactly one terminator; the fall-through end returns None.
  if (Open()) {
    const InstrId none =
        EmitAt(Opcode::kConst, fn_.range, {}, "None", static_cast<int32_t>(ir::ConstKind::kNone));
    EmitAt(Opcode::kReturn, fn_.range, {none});
  }
  for (ir::Block& block : fn_.blocks) {
    if (block.instrs.empty() || !ir::IsTerminator(fn_.instr(block.instrs.back()).op)) {
      b_.SetInsertBlock(block.id);
      EmitAt(Opcode::kUnreachable, fn_.range);
    }
  }
}

void FunctionLowerer::LowerModuleBody() { Statements(node_); }

void FunctionLowerer::EmitParams() {
  for (size_t i = 0; i < fn_.params.size(); ++i) {
    const ir::Param& param = fn_.params[i];
    const InstrId value =
        EmitAt(Opcode::kParam, param.range, {}, param.name, static_cast<int32_t>(i));
    if (absl::StartsWith(param.name, ".")) {
      // Comprehension iterable or an (invalid) tuple parameter: a plain local.
      EmitAt(Opcode::kStoreVar, param.range, {value}, param.name,
             static_cast<int32_t>(ir::VarScope::kLocal));
      continue;
    }
    const VarAccess access = ScopeTable::Access(*scope_, param.name);
    EmitAt(Opcode::kStoreVar, param.range, {value}, param.name, static_cast<int32_t>(access.scope));
    if (access.also_store_cell) {
      EmitAt(Opcode::kStoreVar, param.range, {value}, param.name,
             static_cast<int32_t>(ir::VarScope::kCell));
    }
  }
}

void FunctionLowerer::LowerDefBody() {
  EmitParams();
  Statements(Field(node_, k_.field.body));
}

void FunctionLowerer::LowerLambdaBody() {
  EmitParams();
  const TSNode body = Field(node_, k_.field.body);
  const InstrId value = ts_node_is_null(body) ? None(node_) : Expr(body);
  Emit(Opcode::kReturn, body, {value});
}

void FunctionLowerer::LowerClassBody() { Statements(Field(node_, k_.field.body)); }

// ---------------------------------------------------------------------------------------------
// Emission helpers

InstrId FunctionLowerer::EmitAt(Opcode op, ir::SourceRange range, Operands operands,
                                std::string text, int32_t aux) {
  return b_.Emit(op, range, std::move(operands), std::move(text), aux);
}

InstrId FunctionLowerer::Emit(Opcode op, TSNode node, Operands operands, std::string text,
                              int32_t aux) {
  return b_.Emit(op, ts_node_is_null(node) ? fn_.range : RangeOf(node), std::move(operands),
                 std::move(text), aux);
}

InstrId FunctionLowerer::Const(ir::ConstKind kind, std::string text, TSNode node) {
  return Emit(Opcode::kConst, node, {}, std::move(text), static_cast<int32_t>(kind));
}

BlockId FunctionLowerer::NewBlock() {
  const BlockId id = b_.NewBlock();
  ir::Block& block = fn_.block(id);
  block.exception_targets.assign(handlers_.rbegin(), handlers_.rend());
  block.with_region = region_;
  return id;
}

void FunctionLowerer::EnsureOpen() {
  if (Open()) return;
  SetBlock(NewBlock());
}

void FunctionLowerer::JumpIfOpen(BlockId dest, TSNode node) {
  if (!Open()) return;
  const InstrId jump = Emit(Opcode::kJump, node);
  fn_.instr(jump).targets = {dest};
}

void FunctionLowerer::Branch(InstrId cond, BlockId if_true, BlockId if_false, TSNode node) {
  const InstrId branch = Emit(Opcode::kBranch, node, {cond});
  fn_.instr(branch).targets = {if_true, if_false};
}

InstrId FunctionLowerer::LoadName(absl::string_view name, TSNode node) {
  const VarAccess access = ScopeTable::Access(*scope_, name);
  return Emit(Opcode::kLoadVar, node, {}, std::string(name), static_cast<int32_t>(access.scope));
}

void FunctionLowerer::StoreName(absl::string_view name, InstrId value, TSNode node) {
  const VarAccess access = ScopeTable::Access(*scope_, name);
  Emit(Opcode::kStoreVar, node, {value}, std::string(name), static_cast<int32_t>(access.scope));
  if (access.also_store_cell) {
    Emit(Opcode::kStoreVar, node, {value}, std::string(name),
         static_cast<int32_t>(ir::VarScope::kCell));
  }
}

std::string FunctionLowerer::NewTemp() { return absl::StrCat("$t", ++temps_); }

InstrId FunctionLowerer::LoadTemp(const std::string& name, TSNode node) {
  return Emit(Opcode::kLoadVar, node, {}, name, static_cast<int32_t>(ir::VarScope::kLocal));
}

void FunctionLowerer::StoreTemp(const std::string& name, InstrId value, TSNode node) {
  Emit(Opcode::kStoreVar, node, {value}, name, static_cast<int32_t>(ir::VarScope::kLocal));
}

bool FunctionLowerer::HasToken(TSNode node, TSSymbol token) {
  for (Children c(pool_, node); c.Next();) {  // a null node has no children
    if (ts_node_symbol(c.node()) == token) return true;
  }
  return false;
}

InstrId FunctionLowerer::TooDeep(TSNode node) {
  const InstrId opaque = Emit(Opcode::kOpaque, node, {}, "too deeply nested");
  m_.AddProblem(ir::Problem::Kind::kTooDeep, RangeOf(node),
                absl::StrCat("nesting deeper than ", kMaxDepth,
                             " levels is not analyzed (lowered as opaque)"));
  return opaque;
}

// ---------------------------------------------------------------------------------------------
// Statements

void FunctionLowerer::Statements(TSNode block) {
  if (ts_node_is_null(block)) return;
  for (Children c(pool_, block); c.NextNamed();) Statement(c.node());
}

void FunctionLowerer::Statement(TSNode stmt) {
  DepthGuard guard(*this);
  EnsureOpen();
  if (guard.too_deep()) {
    TooDeep(stmt);
    return;
  }
  const TSSymbol s = ts_node_symbol(stmt);
  if (s == k_.expression_statement) {
    ExpressionStatement(stmt);
  } else if (s == k_.function_definition) {
    FunctionDef(stmt, {});
  } else if (s == k_.class_definition) {
    ClassDef(stmt, {});
  } else if (s == k_.decorated_definition) {
    Decorated(stmt);
  } else if (s == k_.if_statement) {
    If(stmt);
  } else if (s == k_.for_statement) {
    For(stmt);
  } else if (s == k_.while_statement) {
    While(stmt);
  } else if (s == k_.try_statement) {
    Try(stmt);
  } else if (s == k_.with_statement) {
    With(stmt);
  } else if (s == k_.match_statement) {
    Match(stmt);
  } else if (s == k_.return_statement) {
    Return(stmt);
  } else if (s == k_.break_statement) {
    BreakOrContinue(stmt, /*is_break=*/true);
  } else if (s == k_.continue_statement) {
    BreakOrContinue(stmt, /*is_break=*/false);
  } else if (s == k_.raise_statement) {
    Raise(stmt);
  } else if (s == k_.assert_statement) {
    Assert(stmt);
  } else if (s == k_.delete_statement) {
    for (Children c(pool_, stmt); c.NextNamed();) Delete(c.node());
  } else if (s == k_.import_statement) {
    Import(stmt);
  } else if (s == k_.import_from_statement || s == k_.future_import_statement) {
    ImportFrom(stmt);
  } else if (s == k_.pass_statement || s == k_.global_statement || s == k_.nonlocal_statement) {
    // No run-time effect (declarations were handled by the scope pre-pass).
  } else if (s == k_.type_alias_statement) {
    TypeAlias(stmt);
  } else if (s == k_.print_statement || s == k_.exec_statement) {
    // Python 2 syntax that tree-sitter accepts but Python 3 rejects.
    const char* what =
        s == k_.print_statement ? "python 2 print statement" : "python 2 exec statement";
    OpaqueStatement(stmt, what);
    m_.AddProblem(ir::Problem::Kind::kSyntaxError, RangeOf(stmt),
                  absl::StrCat("syntax error: ", what, " is not valid Python 3"));
  } else if (s == k_.block) {
    Statements(stmt);
  } else if (IsErrorNode(stmt)) {
    Emit(Opcode::kOpaque, stmt, {}, "syntax error");
  } else {
    // An expression where a statement was expected (error recovery) or a construct this lowering
    // does not know: evaluate what it contains.
    OpaqueExpr(stmt, ts_node_type(stmt), /*lower_children=*/true);
  }
}

void FunctionLowerer::TypeAlias(TSNode stmt) {
  const TSNode left = Field(stmt, k_.field.left);
  const TSNode right = Field(stmt, k_.field.right);
  const TSNode name = ts_node_is_null(left) ? left : FirstNamedChild(pool_, left);
  if (!ts_node_is_null(name) && !Is(name, k_.identifier) && !Is(name, k_.generic_type)) {
    // The grammar reads `type(x).attr = value` as a type alias whose target is `(x).attr`; it is
    // an assignment to an attribute of `type(x)`.
    const TSNode value = ts_node_is_null(right) ? right : FirstNamedChild(pool_, right);
    const InstrId result =
        ts_node_is_null(value) ? OpaqueExpr(stmt, "missing value", false) : ExprOrTuple(value);
    TSNode leftmost = name;
    while (Is(leftmost, k_.attribute) || Is(leftmost, k_.subscript) || Is(leftmost, k_.call)) {
      leftmost = Field(leftmost, Is(leftmost, k_.attribute) ? k_.field.object
                                 : Is(leftmost, k_.call)    ? k_.field.function
                                                            : k_.field.value);
    }
    const NodeKey saved = type_call_;
    if (Is(leftmost, k_.parenthesized_expression) || Is(leftmost, k_.tuple)) {
      type_call_ = KeyOf(leftmost);
    }
    Store(name, result);
    type_call_ = saved;
    return;
  }
  const InstrId alias = Emit(Opcode::kOpaque, stmt, {}, "type alias");
  const TSNode alias_name = Is(name, k_.generic_type) ? FirstNamedChild(pool_, name) : name;
  if (Is(alias_name, k_.identifier)) StoreName(Text(alias_name), alias, alias_name);
}

void FunctionLowerer::OpaqueStatement(TSNode node, absl::string_view what) {
  OpaqueExpr(node, what, /*lower_children=*/true);
}

void FunctionLowerer::ExpressionStatement(TSNode stmt) {
  TSNode only{};
  int count = 0;
  for (Children c(pool_, stmt); c.NextNamed();) {
    if (count++ == 0) only = c.node();
  }
  if (count == 0) return;
  if (count > 1) {
    Sequence(stmt, Opcode::kBuildTuple);  // `a, b` as a statement builds (and drops) a tuple
    return;
  }
  const TSSymbol s = ts_node_symbol(only);
  if (s == k_.assignment) {
    Assignment(only);
  } else if (s == k_.augmented_assignment) {
    AugmentedAssignment(only);
  } else {
    Expr(only);
  }
}

void FunctionLowerer::Raise(TSNode node) {
  Operands operands;
  const TSNode cause = Field(node, k_.field.cause);
  for (Children c(pool_, node); c.NextNamed();) {
    if (c.field() == k_.field.cause) continue;
    operands.push_back(ExprOrTuple(c.node()));
    break;
  }
  if (!ts_node_is_null(cause)) {
    if (operands.empty()) operands.push_back(None(node));
    operands.push_back(Expr(cause));
  }
  Emit(Opcode::kRaise, node, std::move(operands));
}

void FunctionLowerer::Assert(TSNode node) {
  TSNode test{};
  TSNode message{};
  for (Children c(pool_, node); c.NextNamed();) {
    if (ts_node_is_null(test)) {
      test = c.node();
    } else if (ts_node_is_null(message)) {
      message = c.node();
    }
  }
  if (ts_node_is_null(test)) return;
  const BlockId ok = NewBlock();
  const BlockId fail = NewBlock();
  Cond(test, ok, fail);
  SetBlock(fail);
  Operands operands;
  if (!ts_node_is_null(message)) operands.push_back(Expr(message));
  const InstrId error = Emit(Opcode::kOpaque, node, std::move(operands), "AssertionError");
  Emit(Opcode::kRaise, node, {error});
  SetBlock(ok);
}

// ---------------------------------------------------------------------------------------------
// Definitions

std::string FunctionLowerer::ChildQualname(absl::string_view name) const {
  if (fn_.kind == ir::FunctionKind::kModule) return std::string(name);
  return absl::StrCat(fn_.qualname, ".", name);
}

std::string FunctionLowerer::NumberedName(absl::string_view base) {
  const int n = ++counters_[base];
  return absl::StrCat("<", base, n, ">");
}

void FunctionLowerer::Decorated(TSNode node) {
  std::vector<InstrId> decorators;
  TSNode definition{};
  for (Children c(pool_, node); c.NextNamed();) {
    const TSNode child = c.node();
    if (ts_node_symbol(child) == k_.decorator) {
      const TSNode expr = FirstNamedChild(pool_, child);
      decorators.push_back(ts_node_is_null(expr) ? OpaqueExpr(child, "decorator", false)
                                                 : Expr(expr));
    } else if (c.field() == k_.field.definition) {
      definition = child;
    }
  }
  if (Is(definition, k_.function_definition)) {
    FunctionDef(definition, decorators);
  } else if (Is(definition, k_.class_definition)) {
    ClassDef(definition, decorators);
  } else {
    OpaqueExpr(node, "decorated definition", /*lower_children=*/false);
  }
}

std::vector<InstrId> FunctionLowerer::ApplyDecorators(InstrId value,
                                                      const std::vector<InstrId>& decorators,
                                                      TSNode node) {
  // The decorator nearest the definition is applied first; the outermost last.
  std::vector<InstrId> calls(decorators.size());
  for (size_t i = decorators.size(); i-- > 0;) {
    value = Emit(Opcode::kCall, node, {decorators[i], value});
    fn_.instr(value).arg_names = {""};
    calls[i] = value;
  }
  return calls;
}

void FunctionLowerer::CollectParams(TSNode params, std::vector<ir::Param>& out,
                                    std::vector<TSNode>& defaults) {
  if (ts_node_is_null(params)) return;
  ir::ParamKind kind = ir::ParamKind::kPositional;
  for (Children c(pool_, params); c.NextNamed();) {
    const TSNode p = c.node();
    const TSSymbol s = ts_node_symbol(p);
    if (s == k_.positional_separator) {
      for (ir::Param& earlier : out) {
        if (earlier.kind == ir::ParamKind::kPositional) {
          earlier.kind = ir::ParamKind::kPositionalOnly;
        }
      }
      continue;
    }
    if (s == k_.keyword_separator) {
      kind = ir::ParamKind::kKeywordOnly;
      continue;
    }
    ir::Param param;
    param.range = RangeOf(p);
    param.kind = kind;
    TSNode name_node = p;
    TSNode default_value{};
    if (s == k_.default_parameter || s == k_.typed_default_parameter) {
      name_node = Field(p, k_.field.name);
      default_value = Field(p, k_.field.value);
      param.has_default = true;
    } else if (s == k_.typed_parameter) {
      for (Children t(pool_, p); t.NextNamed();) {
        if (ts_node_symbol(t.node()) != k_.type) {
          name_node = t.node();
          break;
        }
      }
    }
    const TSSymbol ns = ts_node_is_null(name_node) ? 0 : ts_node_symbol(name_node);
    if (ns == k_.list_splat_pattern || ns == k_.dictionary_splat_pattern) {
      param.kind =
          ns == k_.list_splat_pattern ? ir::ParamKind::kVarArgs : ir::ParamKind::kVarKeywords;
      if (ns == k_.list_splat_pattern) kind = ir::ParamKind::kKeywordOnly;
      name_node = FirstNamedChild(pool_, name_node);
    }
    if (Is(name_node, k_.identifier)) {
      param.name = std::string(Text(name_node));
    } else {
      param.name = absl::StrCat(".", out.size());  // tuple parameter (Python 2) or broken syntax
    }
    out.push_back(std::move(param));
    defaults.push_back(default_value);
  }
}

InstrId FunctionLowerer::MakeFunction(ir::FunctionKind kind, absl::string_view name, bool numbered,
                                      TSNode node, TSNode params) {
  std::vector<ir::Param> param_list;
  std::vector<TSNode> defaults;
  CollectParams(params, param_list, defaults);
  // Defaults are evaluated in the defining function, left to right.
  Operands operands;
  std::vector<std::string> arg_names;
  for (size_t i = 0; i < defaults.size(); ++i) {
    if (ts_node_is_null(defaults[i])) continue;
    operands.push_back(Expr(defaults[i]));
    arg_names.push_back(param_list[i].name);
  }
  if (const ir::FuncId existing = m_.FunctionFor(node); existing.valid()) {
    const InstrId make =
        Emit(Opcode::kMakeFunction, node, std::move(operands), "", existing.value());
    fn_.instr(make).arg_names = std::move(arg_names);
    return make;
  }
  std::string full_name = numbered ? NumberedName(name) : std::string(name);
  std::string qualname = ChildQualname(full_name);
  const ir::FuncId child =
      m_.NewFunction(kind, std::move(full_name), std::move(qualname), id_, node);
  m_.RememberFunction(node, child);
  ir::Function& fn = m_.function(child);
  fn.params = std::move(param_list);
  fn.is_async = HasToken(node, k_.kw_async);
  if (fn_.kind == ir::FunctionKind::kClassBody && kind == ir::FunctionKind::kFunction) {
    fn.method_of = fn_.class_of_body;
  }
  const InstrId make = Emit(Opcode::kMakeFunction, node, std::move(operands), "", child.value());
  fn_.instr(make).arg_names = std::move(arg_names);
  fn.definition = make;
  return make;
}

void FunctionLowerer::FunctionDef(TSNode node, const std::vector<InstrId>& decorators) {
  const TSNode name_node = Field(node, k_.field.name);
  const std::string name(Text(name_node));
  const InstrId make = MakeFunction(ir::FunctionKind::kFunction, name, /*numbered=*/false, node,
                                    Field(node, k_.field.parameters));
  const ir::FuncId child(fn_.instr(make).aux);
  ir::Function& fn = m_.function(child);
  if (fn.method_of.valid()) m_.klass(fn.method_of).methods[name] = child;
  const std::vector<InstrId> calls = ApplyDecorators(make, decorators, node);
  if (fn.definition == make) fn.decorator_calls = calls;  // not for a later finally copy
  const InstrId value = calls.empty() ? make : calls.front();
  if (!name.empty()) StoreName(name, value, ts_node_is_null(name_node) ? node : name_node);
}

void FunctionLowerer::ClassDef(TSNode node, const std::vector<InstrId>& decorators) {
  const TSNode name_node = Field(node, k_.field.name);
  const std::string name(Text(name_node));
  Operands operands;
  std::vector<std::string> arg_names;
  const TSNode bases = Field(node, k_.field.superclasses);
  if (!ts_node_is_null(bases)) {
    for (Children c(pool_, bases); c.NextNamed();) {
      const TSNode arg = c.node();
      const TSSymbol s = ts_node_symbol(arg);
      if (s == k_.keyword_argument) {
        operands.push_back(Expr(Field(arg, k_.field.value)));
        arg_names.emplace_back(Text(Field(arg, k_.field.name)));
      } else if (s == k_.list_splat || s == k_.dictionary_splat) {
        operands.push_back(Expr(FirstNamedChild(pool_, arg)));
        arg_names.emplace_back(s == k_.list_splat ? "*" : "**");
      } else {
        operands.push_back(Expr(arg));
        arg_names.emplace_back();
      }
    }
  }
  if (const ir::ClassId existing = m_.ClassFor(node); existing.valid()) {
    // A finally copy of a class statement: the same class, created again.
    const InstrId make = Emit(Opcode::kMakeClass, node, std::move(operands), "", existing.value());
    fn_.instr(make).arg_names = std::move(arg_names);
    const std::vector<InstrId> calls = ApplyDecorators(make, decorators, node);
    const InstrId value = calls.empty() ? make : calls.front();
    if (!name.empty()) StoreName(name, value, ts_node_is_null(name_node) ? node : name_node);
    return;
  }
  std::string qualname = ChildQualname(name);
  const ir::ClassId cls_id = m_.NewClass(name, qualname, id_, node);
  m_.RememberClass(node, cls_id);
  const ir::FuncId body =
      m_.NewFunction(ir::FunctionKind::kClassBody, name, std::move(qualname), id_, node);
  m_.function(body).class_of_body = cls_id;
  const InstrId make = Emit(Opcode::kMakeClass, node, std::move(operands), "", cls_id.value());
  fn_.instr(make).arg_names = std::move(arg_names);
  m_.function(body).definition = make;
  const std::vector<InstrId> calls = ApplyDecorators(make, decorators, node);
  m_.function(body).decorator_calls = calls;
  ir::Class& cls = m_.klass(cls_id);
  cls.body = body;
  cls.definition = make;
  cls.decorator_calls = calls;
  const InstrId value = calls.empty() ? make : calls.front();
  if (!name.empty()) StoreName(name, value, ts_node_is_null(name_node) ? node : name_node);
}

}  // namespace flopscope::frontend
