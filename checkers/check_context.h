// What a checker may read: the whole Program, name resolution, the call graph and, built lazily on
// first request and then shared by every checker, the dataflow analysis. The context owns none of
// the IR objects; the driver builds them once and keeps them alive while checkers run.
//
// The dataflow objects are only forward-declared, so this header stays light;
// check_context_dataflow.cc builds each on first request (dataflow::Analysis::Build and the
// support units) and caches it.
//
// Users: every checker; the driver constructs one per run.
#ifndef FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_
#define FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_

#include <memory>
#include <mutex>
#include <string>

#include "checkers/diagnostic.h"
#include "ir/ir.h"

namespace flopscope::ir {
class Resolver;
class CallGraph;
}  // namespace flopscope::ir

namespace flopscope::dataflow {
class Analysis;
}  // namespace flopscope::dataflow

namespace flopscope::dataflow::support {
class DefUse;
class CallPaths;
class BackwardReach;
class HookHandles;
class ExclusiveBranches;
class Liveness;
}  // namespace flopscope::dataflow::support

namespace flopscope::checkers {

class CheckContext {
 public:
  // All three must outlive the context. `resolver` and `call_graph` must describe `program`.
  CheckContext(const ir::Program& program, const ir::Resolver& resolver,
               const ir::CallGraph& call_graph);
  ~CheckContext();
  CheckContext(const CheckContext&) = delete;
  CheckContext& operator=(const CheckContext&) = delete;

  const ir::Program& program() const { return program_; }
  const ir::Resolver& resolver() const { return resolver_; }
  const ir::CallGraph& call_graph() const { return call_graph_; }

  // The interprocedural abstract interpretation (device, dtype, grad state, model identity and
  // their provenance), computed on first call with default options and cached; thread-safe.
  const dataflow::Analysis& analysis() const;

  // The support units of dataflow/support/, each built on first call and cached; thread-safe.
  // Defined in check_context_dataflow.cc. The objects live as long as the context.
  const dataflow::support::DefUse& def_use() const;
  const dataflow::support::CallPaths& call_paths() const;
  const dataflow::support::BackwardReach& backward_reach() const;
  const dataflow::support::HookHandles& hook_handles() const;
  const dataflow::support::ExclusiveBranches& exclusive_branches() const;
  const dataflow::support::Liveness& liveness() const;

  // --- Helpers that turn IR positions into report locations. ---

  // The location of instruction `instr` of function `fn`: its module's path and the instruction's
  // range.
  Location LocationOf(ir::FuncId fn, ir::InstrId instr) const;
  // The location of a whole function definition (its `def` line range).
  Location LocationOfFunction(ir::FuncId fn) const;
  // "pkg.models.Loader.load" (module name + the function's qualname); the module name for a
  // module body. Used as Diagnostic::logical_location.
  std::string QualifiedName(ir::FuncId fn) const;
  // What users call the function in a call path step: its qualname ("Loader.load", "sweep"), or
  // "<module>" for a module body.
  std::string DisplayName(ir::FuncId fn) const;

 private:
  const ir::Program& program_;
  const ir::Resolver& resolver_;
  const ir::CallGraph& call_graph_;

  // Lazily built dataflow state; see analysis(). shared_ptrs: each deleter is captured where the
  // object is created, so this header never needs the complete types. Every builder also holds
  // `build_mu_`, because they all query the Resolver, whose caches are not thread-safe. A builder
  // obtains the units it depends on before taking the lock, so no thread waits on a once_flag
  // while holding it.
  mutable std::mutex build_mu_;
  mutable std::once_flag analysis_once_;
  mutable std::shared_ptr<const dataflow::Analysis> analysis_;
  // Declared before its users so it is destroyed after them.
  mutable std::once_flag def_use_once_;
  mutable std::shared_ptr<const dataflow::support::DefUse> def_use_;
  mutable std::once_flag call_paths_once_;
  mutable std::shared_ptr<const dataflow::support::CallPaths> call_paths_;
  mutable std::once_flag backward_reach_once_;
  mutable std::shared_ptr<const dataflow::support::BackwardReach> backward_reach_;
  mutable std::once_flag hook_handles_once_;
  mutable std::shared_ptr<const dataflow::support::HookHandles> hook_handles_;
  mutable std::once_flag exclusive_branches_once_;
  mutable std::shared_ptr<const dataflow::support::ExclusiveBranches> exclusive_branches_;
  mutable std::once_flag liveness_once_;
  mutable std::shared_ptr<const dataflow::support::Liveness> liveness_;
};

}  // namespace flopscope::checkers

#endif  // FLOPSCOPE_CHECKERS_CHECK_CONTEXT_H_
