// Whole-program def-use facts on the SSA IR: the uses of every value (per function, LocalUses),
// how a call site's arguments bind to the callee's parameters and how return values come back,
// and the memory locations that stay explicit after SSA (module globals, attributes, closure
// cells) with their stores and loads. value_flow.h walks these edges; the other support units
// (backward reach, hook handles, liveness) and the checkers query them directly.
//
// Built once per program (linear in its size, one pass) from the Program, the Resolver and the
// CallGraph; read-only afterwards, queries are cheap.
//
// Locations (field-based, a standard cheap approximation):
//   - Global(module, name): StoreVar/LoadVar kGlobal in any function of `module`, and attribute
//     stores/loads on a value the resolver says is that in-repo module (`config.X = v`).
//   - Attribute(class, name): `obj.name` where obj is an instance of (or is) an in-repo class,
//     keyed by the most basic in-repo class of its MRO so a base-class method reading
//     `self.handles` sees a subclass's stores; `self` in an instance method counts even when the
//     resolver cannot type it. Class-body assignments (StoreVar kClass) are the same location.
//     Attribute(invalid class, name) is `obj.name` on an object of unknown type; loads of it read
//     every Attribute(*, name), and loads of Attribute(C, name) also read it.
//   - Cell(owner, name): a closure variable, owned by the function that declares it; its stores
//     are StoreVar kCell and the `cell:x` operands of MakeFunction.
// Attributes of external objects (`torch.nn`, `x.shape` on a tensor of unknown type when no code
// ever stores an attribute of that name) get no location.
//
// Does NOT model: subscript stores as locations (a container's items are "content", see
// value_flow.h), `setattr`/`getattr` with computed names, `globals()`, attributes of external
// modules assigned by user code, aliasing between different attribute names.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_DEF_USE_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_DEF_USE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "dataflow/support/local_uses.h"
#include "ir/call_graph.h"
#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::dataflow::support {

using ir::ValueRef;

// A call instruction of a function.
struct CallSite {
  ir::FuncId caller;
  ir::InstrId site;
  friend bool operator==(const CallSite& a, const CallSite& b) {
    return a.caller == b.caller && a.site == b.site;
  }
  template <typename H>
  friend H AbslHashValue(H h, const CallSite& s) {
    return H::combine(std::move(h), s.caller, s.site);
  }
};

using LocationId = ir::Id<struct LocationTag>;

struct Location {
  enum class Kind : uint8_t { kGlobal, kAttribute, kCell };
  Kind kind = Kind::kGlobal;
  ir::ModuleId module;  // kGlobal
  ir::ClassId cls;      // kAttribute (invalid: an object of unknown type)
  ir::FuncId owner;     // kCell
  std::string name;
};

// One in-repo function a call site may run, and how many leading parameters the call fills
// implicitly (1 for `self` of a bound method or constructor, `cls` of a classmethod; else 0).
struct CallTarget {
  ir::FuncId callee;
  ir::EdgeKind kind = ir::EdgeKind::kDirect;
  uint8_t implicit_args = 0;
};

// A parameter of a callee that an argument may bind to. `param` is the callee's Param
// instruction (invalid when the callee never reads the parameter and SSA dropped it).
struct ParamBinding {
  ir::FuncId callee;
  uint32_t param_index = 0;
  ir::InstrId param;
};

class DefUse {
 public:
  DefUse(const ir::Program& program, const ir::Resolver& resolver, const ir::CallGraph& calls);
  DefUse(const DefUse&) = delete;
  DefUse& operator=(const DefUse&) = delete;

  const ir::Program& program() const { return program_; }
  const ir::Resolver& resolver() const { return resolver_; }
  const ir::CallGraph& call_graph() const { return calls_; }

  // --- Intraprocedural ---
  const LocalUses& Local(ir::FuncId fn) const { return local_[fn.index()]; }
  absl::Span<const Use> Uses(ValueRef value) const { return Local(value.fn).Of(value.value); }
  const ir::Instr& instr(ValueRef v) const { return program_.function(v.fn).instr(v.value); }
  // The Param instruction of parameter `index` of fn, or invalid.
  ir::InstrId ParamInstr(ir::FuncId fn, uint32_t index) const;
  // Return operands of fn (including the implicit `return None`), and Yield operands.
  absl::Span<const ir::InstrId> Returns(ir::FuncId fn) const { return returns_[fn.index()]; }
  absl::Span<const ir::InstrId> Yields(ir::FuncId fn) const { return yields_[fn.index()]; }

  // --- Calls ---
  // In-repo functions a Call may run, except callbacks (a function passed as an argument runs
  // elsewhere, its parameters do not bind to this call's arguments). Empty for other
  // instructions and external calls.
  absl::Span<const CallTarget> TargetsAt(CallSite call) const;
  // Call sites that may run `callee` (same exclusion of callback edges), sorted, no duplicates.
  absl::Span<const CallSite> CallSitesOf(ir::FuncId callee) const {
    return call_sites_[callee.index()];
  }
  // The object of a method call `obj.m(...)`: the LoadAttr's operand; invalid otherwise.
  ir::InstrId Receiver(CallSite call) const;
  // The method name of a call `obj.m(...)` ("m"), or "" when the callee is not an attribute.
  absl::string_view MethodName(CallSite call) const;
  // Parameters that Call operand `operand` (>= 1; operand 0 is the callee) may bind to in each
  // target. Positional arguments bind by position after the implicit ones, keywords by name,
  // extras to *args / **kwargs; a `*xs` or `**kw` argument binds to every parameter it could fill.
  std::vector<ParamBinding> BindOperand(CallSite call, uint32_t operand) const;
  // The parameter the receiver of a bound-method call (or the new instance of a constructor call)
  // binds to: the first parameter of each target with implicit_args == 1.
  std::vector<ParamBinding> BindReceiver(CallSite call) const;
  // The values passed for parameter `param_index` of `callee` at every call site (arguments and
  // receivers), each with its site.
  struct Argument {
    CallSite site;
    ir::InstrId value;
  };
  std::vector<Argument> ArgumentsFor(ir::FuncId callee, uint32_t param_index) const;

  // --- Locations ---
  // The location an instruction stores to (StoreVar non-local, StoreAttr, MakeFunction cell
  // operands are reported by CellStoresOf) or loads from (LoadVar non-local, LoadAttr); invalid
  // for other instructions and for attributes of external objects.
  LocationId StoredLocation(ValueRef store) const;
  LocationId LoadedLocation(ValueRef load) const;
  // The cell location a MakeFunction `cell:x` operand stores into, or invalid.
  LocationId CellOperandLocation(ValueRef make_function, uint32_t operand) const;
  const Location& location(LocationId id) const { return locations_[id.index()]; }
  size_t location_count() const { return locations_.size(); }
  // Values stored into `loc` (StoreVar/StoreAttr value operands, MakeFunction cell operands).
  absl::Span<const ValueRef> StoredValues(LocationId loc) const { return stores_[loc.index()]; }
  // Load instructions that may read `loc`, including the unknown-object aliasing described above.
  std::vector<ValueRef> LoadsOf(LocationId loc) const;
  // DelVar / DelAttr instructions that unbind `loc`.
  absl::Span<const ValueRef> DeletesOf(LocationId loc) const { return deletes_[loc.index()]; }
  std::string LocationName(LocationId loc) const;  // "config.X", "Model.handles", "f.<cell x>"

 private:
  struct Key {
    Location::Kind kind;
    int32_t a;  // module / class / owner id
    std::string name;
    friend bool operator==(const Key& x, const Key& y) {
      return x.kind == y.kind && x.a == y.a && x.name == y.name;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.kind, k.a, k.name);
    }
  };
  void IndexFunction(const ir::Function& fn);
  void IndexCallSites();
  LocationId Intern(Location loc);
  LocationId VarLocation(const ir::Function& fn, const ir::Instr& instr);
  LocationId AttrLocation(const ir::Function& fn, ir::InstrId object, const std::string& name);
  ir::FuncId CellOwner(ir::FuncId fn, absl::string_view name) const;
  ir::ClassId RootClass(ir::ClassId cls);
  uint8_t ImplicitArgs(CallSite call, const ir::CallEdge& edge) const;

  const ir::Program& program_;
  const ir::Resolver& resolver_;
  const ir::CallGraph& calls_;
  std::vector<LocalUses> local_;
  std::vector<std::vector<ir::InstrId>> returns_;
  std::vector<std::vector<ir::InstrId>> yields_;
  std::vector<std::vector<CallSite>> call_sites_;
  // Targets of every call site with an in-repo, non-callback target, computed once.
  absl::flat_hash_map<CallSite, absl::InlinedVector<CallTarget, 1>> targets_;
  std::vector<Location> locations_;
  absl::flat_hash_map<Key, LocationId> location_index_;
  std::vector<std::vector<ValueRef>> stores_;
  std::vector<std::vector<ValueRef>> loads_;
  std::vector<std::vector<ValueRef>> deletes_;
  // Per function: location of each load/store instruction (-1 none), indexed by InstrId.
  std::vector<std::vector<int32_t>> instr_location_;
  absl::flat_hash_map<ValueRef, absl::InlinedVector<std::pair<uint32_t, LocationId>, 1>>
      cell_operands_;
  // Attribute locations by name, for the unknown-object aliasing.
  absl::flat_hash_map<std::string, std::vector<LocationId>> attrs_by_name_;
  absl::flat_hash_map<ir::ClassId, ir::ClassId> root_class_;
  // Attribute names some instruction stores (StoreAttr, class bodies): loads of other names
  // need no location.
  absl::flat_hash_map<std::string, bool> stored_attr_names_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_DEF_USE_H_
