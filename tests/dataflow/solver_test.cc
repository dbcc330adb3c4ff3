// The generic intraprocedural solver on hand-built IR: loops converge (with widening), values
// flow through phis across back edges, unreachable blocks stay Bottom, and the visit budget
// stops a problem that never stabilises.
#include "dataflow/solver.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "dataflow/lattice.h"
#include "gtest/gtest.h"
#include "ir/ir.h"

namespace flopscope::dataflow {
namespace {

using ir::BlockId;
using ir::InstrId;
using ir::Opcode;

// Sparse "which integers may this value be" facts; the flow state is plain reachability.
class IntSetProblem {
 public:
  using State = BitSetDomain<1>;
  using Ints = BoundedSet<int32_t, 4>;

  explicit IntSetProblem(const ir::Function& fn, bool diverge = false)
      : fn_(fn), values_(fn.instrs.size(), Ints::Bottom()), diverge_(diverge) {}

  State EntryState() { return State::Top(); }

  State TransferBlock(BlockId b, const State& in, int visits, std::vector<InstrId>& changed) {
    for (InstrId id : fn_.block(b).instrs) {
      const ir::Instr& instr = fn_.instr(id);
      Ints next = Ints::Bottom();
      switch (instr.op) {
        case Opcode::kConst: {
          int32_t v = 0;
          next = absl::SimpleAtoi(instr.text, &v) ? Ints::Of(v) : Ints::Top();
          break;
        }
        case Opcode::kPhi:
          for (InstrId op : instr.operands) next = next.Join(values_[op.index()]);
          break;
        case Opcode::kBinaryOp: {
          const Ints& a = values_[instr.operands[0].index()];
          const Ints& c = values_[instr.operands[1].index()];
          if (a.IsTop() || c.IsTop()) {
            next = Ints::Top();
            break;
          }
          for (int32_t x : a.elements()) {
            for (int32_t y : c.elements()) next = next.Join(Ints::Of(x + y));
          }
          break;
        }
        default:
          continue;
      }
      const Ints old = values_[id.index()];
      if (diverge_) next = Ints::Of(visits);  // never stable: exercises the budget
      const Ints merged = diverge_ ? next : old.Join(next);
      if (!(merged == old)) {
        values_[id.index()] = merged;
        changed.push_back(id);
      }
    }
    return in;
  }

  const Ints& value(InstrId id) const { return values_[id.index()]; }

 private:
  const ir::Function& fn_;
  std::vector<Ints> values_;
  bool diverge_;
};

struct LoopFunction {
  ir::Function fn;
  BlockId entry, header, body, exit, dead;
  InstrId zero, phi, sum, dead_const;
};

// entry: zero = 0; jump header
// header: phi(zero from entry, sum from body); branch -> body / exit
// body: sum = phi + 1; jump header
// exit: return phi          dead: (no predecessors) 7
LoopFunction MakeLoop() {
  LoopFunction f;
  ir::FunctionBuilder b(f.fn);
  f.entry = b.NewBlock();
  f.header = b.NewBlock();
  f.body = b.NewBlock();
  f.exit = b.NewBlock();
  f.dead = b.NewBlock();
  f.fn.entry = f.entry;
  const ir::SourceRange r{1, 1, 1, 2};
  b.SetInsertBlock(f.entry);
  f.zero = b.EmitConst(ir::ConstKind::kInt, "0", r);
  b.EmitJump(f.header, r);
  b.SetInsertBlock(f.header);
  f.phi = b.Emit(Opcode::kPhi, r);
  b.EmitBranch(f.phi, f.body, f.exit, r);
  b.SetInsertBlock(f.body);
  const InstrId one = b.EmitConst(ir::ConstKind::kInt, "1", r);
  f.sum = b.Emit(Opcode::kBinaryOp, r, {f.phi, one}, "+");
  b.EmitJump(f.header, r);
  f.fn.instr(f.phi).operands = {f.zero, f.sum};
  f.fn.instr(f.phi).targets = {f.entry, f.body};
  b.SetInsertBlock(f.exit);
  b.Emit(Opcode::kReturn, r, {f.phi});
  b.SetInsertBlock(f.dead);
  f.dead_const = b.EmitConst(ir::ConstKind::kInt, "7", r);
  b.Emit(Opcode::kReturn, r, {f.dead_const});
  ir::ComputeCfg(f.fn);
  return f;
}

TEST(SolverTest, CfgOrderFindsLoopHeaderAndSkipsUnreachable) {
  const LoopFunction f = MakeLoop();
  const CfgOrder order = ComputeCfgOrder(f.fn);
  ASSERT_EQ(order.rpo.size(), 4u);
  EXPECT_EQ(order.rpo.front(), f.entry);
  EXPECT_TRUE(order.is_loop_header[f.header.index()]);
  EXPECT_FALSE(order.is_loop_header[f.body.index()]);
  EXPECT_EQ(order.rpo_index[f.dead.index()], -1);
  ASSERT_EQ(order.users[f.sum.index()].size(), 1u);
  EXPECT_EQ(order.users[f.sum.index()][0], f.header);
}

TEST(SolverTest, LoopValuesGrowUntilStableAndDeadBlocksStayBottom) {
  const LoopFunction f = MakeLoop();
  const CfgOrder order = ComputeCfgOrder(f.fn);
  IntSetProblem problem(f.fn);
  const auto result = Solve(f.fn, order, problem);
  EXPECT_TRUE(result.converged);
  // i = 0, 1, 2, 3, ... exceeds the bound of 4 elements: Top, which is stable.
  EXPECT_TRUE(problem.value(f.phi).IsTop());
  EXPECT_TRUE(problem.value(f.zero).IsSingleton());
  EXPECT_TRUE(problem.value(f.dead_const).IsBottom());
  EXPECT_TRUE(result.in[f.dead.index()].IsBottom());
  EXPECT_FALSE(result.in[f.exit.index()].IsBottom());
}

TEST(SolverTest, BudgetStopsADivergingProblem) {
  const LoopFunction f = MakeLoop();
  const CfgOrder order = ComputeCfgOrder(f.fn);
  IntSetProblem problem(f.fn, /*diverge=*/true);
  SolverOptions options;
  options.max_visits_per_block = 10;
  const auto result = Solve(f.fn, order, problem, options);
  EXPECT_FALSE(result.converged);
  EXPECT_LE(result.block_visits, 4 * 10 + 4);
}

}  // namespace
}  // namespace flopscope::dataflow
