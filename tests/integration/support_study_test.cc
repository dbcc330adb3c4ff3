// The dataflow support units on a small multi-module study (tests/fixtures/support/study):
// config -> models (a loader with a default checkpoint) -> hooks (handles kept in a module global
// and removed by another function) -> experiments (an argparse branch choosing the load, a training
// and a probing path). Facts must cross module boundaries.
#include <memory>
#include <string>

#include "dataflow/support/backward_reach.h"
#include "dataflow/support/call_paths.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/exclusive_branches.h"
#include "dataflow/support/hook_handles.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/call_graph.h"
#include "ir/resolve.h"
#include "tests/integration/testing/load_program.h"

namespace flopscope::dataflow::support {
namespace {

class SupportStudyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ir::Program> program = flopscope::testing::LoadProgram(
        std::string(FLOPSCOPE_SOURCE_DIR) + "/tests/fixtures/support/study");
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = std::make_unique<ir::Program>(*std::move(program));
    resolver_ = std::make_unique<ir::Resolver>(*program_);
    calls_ = std::make_unique<ir::CallGraph>(*program_, *resolver_);
    du_ = std::make_unique<DefUse>(*program_, *resolver_, *calls_);
  }
  void TearDown() override {
    du_.reset();
    calls_.reset();
    resolver_.reset();
  }
  ir::FuncId Fn(const std::string& name) {
    const ir::FuncId fn = flopscope::testing::FindFunction(*program_, name);
    EXPECT_TRUE(fn.valid()) << name;
    return fn;
  }
  // The only (or `nth`) call on `line` of `fn`.
  ValueRef CallAt(const std::string& fn, uint32_t line, size_t nth = 0) {
    const ir::FuncId f = Fn(fn);
    const std::vector<ir::InstrId> calls =
        flopscope::testing::CallsOnLine(program_->function(f), line);
    EXPECT_GT(calls.size(), nth) << fn << ":" << line;
    return ValueRef{f, calls.size() > nth ? calls[nth] : ir::InstrId()};
  }

  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<ir::Resolver> resolver_;
  std::unique_ptr<ir::CallGraph> calls_;
  std::unique_ptr<DefUse> du_;
};

TEST_F(SupportStudyTest, HandleKeptInImportedGlobalIsRemovedElsewhere) {
  const HookHandles hooks(*du_);
  ASSERT_EQ(hooks.Registrations().size(), 2u);
  const HookRegistration* kept = hooks.At(CallAt("hooks.attach", 10, 0));
  ASSERT_NE(kept, nullptr);
  EXPECT_FALSE(kept->dropped_on_some_path);
  EXPECT_TRUE(kept->stored);
  EXPECT_TRUE(kept->removed);
  EXPECT_EQ(kept->remove_site.fn, Fn("hooks.clear"));
  const HookRegistration* forever = hooks.At(CallAt("hooks.attach_forever", 20));
  ASSERT_NE(forever, nullptr);
  EXPECT_TRUE(forever->result_unused);
  EXPECT_FALSE(forever->removed);
}

TEST_F(SupportStudyTest, CallPathsCrossModules) {
  const CallPaths paths(*program_, *calls_);
  const ValueRef load = CallAt("models.load", 7);
  const std::vector<CallPath> found = paths.PathsTo(load.fn, load.value);
  ASSERT_EQ(found.size(), 2u);
  for (const CallPath& path : found) {
    ASSERT_EQ(path.size(), 3u);
    EXPECT_EQ(path[0].fn, Fn("experiments"));
    EXPECT_EQ(path[1].fn, Fn("experiments.run"));
    EXPECT_EQ(path[2], (PathStep{load.fn, load.value}));
  }
  EXPECT_EQ(paths.Describe(found[0][1]), "in experiments.run(): calls models.load()");
  // The two loads of run() are on the two arms of `if args.model == "a"`.
  const ExclusiveBranches branches(*du_);
  EXPECT_TRUE(branches.MutuallyExclusive(found[0], found[1]));
  // The probing forward pass runs in a loop (the comprehension's).
  const ValueRef forward = CallAt("experiments.probe.<listcomp1>", 18);
  EXPECT_TRUE(paths.EnclosingLoop(forward.fn, forward.value).has_value());
}

TEST_F(SupportStudyTest, TrainingAndProbingAreToldApart) {
  const BackwardReach reach(*du_);
  EXPECT_TRUE(reach.IsTrainingFunction(Fn("experiments.train")));
  EXPECT_TRUE(reach.IsTrainingFunction(Fn("experiments.run")));
  EXPECT_FALSE(reach.IsTrainingFunction(Fn("experiments.probe")));
  EXPECT_TRUE(reach.ReachesBackward(CallAt("experiments.train", 11)).has_value());
  EXPECT_FALSE(reach.ReachesBackward(CallAt("experiments.probe.<listcomp1>", 18)).has_value());
}

}  // namespace
}  // namespace flopscope::dataflow::support
