// The dataflow support units over the whole installed CPython standard library: every unit is
// built for the full program and a sample of queries runs on it, with no crash, within a time
// budget that scales with the program, and with facts the stdlib is known to have (it calls
// `.remove()` on nothing we register; it has loops and call paths).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "dataflow/support/backward_reach.h"
#include "dataflow/support/call_paths.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/exclusive_branches.h"
#include "dataflow/support/hook_handles.h"
#include "dataflow/support/liveness.h"
#include "dataflow/support/value_flow.h"
#include "driver/pipeline.h"
#include "gtest/gtest.h"

namespace flopscope::dataflow::support {
namespace {

constexpr char kStdlib[] = "/usr/lib/python3.11";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(SupportStdlibTest, AllUnitsRunOverTheStdlib) {
  if (!std::filesystem::is_directory(kStdlib)) GTEST_SKIP() << kStdlib << " is not installed";
  driver::PipelineOptions options;
  options.jobs = 2;
  driver::Pipeline pipeline(options);
  ASSERT_TRUE(pipeline.Run({kStdlib}).ok());
  const ir::Program& program = pipeline.program();
  double base = 0;
  for (const driver::PhaseStat& phase : pipeline.stats().phases) {
    base += std::chrono::duration<double>(phase.wall).count();
  }

  auto t0 = std::chrono::steady_clock::now();
  const DefUse du(program, pipeline.resolver(), pipeline.call_graph());
  const double def_use_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  const BackwardReach reach(du);
  const HookHandles hooks(du);
  const CallPaths paths(program, pipeline.call_graph());
  const double build_s = Seconds(t0);

  // A deterministic sample of calls: every 97th call instruction of the program.
  std::vector<ValueRef> calls;
  size_t seen = 0;
  for (const ir::Function& fn : program.functions()) {
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        if (fn.instr(id).op == ir::Opcode::kCall && seen++ % 97 == 0) calls.push_back({fn.id, id});
      }
    }
  }
  ASSERT_GT(calls.size(), 100u);
  t0 = std::chrono::steady_clock::now();
  double paths_s = 0, loops_s = 0, reach_s = 0;
  size_t with_paths = 0, in_loops = 0, reaching = 0, exclusive = 0, held = 0;
  const ExclusiveBranches branches(du);
  const Liveness liveness(du);
  for (size_t i = 0; i < calls.size(); ++i) {
    const ValueRef c = calls[i];
    auto q0 = std::chrono::steady_clock::now();
    const std::vector<CallPath> found = paths.PathsTo(c.fn, c.value);
    paths_s += Seconds(q0);
    with_paths += !found.empty();
    for (const CallPath& path : found) {
      EXPECT_LE(path.size(), PathLimits{}.max_depth);
      EXPECT_EQ(path.back().fn, c.fn);
    }
    q0 = std::chrono::steady_clock::now();
    in_loops += paths.EnclosingLoop(c.fn, c.value).has_value();
    loops_s += Seconds(q0);
    q0 = std::chrono::steady_clock::now();
    reaching += reach.ReachesBackward(c).has_value();
    reach_s += Seconds(q0);
    if (i > 0 && calls[i - 1].fn == c.fn) {
      exclusive += branches.ExclusiveInOneRun(c.fn, calls[i - 1].value, c.value);
      held += liveness.HeldAt(calls[i - 1], c.value).has_value();
    }
  }
  const double query_s = Seconds(t0);
  // The raw walk with every derivation, as a program that does call backward would run it: each
  // query stays within its state budget.
  t0 = std::chrono::steady_clock::now();
  FlowOptions all;
  all.derive = kDeriveAll;
  size_t truncated = 0, states = 0;
  for (size_t i = 0; i < calls.size(); i += 8) {
    const FlowResult r = ExploreFlow(du, {FlowNode::Value(calls[i])}, all, nullptr);
    EXPECT_LE(r.states.size(), all.max_states);
    truncated += r.truncated;
    states += r.states.size();
  }
  const double walk_s = Seconds(t0);
  std::cout << "stdlib value flow: " << (calls.size() + 7) / 8 << " walks, " << states
            << " states, " << truncated << " hit the budget, " << walk_s << " s\n";
  std::cout << "stdlib support: " << program.functions().size() << " functions; def-use "
            << def_use_s << " s, backward+hooks+paths " << build_s << " s, " << calls.size()
            << " sampled queries " << query_s << " s (paths " << paths_s << ", loops " << loops_s
            << ", backward " << reach_s << "; pipeline " << base << " s); "
            << with_paths << " with paths, " << in_loops << " in loops, " << reaching
            << " reach backward, " << exclusive << " exclusive pairs, " << held << " held, "
            << hooks.Registrations().size() << " hook registrations\n";
  EXPECT_EQ(with_paths, calls.size());  // every instruction has at least the trivial path
  EXPECT_GT(in_loops, 0u);
  EXPECT_GT(exclusive, 0u);
  // Linear-time units: far below the cost of building the program itself.
  EXPECT_LT(def_use_s + build_s, base + 30);
}

}  // namespace
}  // namespace flopscope::dataflow::support
