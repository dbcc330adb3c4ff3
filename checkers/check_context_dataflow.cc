// CheckContext's lazily built dataflow facts: the interprocedural Analysis and the support units
// of dataflow/support/. Each is built on first request under its own once_flag and then shared by
// every checker, so ten checkers asking for the analysis trigger one fixpoint. Builders serialize
// on build_mu_ because they all query the (not thread-safe) Resolver.
#include <memory>
#include <mutex>

#include "checkers/check_context.h"
#include "dataflow/analysis.h"
#include "dataflow/support/backward_reach.h"
#include "dataflow/support/call_paths.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/exclusive_branches.h"
#include "dataflow/support/hook_handles.h"
#include "dataflow/support/liveness.h"

namespace flopscope::checkers {

using dataflow::support::BackwardReach;
using dataflow::support::CallPaths;
using dataflow::support::DefUse;
using dataflow::support::ExclusiveBranches;
using dataflow::support::HookHandles;
using dataflow::support::Liveness;

const dataflow::Analysis& CheckContext::analysis() const {
  std::call_once(analysis_once_, [this] {
    std::lock_guard<std::mutex> lock(build_mu_);
    analysis_ = dataflow::Analysis::Build(program_, resolver_, call_graph_);
  });
  return *analysis_;
}

const DefUse& CheckContext::def_use() const {
  std::call_once(def_use_once_, [this] {
    std::lock_guard<std::mutex> lock(build_mu_);
    def_use_ = std::make_shared<const DefUse>(program_, resolver_, call_graph_);
  });
  return *def_use_;
}

const CallPaths& CheckContext::call_paths() const {
  std::call_once(call_paths_once_, [this] {
    std::lock_guard<std::mutex> lock(build_mu_);
    call_paths_ = std::make_shared<const CallPaths>(program_, call_graph_);
  });
  return *call_paths_;
}

const BackwardReach& CheckContext::backward_reach() const {
  std::call_once(backward_reach_once_, [this] {
    const DefUse& du = def_use();
    std::lock_guard<std::mutex> lock(build_mu_);
    backward_reach_ = std::make_shared<const BackwardReach>(du);
  });
  return *backward_reach_;
}

const HookHandles& CheckContext::hook_handles() const {
  std::call_once(hook_handles_once_, [this] {
    const DefUse& du = def_use();
    std::lock_guard<std::mutex> lock(build_mu_);
    hook_handles_ = std::make_shared<const HookHandles>(du);
  });
  return *hook_handles_;
}

const ExclusiveBranches& CheckContext::exclusive_branches() const {
  std::call_once(exclusive_branches_once_, [this] {
    const DefUse& du = def_use();
    std::lock_guard<std::mutex> lock(build_mu_);
    exclusive_branches_ = std::make_shared<const ExclusiveBranches>(du);
  });
  return *exclusive_branches_;
}

const Liveness& CheckContext::liveness() const {
  std::call_once(liveness_once_, [this] {
    const DefUse& du = def_use();
    std::lock_guard<std::mutex> lock(build_mu_);
    liveness_ = std::make_shared<const Liveness>(du);
  });
  return *liveness_;
}

}  // namespace flopscope::checkers
