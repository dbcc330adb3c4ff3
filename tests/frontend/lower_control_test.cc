// Lowering of control flow: loops (records, ForIter shape, break/continue/else), if/elif/else,
// try/except/else/finally (exception targets, handler binding, finally copies), with regions,
// match, return/raise/assert.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "tests/frontend/lower_test_util.h"

namespace flopscope::frontend {
namespace {

using ::flopscope::frontend::testing::BlockOf;
using ::flopscope::frontend::testing::Find;
using ::flopscope::frontend::testing::Fn;
using ::flopscope::frontend::testing::LowerSource;
using ::flopscope::frontend::testing::One;
using ::flopscope::frontend::testing::Operand;
using ir::BlockId;
using ir::Opcode;
using ::testing::Contains;
using ::testing::ElementsAre;

const ir::Instr& Terminator(const ir::Function& fn, BlockId block) {
  return fn.instr(fn.block(block).instrs.back());
}

bool Reaches(const ir::Function& fn, BlockId from, BlockId to) {
  std::vector<bool> seen(fn.blocks.size());
  std::vector<BlockId> work = {from};
  while (!work.empty()) {
    const BlockId b = work.back();
    work.pop_back();
    if (b == to) return true;
    if (seen[b.index()]) continue;
    seen[b.index()] = true;
    for (BlockId t : Terminator(fn, b).targets) work.push_back(t);
    for (BlockId t : fn.block(b).exception_targets) work.push_back(t);
  }
  return false;
}

TEST(LowerLoops, ForLoopShapeAndRecord) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(xs):
    for i, x in enumerate(xs):
        use(x)
    done()
)py");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(fn.loops.size(), 1u);
  const ir::Loop& loop = fn.loops[0];
  EXPECT_FALSE(loop.is_while);
  EXPECT_FALSE(loop.parent.valid());
  EXPECT_EQ(loop.range.line, 3u);
  EXPECT_EQ(loop.range.col, 5u);
  // GetIter in the pre-header, ForIter alone in the header.
  const ir::InstrId get_iter = Find(fn, Opcode::kGetIter)[0];
  const ir::Instr& for_iter = fn.instr(loop.for_iter);
  EXPECT_EQ(for_iter.op, Opcode::kForIter);
  EXPECT_EQ(for_iter.operands[0], get_iter);
  EXPECT_EQ(for_iter.block, loop.header);
  EXPECT_NE(BlockOf(fn, get_iter), loop.header);
  EXPECT_EQ(Terminator(fn, BlockOf(fn, get_iter)).targets[0], loop.header);
  ASSERT_EQ(for_iter.targets.size(), 2u);
  // The body starts by unpacking the ForIter value into the targets.
  const ir::Block& body = fn.block(for_iter.targets[0]);
  const ir::Instr& first = fn.instr(body.instrs[0]);
  EXPECT_EQ(first.op, Opcode::kUnpackItem);
  EXPECT_EQ(first.operands[0], loop.for_iter);
  // The exit continues with the code after the loop; the body loops back.
  EXPECT_EQ(BlockOf(fn, Find(fn, Opcode::kLoadVar, "done")[0]), for_iter.targets[1]);
  EXPECT_TRUE(Reaches(fn, for_iter.targets[0], loop.header));
}

// `async for` is lowered by the same code as `for`: the same blocks, instructions and loop record;
// only the GetIter says the iteration is asynchronous (aux = 1).
TEST(LowerLoops, AsyncForIsForWithAsyncIteration) {
  const ir::ModuleUnit sync = LowerSource(R"py(
async def f(xs):
    for x in xs:
        if x:
            break
        use(x)
    else:
        other()
    done()
)py");
  const ir::ModuleUnit async = LowerSource(R"py(
async def f(xs):
    async for x in xs:
        if x:
            break
        use(x)
    else:
        other()
    done()
)py");
  const ir::Function& s = Fn(sync, "f");
  const ir::Function& a = Fn(async, "f");
  ASSERT_EQ(s.instrs.size(), a.instrs.size());
  for (size_t i = 0; i < s.instrs.size(); ++i) {
    const ir::Instr& si = s.instrs[i];
    const ir::Instr& ai = a.instrs[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(si.op, ai.op);
    EXPECT_EQ(si.block, ai.block);
    EXPECT_EQ(si.text, ai.text);
    EXPECT_TRUE(std::equal(si.operands.begin(), si.operands.end(), ai.operands.begin(),
                           ai.operands.end()));
    EXPECT_TRUE(std::equal(si.targets.begin(), si.targets.end(), ai.targets.begin(),
                           ai.targets.end()));
    EXPECT_EQ(ai.aux, si.op == Opcode::kGetIter ? 1 : si.aux);
  }
  EXPECT_EQ(s.blocks.size(), a.blocks.size());
  ASSERT_EQ(a.loops.size(), 1u);
  ASSERT_EQ(s.loops.size(), 1u);
  EXPECT_EQ(a.loops[0].header, s.loops[0].header);
  EXPECT_EQ(a.loops[0].for_iter, s.loops[0].for_iter);
  EXPECT_EQ(a.instr(a.loops[0].for_iter).op, Opcode::kForIter);
  EXPECT_EQ(s.instr(Find(s, Opcode::kGetIter)[0]).aux, 0);
}

TEST(LowerLoops, NestedLoopsWhileBreakContinueElse) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(rows, n):
    while n > 0:
        for r in rows:
            if r:
                continue
            if n:
                break
        else:
            exhausted()
        n -= 1
)py");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(fn.loops.size(), 2u);
  const ir::Loop& outer = fn.loops[0];
  const ir::Loop& inner = fn.loops[1];
  EXPECT_TRUE(outer.is_while);
  EXPECT_FALSE(inner.is_while);
  EXPECT_EQ(inner.parent, outer.id);
  EXPECT_FALSE(outer.for_iter.valid());
  // The while header evaluates the condition and branches.
  EXPECT_EQ(Terminator(fn, outer.header).op, Opcode::kBranch);
  // continue jumps to the for header; break skips the else clause.
  const ir::Instr& for_iter = fn.instr(inner.for_iter);
  const BlockId else_block = for_iter.targets[1];
  EXPECT_EQ(BlockOf(fn, Find(fn, Opcode::kLoadVar, "exhausted")[0]), else_block);
  int jumps_to_header = 0;
  for (const ir::Block& block : fn.blocks) {
    const ir::Instr& t = Terminator(fn, block.id);
    if (t.op == Opcode::kJump && t.targets[0] == inner.header) ++jumps_to_header;
  }
  EXPECT_EQ(jumps_to_header, 3);  // the pre-header, `continue`, the end of the body
  // Every path from the loop reaches the decrement after it.
  const ir::InstrId decrement = Find(fn, Opcode::kInplaceOp)[0];
  EXPECT_TRUE(Reaches(fn, else_block, BlockOf(fn, decrement)));
}

// Blocks whose terminator (not an exception edge) targets `to`.
int JumpsInto(const ir::Function& fn, BlockId to) {
  int n = 0;
  for (const ir::Block& block : fn.blocks) {
    for (BlockId t : Terminator(fn, block.id).targets) n += t == to ? 1 : 0;
  }
  return n;
}

// `while True:` enters the body unconditionally: the header has no edge to the code after the
// loop, so only `break` gets there.
TEST(LowerLoops, WhileTrueLeavesOnlyThroughBreak) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(q):
    while True:
        item = q.get()
        if item is None:
            break
        use(item)
    done()
)py");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(fn.loops.size(), 1u);
  const ir::Loop& loop = fn.loops[0];
  EXPECT_TRUE(loop.is_while);
  const ir::Instr& enter = Terminator(fn, loop.header);
  EXPECT_EQ(enter.op, Opcode::kJump);
  EXPECT_EQ(enter.targets[0], BlockOf(fn, One(fn, Opcode::kLoadVar, "q")));
  EXPECT_TRUE(Find(fn, Opcode::kConst, "True").empty());  // the test is not evaluated
  const BlockId after = BlockOf(fn, One(fn, Opcode::kLoadVar, "done"));
  EXPECT_TRUE(Reaches(fn, fn.entry, after));
  EXPECT_EQ(JumpsInto(fn, after), 1);  // the break
  EXPECT_NE(Terminator(fn, BlockOf(fn, One(fn, Opcode::kLoadVar, "use"))).targets[0], after);
}

TEST(LowerLoops, WhileTrueWithoutBreakMakesTheRestDead) {
  for (const char* test : {"True", "1", "(1)", "0x10", "1_000", "'go'", "b'x'", "'\\n'"}) {
    SCOPED_TRACE(test);
    const ir::ModuleUnit unit = LowerSource(absl::StrCat(R"py(
def f(q):
    while )py", test, R"py(:
        serve(q)
        if q:
            return 1
    unreachable()
)py"));
    const ir::Function& fn = Fn(unit, "f");
    ASSERT_EQ(fn.loops.size(), 1u);
    EXPECT_EQ(Terminator(fn, fn.loops[0].header).op, Opcode::kJump);
    const BlockId dead = BlockOf(fn, One(fn, Opcode::kLoadVar, "unreachable"));
    ASSERT_TRUE(dead.valid());  // still lowered, like code after `return`
    EXPECT_FALSE(Reaches(fn, fn.entry, dead));
    EXPECT_TRUE(Reaches(fn, fn.entry, BlockOf(fn, Find(fn, Opcode::kReturn)[0])));
  }
}

TEST(LowerLoops, WhileOnFalsyOrUnknownConstantStillBranches) {
  for (const char* test : {"False", "0", "0x0", "0_0", "0j", "''", "b''", "f'{q}'", "None",
                           "-1", "1.5", "q"}) {
    SCOPED_TRACE(test);
    const ir::ModuleUnit unit = LowerSource(absl::StrCat(R"py(
def f(q):
    while )py", test, R"py(:
        serve(q)
    after()
)py"));
    const ir::Function& fn = Fn(unit, "f");
    ASSERT_EQ(fn.loops.size(), 1u);
    EXPECT_EQ(Terminator(fn, fn.loops[0].header).op, Opcode::kBranch);
    EXPECT_TRUE(Reaches(fn, fn.entry, BlockOf(fn, One(fn, Opcode::kLoadVar, "after"))));
  }
}

// The else clause of `while True` never runs (it only runs when the test turns false); it is
// lowered as dead code and the code after the loop is reached through `break` only.
TEST(LowerLoops, WhileTrueElseIsDead) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(q):
    while True:
        if q.get():
            break
    else:
        never()
    after()
)py");
  const ir::Function& fn = Fn(unit, "f");
  const BlockId never = BlockOf(fn, One(fn, Opcode::kLoadVar, "never"));
  const BlockId after = BlockOf(fn, One(fn, Opcode::kLoadVar, "after"));
  ASSERT_TRUE(never.valid());
  EXPECT_FALSE(Reaches(fn, fn.entry, never));
  EXPECT_TRUE(Reaches(fn, fn.entry, after));
  EXPECT_EQ(JumpsInto(fn, never), 0);
}

// An inner `while 1` left by break continues the outer loop; the outer loop has no break, so
// only its `return` leaves it and the code after it is dead.
TEST(LowerLoops, NestedWhileTrue) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(a, b):
    while True:
        while 1:
            if b():
                break
            inner()
        between()
        if a():
            return 1
    after()
)py");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(fn.loops.size(), 2u);
  const ir::Loop& outer = fn.loops[0];
  const ir::Loop& inner = fn.loops[1];
  EXPECT_EQ(inner.parent, outer.id);
  EXPECT_EQ(Terminator(fn, outer.header).op, Opcode::kJump);
  EXPECT_EQ(Terminator(fn, inner.header).op, Opcode::kJump);
  const BlockId between = BlockOf(fn, One(fn, Opcode::kLoadVar, "between"));
  EXPECT_TRUE(Reaches(fn, fn.entry, between));
  EXPECT_EQ(JumpsInto(fn, between), 1);  // the inner break
  EXPECT_TRUE(Reaches(fn, between, outer.header));
  EXPECT_FALSE(Reaches(fn, fn.entry, BlockOf(fn, One(fn, Opcode::kLoadVar, "after"))));
}

TEST(LowerBranches, IfElifElseAndAssert) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(a, b):
    if a and not b:
        x = 1
    elif b:
        x = 2
    else:
        x = 3
    assert x, "message"
    return x
)py");
  const ir::Function& fn = Fn(unit, "f");
  EXPECT_EQ(Find(fn, Opcode::kStoreVar, "x").size(), 3u);
  // `a and not b` becomes two branches with swapped targets for `not`, no UnaryOp.
  EXPECT_TRUE(Find(fn, Opcode::kUnaryOp).empty());
  const ir::InstrId load_a = Find(fn, Opcode::kLoadVar, "a")[0];
  const ir::InstrId load_b = Find(fn, Opcode::kLoadVar, "b")[0];
  const ir::Instr& branch_a = Terminator(fn, BlockOf(fn, load_a));
  const ir::Instr& branch_b = Terminator(fn, BlockOf(fn, load_b));
  const BlockId store1 = BlockOf(fn, Find(fn, Opcode::kStoreVar, "x")[0]);
  EXPECT_EQ(branch_a.targets[0], BlockOf(fn, load_b));
  EXPECT_EQ(branch_b.targets[1], store1);  // not b: false goes to the then-block
  // assert: Branch to a block that raises an Opaque AssertionError carrying the message.
  const ir::InstrId error = One(fn, Opcode::kOpaque, "AssertionError");
  EXPECT_EQ(fn.instr(Operand(fn, error, 0)).text, "message");
  EXPECT_EQ(Terminator(fn, BlockOf(fn, error)).op, Opcode::kRaise);
}

TEST(LowerExceptions, TryExceptElseFinally) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f():
    try:
        risky()
    except (KeyError, ValueError) as e:
        handle(e)
    except Exception:
        other()
    else:
        fine()
    finally:
        cleanup()
    after()
)py");
  const ir::Function& fn = Fn(unit, "f");
  const BlockId body = BlockOf(fn, Find(fn, Opcode::kLoadVar, "risky")[0]);
  const std::vector<BlockId>& targets = fn.block(body).exception_targets;
  ASSERT_EQ(targets.size(), 2u);  // dispatch first, then the finally path
  const BlockId dispatch = targets[0];
  const BlockId finally_exc = targets[1];
  // The dispatch tests the first clause's type.
  const ir::InstrId matches = Find(fn, Opcode::kOpaque, "exception matches")[0];
  EXPECT_EQ(BlockOf(fn, matches), dispatch);
  const ir::InstrId caught = Find(fn, Opcode::kCaughtException)[0];
  EXPECT_EQ(fn.instr(Operand(fn, caught, 0)).op, Opcode::kBuildTuple);
  EXPECT_EQ(Operand(fn, One(fn, Opcode::kStoreVar, "e"), 0), caught);
  // Handlers and else are covered by the finally path only.
  for (const char* name : {"handle", "other", "fine"}) {
    EXPECT_THAT(fn.block(BlockOf(fn, Find(fn, Opcode::kLoadVar, name)[0])).exception_targets,
                ElementsAre(finally_exc))
        << name;
  }
  // The finally body appears on the normal path and on the exceptional path, which re-raises.
  const std::vector<ir::InstrId> cleanups = Find(fn, Opcode::kLoadVar, "cleanup");
  ASSERT_EQ(cleanups.size(), 2u);
  bool exceptional_copy_reraises = false;
  for (ir::InstrId id : cleanups) {
    const ir::Instr& t = Terminator(fn, BlockOf(fn, id));
    if (BlockOf(fn, id) == finally_exc) exceptional_copy_reraises = t.op == Opcode::kRaise;
  }
  EXPECT_TRUE(exceptional_copy_reraises);
  // An exception matching no clause re-raises (through the finally path).
  int bare_raises = 0;
  for (ir::InstrId id : Find(fn, Opcode::kRaise)) {
    if (fn.instr(id).operands.empty()) ++bare_raises;
  }
  EXPECT_EQ(bare_raises, 2);
  EXPECT_TRUE(Reaches(fn, body, BlockOf(fn, Find(fn, Opcode::kLoadVar, "after")[0])));
  EXPECT_TRUE(
      fn.block(BlockOf(fn, Find(fn, Opcode::kLoadVar, "after")[0])).exception_targets.empty());
}

TEST(LowerExceptions, ReturnAndBreakRunFinallyCopies) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(xs):
    for x in xs:
        try:
            if x:
                break
            return x
        finally:
            cleanup()
)py");
  const ir::Function& fn = Fn(unit, "f");
  // Copies: break, return, normal completion, exceptional path.
  EXPECT_EQ(Find(fn, Opcode::kLoadVar, "cleanup").size(), 4u);
  const ir::InstrId ret = Find(fn, Opcode::kReturn, "")[0];
  // The return comes after a copy of the finally body, outside the try.
  const ir::Block& ret_block = fn.block(BlockOf(fn, ret));
  EXPECT_TRUE(ret_block.exception_targets.empty());
  bool has_cleanup = false;
  for (ir::InstrId id : ret_block.instrs) {
    has_cleanup = has_cleanup || fn.instr(id).text == "cleanup";
  }
  EXPECT_TRUE(has_cleanup);
}

TEST(LowerWith, RegionsEnterExitAndTargets) {
  const ir::ModuleUnit unit = LowerSource(R"py(
async def f(model, batch):
    with torch.no_grad(), open(path) as fh:
        out = model(batch)
    async with lock:
        if out:
            return out
    tail()
)py");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(fn.with_regions.size(), 3u);
  const ir::WithRegion& no_grad = fn.with_regions[0];
  const ir::WithRegion& file = fn.with_regions[1];
  const ir::WithRegion& lock = fn.with_regions[2];
  EXPECT_FALSE(no_grad.parent.valid());
  EXPECT_EQ(file.parent, no_grad.id);
  EXPECT_FALSE(lock.parent.valid());
  EXPECT_TRUE(lock.is_async);
  EXPECT_FALSE(no_grad.is_async);
  const ir::Instr& enter = fn.instr(no_grad.enter);
  EXPECT_EQ(enter.op, Opcode::kWithEnter);
  EXPECT_EQ(enter.aux, no_grad.id.value());
  EXPECT_EQ(fn.instr(enter.operands[0]).op, Opcode::kCall);
  EXPECT_EQ(Operand(fn, One(fn, Opcode::kStoreVar, "fh"), 0), file.enter);
  // The body is tagged with the innermost region.
  const BlockId call_block = BlockOf(fn, Find(fn, Opcode::kLoadVar, "model")[0]);
  EXPECT_EQ(fn.block(call_block).with_region, file.id);
  EXPECT_FALSE(fn.block(BlockOf(fn, Find(fn, Opcode::kLoadVar, "tail")[0])).with_region.valid());
  // Normal exits (innermost first) and the return through `async with` exits the lock.
  std::vector<int> exits;
  for (ir::InstrId id : Find(fn, Opcode::kWithExit)) exits.push_back(fn.instr(id).aux);
  EXPECT_THAT(exits, Contains(lock.id.value()).Times(3));  // normal, return, exception cleanup
  EXPECT_THAT(exits, Contains(file.id.value()).Times(2));  // normal, exception cleanup
  const ir::InstrId ret = Find(fn, Opcode::kReturn)[0];
  const ir::Block& ret_block = fn.block(BlockOf(fn, ret));
  const ir::Instr& before_return = fn.instr(ret_block.instrs[ret_block.instrs.size() - 2]);
  EXPECT_EQ(before_return.op, Opcode::kWithExit);
  EXPECT_EQ(before_return.aux, lock.id.value());
  // An exception inside the region goes to a cleanup that exits the manager and re-raises.
  ASSERT_FALSE(fn.block(call_block).exception_targets.empty());
  const BlockId cleanup = fn.block(call_block).exception_targets[0];
  EXPECT_EQ(fn.instr(fn.block(cleanup).instrs[0]).op, Opcode::kWithExit);
  EXPECT_EQ(Terminator(fn, cleanup).op, Opcode::kRaise);
}

TEST(LowerMatch, TestsBindsAndGuards) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(cmd):
    match cmd:
        case ["go", direction] if direction:
            return direction
        case Point(x=0, y=yy):
            return yy
        case {"k": v, **rest}:
            return v
        case Color.RED | None:
            return 0
        case other:
            return other
)py");
  const ir::Function& fn = Fn(unit, "f");
  std::vector<std::string> kinds;
  for (ir::InstrId id : Find(fn, Opcode::kMatchTest)) kinds.push_back(fn.instr(id).text);
  EXPECT_THAT(kinds, ElementsAre("sequence", "class", "mapping", "or"));
  const ir::InstrId subject = Operand(fn, Find(fn, Opcode::kMatchTest)[0], 0);
  EXPECT_EQ(fn.instr(subject).text, "cmd");
  const ir::InstrId direction = Operand(fn, One(fn, Opcode::kStoreVar, "direction"), 0);
  EXPECT_EQ(fn.instr(direction).op, Opcode::kMatchBind);
  EXPECT_EQ(fn.instr(direction).text, "[1]");
  EXPECT_EQ(Operand(fn, direction, 0), subject);
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "yy"), 0)).text, ".y");
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "rest"), 0)).text, "[**]");
  // The class pattern compares against Point and the literal 0.
  const ir::Instr& class_test = fn.instr(Find(fn, Opcode::kMatchTest)[1]);
  ASSERT_EQ(class_test.operands.size(), 3u);
  EXPECT_EQ(fn.instr(class_test.operands[1]).text, "Point");
  // The guard is a branch after the binding, failing over to the next case.
  const ir::InstrId guard_load = Find(fn, Opcode::kLoadVar, "direction")[0];
  EXPECT_EQ(Terminator(fn, BlockOf(fn, guard_load)).op, Opcode::kBranch);
  // The capture-all case binds without a test.
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "other"), 0)).text, ".");
}

TEST(LowerMisc, RaiseFromAndCodeAfterReturn) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(e):
    raise ValueError("x") from e
    unreachable()
)py");
  const ir::Function& fn = Fn(unit, "f");
  const ir::InstrId raise = Find(fn, Opcode::kRaise)[0];
  ASSERT_EQ(fn.instr(raise).operands.size(), 2u);
  EXPECT_EQ(fn.instr(Operand(fn, raise, 1)).text, "e");
  // Dead code is still lowered, in its own block.
  const ir::InstrId dead = Find(fn, Opcode::kLoadVar, "unreachable")[0];
  EXPECT_NE(BlockOf(fn, dead), BlockOf(fn, raise));
  for (const ir::Block& block : fn.blocks) {
    ASSERT_FALSE(block.instrs.empty());
    EXPECT_TRUE(ir::IsTerminator(fn.instr(block.instrs.back()).op));
  }
}

TEST(LowerExceptions, DefinitionsInFinallyAreOneFunction) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f():
    try:
        work()
    finally:
        def cb(): pass
        hooks = [lambda: 1 for _ in range(2)]
        class K: pass
)py");
  int cb = 0;
  int lambdas = 0;
  for (const ir::Function& fn : unit.functions) {
    cb += fn.qualname == "f.cb" ? 1 : 0;
    lambdas += fn.kind == ir::FunctionKind::kLambda ? 1 : 0;
  }
  EXPECT_EQ(cb, 1);
  EXPECT_EQ(lambdas, 1);
  EXPECT_EQ(unit.classes.size(), 1u);
  const ir::Function& f = Fn(unit, "f");
  // Two copies of the finally body: two MakeFunction of the same f.cb.
  int makes_of_cb = 0;
  for (ir::InstrId id : Find(f, Opcode::kMakeFunction)) {
    makes_of_cb += f.instr(id).aux == Fn(unit, "f.cb").id.value() ? 1 : 0;
  }
  EXPECT_EQ(makes_of_cb, 2);
  EXPECT_EQ(Find(f, Opcode::kMakeClass).size(), 2u);
}

}  // namespace
}  // namespace flopscope::frontend
