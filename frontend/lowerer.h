// Internal to the frontend: the lowering of a parsed file to pre-SSA IR. ModuleLowerer owns the
// unit being built and a queue of function bodies; FunctionLowerer lowers one body (module, def,
// lambda, comprehension or class body). Nested bodies are queued rather than lowered recursively,
// so C++ recursion depth is bounded by the nesting inside one body, and that is capped by
// kMaxDepth (deeper syntax becomes one Opaque plus a kTooDeep Problem).
//
// Implementation files: lower.cc (module, functions, classes, simple statements; the lowering
// conventions are documented at its top), lower_control.cc (if/for/while/try/with/return/break),
// lower_expr.cc (expressions), lower_comprehension.cc (comprehension functions), lower_assign.cc
// (targets, augmented assignment, del, imports), lower_match.cc (match).
#ifndef FLOPSCOPE_FRONTEND_LOWERER_H_
#define FLOPSCOPE_FRONTEND_LOWERER_H_

#include <tree_sitter/api.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "frontend/parsed_file.h"
#include "frontend/scope.h"
#include "frontend/syntax.h"
#include "ir/ir.h"

namespace flopscope::frontend {

// Deeper statement/expression nesting inside one function body is not lowered.
inline constexpr int kMaxDepth = 400;
// A `finally` body is copied onto every path leaving its `try`; copies nested deeper than this
// (finally inside finally inside ...) become Opaque to bound code growth.
inline constexpr int kMaxFinallyNesting = 8;

using Operands = absl::InlinedVector<ir::InstrId, 2>;

class ModuleLowerer {
 public:
  explicit ModuleLowerer(const ParsedFile& file);
  ir::ModuleUnit Run();

  const ParsedFile& file() const { return file_; }
  const Syntax& syntax() const { return k_; }
  CursorPool& pool() { return pool_; }
  const ScopeTable& scopes() const { return scopes_; }

  // Creates a function record (body lowered later from the queue).
  ir::FuncId NewFunction(ir::FunctionKind kind, std::string name, std::string qualname,
                         ir::FuncId parent, TSNode node);
  ir::ClassId NewClass(std::string name, std::string qualname, ir::FuncId defined_in, TSNode node);
  ir::Function& function(ir::FuncId id) { return functions_[id.index()]; }
  // Code inside a `finally` body is lowered once per copy; a def/lambda/comprehension/class met
  // again is the same function (one record, one body), so it is looked up by its node.
  ir::FuncId FunctionFor(TSNode node) const;
  ir::ClassId ClassFor(TSNode node) const;
  void RememberFunction(TSNode node, ir::FuncId id) { function_by_node_[KeyOf(node)] = id; }
  void RememberClass(TSNode node, ir::ClassId id) { class_by_node_[KeyOf(node)] = id; }
  ir::Class& klass(ir::ClassId id) { return classes_[id.index()]; }
  void AddProblem(ir::Problem::Kind kind, ir::SourceRange range, std::string message);

 private:
  struct Pending {
    ir::FuncId id;
    TSNode node;
  };

  const ParsedFile& file_;
  const Syntax& k_;
  CursorPool pool_;
  ScopeTable scopes_;
  std::deque<ir::Function> functions_;  // deque: references stay valid while bodies are added
  std::deque<ir::Class> classes_;
  std::deque<Pending> queue_;
  std::vector<ir::Problem> problems_;
  absl::flat_hash_map<NodeKey, ir::FuncId> function_by_node_;
  absl::flat_hash_map<NodeKey, ir::ClassId> class_by_node_;
};

class FunctionLowerer {
 public:
  FunctionLowerer(ModuleLowerer& module, ir::FuncId id, TSNode node);
  void Run();

 private:
  // A construct that code leaving it (return/break/continue) must unwind.
  struct Frame {
    enum class Kind : uint8_t { kLoop, kFinally, kWith };
    Kind kind = Kind::kLoop;
    ir::BlockId break_target;     // kLoop
    ir::BlockId continue_target;  // kLoop
    TSNode finally_body{};        // kFinally: the finally clause's block
    size_t handlers_outside = 0;  // kFinally: handlers_.size() outside the try
    ir::RegionId region_outside;  // kFinally
    ir::InstrId manager;          // kWith: the context manager value
    ir::RegionId region;          // kWith
  };

  // Nesting guard: false (and one Opaque + Problem emitted) when too deep.
  class DepthGuard {
   public:
    explicit DepthGuard(FunctionLowerer& lowerer) : lowerer_(lowerer) { ++lowerer_.depth_; }
    ~DepthGuard() { --lowerer_.depth_; }
    bool too_deep() const { return lowerer_.depth_ > kMaxDepth; }

   private:
    FunctionLowerer& lowerer_;
  };

  // --- lower.cc: bodies, definitions, statements ---
  void LowerModuleBody();
  void LowerDefBody();
  void LowerLambdaBody();
  void LowerClassBody();
  void EmitParams();
  void Statements(TSNode block);
  void Statement(TSNode stmt);
  void ExpressionStatement(TSNode stmt);
  void Decorated(TSNode node);
  void FunctionDef(TSNode node, const std::vector<ir::InstrId>& decorators);
  void ClassDef(TSNode node, const std::vector<ir::InstrId>& decorators);
  // Parameters of a def/lambda, with the default value nodes (null where none).
  void CollectParams(TSNode params, std::vector<ir::Param>& out, std::vector<TSNode>& defaults);
  // Creates the function record (unless a finally copy already did) and emits MakeFunction with
  // the defaults. `name` is the def's name, or for lambdas the base of a numbered name.
  ir::InstrId MakeFunction(ir::FunctionKind kind, absl::string_view name, bool numbered,
                           TSNode node, TSNode params);
  std::string ChildQualname(absl::string_view name) const;
  std::string NumberedName(absl::string_view base);
  // Applies `decorators` (outermost first) to `value`; returns the calls, outermost first.
  std::vector<ir::InstrId> ApplyDecorators(ir::InstrId value,
                                           const std::vector<ir::InstrId>& decorators, TSNode node);
  void Raise(TSNode node);
  void Assert(TSNode node);
  void OpaqueStatement(TSNode node, absl::string_view what);
  void TypeAlias(TSNode stmt);
  ir::InstrId TooDeep(TSNode node);

  // --- lower_control.cc ---
  void If(TSNode node);
  void For(TSNode node);
  void While(TSNode node);
  void Try(TSNode node);
  void With(TSNode node);
  void Return(TSNode node);
  void BreakOrContinue(TSNode node, bool is_break);
  // Emits the cleanups (WithExit, finally copies) of frames_[keep..end) innermost first.
  void Unwind(size_t keep, TSNode node);
  void InlineFinally(const Frame& frame, size_t frame_index);
  void Cond(TSNode expr, ir::BlockId if_true, ir::BlockId if_false);
  // True for a literal whose truth value is fixed and true: True, a non-zero int, a non-empty
  // string or bytes literal without interpolations (parentheses allowed).
  bool IsTruthyLiteral(TSNode expr) const;
  ir::LoopId NewLoop(TSNode node, ir::SourceRange range, bool is_while);

  // --- lower_expr.cc ---
  ir::InstrId Expr(TSNode node);
  ir::InstrId ExprInner(TSNode node);
  ir::InstrId Identifier(TSNode node);
  ir::InstrId Number(TSNode node, ir::ConstKind kind);
  ir::InstrId String(TSNode node);
  ir::InstrId ConcatenatedString(TSNode node);
  // Appends a string literal's value (or f-string template) to `text`; interpolated values to
  // `operands`. Returns true when it is an f-string, sets `bytes` for b'' literals.
  bool StringPart(TSNode node, std::string& text, Operands& operands, bool& bytes);
  ir::InstrId Attribute(TSNode node);
  ir::InstrId Subscript(TSNode node);
  // The key of `obj[...]`: one item, or a tuple of several (starred items marked "*").
  ir::InstrId SubscriptKeys(TSNode subscript);
  ir::InstrId Slice(TSNode node);
  ir::InstrId Call(TSNode node);
  ir::InstrId Binary(TSNode node);
  ir::InstrId Unary(TSNode node);
  ir::InstrId BooleanOp(TSNode node);
  ir::InstrId Comparison(TSNode node);
  ir::InstrId Conditional(TSNode node);
  ir::InstrId Walrus(TSNode node);
  ir::InstrId Sequence(TSNode node, ir::Opcode op);
  ir::InstrId Dict(TSNode node);
  ir::InstrId YieldExpr(TSNode node);
  ir::InstrId Lambda(TSNode node);
  ir::InstrId ComprehensionCall(TSNode node);
  ir::InstrId ExprOrTuple(TSNode node);  // expression_list/pattern_list -> BuildTuple
  // The grammar parses `[*a.b()]` as a call on `(*a).b`: the star of a starred item can sit on the
  // leftmost operand of an attribute/call/subscript chain. Returns that list_splat, or null.
  TSNode LeadingSplat(TSNode item);
  // Lowers a sequence/argument item; sets `starred` when it is `*x` (however the grammar nests it).
  ir::InstrId StarredItem(TSNode item, bool& starred);
  ir::InstrId OpaqueExpr(TSNode node, absl::string_view what, bool lower_children);
  void LowerComprehensionBody();

  // --- lower_assign.cc ---
  void Assignment(TSNode node);
  void AugmentedAssignment(TSNode node);
  void Store(TSNode target, ir::InstrId value);
  void Unpack(TSNode target, ir::InstrId value);
  void Delete(TSNode target);
  void Import(TSNode node);
  void ImportFrom(TSNode node);
  std::string DottedName(TSNode node);

  // --- lower_match.cc ---
  struct Capture {
    TSNode name;
    std::string path;
  };
  void Match(TSNode node);
  // Collects a pattern's evaluated values and captures; returns its kind ("" = irrefutable).
  std::string Pattern(TSNode pattern, const std::string& path, Operands& values,
                      std::vector<Capture>& captures);
  ir::InstrId ValuePattern(TSNode dotted);

  // --- emission helpers (lower.cc) ---
  ir::InstrId Emit(ir::Opcode op, TSNode node, Operands operands = {}, std::string text = {},
                   int32_t aux = 0);
  ir::InstrId EmitAt(ir::Opcode op, ir::SourceRange range, Operands operands = {},
                     std::string text = {}, int32_t aux = 0);
  ir::InstrId Const(ir::ConstKind kind, std::string text, TSNode node);
  ir::InstrId None(TSNode node) { return Const(ir::ConstKind::kNone, "None", node); }
  ir::BlockId NewBlock();
  void SetBlock(ir::BlockId block) { b_.SetInsertBlock(block); }
  bool Open() const { return !b_.BlockTerminated(); }
  // Starts a fresh (unreachable) block if the current one already ended.
  void EnsureOpen();
  void JumpIfOpen(ir::BlockId dest, TSNode node);
  void Branch(ir::InstrId cond, ir::BlockId if_true, ir::BlockId if_false, TSNode node);
  ir::InstrId LoadName(absl::string_view name, TSNode node);
  void StoreName(absl::string_view name, ir::InstrId value, TSNode node);
  std::string NewTemp();
  ir::InstrId LoadTemp(const std::string& name, TSNode node);
  void StoreTemp(const std::string& name, ir::InstrId value, TSNode node);
  absl::string_view Text(TSNode node) const { return TextOf(src_, node); }
  TSNode Field(TSNode node, TSFieldId field) const {
    return ts_node_is_null(node) ? node : ts_node_child_by_field_id(node, field);
  }
  bool Is(TSNode node, TSSymbol symbol) const {
    return !ts_node_is_null(node) && ts_node_symbol(node) == symbol;
  }
  bool HasToken(TSNode node, TSSymbol token);

  ModuleLowerer& m_;
  const Syntax& k_;
  const absl::string_view src_;
  CursorPool& pool_;
  const ir::FuncId id_;
  ir::Function& fn_;
  ir::FunctionBuilder b_;
  const Scope* scope_;  // never null (a fallback empty scope when the pre-pass missed the node)
  Scope fallback_scope_;
  TSNode node_;
  std::vector<ir::BlockId> handlers_;  // enclosing exception handlers, innermost last
  ir::RegionId region_;
  ir::LoopId loop_;
  std::vector<Frame> frames_;
  int depth_ = 0;
  int finally_nesting_ = 0;
  int temps_ = 0;
  NodeKey unwrap_splat_{0, 0};  // a misplaced leading `*` being lowered as part of its item
  NodeKey type_call_{0, 0};     // parentheses that are really the arguments of `type(...)`
  absl::flat_hash_map<std::string, int> counters_;  // "<lambda", "<listcomp", ... -> last number
};

}  // namespace flopscope::frontend

#endif  // FLOPSCOPE_FRONTEND_LOWERER_H_
