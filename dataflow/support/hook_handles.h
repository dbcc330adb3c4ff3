// Hook registrations and what becomes of their handles, for FS301 (hook never removed).
//
// A registration is a Call `recv.M(...)` where M is one of register_forward_hook,
// register_forward_pre_hook, register_full_backward_hook, register_full_backward_pre_hook,
// register_backward_hook, register_hook (tensor hooks), and the call runs no in-repo function
// (DefUse::TargetsAt is empty: the receiver is external or of unknown type; a user class that
// defines its own `register_hook` method is not a torch hook). Calls of the module-global
// `torch.nn.modules.module.register_module_forward_hook` and friends count too (matched on the
// resolved qualified name's last segment).
//
// For each registration the handle (the call's value) is followed:
//   - result_unused: the value has no use at all (`m.register_forward_hook(f)` as a statement);
//   - dropped_on_some_path: some path from the call to a normal `return` of its function passes
//     no instruction that keeps the handle (stores it, puts it in a container, passes it on,
//     returns it, calls a method on it, enters it as a context manager), following phis; when it is
//     returned, the callers' results are checked the same way (bounded depth). Paths that leave
//     by an exception do not count.
//   - stored / returned: some use keeps it in a location or container / returns it;
//   - removed: a value-flow walk (value_flow.h: through locals, containers iterated later,
//     attributes, globals, arguments into callees, returns into callers) reaches a `.remove()` of
//     it (also `h.remove` passed as a callback, `RemovableHandle.remove(h)`), or a `with h:`.
//     A `@contextmanager` that registers, yields and removes in `finally` is removed this way.
// FS301 fires when dropped_on_some_path || !removed.
//
// Does NOT model: removal through `model._forward_hooks.clear()` or
// `torch.nn.utils.parametrize`-style helpers, handles kept in external objects, whether the code
// that calls `.remove()` is itself ever run.
#ifndef FLOPSCOPE_DATAFLOW_SUPPORT_HOOK_HANDLES_H_
#define FLOPSCOPE_DATAFLOW_SUPPORT_HOOK_HANDLES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataflow/support/value_flow.h"
#include "dataflow/support/def_use.h"

namespace flopscope::dataflow::support {

struct HookRegistration {
  ValueRef site;       // the register_* Call
  std::string method;  // "register_forward_hook", ...
  bool result_unused = false;
  bool dropped_on_some_path = false;
  ValueRef dropped_in;  // the value dropped: the handle itself, or a caller's call result
  bool stored = false;
  bool returned = false;
  bool removed = false;
  ValueRef remove_site;            // the `.remove` attribute load or the WithEnter, when removed
  std::vector<FlowHop> remove_path;  // handle -> remove_site, start first
  bool budget_exhausted = false;   // the removal walk was cut short (then removed == true, to
                                   // stay silent rather than guess)
};

class HookHandles {
 public:
  // Finds and classifies every registration of the program (one bounded walk per site).
  explicit HookHandles(const DefUse& du);

  const std::vector<HookRegistration>& Registrations() const { return registrations_; }
  // The registration at `site`, or null.
  const HookRegistration* At(ValueRef site) const;

  static bool IsRegistrationMethod(absl::string_view name);

 private:
  bool IsRegistration(ValueRef call, std::string* method) const;
  void Classify(HookRegistration& reg) const;
  // Whether some normal path from `value`'s definition leaves fn without a keeping use; recurses
  // into callers when the value is returned. `depth` bounds the recursion.
  bool DroppedOnSomePath(ValueRef value, int depth, ValueRef* dropped_in, bool* stored,
                         bool* returned) const;
  void FindRemoval(HookRegistration& reg) const;

  const DefUse& du_;
  std::vector<HookRegistration> registrations_;
  absl::flat_hash_map<ValueRef, size_t> by_site_;
};

}  // namespace flopscope::dataflow::support

#endif  // FLOPSCOPE_DATAFLOW_SUPPORT_HOOK_HANDLES_H_
