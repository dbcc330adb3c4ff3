// Liveness of model objects, for FS105 (several large models alive at once): is a model still
// referenced when another one is loaded?
//
// The question is about objects, not variables. An object `value` (an SSA value) is held at an
// instruction `point` of the same function when
//   - kUse: it, or an alias of it, is used at or after `point` on some path that does not first
//     redefine that alias. Aliases are phis it flows into and results of methods that return the
//     model itself (`.to()`, `.cuda()`, `.half()`, `.eval()`, ...), of wrappers that keep it
//     (`torch.compile`, `pipeline(model=...)`, `DataParallel`, `get_peft_model`, ...), and of
//     in-repo calls that return it (a `prepare(model)` helper). Reassigning a variable is not a
//     use: `model = load(a); use(model); model = load(b)` holds nothing at the second load, which
//     is the sequential pattern FS105 recommends (the old object is unreachable by the time the
//     new one is used; Python frees it at the rebinding). `del x` ends x's SSA value, so the
//     catalog's `del model_a` fix holds nothing afterwards.
//   - kContainer: it was put (on some path before `point`) into a list/dict/set/tuple that is itself
//     held at `point` (recursively, bounded), or that is a parameter or comes from a location;
//   - kLocation: it was stored (before `point`) into a module global, an attribute or a closure
//     cell (which outlive the function), directly or inside an in-repo callee it was passed to,
//     and no `del` of that location lies between;
//   - kCaller: it is a parameter: the caller holds it for the whole call;
//   - kName: a local name is still bound to it (or to an alias) when `point` runs: CPython frees
//     an object only when nothing refers to it, so `m = load(a); run(m)` keeps the model until
//     `m` is rebound, `del`eted or the function returns, used again or not. Rebinding the same
//     name by `point`'s own result (`model = load(b)` while `model` holds a) is not counted: the
//     old object is released as soon as the load returns (peak memory holds both only during the
//     load, a judgment call FS105 leaves unreported);
//   - kCache (FindOverlaps only): it was returned by a call of a memoized function
//     (`functools.lru_cache`/`cache`, given by the caller), whose cache keeps every result for
//     the whole process. A later call of the same function with the same arguments is a cache
//     hit, not a new model, and is not an overlap. Across iterations: a memoized call in a loop
//     whose arguments come from the loop variable keeps one model per iteration.
// Across loop iterations (the same load in a loop), the previous iteration's object is held only
// by a phi carrying it into the next iteration, a location, or a container created outside the
// loop (`models.append(load(n))`, `{n: load(n) for n in names}`).
//
// FindOverlaps pairs the model values a checker identified (model identity domain): in one
// function, m2's load while m1 is held; loads inside callees are lifted to the call sites that
// run them (up to 4 calls up); a load in a loop whose result is kept across iterations overlaps
// with itself.
//
// Name bindings come from ir::Function::local_bindings (kept by BuildSsa).
//
// Does NOT model: reference cycles and garbage-collection timing, `torch.cuda.empty_cache()`, models
// moved to CPU before the next load (the checker asks the device domain), objects held by
// external code (other than the wrappers above), `del` of a container item (`del models[k]`).
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_LIVENESS_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_LIVENESS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

#include "dataflow/support/def_use.h"

namespace flopscope::dataflow::support {

class Liveness {
 public:
  explicit Liveness(const DefUse& du) : du_(du) {}

  enum class HolderKind : uint8_t { kUse, kContainer, kLocation, kCaller, kName, kCache };
  struct Holder {
    HolderKind kind = HolderKind::kUse;
    // The later use, the store into the container/location, the Param, the value the name was
    // bound to (kName), or the memoized call (kCache).
    ValueRef at;
    LocationId location;  // kLocation, when known
    std::string name;     // kName: the local variable; kCache: the memoized function's qualname
  };

  // What holds `value` when `point` (an instruction of value.fn) runs; nullopt when nothing does.
  std::optional<Holder> HeldAt(ValueRef value, ir::InstrId point) const;

  // Whether the object made by `value` in one iteration of its innermost loop is still held when
  // `value` is computed again in the next iteration.
  std::optional<Holder> HeldAcrossIterations(ValueRef value) const;

  struct Overlap {
    ValueRef first;   // the model already alive
    ValueRef second;  // the model loaded while `first` is held
    CallSite point;   // in first.fn: second's load, or the call that (transitively) loads it
    Holder holder;    // what keeps `first` alive at `point`
    bool across_iterations = false;  // first == second: kept while reloaded in a loop
  };
  // All overlaps among `models`, at most one per (first, point), in a deterministic order.
  // `memoized`: functions whose results a cache keeps (functools.lru_cache/cache decorated).
  std::vector<Overlap> FindOverlaps(const std::vector<ValueRef>& models,
                                    const absl::flat_hash_set<ir::FuncId>& memoized = {}) const;

  // The aliases of `value` in its function (itself first): phis, self-returning methods, wrappers,
  // in-repo calls that return it. Bounded.
  std::vector<ir::InstrId> Aliases(ValueRef value) const;

 private:
  std::optional<Holder> HeldAtImpl(ValueRef value, ir::InstrId point, int depth,
                                   bool across_iterations) const;
  // kName: a local name bound to an alias of `value` still holds it when `point` runs.
  std::optional<Holder> BoundAt(ValueRef value, ir::InstrId point) const;
  // The binding fn.local_bindings[index] is still in force when `point` runs.
  bool BindingReaches(const ir::Function& fn, size_t index, ir::InstrId point) const;
  // Some argument of the call (in a loop) is computed from the loop's iteration variable or a
  // value carried around the loop: a memoized callee sees new arguments on each iteration.
  bool ArgumentsVaryInLoop(ValueRef call) const;
  // Two calls in one function that run the same memoized code with the same arguments.
  bool SameCachedCall(ir::FuncId fn, ir::InstrId a, ir::InstrId b) const;
  static bool SameArgument(const ir::Function& fn, ir::InstrId p, ir::InstrId q, int depth);
  // `point` calls a memoized loader with the arguments of a call of it that runs earlier in the
  // same function: a cache hit.
  bool RepeatsEarlierCachedCall(const CallSite& point,
                                const absl::flat_hash_map<ValueRef, ir::FuncId>& cached_by) const;
  // An alias of `value` is returned by its function (so callers' call results are the object).
  bool ReturnedBy(ValueRef value) const;
  // A use of `alias` at or after `point` without passing alias's definition.
  std::optional<ValueRef> LaterUse(ir::FuncId fn, ir::InstrId alias, ir::InstrId point) const;
  // `from` may run before `to` in one run of fn (the same instruction counts when in a loop).
  bool RunsBefore(ir::FuncId fn, ir::InstrId from, ir::InstrId to) const;
  // An in-repo call given `value` as operand `operand` keeps it in a location or returns it.
  struct CallEffect {
    bool returns = false;
    bool escapes = false;
  };
  CallEffect EffectOfCall(CallSite site, uint32_t operand) const;

  const DefUse& du_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_LIVENESS_H_
