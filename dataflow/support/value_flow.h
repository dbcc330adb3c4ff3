// Forward value flow over the whole program ("where can this value go?"), on the edges DefUse
// indexes: SSA uses, arguments into parameters, return values back to call sites, stores into and
// loads from locations (globals, attributes, closure cells), and container flow. The other support
// units ask their questions through it: backward_reach.h (does a loss reach `.backward()`),
// hook_handles.h (does a hook handle reach `.remove()`), liveness.h (is a model kept in a container
// or global). Checkers can use it directly for "does this tensor escape into self.cache".
//
// A state is a node (an SSA value or a location) in one of two modes:
//   value   "the tracked object IS this value" (or, with derivations on, is computed from it);
//   content "the tracked object is INSIDE this container" (a list, dict, set, tuple, generator,
//           or any object used as one): reading an element (subscript, iteration, unpacking,
//           `.pop()`, `.get()`, `.values()`, a `with` over a generator) yields it again, in both
//           modes, because the element may itself be a container (nesting is flattened).
//
//   x ──append/[..]=/BuildList──▶ content(lst) ──for e in lst──▶ value(e)
//   content(self.handles load) ──alias──▶ content(location Model.handles) ──▶ every load of it
//
// A write into a container also makes its *sources* hold the object: the location it was loaded
// from, the caller's argument it came in as, the container it was read out of, the callee that
// returned it (mutation through an alias). Those backward steps are taken only from containers
// written to, never from values merely read.
//
// Calls are matched with a bounded call string (context sensitivity): entering a callee through a
// parameter pushes the call site, and a return then goes back to that site only; an empty string
// returns to every caller. Going through a location forgets the string (the load may run
// anywhere). Every walk is bounded by FlowOptions::max_states; FlowResult::truncated says so.
//
// Does NOT model: aliasing of non-container objects mutated through a second name
// (`a = obj; a.x = t` is a location store, fine; `setattr`), element positions (all items of a
// container are one), external functions other than "result derives from arguments" (opt-in),
// exceptions carrying values, `nonlocal` rebinding order.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_VALUE_FLOW_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_VALUE_FLOW_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "dataflow/support/def_use.h"

namespace flopscope::dataflow::support {

// How a state was reached from its parent.
enum class FlowStep : uint8_t {
  kStart,
  kPhi,            // merged by a phi
  kDerived,        // computed from the parent (see Derivation)
  kIntoParam,      // passed as an argument; `at` is the call site
  kFromReturn,     // returned (or yielded) to a call site; `at` is the Return/Yield
  kIntoContainer,  // stored into a container; `at` is the storing instruction
  kFromContainer,  // read out of a container; `at` is the reading instruction
  kStore,          // stored into a location; `at` is the store
  kLoad,           // loaded from a location; the state is the load
  kAlias,          // the same object under another name (with, list(...), a write's source)
};
absl::string_view FlowStepName(FlowStep step);

// Which "computed from" edges a walk follows in value mode, as bits.
enum Derivation : uint32_t {
  kDeriveArithmetic = 1u << 0,    // BinaryOp, InplaceOp, UnaryOp
  kDeriveAttribute = 1u << 1,     // `x.attr` from x
  kDeriveSubscript = 1u << 2,     // `x[i]`, iterating or unpacking x itself
  kDeriveMethodResult = 1u << 3,  // `x.m(...)` and `x(...)` results from x (not in-repo methods'
                                  // receivers, which flow into `self` instead)
  kDeriveCallResult = 1u << 4,    // an external/unresolved call's or Opaque's result from its
                                  // arguments
  kDeriveAggregate = 1u << 5,     // an external call's result from a container argument's
                                  // content: `sum(losses)`, `torch.stack(xs)`
  kDeriveAll = (1u << 6) - 1,
};

struct FlowNode {
  ir::FuncId fn;       // value node: the function and value; location node: invalid
  ir::InstrId value;
  LocationId loc;      // location node
  bool content = false;

  static FlowNode Value(ValueRef v, bool content = false) {
    return FlowNode{v.fn, v.value, LocationId(), content};
  }
  static FlowNode At(LocationId loc, bool content = false) {
    return FlowNode{ir::FuncId(), ir::InstrId(), loc, content};
  }
  bool is_location() const { return loc.valid(); }
  ValueRef value_ref() const { return ValueRef{fn, value}; }
};

struct FlowOptions {
  uint32_t derive = 0;  // Derivation bits
  // Methods whose result is the receiver itself in value mode, followed even when
  // kDeriveMethodResult is off (`m.to(...)`, `m.eval()` for models).
  std::vector<std::string> identity_methods;
  // A use the walk must not pass (e.g. `.item()`, `.detach()` for grad flow); the instruction
  // given is the user. Uses cut here are still visible to the visitor through DefUse.
  std::function<bool(const DefUse&, ValueRef user)> cut;
  // The call string the start value runs under, outermost call first: the last element is the
  // call site that invoked the start value's function. Returns follow it back exactly.
  std::vector<CallSite> context;
  size_t max_states = 20000;
  size_t max_call_depth = 4;
};

struct FlowState {
  FlowNode node;
  int32_t parent = -1;
  FlowStep step = FlowStep::kStart;
  ValueRef at;            // instruction that made the step (see FlowStep)
  bool written = false;   // content state reached by a write: its sources are aliases too
  absl::InlinedVector<CallSite, 4> calls;  // call string, innermost last
};

struct FlowResult {
  std::vector<FlowState> states;
  bool truncated = false;  // max_states hit: the walk is incomplete
  bool stopped = false;    // the visitor asked to stop

  // The states from the start to `index`, start first.
  std::vector<const FlowState*> PathTo(int32_t index) const;
};

// One hop of an explanation: how the fact moved, and the instruction where it did (the start
// value itself for the first hop).
struct FlowHop {
  FlowStep step = FlowStep::kStart;
  ValueRef at;
};
// The hops from the walk's start to state `index`.
std::vector<FlowHop> HopsTo(const FlowResult& result, int32_t index);

// Walks from `starts` breadth-first (shortest step count first), calling `visit` once per new
// state in discovery order; `visit` returns true to stop the walk. Deterministic.
FlowResult ExploreFlow(const DefUse& du, const std::vector<FlowNode>& starts,
                       const FlowOptions& options,
                       const std::function<bool(const FlowResult&, int32_t index)>& visit);

// Method names treated as container operations (shared with the units that interpret them).
bool IsContainerInsertMethod(absl::string_view name);  // append, add, insert, setdefault, ...
bool IsContainerMergeMethod(absl::string_view name);   // extend, update
bool IsContainerReadMethod(absl::string_view name);    // pop, get, values, items, ...

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_VALUE_FLOW_H_
