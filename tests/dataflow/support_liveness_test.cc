#include "dataflow/support/liveness.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using testing::SupportProgram;

constexpr char kModels[] = R"py(
from transformers import AutoModel

def compare():
    a = AutoModel.from_pretrained("a")
    b = AutoModel.from_pretrained("b")
    return score(a, b)

def sequential():
    a = AutoModel.from_pretrained("a")
    ra = score(a)
    del a
    b = AutoModel.from_pretrained("b")
    return ra, score(b)

def rebinding(names):
    for n in names:
        m = AutoModel.from_pretrained(n)
        score(m)

def kept(names):
    models = []
    for n in names:
        models.append(AutoModel.from_pretrained(n))
    return models

def carried(names):
    prev = None
    for n in names:
        m = AutoModel.from_pretrained(n)
        if prev is not None:
            score(prev, m)
        prev = m

def load(name):
    return AutoModel.from_pretrained(name).to("cuda")

def via_helper():
    a = load("a")
    b = load("b")
    score(a, b)

class Holder:
    def setup(self):
        self.base = AutoModel.from_pretrained("a")
        other = AutoModel.from_pretrained("b")
        return score(other)

def given(model):
    other = AutoModel.from_pretrained("b")
    return score(other)

def score(*ms):
    return 0

def last_still_bound(names):
    for n in names:
        m = AutoModel.from_pretrained(n)
        score(m)
    judge = AutoModel.from_pretrained("j")
    return score(judge)

def last_deleted(names):
    for n in names:
        m = AutoModel.from_pretrained(n)
        score(m)
    del m
    judge = AutoModel.from_pretrained("j")
    return score(judge)

def deleted_in_body(names):
    for n in names:
        m = AutoModel.from_pretrained(n)
        score(m)
        del m
    judge = AutoModel.from_pretrained("j")
    return score(judge)

def rebound_by_load():
    m = AutoModel.from_pretrained("a")
    score(m)
    m = AutoModel.from_pretrained("b")
    return score(m)

import functools
@functools.lru_cache(maxsize=None)
def cached(name):
    return AutoModel.from_pretrained(name)

def cache_then_direct():
    score(cached("a"))
    other = AutoModel.from_pretrained("b")
    return score(other)

def cache_hit():
    score(cached("a"))
    return score(cached("a"))

def cached_sweep(names):
    for n in names:
        score(cached(n))

def cached_same(batches):
    for b in batches:
        score(cached("a"), b)
)py";

class SupportLivenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = SupportProgram::Load({{"m", kModels}});
    ASSERT_NE(p_, nullptr);
    live_ = std::make_unique<Liveness>(*p_->du);
    for (const ir::Function& fn : p_->program.functions()) {
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          const ir::Instr& instr = fn.instr(id);
          if (instr.op == ir::Opcode::kCall && !instr.operands.empty() &&
              fn.instr(instr.operands[0]).text == "from_pretrained") {
            models_.push_back(ValueRef{fn.id, id});
          }
        }
      }
    }
    overlaps_ = live_->FindOverlaps(models_, {p_->Func("cached")});
  }
  ValueRef Load(const std::string& fn, uint32_t line) {
    return p_->Call(p_->Func(fn), line, "from_pretrained");
  }
  std::vector<const Liveness::Overlap*> In(const std::string& fn) {
    std::vector<const Liveness::Overlap*> out;
    for (const Liveness::Overlap& o : overlaps_) {
      if (o.point.caller == p_->Func(fn)) out.push_back(&o);
    }
    return out;
  }
  std::unique_ptr<SupportProgram> p_;
  std::unique_ptr<Liveness> live_;
  std::vector<ValueRef> models_;
  std::vector<Liveness::Overlap> overlaps_;
};

TEST_F(SupportLivenessTest, BothUsedAfterSecondLoad) {
  const auto found = In("compare");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->first, Load("compare", 5));
  EXPECT_EQ(found[0]->second, Load("compare", 6));
  EXPECT_EQ(found[0]->holder.kind, Liveness::HolderKind::kUse);
  EXPECT_FALSE(found[0]->across_iterations);
}

TEST_F(SupportLivenessTest, SequentialAndRebindingAreFine) {
  EXPECT_TRUE(In("sequential").empty());
  EXPECT_TRUE(In("rebinding").empty());
  EXPECT_FALSE(live_->HeldAcrossIterations(Load("rebinding", 18)).has_value());
}

TEST_F(SupportLivenessTest, KeptInContainerAcrossIterations) {
  const auto found = In("kept");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0]->across_iterations);
  EXPECT_EQ(found[0]->holder.kind, Liveness::HolderKind::kContainer);
}

TEST_F(SupportLivenessTest, CarriedByPhiAcrossIterations) {
  const std::optional<Liveness::Holder> h = live_->HeldAcrossIterations(Load("carried", 30));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kind, Liveness::HolderKind::kUse);
}

TEST_F(SupportLivenessTest, LiftedThroughLoaderHelper) {
  const auto found = In("via_helper");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->first, p_->Call(p_->Func("via_helper"), 39, "load"));
  EXPECT_EQ(found[0]->point.site, p_->Call(p_->Func("via_helper"), 40, "load").value);
  EXPECT_EQ(found[0]->second, Load("load", 36));
}

TEST_F(SupportLivenessTest, AttributeAndCallerHold) {
  const auto in_setup = In("Holder.setup");
  ASSERT_EQ(in_setup.size(), 1u);
  EXPECT_EQ(in_setup[0]->holder.kind, Liveness::HolderKind::kLocation);
  // A parameter is held by the caller during the whole call.
  const ir::FuncId given = p_->Func("given");
  const ValueRef param{given, p_->du->ParamInstr(given, 0)};
  const std::optional<Liveness::Holder> h = live_->HeldAt(param, Load("given", 50).value);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kind, Liveness::HolderKind::kCaller);
}

TEST_F(SupportLivenessTest, AliasesFollowSelfReturningMethods) {
  const ValueRef fp = Load("load", 36);
  const std::vector<ir::InstrId> aliases = live_->Aliases(fp);
  ASSERT_EQ(aliases.size(), 2u);
  EXPECT_EQ(p_->du->instr(ValueRef{fp.fn, aliases[1]}).op, ir::Opcode::kCall);
}

TEST_F(SupportLivenessTest, NameBoundAfterLoopHoldsTheLastModel) {
  const auto found = In("last_still_bound");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->first, Load("last_still_bound", 58));
  EXPECT_EQ(found[0]->point.site, Load("last_still_bound", 60).value);
  EXPECT_EQ(found[0]->holder.kind, Liveness::HolderKind::kName);
  EXPECT_EQ(found[0]->holder.name, "m");
}

TEST_F(SupportLivenessTest, DelEndsTheName) {
  EXPECT_TRUE(In("last_deleted").empty());
  EXPECT_TRUE(In("deleted_in_body").empty());
}

TEST_F(SupportLivenessTest, RebindingByTheLoadItselfIsNotCounted) {
  EXPECT_TRUE(In("rebound_by_load").empty());
}

TEST_F(SupportLivenessTest, MemoizedLoaderKeepsItsResult) {
  const auto found = In("cache_then_direct");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->holder.kind, Liveness::HolderKind::kCache);
  EXPECT_EQ(found[0]->holder.name, "cached");
  EXPECT_EQ(found[0]->point.site, Load("cache_then_direct", 92).value);
  // The same memoized call again is a cache hit, not a second model.
  EXPECT_TRUE(In("cache_hit").empty());
}

TEST_F(SupportLivenessTest, MemoizedLoaderInALoopKeepsOneModelPerNewArgument) {
  const auto sweep = In("cached_sweep");
  ASSERT_EQ(sweep.size(), 1u);
  EXPECT_TRUE(sweep[0]->across_iterations);
  EXPECT_EQ(sweep[0]->holder.kind, Liveness::HolderKind::kCache);
  EXPECT_TRUE(In("cached_same").empty());
}

}  // namespace
}  // namespace flopscope::dataflow::support
