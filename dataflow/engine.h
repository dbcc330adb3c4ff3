// Internal to dataflow/: the interprocedural engine behind dataflow::Analysis. Not for checkers
// (they use analysis.h). Split over engine.cc (contexts, cells, worklist, budget), transfer.cc
// (one function's instructions), calls.cc (call sites: binding, summaries, hooks) and
// library.cc (what external functions and methods of abstract values do).
#ifndef FLOPSCOPE_DATAFLOW_ENGINE_H_
#define FLOPSCOPE_DATAFLOW_ENGINE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "dataflow/analysis.h"
#include "dataflow/provenance.h"
#include "dataflow/solver.h"
#include "dataflow/value.h"
#include "ir/call_graph.h"
#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::dataflow::internal {

// --- The flow-sensitive state: grad mode plus in-place refinements of SSA values. -------------
// A refinement says "from here on, value `value` is `refined`" (model.half() changes the model
// object itself, so later uses of the same SSA value see fp16). Where only some predecessors
// refined it, the entry is `partial`: the value is then base ⊔ refined.
//   entry order: (r1, p1) <= (r2, p2) iff r1 <= r2 and p1 <= p2; a missing entry is (Bottom, true).
// Bottom (mode Bottom) = unreachable and is the identity of Join; Top = everything unknown.
struct Refinement {
  int32_t value = -1;
  AbstractValue refined;
  bool partial = false;
  friend bool operator==(const Refinement& a, const Refinement& b) {
    return a.value == b.value && a.refined == b.refined && a.partial == b.partial;
  }
};

class FlowState {
 public:
  static FlowState Bottom() { return FlowState(); }
  static FlowState Top();
  static FlowState Entry(GradMode mode);

  bool IsBottom() const { return !top_ && mode_.IsBottom(); }
  bool IsTop() const { return top_; }
  const GradMode& mode() const { return mode_; }
  void set_mode(GradMode mode) { mode_ = mode; }
  const std::vector<Refinement>& refinements() const { return refs_; }
  // Which SSA value the owner's closure variable `cell` (index into Function::cell_vars) holds
  // here; -1 when unknown (paths disagree). Flat per variable; a missing entry is unknown.
  int32_t CellValue(int32_t cell) const;
  void BindCell(int32_t cell, int32_t value);
  const Refinement* Find(int32_t value) const;
  void Refine(int32_t value, AbstractValue refined);
  // The value as seen here: base, or the refinement (joined with base when partial).
  AbstractValue Apply(int32_t value, const AbstractValue& base) const;

  FlowState Join(const FlowState& o) const;
  bool Leq(const FlowState& o) const;
  FlowState Widen(const FlowState& o) const { return Join(o); }
  std::string ToString() const;
  friend bool operator==(const FlowState& a, const FlowState& b) {
    return a.top_ == b.top_ && a.mode_ == b.mode_ && a.refs_ == b.refs_ && a.cells_ == b.cells_;
  }

 private:
  GradMode mode_ = GradMode::Bottom();
  std::vector<Refinement> refs_;  // sorted by value
  std::vector<std::pair<int32_t, int32_t>> cells_;  // (cell index, SSA value), sorted
  bool top_ = false;
};

// --- Flow-insensitive cells shared by all contexts. --------------------------------------------
enum class CellKind : uint8_t {
  kGlobal,       // owner = ModuleId: a module global
  kClassAttr,    // owner = ClassId: a class-body binding (class attribute, dataclass default)
  kClosure,      // owner = FuncId owning the cell variable
  kDefault,      // owner = FuncId: default value of parameter `name`
  kHeapAttr,     // owner = SiteId: attribute `name` of an abstract object
  kHeapItem,     // owner = SiteId: item under constant key `name`; "?" unknown key, "*" any
  kForwardMode,  // owner = SiteId: join of the grad modes of forward passes of that model
};

// A cell's address as the accessors take it. A view: looking up an existing cell (most reads and
// writes) allocates nothing; the name is copied only when the cell is created.
struct CellRef {
  CellKind kind;
  int32_t owner;
  absl::string_view name;
};

struct CellKey {
  CellKind kind;
  int32_t owner;
  std::string name;
  operator CellRef() const { return CellRef{kind, owner, name}; }  // NOLINT: lookups by view
  friend bool operator==(const CellKey& a, const CellKey& b) {
    return a.kind == b.kind && a.owner == b.owner && a.name == b.name;
  }
};

struct CellKeyHash {
  using is_transparent = void;
  size_t operator()(const CellRef& k) const {
    return absl::HashOf(static_cast<uint8_t>(k.kind), k.owner, k.name);
  }
  size_t operator()(const CellKey& k) const { return (*this)(CellRef(k)); }
};

struct CellKeyEq {
  using is_transparent = void;
  static bool Same(const CellRef& a, const CellRef& b) {
    return a.kind == b.kind && a.owner == b.owner && a.name == b.name;
  }
  bool operator()(const CellRef& a, const CellRef& b) const { return Same(a, b); }
  bool operator()(const CellKey& a, const CellRef& b) const { return Same(a, b); }
  bool operator()(const CellRef& a, const CellKey& b) const { return Same(a, b); }
  bool operator()(const CellKey& a, const CellKey& b) const { return Same(a, b); }
};

struct Cell {
  AbstractValue value;
  absl::flat_hash_set<ContextId> readers;
};

// --- Context keys. -------------------------------------------------------------------------------
// What distinguishes two contexts of one function: the entry grad mode, hook-ness, and each
// argument's (and closure variable's) facts without provenance. A structure rather than a
// printed string: most calls find an existing context, and the key is built for every call.
// Two keys are equal exactly when their printed forms (AbstractValue::ToString of each
// component) would be: devices compare by what they print (the index of a non-cuda device, or a
// negative cuda index, is not shown), and parameter pseudo-sites are left out (see MakeArgKey).
struct ArgKey {
  uint32_t kinds = 0;
  bool strings_top = false;
  ConstStrings strings = ConstStrings::Bottom();  // compared only when !strings_top
  bool sites_top = false;
  std::vector<SiteId> sites;  // without parameter pseudo-sites; empty when sites_top
  int64_t device = 0;  // DeviceCode()
  DTypeDomain dtype = DTypeDomain::Bottom();
  Attachment grad = Attachment::Bottom();
  GradMode ctx_mode = GradMode::Bottom();

  friend bool operator==(const ArgKey& a, const ArgKey& b) {
    if (a.kinds != b.kinds || a.strings_top != b.strings_top || a.sites_top != b.sites_top ||
        a.device != b.device || !(a.dtype == b.dtype) || !(a.grad == b.grad) ||
        !(a.ctx_mode == b.ctx_mode) || a.sites != b.sites) {
      return false;
    }
    return a.strings_top ||
           (a.strings.values() == b.strings.values() &&
            a.strings.overridable() == b.strings.overridable() &&
            a.strings.partial() == b.strings.partial());
  }
  template <typename H>
  friend H AbslHashValue(H h, const ArgKey& k) {
    h = H::combine(std::move(h), k.kinds, k.strings_top, k.sites_top, k.device,
                   k.grad.IsBottom(), k.grad.IsTop(),
                   k.grad.MayBeAttached(), k.ctx_mode.bits(), k.dtype.IsBottom(), k.dtype.IsTop(),
                   k.dtype.HasValue() ? static_cast<int>(k.dtype.value()) : -1, k.sites);
    if (!k.strings_top) {
      h = H::combine(std::move(h), k.strings.values(), k.strings.overridable(),
                     k.strings.partial());
    }
    return h;
  }
};

struct ContextKey {
  GradMode mode = GradMode::Bottom();
  bool is_hook = false;
  std::vector<ArgKey> args;
  std::vector<std::pair<std::string, ArgKey>> cells;  // sorted by name

  friend bool operator==(const ContextKey& a, const ContextKey& b) {
    return a.mode == b.mode && a.is_hook == b.is_hook && a.args == b.args && a.cells == b.cells;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ContextKey& k) {
    return H::combine(std::move(h), k.mode.bits(), k.is_hook, k.args, k.cells);
  }
};

// --- Per-function facts computed once. ----------------------------------------------------------
struct FuncInfo {
  CfgOrder order;
  std::optional<GradMode> decorator_mode;  // @torch.no_grad() etc.
  bool cache_decorated = false;            // @functools.lru_cache / cache
  absl::flat_hash_set<int32_t> entered_by_with;  // values used as a `with` context manager
  std::vector<ir::InstrId> param_instrs;  // per parameter: its kParam instruction (or invalid)
  absl::flat_hash_map<int32_t, std::vector<ir::CallEdge>> edges_at;
  std::vector<ContextId> contexts;
  absl::flat_hash_map<ContextKey, ContextId> context_by_key;
  ContextId joined = -1;
  int topdown_rank = 0;
  bool analyzed_once = false;
  // Entered through a method dispatched on a receiver's abstract class, which the call graph
  // does not know: the function still gets its own root context when nothing calls it.
  bool dispatched = false;
};

struct ContextData {
  ContextInfo info;
  std::vector<AbstractValue> values;  // per instruction
  std::vector<FlowState> block_in;    // per block, final solve
  std::vector<uint8_t> modes;         // per instruction: GradMode bits where it ran
  // Operands that an in-place refinement changed, keyed by (instruction, operand index).
  absl::flat_hash_map<std::pair<int32_t, int32_t>, AbstractValue> refined_operands;

  // Summary.
  AbstractValue ret;
  std::vector<std::optional<Refinement>> param_exit;  // refinement of each parameter at return
  bool returns = false;
  int summary_changes = 0;
  absl::flat_hash_set<ContextId> summary_readers;

  // Calls made in this context in the latest solve: site -> callee contexts.
  absl::flat_hash_map<int32_t, std::vector<ContextId>> callees_at;

  // Events of the latest solve, keyed by instruction.
  absl::flat_hash_map<int32_t, ModelLoad> loads;
  absl::flat_hash_map<int32_t, ForwardCall> forwards;
  absl::flat_hash_map<int32_t, HookRegistration> hooks;
  absl::flat_hash_map<int32_t, ModelCast> casts;
  absl::flat_hash_map<int32_t, OptimizerUse> optimizers;

  bool analyzed = false;
  bool on_stack = false;
  bool dirty = true;
  bool needs_rerun = false;
};

struct Engine {
  Engine(const ir::Program& program, const ir::Resolver& resolver, const ir::CallGraph& calls,
         const AnalysisOptions& options);

  void Run();

  // Contexts.
  ContextId ContextFor(ir::FuncId fn, GradMode mode, std::vector<AbstractValue> args,
                       bool is_hook,
                       std::vector<std::pair<std::string, AbstractValue>> cell_values = {});
  ContextId RootContext(ir::FuncId fn);
  void Analyze(ContextId id);
  void Enqueue(ContextId id);
  ContextData& ctx(ContextId id) { return *contexts[static_cast<size_t>(id)]; }
  const ContextData& ctx(ContextId id) const { return *contexts[static_cast<size_t>(id)]; }

  // Cells: reading registers the current context as a reader; a write that grows the cell
  // re-queues its readers.
  AbstractValue ReadCell(const CellRef& key);
  void WriteCell(const CellRef& key, const AbstractValue& value);
  AbstractValue PeekCell(const CellRef& key) const;
  Cell& CellAt(const CellRef& key);  // created (Bottom, no readers) on first use

  // Sites.
  SiteId InternSite(const std::string& key, Site site);
  SiteId InstanceSite(ir::ClassId cls);
  SiteId UnknownParamSite(ir::FuncId fn, int index);
  bool IsModelSite(SiteId id) const { return sites[static_cast<size_t>(id)].is_model; }
  bool ClassIsNnModule(ir::ClassId cls) const;
  bool ClassIsDataclass(ir::ClassId cls) const;

  // Provenance helpers.
  ProvId Step(ProvId parent, ir::FuncId fn, ir::InstrId instr, absl::string_view text) {
    return prov.Extend(parent, fn, instr, text);
  }
  // Every non-empty fact of `v` gets one more step.
  AbstractValue WithStep(const AbstractValue& v, ir::FuncId fn, ir::InstrId instr,
                         absl::string_view text);

  std::string FunctionLabel(ir::FuncId fn) const;  // "models.load" (module-relative)
  std::string Location(ir::FuncId fn, ir::InstrId instr) const;

  void Notify(ir::FuncId fn, std::string message);
  void Finish();  // live contexts, event lists, cached flags
  std::vector<ContextPath> PathsTo(ContextId id, size_t limit) const;

  const ir::Program& program;
  const ir::Resolver& resolver;
  const ir::CallGraph& calls;
  AnalysisOptions options;
  ProvenanceStore prov;

  std::vector<FuncInfo> funcs;
  std::vector<std::unique_ptr<ContextData>> contexts;
  std::vector<Site> sites;
  absl::flat_hash_map<std::string, SiteId> site_by_key;
  // Model sites stored under an "already loaded?" guard (module singleton, memo dict, self attr).
  absl::flat_hash_map<SiteId, std::string> singleton_cached;
  // Cells by address. The index maps to positions in `cell_data`, so its slots stay small (a
  // lookup touches one cache line) and growing it moves no values.
  absl::flat_hash_map<CellKey, uint32_t, CellKeyHash, CellKeyEq> cell_index;
  std::deque<Cell> cell_data;

  std::set<std::pair<int, ContextId>> worklist;  // (top-down rank, context)
  std::vector<ContextId> stack;
  int64_t budget = 0;
  int64_t transfers = 0;
  int64_t analyses = 0;
  bool budget_exhausted = false;
  std::vector<Notification> notifications;

  // Results of Finish().
  std::vector<std::vector<ContextId>> live_by_fn;
  std::vector<bool> live;
  std::vector<std::vector<CallStep>> callers;  // per context
  std::vector<ModelLoad> loads;
  std::vector<ForwardCall> forwards;
  std::vector<HookRegistration> hooks;
  std::vector<ModelCast> casts;
  std::vector<OptimizerUse> optimizers;
};

// Runs the intraprocedural solver for one context (transfer.cc). Returns false when the solver
// gave up (visit limit) or the global budget ran out.
bool SolveContext(Engine& engine, ContextId id);

}  // namespace flopscope::dataflow::internal

#endif  // FLOPSCOPE_DATAFLOW_ENGINE_H_
