// flopscope's intermediate representation: a Program of Modules, each lowered to Functions (module
// body, functions, lambdas, comprehensions, class bodies) whose bodies are CFGs of Blocks holding
// Instrs. After ir::BuildSsa every local variable is an SSA value: an instruction's result,
// merged by Phi instructions at dominance frontiers. Module globals and class attributes stay
// explicit StoreVar/LoadVar instructions because other functions read them.
//
// Everything is stored in dense vectors and referred to by typed indices, so facts computed by
// later passes can live in side tables indexed the same way.
//
// Users: frontend (builds it), ir passes (SSA, loops, resolution, call graph), dataflow, checkers.
#ifndef FLOPSCOPE_IR_IR_H_
#define FLOPSCOPE_IR_IR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace flopscope::ir {

// A dense index into one of the IR's arenas. Invalid (default) is -1.
template <typename Tag>
class Id {
 public:
  constexpr Id() = default;
  constexpr explicit Id(int32_t value) : value_(value) {}
  constexpr int32_t value() const { return value_; }
  constexpr bool valid() const { return value_ >= 0; }
  constexpr size_t index() const { return static_cast<size_t>(value_); }
  friend constexpr bool operator==(Id a, Id b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(Id a, Id b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(Id a, Id b) { return a.value_ < b.value_; }
  template <typename H>
  friend H AbslHashValue(H h, Id id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  int32_t value_ = -1;
};

// Function-local ids. An instruction that has a result *is* that value, so InstrId doubles as the
// SSA value id.
using InstrId = Id<struct InstrTag>;
using BlockId = Id<struct BlockTag>;
using LoopId = Id<struct LoopTag>;      // index into Function::loops
using RegionId = Id<struct RegionTag>;  // index into Function::with_regions
// Program-wide ids.
using FuncId = Id<struct FuncTag>;
using ClassId = Id<struct ClassTag>;
using ModuleId = Id<struct ModuleTag>;

// 1-based line and column (columns count bytes of UTF-8), end exclusive.
struct SourceRange {
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t end_line = 0;
  uint32_t end_col = 0;
  bool valid() const { return line != 0; }
};

enum class Opcode : uint8_t {
#define IR_OPCODE(name, is_terminator, has_result) k##name,
#include "ir/opcodes.def"
#undef IR_OPCODE
};

absl::string_view OpcodeName(Opcode op);
bool IsTerminator(Opcode op);
bool HasResult(Opcode op);

enum class ConstKind : int32_t { kNone, kBool, kInt, kFloat, kComplex, kString, kBytes, kEllipsis };

// Where a name lives. kLocal variables become SSA values; the others stay explicit.
enum class VarScope : int32_t {
  kLocal,   // function-local (promoted to SSA, then removed)
  kGlobal,  // module namespace (module body, `global` declarations, free names in functions)
  kClass,   // class body namespace: a class attribute
  kCell,    // a closure variable owned by an enclosing function (nonlocal / captured)
};

struct Instr {
  Opcode op = Opcode::kOpaque;
  BlockId block;
  SourceRange range;
  absl::InlinedVector<InstrId, 2> operands;
  // Successors for terminators; incoming blocks (parallel to operands) for Phi.
  absl::InlinedVector<BlockId, 2> targets;
  std::string text;  // see opcodes.def
  int32_t aux = 0;   // see opcodes.def
  std::vector<std::string> arg_names;  // Call, MakeFunction, MakeClass, BuildDict, Build*
};

struct Block {
  BlockId id;
  std::vector<InstrId> instrs;  // phis first, exactly one terminator last
  // Handlers that an exception raised anywhere in this block may reach (innermost try first).
  std::vector<BlockId> exception_targets;
  // Filled by ComputeCfg: normal successors (the terminator's targets) then exception_targets.
  std::vector<BlockId> succs;
  std::vector<BlockId> preds;
  RegionId with_region;  // innermost enclosing `with` (set by lowering), invalid when none
  LoopId loop;           // innermost enclosing loop (set by FindLoops), invalid when none
};

// A `with` statement's body as a first-class region: "is this call inside `with
// torch.no_grad():`" is a walk up Block::with_region -> parent, asking each context value.
struct WithRegion {
  RegionId id;
  RegionId parent;
  InstrId enter;            // the WithEnter instruction (its operand is the context manager)
  SourceRange range;        // the with item
  bool is_async = false;
};

// A loop as the lowering saw it; FindLoops ties it to the CFG's natural loop.
struct Loop {
  LoopId id;
  LoopId parent;                 // enclosing loop in the same function, invalid at top level
  int depth = 1;                 // 1 for an outermost loop
  BlockId header;
  std::vector<BlockId> blocks;   // header and body, sorted
  std::vector<BlockId> exits;    // blocks outside the loop reached from inside, sorted
  InstrId for_iter;              // the ForIter producing the loop variable (for loops only)
  SourceRange range;             // the `for`/`while` statement's header line
  bool is_while = false;
};

// A function-local name bound (`x = v`, a loop target, `with ... as x`) or unbound (`del x`) at
// a point. SSA drops the stores of promoted locals, yet CPython keeps an object alive for as long
// as a local name refers to it, whether or not the name is read again; analyses that ask what a
// name still holds (FS105) read these records.
struct LocalBinding {
  std::string name;
  InstrId value;   // the SSA value the name holds from here on; invalid for `del`
  InstrId anchor;  // takes effect just before this live instruction of the same block
};

enum class ParamKind : uint8_t { kPositionalOnly, kPositional, kVarArgs, kKeywordOnly, kVarKeywords };

struct Param {
  std::string name;
  ParamKind kind = ParamKind::kPositional;
  bool has_default = false;
  SourceRange range;
};

enum class FunctionKind : uint8_t { kModule, kFunction, kLambda, kComprehension, kClassBody };

struct Function {
  FuncId id;
  ModuleId module;
  FunctionKind kind = FunctionKind::kFunction;
  std::string name;       // "f", "<lambda1>", "<listcomp1>", "<module>", the class name for bodies
  std::string qualname;   // dotted path inside the module: "C.m", "f.inner", "f.<lambda1>"
  FuncId parent;          // lexically enclosing function (invalid for a module body)
  ClassId method_of;      // class whose body defines this function directly, else invalid
  ClassId class_of_body;  // for kClassBody: the class
  std::vector<Param> params;
  std::vector<std::string> cell_vars;  // locals captured by nested functions
  std::vector<std::string> free_vars;  // names read from enclosing functions
  std::vector<std::string> global_decls;
  bool is_async = false;
  bool is_generator = false;
  SourceRange range;
  // The Calls in the parent that apply this function's decorators, outermost first (for a
  // definition in a finally body, those of the first copy, like `definition`). Each is
  // Call(decorator, decorated value): see DecoratorValue. Calls, not the decorator expressions,
  // are recorded because BuildSsa removes loads (a decorator's name is usually one) but keeps
  // calls and rewrites their operands to the values that replace removed loads.
  std::vector<InstrId> decorator_calls;
  // The instruction in the parent that creates this function (MakeFunction/MakeClass).
  InstrId definition;

  std::vector<Instr> instrs;
  std::vector<Block> blocks;
  BlockId entry;
  std::vector<WithRegion> with_regions;
  std::vector<Loop> loops;
  bool in_ssa = false;
  // Filled by BuildSsa, in block order (and program order within a block).
  std::vector<LocalBinding> local_bindings;

  const Instr& instr(InstrId id) const { return instrs[id.index()]; }
  Instr& instr(InstrId id) { return instrs[id.index()]; }
  const Block& block(BlockId id) const { return blocks[id.index()]; }
  Block& block(BlockId id) { return blocks[id.index()]; }
};

struct Class {
  ClassId id;
  ModuleId module;
  std::string name;
  std::string qualname;  // dotted inside the module: "Outer.Inner", "f.Local"
  FuncId body;           // the kClassBody function
  FuncId defined_in;     // the function whose code runs the class statement
  InstrId definition;    // MakeClass in defined_in (operands hold the bases)
  std::vector<InstrId> decorator_calls;  // in defined_in, as Function::decorator_calls
  // Functions defined directly in the body by name (the last definition wins, as at run time).
  absl::flat_hash_map<std::string, FuncId> methods;
  SourceRange range;
};

// A problem found while reading or parsing a file; it becomes a notification, never a finding.
struct Problem {
  enum class Kind : uint8_t { kSyntaxError, kUnreadable, kNotUtf8, kTooLarge, kTooDeep, kOther };
  Kind kind = Kind::kOther;
  std::string path;
  SourceRange range;
  std::string message;
};

// A comment that asks for findings on its line not to be reported: `# noqa: FS101, FS305` or
// `# flopscope: ignore` / `# flopscope: ignore[FS101]` (frontend/suppressions.cc).
struct Suppression {
  uint32_t line = 0;
  std::vector<std::string> codes;  // empty: every rule
  bool Covers(absl::string_view code) const;
};

struct Module {
  ModuleId id;
  std::string name;  // dotted module name from the repository layout: "pkg.sub.mod"
  std::string path;  // file path as given on the command line or found while walking
  bool is_package = false;  // an __init__.py
  FuncId body;
  uint32_t line_count = 0;
  std::vector<Problem> problems;
  std::vector<Suppression> suppressions;  // by line, ascending
};

// The product of lowering one file: ids inside are local to the unit (FuncId/ClassId index into
// the unit's own vectors); Program::AddModule renumbers them.
struct ModuleUnit {
  Module module;
  std::vector<Function> functions;  // functions[0] is the module body
  std::vector<Class> classes;
};

class Program {
 public:
  // Takes a lowered module; rewrites its local function/class ids to program-wide ones.
  ModuleId AddModule(ModuleUnit unit);

  const std::vector<Module>& modules() const { return modules_; }
  const std::vector<Function>& functions() const { return functions_; }
  const std::vector<Class>& classes() const { return classes_; }
  std::vector<Function>& mutable_functions() { return functions_; }

  const Module& module(ModuleId id) const { return modules_[id.index()]; }
  Module& mutable_module(ModuleId id) { return modules_[id.index()]; }
  const Function& function(FuncId id) const { return functions_[id.index()]; }
  Function& mutable_function(FuncId id) { return functions_[id.index()]; }
  const Class& klass(ClassId id) const { return classes_[id.index()]; }

  // Module by dotted name, or invalid.
  ModuleId FindModule(absl::string_view dotted_name) const;

  // Problems not tied to one module (unreadable files, symlink loops), in discovery order.
  std::vector<Problem>& global_problems() { return global_problems_; }
  const std::vector<Problem>& global_problems() const { return global_problems_; }

 private:
  std::vector<Module> modules_;
  std::vector<Function> functions_;
  std::vector<Class> classes_;
  absl::flat_hash_map<std::string, ModuleId> module_by_name_;
  std::vector<Problem> global_problems_;
};

// --- Small builder used by lowering and by tests that write IR by hand. ---
class FunctionBuilder {
 public:
  explicit FunctionBuilder(Function& fn) : fn_(fn) {}

  BlockId NewBlock();
  void SetInsertBlock(BlockId block) { current_ = block; }
  BlockId insert_block() const { return current_; }
  // True when the current block already ends in a terminator (code after return/raise).
  bool BlockTerminated() const;

  InstrId Emit(Opcode op, SourceRange range, absl::InlinedVector<InstrId, 2> operands = {},
               std::string text = {}, int32_t aux = 0);
  InstrId EmitConst(ConstKind kind, std::string text, SourceRange range);
  void EmitJump(BlockId dest, SourceRange range);
  void EmitBranch(InstrId cond, BlockId if_true, BlockId if_false, SourceRange range);

  Function& function() { return fn_; }

 private:
  Function& fn_;
  BlockId current_;
};

// Recomputes Block::succs/preds from terminators and exception targets.
void ComputeCfg(Function& fn);

// The decorator's value in `parent` for one of Function/Class::decorator_calls (the call's
// callee operand), or invalid when `call` is not such a Call.
InstrId DecoratorValue(const Function& parent, InstrId call);

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_IR_H_
