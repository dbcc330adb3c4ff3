// Internal to the resolver: the memoizing evaluator behind Resolver. One rule per opcode decides
// what a value denotes (resolve_engine.cc), attribute lookup on modules, classes, instances and
// super() lives in resolve_attrs.cc, and Origins' data-flow walk in resolve_origins.cc.
//
// Termination: every memoized node (a value, a module global, a function's returns) is marked
// active while it is computed. Reaching an active node contributes nothing and records how deep
// that node sits on the stack; a result that depended on a node below itself (an unfinished
// cycle) is not cached, so every cached result is complete. A recursion-depth limit and a
// per-query step budget turn pathological inputs into kUnknown instead of stack overflows.
#ifndef FLOPSCOPE_IR_RESOLVE_ENGINE_H_
#define FLOPSCOPE_IR_RESOLVE_ENGINE_H_

#include <climits>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"
#include "ir/resolve.h"
#include "ir/resolve_index.h"

namespace flopscope::ir::internal {

// A set of possibilities: known symbols, then at most one kUnknown entry (some possibility is
// unknown). Empty = the value denotes no symbol at all (a constant, a literal).
using SymbolList = std::vector<Symbol>;

constexpr size_t kMaxSymbols = 8;

Symbol UnknownSymbol();
SymbolList Unknown();
void AddSymbol(SymbolList& set, Symbol symbol);
void AddAll(SymbolList& set, const SymbolList& other);
bool HasKnown(const SymbolList& set);

// The argument `call` passes to parameter `param` of `callee` when `implicit` leading parameters
// are bound by the call itself (self); invalid when not passed or hidden behind a splat.
InstrId BoundArgument(const Instr& call, const Function& callee, int param, int implicit);

struct ClassBases {
  std::vector<ClassId> in_repo;        // in source order
  std::vector<std::string> external;   // qualified names, in source order
};

class Engine {
 public:
  explicit Engine(const Program& program);

  const ProgramIndex& index() const { return index_; }
  const Program& program() const { return program_; }

  // Public entry points: each is a query root (resets the step budget) and returns a reference
  // into the cache.
  const SymbolList& ResolveRoot(FuncId fn, InstrId value);
  const SymbolList& GlobalRoot(ModuleId module, absl::string_view name);

  // Internal evaluation (also used by Origins and the MRO computation).
  // References stay valid for the engine's lifetime.
  const SymbolList& Value(FuncId fn, InstrId value);
  const SymbolList& Global(ModuleId module, absl::string_view name);
  const SymbolList& Returns(FuncId fn);
  SymbolList Attribute(const SymbolList& objects, absl::string_view attr);

  const std::vector<ClassId>& Mro(ClassId cls);
  const ClassBases& Bases(ClassId cls);
  std::vector<std::string> ExternalBases(ClassId cls);
  FuncId LookupMethod(ClassId cls, absl::string_view name);
  FuncId CallMethodOf(ClassId cls);

  std::vector<ValueRef> Origins(FuncId fn, InstrId value);

  // Where `name` of `module` is bound: direct stores, else the stores of a `from x import *`
  // source that exports it (re-exports followed); empty when nothing binds it in the repo.
  std::vector<ValueRef> GlobalStores(ModuleId module, absl::string_view name, int depth = 0);
  // Values a closure variable read in fn may hold (the owner's cell stores, captured operands).
  std::vector<ValueRef> CellSources(FuncId fn, absl::string_view name);

 private:
  template <typename Key, typename Compute>
  const SymbolList& Memo(absl::flat_hash_map<Key, uint32_t>& done,
                         absl::flat_hash_map<Key, int>& active, const Key& key, Compute&& compute);
  // Stores a result and returns its index in results_; the empty set and plain unknown are
  // shared (most values denote nothing), so the common case allocates nothing.
  uint32_t Intern(SymbolList result);
  uint64_t GlobalKey(ModuleId module, absl::string_view name);
  void BeginRoot();

  SymbolList ComputeValue(FuncId fn, InstrId value);
  SymbolList ComputeGlobal(ModuleId module, absl::string_view name);
  SymbolList ParamSymbols(const Function& fn, const Instr& instr);
  SymbolList LoadVarSymbols(const Function& fn, const Instr& instr);
  SymbolList ImportSymbols(ModuleId importer, absl::string_view text, int level);
  SymbolList ModuleByName(const std::string& dotted);
  SymbolList CallSymbols(const Function& fn, InstrId id, const Instr& instr);
  SymbolList CallResult(const Function& fn, const Instr& call, const Symbol& callee);
  // What calling `target` at `call` returns: its return values, plus the arguments bound to the
  // parameters it returns unchanged (`def deco(f): ...; return f`). `implicit` is 1 when the
  // receiver is bound to the first parameter (`receiver` then says what it is).
  SymbolList CallReturns(const Function& fn, const Instr& call, FuncId target, int implicit,
                         const Symbol& receiver);
  // The values decorated by fn (each decorator application whose decorator resolves to fn):
  // what fn's first parameter receives when fn is a decorator.
  const std::vector<ValueRef>& DecoratedArguments(FuncId fn);
  // Parameter indices of fn whose Param is returned directly.
  const std::vector<int>& PassthroughParams(FuncId fn);
  SymbolList BuiltinCallResult(const Function& fn, const Instr& call, const Symbol& callee);
  SymbolList DecoratorResult(const Function& fn, const Instr& call);
  SymbolList SuperSymbols(const Function& fn, const Instr& call);
  SymbolList ThroughOrigins(FuncId fn, InstrId value);
  SymbolList ContainerGet(FuncId fn, const Instr& call);
  SymbolList WithEnterSymbols(FuncId fn, const Instr& instr);
  std::optional<std::string> ExternalStarName(ModuleId module, absl::string_view name);
  bool Exports(ModuleId module, absl::string_view name, int depth);
  const std::vector<std::string>* DunderAll(ModuleId module);

  // Attribute lookup (resolve_attrs.cc).
  SymbolList ModuleAttr(const Symbol& module, absl::string_view attr);
  SymbolList ClassAttr(ClassId cls, absl::string_view attr, bool on_instance, ClassId receiver,
                       size_t skip);
  SymbolList InstanceAttr(ClassId cls, absl::string_view attr);
  SymbolList SuperAttr(const Symbol& proxy, absl::string_view attr);
  SymbolList Bind(const SymbolList& raw, bool on_instance, ClassId receiver);
  SymbolList ExternalBaseAttr(ClassId cls, absl::string_view attr);

  std::vector<ClassId> ComputeMro(ClassId cls);

  const Program& program_;
  ProgramIndex index_;

  std::deque<SymbolList> results_;  // [0] = {}, [1] = {unknown}; stable references
  absl::flat_hash_map<uint64_t, uint32_t> result_by_hash_;  // hash-consing of results_
  // Memo tables: done -> index into results_; active -> stack depth while being computed.
  absl::flat_hash_map<uint64_t, uint32_t> value_done_;  // (function, instruction)
  absl::flat_hash_map<uint64_t, int> value_active_;
  absl::flat_hash_map<uint64_t, uint32_t> global_done_;  // (module, NameId)
  absl::flat_hash_map<uint64_t, int> global_active_;
  absl::flat_hash_map<uint64_t, uint32_t> returns_done_;  // function
  absl::flat_hash_map<uint64_t, int> returns_active_;
  absl::flat_hash_map<std::string, uint32_t> name_ids_;  // interned global names
  absl::flat_hash_map<FuncId, std::vector<int>> passthrough_;
  enum class DecoratorIndexState : uint8_t { kNotBuilt, kBuilding, kBuilt };
  DecoratorIndexState decorator_index_state_ = DecoratorIndexState::kNotBuilt;
  absl::flat_hash_map<FuncId, std::vector<ValueRef>> decorated_arguments_;
  int depth_ = 0;
  int low_ = INT_MAX;
  int64_t steps_ = 0;

  absl::flat_hash_map<ClassId, std::unique_ptr<std::vector<ClassId>>> mro_;
  absl::flat_hash_set<ClassId> mro_active_;
  absl::flat_hash_map<ClassId, std::unique_ptr<ClassBases>> bases_;
  absl::flat_hash_map<ModuleId, std::optional<std::vector<std::string>>> dunder_all_;
};

}  // namespace flopscope::ir::internal

#endif  // FLOPSCOPE_IR_RESOLVE_ENGINE_H_
