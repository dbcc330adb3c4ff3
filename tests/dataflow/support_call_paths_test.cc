#include "dataflow/support/call_paths.h"

#include "dataflow/support/exclusive_branches.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using testing::SupportProgram;

constexpr char kModels[] = R"py(
from transformers import AutoModel

def load(name):
    return AutoModel.from_pretrained(name)
)py";

constexpr char kExperiments[] = R"py(
import models

def layer_sweep(layers):
    for layer in layers:
        m = models.load("gpt2")
        probe(m, layer)

def probe(m, layer):
    return m(layer)

def single():
    return models.load("gpt2")

def rec(n):
    if n:
        rec(n - 1)
    return models.load("x")

if __name__ == "__main__":
    layer_sweep([1, 2])
    single()
)py";

std::string Render(const SupportProgram& p, const CallPaths& paths, const CallPath& path) {
  std::string out;
  for (const PathStep& step : path) {
    if (!out.empty()) out += " | ";
    out += paths.Describe(step);
  }
  return out;
}

TEST(SupportCallPathsTest, ShortestPathsFromEntries) {
  auto p = SupportProgram::Load({{"models", kModels}, {"experiments", kExperiments}});
  ASSERT_NE(p, nullptr);
  const CallPaths paths(p->program, *p->calls);
  const ir::FuncId load = p->Func("load", "models");
  const ValueRef fp = p->Call(load, 5, "from_pretrained");
  EXPECT_TRUE(paths.IsEntry(p->Func("experiments")));
  EXPECT_FALSE(paths.IsEntry(load));
  EXPECT_TRUE(paths.IsEntry(p->Func("rec")));  // only calls itself: nothing outside calls it
  const std::vector<CallPath> all = paths.PathsTo(load, fp.value);
  ASSERT_EQ(all.size(), 3u);
  // Shortest first: module -> single -> load and rec -> load have 3 and 2 steps.
  EXPECT_EQ(all[0].size(), 2u);
  EXPECT_EQ(all[0][0].fn, p->Func("rec"));
  EXPECT_EQ(all[1].size(), 3u);
  EXPECT_EQ(all[2].size(), 3u);
  std::vector<std::string> rendered;
  for (const CallPath& path : all) rendered.push_back(Render(*p, paths, path));
  EXPECT_THAT(rendered,
              ::testing::Contains(
                  "in experiments(): calls experiments.layer_sweep() | in "
                  "experiments.layer_sweep(): calls models.load() | in models.load(): calls "
                  "transformers.AutoModel.from_pretrained()"));
  // Limits are honoured.
  EXPECT_EQ(paths.PathsTo(load, fp.value, PathLimits{8, 1}).size(), 1u);
  for (const CallPath& path : paths.PathsTo(load, fp.value, PathLimits{2, 32})) {
    EXPECT_LE(path.size(), 2u);
  }
}

TEST(SupportCallPathsTest, LoopThroughCallers) {
  auto p = SupportProgram::Load({{"models", kModels}, {"experiments", kExperiments}});
  ASSERT_NE(p, nullptr);
  const CallPaths paths(p->program, *p->calls);
  const ir::FuncId load = p->Func("load", "models");
  const ValueRef fp = p->Call(load, 5, "from_pretrained");
  EXPECT_FALSE(paths.LoopAround(load, fp.value).valid());
  const std::optional<LoopContext> loop = paths.EnclosingLoop(load, fp.value);
  ASSERT_TRUE(loop.has_value());
  EXPECT_EQ(loop->fn, p->Func("layer_sweep"));
  EXPECT_EQ(loop->path[loop->step].fn, p->Func("layer_sweep"));
  EXPECT_EQ(p->program.function(loop->fn).loops[loop->loop.index()].range.line, 5u);
  EXPECT_EQ(paths.EnclosingLoops(load, fp.value).size(), 1u);
  // probe's call of m() is in the loop through layer_sweep's call of probe.
  const ir::FuncId probe = p->Func("probe");
  const std::optional<LoopContext> in_probe = paths.EnclosingLoop(probe, p->Call(probe, 10, "m").value);
  ASSERT_TRUE(in_probe.has_value());
  EXPECT_EQ(in_probe->fn, p->Func("layer_sweep"));
  // single() is never in a loop.
  const ir::FuncId single = p->Func("single");
  EXPECT_FALSE(paths.EnclosingLoop(single, p->Call(single, 13, "load").value).has_value());
}

constexpr char kBranches[] = R"py(
import argparse
from transformers import AutoModel

def load_a():
    return AutoModel.from_pretrained("a")

def load_b():
    return AutoModel.from_pretrained("a")

def pick(args):
    if args.model == "a":
        m = load_a()
    elif args.model == "b":
        m = load_b()
    else:
        m = None
    return m

def both():
    x = load_a()
    y = load_b()
    return x, y

def sweep(args, names):
    for n in names:
        if args.model == "a":
            load_a()
        else:
            load_b()

def varying(names):
    for n in names:
        if n == "a":
            load_a()
        else:
            load_b()

def by_param(name):
    if name == "a":
        load_a()
    else:
        load_b()

def outer(names):
    for n in names:
        by_param(n)

def guarded():
    try:
        load_a()
    except OSError:
        load_b()
)py";

class SupportExclusiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = SupportProgram::Load({{"m", kBranches}});
    ASSERT_NE(p_, nullptr);
    ex_ = std::make_unique<ExclusiveBranches>(*p_->du);
    a_ = p_->Func("load_a");
    b_ = p_->Func("load_b");
    fa_ = p_->Call(a_, 6, "from_pretrained").value;
    fb_ = p_->Call(b_, 9, "from_pretrained").value;
  }
  // Path root -> (fn, call site of load_x on line) -> load_x's from_pretrained.
  CallPath Via(const std::vector<std::pair<std::string, uint32_t>>& calls, const std::string& last) {
    CallPath path;
    for (const auto& [fn, line] : calls) {
      const ir::FuncId f = p_->Func(fn);
      const ir::Instr* found = nullptr;
      ir::InstrId site;
      for (const ir::Block& block : p_->program.function(f).blocks) {
        for (ir::InstrId id : block.instrs) {
          const ir::Instr& instr = p_->program.function(f).instr(id);
          if (instr.op == ir::Opcode::kCall && instr.range.line == line && found == nullptr) {
            found = &instr;
            site = id;
          }
        }
      }
      EXPECT_NE(found, nullptr) << fn << ":" << line;
      path.push_back(PathStep{f, site});
    }
    path.push_back(last == "a" ? PathStep{a_, fa_} : PathStep{b_, fb_});
    return path;
  }
  std::unique_ptr<SupportProgram> p_;
  std::unique_ptr<ExclusiveBranches> ex_;
  ir::FuncId a_, b_;
  ir::InstrId fa_, fb_;
};

TEST_F(SupportExclusiveTest, IfElifArmsAreExclusive) {
  const CallPath a = Via({{"pick", 13}}, "a");
  const CallPath b = Via({{"pick", 15}}, "b");
  EXPECT_TRUE(ex_->MutuallyExclusive(a, b));
  EXPECT_TRUE(ex_->MutuallyExclusive(b, a));
  const auto decision = ex_->Decide(a, b);
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(p_->program.function(decision->fn).instr(decision->branch).range.line, 12u);
}

TEST_F(SupportExclusiveTest, SequentialCallsAreNot) {
  EXPECT_FALSE(ex_->MutuallyExclusive(Via({{"both", 21}}, "a"), Via({{"both", 22}}, "b")));
  EXPECT_FALSE(ex_->MutuallyExclusive(Via({{"guarded", 51}}, "a"), Via({{"guarded", 53}}, "b")));
}

TEST_F(SupportExclusiveTest, LoopWithInvariantConditionStaysExclusive) {
  EXPECT_TRUE(ex_->MutuallyExclusive(Via({{"sweep", 28}}, "a"), Via({{"sweep", 30}}, "b")));
  EXPECT_FALSE(ex_->MutuallyExclusive(Via({{"varying", 35}}, "a"), Via({{"varying", 37}}, "b")));
}

TEST_F(SupportExclusiveTest, ConditionOnParameterFollowsTheCaller) {
  // by_param alone (root) decides once.
  EXPECT_TRUE(ex_->MutuallyExclusive(Via({{"by_param", 41}}, "a"), Via({{"by_param", 43}}, "b")));
  // Called per name from outer's loop: both run.
  EXPECT_FALSE(ex_->MutuallyExclusive(Via({{"outer", 47}, {"by_param", 41}}, "a"),
                                      Via({{"outer", 47}, {"by_param", 43}}, "b")));
}

TEST_F(SupportExclusiveTest, PrefixPathsAndDifferentRootsAreNot) {
  const CallPath a = Via({{"pick", 13}}, "a");
  CallPath prefix(a.begin(), a.begin() + 1);
  EXPECT_FALSE(ex_->MutuallyExclusive(prefix, a));
  EXPECT_FALSE(ex_->MutuallyExclusive(a, Via({{"both", 22}}, "b")));
  EXPECT_FALSE(ex_->MutuallyExclusive(CallPath{}, a));
}

}  // namespace
}  // namespace flopscope::dataflow::support
