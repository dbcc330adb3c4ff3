#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"
#include "tests/ir/ir_test_util.h"

namespace flopscope::ir {
namespace {

using ::flopscope::ir::testing::LiveInstrs;
using ::flopscope::ir::testing::TestFunction;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

void ExpectVerified(const Function& fn) {
  const absl::Status status = Verify(fn);
  EXPECT_TRUE(status.ok()) << status << "\n" << PrintFunction(Program(), fn);
}

// x = 1; if c: x = 2;  use(x)  ->  one phi [bb0: 1], [bb1: 2]
TEST(SsaTest, DiamondGetsOnePhi) {
  TestFunction t;
  const BlockId then_b = t.NewBlock();
  const BlockId else_b = t.NewBlock();
  const BlockId join = t.NewBlock();
  const InstrId one = t.Int(1);
  t.Store("x", one);
  const InstrId cond = t.Use({}, "cond");
  t.Branch(cond, then_b, else_b);
  t.At(then_b);
  const InstrId two = t.Int(2);
  t.Store("x", two);
  t.Jump(join);
  t.At(else_b);
  t.Jump(join);
  t.At(join);
  const InstrId use = t.Use({t.Load("x")});
  t.ReturnNone();

  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_TRUE(fn.in_ssa);
  const std::vector<InstrId> phis = LiveInstrs(fn, Opcode::kPhi);
  ASSERT_EQ(phis.size(), 1u);
  const Instr& phi = fn.instr(phis[0]);
  EXPECT_EQ(phi.block, join);
  EXPECT_EQ(phi.text, "x");
  ASSERT_EQ(phi.targets.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(phi.operands[i], phi.targets[i] == then_b ? two : one);
  }
  EXPECT_THAT(fn.instr(use).operands, ElementsAre(phis[0]));
  EXPECT_THAT(LiveInstrs(fn, Opcode::kLoadVar), IsEmpty());
  EXPECT_THAT(LiveInstrs(fn, Opcode::kStoreVar), IsEmpty());
  EXPECT_THAT(LiveInstrs(fn, Opcode::kUndefined), IsEmpty());
  EXPECT_EQ(fn.block(join).instrs.front(), phis[0]);  // phis first
}

// Both branches assign, but the value is only used inside each branch: no phi survives.
TEST(SsaTest, DeadPhiIsPruned) {
  TestFunction t;
  const BlockId a = t.NewBlock();
  const BlockId b = t.NewBlock();
  const BlockId join = t.NewBlock();
  t.Branch(t.Use({}, "cond"), a, b);
  t.At(a);
  t.Store("x", t.Int(1));
  t.Use({t.Load("x")});
  t.Jump(join);
  t.At(b);
  t.Store("x", t.Int(2));
  t.Use({t.Load("x")});
  t.Jump(join);
  t.At(join);
  t.Store("x", t.Int(3));  // kills both: a phi at join would be dead
  t.Use({t.Load("x")});
  t.ReturnNone();
  BuildSsa(t.fn());
  ExpectVerified(t.fn());
  EXPECT_THAT(LiveInstrs(t.fn(), Opcode::kPhi), IsEmpty());
}

// i = 0; while c: i = i + 1; use(i)  -> phi at the header merging 0 and i+1.
TEST(SsaTest, LoopGetsHeaderPhi) {
  TestFunction t;
  const BlockId header = t.NewBlock();
  const BlockId body = t.NewBlock();
  const BlockId exit = t.NewBlock();
  const InstrId zero = t.Int(0);
  t.Store("i", zero);
  t.Store("unchanged", zero);
  t.Jump(header);
  t.At(header);
  t.Branch(t.Use({t.Load("unchanged")}, "cond"), body, exit);
  t.At(body);
  const InstrId next = t.Use({t.Load("i")}, "add1");
  t.Store("i", next);
  t.Jump(header);
  t.At(exit);
  const InstrId use = t.Use({t.Load("i")});
  t.ReturnNone();

  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  const std::vector<InstrId> phis = LiveInstrs(fn, Opcode::kPhi);
  // `unchanged` is never reassigned in the loop, so it needs no phi (its would be trivial).
  ASSERT_EQ(phis.size(), 1u);
  const Instr& phi = fn.instr(phis[0]);
  EXPECT_EQ(phi.block, header);
  EXPECT_THAT(phi.operands, UnorderedElementsAre(zero, next));
  EXPECT_THAT(fn.instr(next).operands, ElementsAre(phis[0]));
  EXPECT_THAT(fn.instr(use).operands, ElementsAre(phis[0]));
}

// if c: x = 1;  use(x)  -> phi [bb1: 1], [bb0: undefined "x"]
TEST(SsaTest, UndefinedOnOnePath) {
  TestFunction t;
  const BlockId then_b = t.NewBlock();
  const BlockId join = t.NewBlock();
  t.Branch(t.Use({}, "cond"), then_b, join);
  t.At(then_b);
  const InstrId one = t.Int(1);
  t.Store("x", one);
  t.Jump(join);
  t.At(join);
  const InstrId use = t.Use({t.Load("x")});
  t.ReturnNone();

  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  const std::vector<InstrId> undef = LiveInstrs(fn, Opcode::kUndefined);
  ASSERT_EQ(undef.size(), 1u);
  EXPECT_EQ(fn.instr(undef[0]).text, "x");
  EXPECT_EQ(fn.instr(undef[0]).block, fn.entry);
  EXPECT_EQ(fn.block(fn.entry).instrs.front(), undef[0]);
  const std::vector<InstrId> phis = LiveInstrs(fn, Opcode::kPhi);
  ASSERT_EQ(phis.size(), 1u);
  EXPECT_THAT(fn.instr(phis[0]).operands, UnorderedElementsAre(one, undef[0]));
  EXPECT_THAT(fn.instr(use).operands, ElementsAre(phis[0]));
}

// x = 1; del x; use(x)  -> del keeps the deleted value, the later read is Undefined.
TEST(SsaTest, DelMakesVariableUndefined) {
  TestFunction t;
  const InstrId one = t.Int(1);
  t.Store("x", one);
  const InstrId del = t.Del("x");
  const InstrId use = t.Use({t.Load("x")});
  t.ReturnNone();
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_THAT(fn.instr(del).operands, ElementsAre(one));
  ASSERT_EQ(fn.instr(use).operands.size(), 1u);
  EXPECT_EQ(fn.instr(fn.instr(use).operands[0]).op, Opcode::kUndefined);
}

// x = 1; x = 2; del x; use(): each store and the del is recorded with the value the name holds
// from then on, anchored at the next instruction that stays.
TEST(SsaTest, LocalBindingsRecordStoresAndDels) {
  TestFunction t;
  const InstrId one = t.Int(1);
  t.Store("x", one);
  const InstrId two = t.Int(2);
  t.Store("x", two);
  const InstrId del = t.Del("x");
  const InstrId use = t.Use({});
  t.ReturnNone();
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  ASSERT_EQ(fn.local_bindings.size(), 3u);
  EXPECT_EQ(fn.local_bindings[0].name, "x");
  EXPECT_EQ(fn.local_bindings[0].value, one);
  EXPECT_EQ(fn.local_bindings[0].anchor, two);
  EXPECT_EQ(fn.local_bindings[1].value, two);
  EXPECT_EQ(fn.local_bindings[1].anchor, del);
  EXPECT_FALSE(fn.local_bindings[2].value.valid());
  EXPECT_EQ(fn.local_bindings[2].anchor, use);
  // A second run finds no local stores left and keeps the records.
  BuildSsa(fn);
  EXPECT_EQ(fn.local_bindings.size(), 3u);
}

// try: x = 1; x = f()  except: use(x): the handler sees the value at the end of the try block.
TEST(SsaTest, ExceptionEdgeCarriesEndOfBlockState) {
  TestFunction t;
  const BlockId body = t.NewBlock();
  const BlockId handler = t.NewBlock();
  const BlockId after = t.NewBlock();
  const InstrId zero = t.Int(0);
  t.Store("x", zero);
  t.Jump(body);
  t.At(body);
  t.fn().block(body).exception_targets = {handler};
  const InstrId call = t.Use({}, "call");
  t.Store("x", call);
  t.Jump(after);
  t.At(handler);
  const InstrId use = t.Use({t.Load("x")});
  t.Jump(after);
  t.At(after);
  t.Return(t.Load("x"));

  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  // The handler's only predecessor is the try body, so x there is the call's result.
  EXPECT_THAT(fn.instr(use).operands, ElementsAre(call));
  EXPECT_THAT(fn.block(handler).preds, ElementsAre(body));
}

// Code after `return` is emptied, and a use there no longer counts.
TEST(SsaTest, UnreachableBlocksAreEmptied) {
  TestFunction t;
  const BlockId dead = t.NewBlock();
  const BlockId join = t.NewBlock();
  t.Store("x", t.Int(1));
  t.Jump(join);
  t.At(dead);
  const InstrId dead_store = t.Store("x", t.Int(2));
  t.Jump(join);
  t.At(join);
  const InstrId use = t.Use({t.Load("x")});
  t.ReturnNone();
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_THAT(fn.block(dead).instrs, IsEmpty());
  EXPECT_THAT(fn.block(dead).succs, IsEmpty());
  EXPECT_THAT(fn.block(join).preds, ElementsAre(fn.entry));
  EXPECT_FALSE(fn.instr(dead_store).block.valid());  // tombstone
  EXPECT_THAT(LiveInstrs(fn, Opcode::kPhi), IsEmpty());
  EXPECT_EQ(fn.instr(fn.instr(use).operands[0]).op, Opcode::kConst);
}

// A loop back to the very first block: a fresh entry is added so the phi has a start edge.
TEST(SsaTest, EntryWithPredecessorsGetsFreshEntry) {
  TestFunction t;
  const BlockId first = t.entry();
  const BlockId exit = t.NewBlock();
  const InstrId use = t.Use({t.Load("n")}, "next");
  t.Store("n", use);
  t.Branch(use, first, exit);
  t.At(exit);
  t.ReturnNone();
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_NE(fn.entry, first);
  EXPECT_THAT(fn.block(first).preds, UnorderedElementsAre(fn.entry, first));
  const std::vector<InstrId> phis = LiveInstrs(fn, Opcode::kPhi);
  ASSERT_EQ(phis.size(), 1u);
  EXPECT_EQ(fn.instr(phis[0]).block, first);
  EXPECT_THAT(fn.instr(use).operands, ElementsAre(phis[0]));
}

// Module body: a global stored on every path is forwarded to its loads; the stores remain.
TEST(SsaTest, ModuleGlobalsForwardedOnlyWhenStoredOnEveryPath) {
  TestFunction t("<module>", FunctionKind::kModule);
  const BlockId then_b = t.NewBlock();
  const BlockId join = t.NewBlock();
  const InstrId dev = t.Int(7);
  t.Store("DEVICE", dev, VarScope::kGlobal);
  t.Branch(t.Use({}, "cond"), then_b, join);
  t.At(then_b);
  t.Store("MAYBE", t.Int(1), VarScope::kGlobal);
  t.Jump(join);
  t.At(join);
  const InstrId use_dev = t.Use({t.Load("DEVICE", VarScope::kGlobal)});
  const InstrId maybe = t.Load("MAYBE", VarScope::kGlobal);
  const InstrId builtin = t.Load("print", VarScope::kGlobal);
  t.Use({maybe, builtin});
  t.ReturnNone();
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_THAT(fn.instr(use_dev).operands, ElementsAre(dev));
  EXPECT_EQ(LiveInstrs(fn, Opcode::kStoreVar).size(), 2u);
  EXPECT_THAT(LiveInstrs(fn, Opcode::kLoadVar), ElementsAre(maybe, builtin));
  EXPECT_THAT(LiveInstrs(fn, Opcode::kPhi), IsEmpty());
}

// def setup(): global DEVICE; DEVICE = "cuda"   -- a call may rebind DEVICE, so no forwarding.
TEST(SsaTest, GlobalsReboundByFunctionsAreNotForwarded) {
  ModuleUnit unit;
  unit.module.name = "m";
  unit.module.body = FuncId(0);
  {
    TestFunction body("<module>", FunctionKind::kModule);
    const InstrId cpu = body.Int(0);
    body.Store("DEVICE", cpu, VarScope::kGlobal);
    body.Store("OTHER", cpu, VarScope::kGlobal);
    body.Use({}, "call setup()");
    body.Use({body.Load("DEVICE", VarScope::kGlobal), body.Load("OTHER", VarScope::kGlobal)});
    body.ReturnNone();
    unit.functions.push_back(std::move(body.fn()));
    unit.functions.back().id = FuncId(0);
  }
  {
    TestFunction setup("setup");
    setup.Store("DEVICE", setup.Int(1), VarScope::kGlobal);
    setup.ReturnNone();
    unit.functions.push_back(std::move(setup.fn()));
    unit.functions.back().id = FuncId(1);
    unit.functions.back().global_decls = {"DEVICE"};
  }
  Program program;
  const ModuleId module = program.AddModule(std::move(unit));
  Function& body = program.mutable_function(program.module(module).body);
  const SsaOptions options = SsaOptionsFor(program, body);
  EXPECT_TRUE(options.rebound_globals.contains("DEVICE"));
  EXPECT_FALSE(options.rebound_globals.contains("OTHER"));
  EXPECT_TRUE(SsaOptionsFor(program, program.function(FuncId(1))).rebound_globals.empty());
  BuildSsa(body, options);
  ExpectVerified(body);
  const std::vector<InstrId> loads = LiveInstrs(body, Opcode::kLoadVar);
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(body.instr(loads[0]).text, "DEVICE");
}

// `branch c, bb1, bb1` gives bb1 one predecessor (preds are unique), so its phi has one input.
TEST(SsaTest, BranchWithBothTargetsEqual) {
  TestFunction t;
  const BlockId loop = t.NewBlock();
  const BlockId exit = t.NewBlock();
  const InstrId zero = t.Int(0);
  t.Store("x", zero);
  t.Jump(loop);
  t.At(loop);
  const InstrId next = t.Use({t.Load("x")}, "next");
  t.Store("x", next);
  const InstrId cond = t.Use({}, "cond");
  t.Branch(cond, exit, exit);
  t.At(exit);
  t.Branch(cond, loop, loop);
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  const std::vector<InstrId> phis = LiveInstrs(fn, Opcode::kPhi);
  ASSERT_EQ(phis.size(), 1u);
  EXPECT_THAT(fn.instr(phis[0]).operands, UnorderedElementsAre(zero, next));
}

TEST(SsaTest, FunctionWithoutBlocksIsLeftAlone) {
  Function fn;
  BuildSsa(fn);
  FindLoops(fn);
  EXPECT_TRUE(fn.in_ssa);
  EXPECT_TRUE(Verify(fn).ok());
}

TEST(SsaTest, CellVariablesAreNotPromoted) {
  TestFunction t;
  const InstrId store = t.Store("c", t.Int(1), VarScope::kCell);
  const InstrId load = t.Load("c", VarScope::kCell);
  t.Return(load);
  BuildSsa(t.fn());
  ExpectVerified(t.fn());
  EXPECT_TRUE(t.fn().instr(store).block.valid());
  EXPECT_TRUE(t.fn().instr(load).block.valid());
}

// 20k blocks in a chain inside one loop: the walk must not recurse per block.
TEST(SsaTest, LongChainDoesNotOverflowTheStack) {
  TestFunction t;
  constexpr int kBlocks = 20000;
  const BlockId header = t.NewBlock();
  t.Store("acc", t.Int(0));
  t.Jump(header);
  t.At(header);
  BlockId current = header;
  for (int i = 0; i < kBlocks; ++i) {
    const BlockId next = t.NewBlock();
    t.Store("acc", t.Use({t.Load("acc")}, "step"));
    t.Jump(next);
    t.At(next);
    current = next;
  }
  const BlockId exit = t.NewBlock();
  t.Branch(t.Load("acc"), header, exit);
  t.At(exit);
  t.Return(t.Load("acc"));
  Function& fn = t.fn();
  BuildSsa(fn);
  ExpectVerified(fn);
  EXPECT_EQ(LiveInstrs(fn, Opcode::kPhi).size(), 1u);
  FindLoops(fn);
  ASSERT_EQ(fn.loops.size(), 1u);
  EXPECT_EQ(fn.loops[0].blocks.size(), static_cast<size_t>(kBlocks + 1));
  EXPECT_EQ(fn.block(current).loop, LoopId(0));
}

TEST(SsaTest, RunningTwiceIsStable) {
  TestFunction t;
  const BlockId header = t.NewBlock();
  const BlockId exit = t.NewBlock();
  t.Store("i", t.Int(0));
  t.Jump(header);
  t.At(header);
  t.Store("i", t.Use({t.Load("i")}, "add1"));
  t.Branch(t.Load("i"), header, exit);
  t.At(exit);
  t.Return(t.Load("i"));
  BuildSsa(t.fn());
  const std::string once = PrintFunction(Program(), t.fn());
  BuildSsa(t.fn());
  EXPECT_EQ(PrintFunction(Program(), t.fn()), once);
  ExpectVerified(t.fn());
}

}  // namespace
}  // namespace flopscope::ir
