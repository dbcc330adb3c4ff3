// Golden tests of the printed SSA IR (frontend lowering + ir::BuildSsa/FindLoops + ir printer) for
// the constructs issue #2 names: a for loop, nested loops, a with block, try/finally, a
// comprehension, a match statement, and a variable assigned in both branches of an if (one phi).
// To refresh after an intended change, run with FLOPSCOPE_PRINT_GOLDEN=1 and review the diff.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::frontend {
namespace {

// Lowers `source`, runs the IR passes on every function, verifies them, and prints the functions
// whose qualnames are listed.
std::string LowerAndPrint(const std::vector<std::string>& qualnames, const std::string& source) {
  SourceFile file;
  file.path = "golden.py";
  file.module_name = "golden";
  file.text = source;
  absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(file);
  EXPECT_TRUE(unit.ok()) << unit.status();
  if (!unit.ok()) return "";
  EXPECT_TRUE(unit->module.problems.empty());
  ir::Program program;
  program.AddModule(*std::move(unit));
  for (ir::Function& fn : program.mutable_functions()) {
    ir::ComputeCfg(fn);
    ir::BuildSsa(fn);
    ir::FindLoops(fn);
    const absl::Status status = ir::Verify(fn);
    EXPECT_TRUE(status.ok()) << fn.qualname << ": " << status;
  }
  std::string out;
  for (const std::string& qualname : qualnames) {
    bool found = false;
    for (const ir::Function& fn : program.functions()) {
      if (fn.qualname != qualname) continue;
      out += ir::PrintFunction(program, fn);
      found = true;
    }
    EXPECT_TRUE(found) << qualname;
  }
  if (std::getenv("FLOPSCOPE_PRINT_GOLDEN") != nullptr) {
    std::cout << "----- " << ::testing::UnitTest::GetInstance()->current_test_info()->name() << "\n"
              << out << "-----\n";
  }
  return out;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

TEST(IrGolden, IfBothBranchesAssignOnePhi) {
  const std::string printed = LowerAndPrint({"pick"}, R"py(
def pick(flag, a, b):
    if flag:
        x = a
    else:
        x = b
    return x
)py");
  EXPECT_EQ(Count(printed, "= phi "), 1u);
  EXPECT_EQ("\n" + printed, R"ir(
function golden.pick(flag, a, b) [kind=function, ssa, line 2]
  parent 
  definition %0
  bb0: (entry)
    %0 = param 0 "flag"                              ; 2:10
    %2 = param 1 "a"                                 ; 2:16
    %4 = param 2 "b"                                 ; 2:19
    branch %0, bb1, bb2                              ; 3:8
  bb1: (preds bb0)
    jump bb3                                         ; 3:5
  bb2: (preds bb0)
    jump bb3                                         ; 5:5
  bb3: (preds bb1, bb2)
    %16 = phi "x" [bb1: %2], [bb2: %4]
    return %16                                       ; 7:5
)ir");
}

TEST(IrGolden, ForLoop) {
  const std::string printed = LowerAndPrint({"total"}, R"py(
def total(xs):
    s = 0
    for x in xs:
        s += x
    return s
)py");
  EXPECT_EQ(Count(printed, "= for_iter "), 1u);
  EXPECT_EQ("\n" + printed, R"ir(
function golden.total(xs) [kind=function, ssa, line 2]
  parent 
  definition %0
  loop 0: for, header bb1, depth 1, parent -, for_iter %7, line 4:5
    blocks [bb1, bb2] exits [bb3]
  bb0: (entry)
    %0 = param 0 "xs"                                ; 2:11
    %2 = const int "0"                               ; 3:9
    %5 = get_iter %0                                 ; 4:14
    jump bb1                                         ; 4:5
  bb1: (preds bb0, bb2) [loop 0]
    %16 = phi "s" [bb0: %2], [bb2: %11]
    %7 = for_iter %5, bb2, bb3                       ; 4:5
  bb2: (preds bb1) [loop 0]
    %11 = inplace_op %16, %7 "+"                     ; 5:9
    jump bb1                                         ; 4:5
  bb3: (preds bb1)
    return %16                                       ; 6:5
)ir");
}

TEST(IrGolden, NestedLoops) {
  const std::string printed = LowerAndPrint({"find"}, R"py(
def find(grid, target):
    for i, row in enumerate(grid):
        for v in row:
            if v == target:
                return i
    return -1
)py");
  EXPECT_EQ(Count(printed, "  loop "), 2u);
  EXPECT_EQ("\n" + printed, R"ir(
function golden.find(grid, target) [kind=function, ssa, line 2]
  parent 
  definition %0
  loop 0: for, header bb1, depth 1, parent -, for_iter %9, line 3:5
    blocks [bb1, bb2, bb4, bb5, bb6, bb8] exits [bb3, bb7]
  loop 1: for, header bb4, depth 2, parent 0, for_iter %17, line 4:9
    blocks [bb4, bb5, bb8] exits [bb6, bb7]
  bb0: (entry)
    %0 = param 0 "grid"                              ; 2:10
    %2 = param 1 "target"                            ; 2:16
    %4 = load_var global "enumerate"                 ; 3:19
    %6 = call %4(%0)                                 ; 3:19
    %7 = get_iter %6                                 ; 3:19
    jump bb1                                         ; 3:5
  bb1: (preds bb0, bb6) [loop 0]
    %9 = for_iter %7, bb2, bb3                       ; 3:5
  bb2: (preds bb1) [loop 0]
    %10 = unpack_item %9 index 0                     ; 3:9
    %12 = unpack_item %9 index 1                     ; 3:12
    %15 = get_iter %12                               ; 4:18
    jump bb4                                         ; 4:9
  bb3: (preds bb1)
    %27 = const int "1"                              ; 7:13
    %28 = unary_op %27 "-"                           ; 7:12
    return %28                                       ; 7:5
  bb4: (preds bb2, bb8) [loop 1]
    %17 = for_iter %15, bb5, bb6                     ; 4:9
  bb5: (preds bb4) [loop 1]
    %21 = compare %17, %2 "=="                       ; 5:16
    branch %21, bb7, bb8                             ; 5:16
  bb6: (preds bb4) [loop 0]
    jump bb1                                         ; 3:5
  bb7: (preds bb5)
    return %10                                       ; 6:17
  bb8: (preds bb5) [loop 1]
    jump bb4                                         ; 4:9
)ir");
}

// `while True` enters its body unconditionally: `n` (assigned before the loop, reassigned in it)
// gets one phi, at the header. The return after the loop is reached only through `break`, so it
// reads the incremented value directly; a header -> exit edge would have needed a second phi
// there. The dead code after the inner infinite loop is emptied, and the loops' exits are the
// break targets only.
TEST(IrGolden, WhileTrue) {
  const std::string printed = LowerAndPrint({"count", "serve"}, R"py(
def count(q):
    n = 0
    while True:
        n += 1
        if q.get():
            break
    return n

def serve(q):
    while 1:
        q.handle()
    q.close()
)py");
  EXPECT_EQ(Count(printed, "= phi "), 1u);
  EXPECT_EQ("\n" + printed, R"ir(
function golden.count(q) [kind=function, ssa, line 2]
  parent 
  definition %0
  loop 0: while, header bb1, depth 1, parent -, line 4:5
    blocks [bb1, bb2, bb5] exits [bb4]
  bb0: (entry)
    %0 = param 0 "q"                                 ; 2:11
    %2 = const int "0"                               ; 3:9
    jump bb1                                         ; 4:5
  bb1: (preds bb0, bb5) [loop 0]
    %18 = phi "n" [bb0: %2], [bb5: %8]
    jump bb2                                         ; 4:11
  bb2: (preds bb1) [loop 0]
    %7 = const int "1"                               ; 5:14
    %8 = inplace_op %18, %7 "+"                      ; 5:9
    %11 = load_attr %0 "get"                         ; 6:12
    %12 = call %11()                                 ; 6:12
    branch %12, bb4, bb5                             ; 6:12
  bb3: (preds bb4)
    return %8                                        ; 8:5
  bb4: (preds bb2)
    jump bb3                                         ; 7:13
  bb5: (preds bb2) [loop 0]
    jump bb1                                         ; 4:5
function golden.serve(q) [kind=function, ssa, line 10]
  parent 
  definition %2
  loop 0: while, header bb1, depth 1, parent -, line 11:5
    blocks [bb1, bb2] exits []
  bb0: (entry)
    %0 = param 0 "q"                                 ; 10:11
    jump bb1                                         ; 11:5
  bb1: (preds bb0, bb2) [loop 0]
    jump bb2                                         ; 11:11
  bb2: (preds bb1) [loop 0]
    %5 = load_attr %0 "handle"                       ; 12:9
    %6 = call %5()                                   ; 12:9
    jump bb1                                         ; 11:5
  bb3: (empty)
)ir");
}

// Dead code after `while True` in the places later passes treat specially (finally copies, with
// cleanups, handlers, a definition in the dead else clause, a module and a class body) still
// converts to SSA, finds its loops and verifies (LowerAndPrint checks every function).
TEST(IrGolden, WhileTrueDeadCodeVerifies) {
  const std::string printed = LowerAndPrint({"f", "C"}, R"py(
def f(q, lock):
    while True:
        try:
            with lock:
                if q.get():
                    continue
                if q.done():
                    break
        except KeyError:
            return 1
        finally:
            q.task_done()
    else:
        def never():
            pass
    while 1:
        pass
    q.close()

class C:
    while "x":
        attr = 1
    after = 2

while True:
    f(1, 2)
def g():
    pass
)py");
  EXPECT_EQ(Count(printed, "  loop "), 3u);
  EXPECT_NE(printed.find("(empty)"), std::string::npos);
}

TEST(IrGolden, WithBlock) {
  const std::string printed = LowerAndPrint({"evaluate"}, R"py(
def evaluate(model, batch):
    with torch.no_grad():
        out = model(batch)
    return out
)py");
  EXPECT_EQ(Count(printed, "with_exit "), 2u);  // normal exit and exception cleanup
  EXPECT_EQ("\n" + printed, R"ir(
function golden.evaluate(model, batch) [kind=function, ssa, line 2]
  parent 
  definition %0
  with 0: enter %7, parent -, line 3:10
  bb0: (entry)
    %0 = param 0 "model"                             ; 2:14
    %2 = param 1 "batch"                             ; 2:21
    %4 = load_var global "torch"                     ; 3:10
    %5 = load_attr %4 "no_grad"                      ; 3:10
    %6 = call %5()                                   ; 3:10
    %7 = with_enter %6 with 0                        ; 3:10
    jump bb3                                         ; 3:10
  bb1: (preds bb3)
    return %13                                       ; 5:5
  bb2: (preds bb3)
    with_exit %6 with 0                              ; 3:10
    raise                                            ; 3:10
  bb3: (preds bb0) (except bb2) [with 0]
    %13 = call %0(%2)                                ; 4:15
    with_exit %6 with 0                              ; 3:5
    jump bb1                                         ; 3:5
)ir");
}

TEST(IrGolden, TryFinally) {
  const std::string printed = LowerAndPrint({"run"}, R"py(
def run(f):
    try:
        r = f()
    finally:
        release()
    return r
)py");
  EXPECT_EQ(Count(printed, "load_var global \"release\""), 2u);  // normal and exceptional copy
  EXPECT_EQ("\n" + printed, R"ir(
function golden.run(f) [kind=function, ssa, line 2]
  parent 
  definition %0
  bb0: (entry)
    %0 = param 0 "f"                                 ; 2:9
    jump bb4                                         ; 3:5
  bb1: (preds bb2)
    return %4                                        ; 7:5
  bb2: (preds bb4)
    %10 = load_var global "release"                  ; 6:9
    %11 = call %10()                                 ; 6:9
    jump bb1                                         ; 3:5
  bb3: (preds bb4)
    %7 = load_var global "release"                   ; 6:9
    %8 = call %7()                                   ; 6:9
    raise                                            ; 3:5
  bb4: (preds bb0) (except bb3)
    %4 = call %0()                                   ; 4:13
    jump bb2                                         ; 3:5
)ir");
}

TEST(IrGolden, Comprehension) {
  const std::string printed = LowerAndPrint({"squares", "squares.<listcomp1>"}, R"py(
def squares(xs):
    return [x * x for x in xs if x]
)py");
  EXPECT_EQ("\n" + printed, R"ir(
function golden.squares(xs) [kind=function, ssa, line 2]
  parent 
  definition %0
  bb0: (entry)
    %0 = param 0 "xs"                                ; 2:13
    %3 = make_function @squares.<listcomp1>()        ; 3:12
    %4 = call %3(%0)                                 ; 3:12
    return %4                                        ; 3:5
function golden.squares.<listcomp1>(.0) [kind=comprehension, ssa, line 3]
  parent squares
  definition %3
  loop 0: for, header bb2, depth 1, parent -, for_iter %7, line 3:19
    blocks [bb2, bb3, bb5] exits [bb4]
  bb0: (entry)
    %0 = param 0 ".0"                                ; 3:28
    %2 = build_list                                  ; 3:12
    %5 = get_iter %0                                 ; 3:19
    jump bb2                                         ; 3:19
  bb1: (preds bb4)
    return %2                                        ; 3:12
  bb2: (preds bb0, bb3, bb5) [loop 0]
    %7 = for_iter %5, bb3, bb4                       ; 3:19
  bb3: (preds bb2) [loop 0]
    branch %7, bb5, bb2                              ; 3:34
  bb4: (preds bb2)
    jump bb1                                         ; 3:19
  bb5: (preds bb3) [loop 0]
    %14 = binary_op %7, %7 "*"                       ; 3:13
    %16 = load_attr %2 "append"                      ; 3:13
    %17 = call %16(%14)                              ; 3:13
    jump bb2                                         ; 3:13
)ir");
}

TEST(IrGolden, MatchStatement) {
  const std::string printed = LowerAndPrint({"area"}, R"py(
def area(shape):
    match shape:
        case Circle(r=radius):
            a = radius * radius
        case [w, h]:
            a = w * h
        case _:
            a = 0
    return a
)py");
  EXPECT_EQ(Count(printed, "= phi "), 1u);
  EXPECT_EQ("\n" + printed, R"ir(
function golden.area(shape) [kind=function, ssa, line 2]
  parent 
  definition %0
  bb0: (entry)
    %0 = param 0 "shape"                             ; 2:10
    %3 = load_var global "Circle"                    ; 4:14
    %4 = match_test %0, %3 "class"                   ; 4:9
    branch %4, bb3, bb2                              ; 4:9
  bb1: (preds bb3, bb4, bb5)
    %29 = phi "a" [bb3: %10], [bb4: %24], [bb5: %21]
    return %29                                       ; 10:5
  bb2: (preds bb0)
    %13 = match_test %0 "sequence"                   ; 6:9
    branch %13, bb5, bb4                             ; 6:9
  bb3: (preds bb0)
    %6 = match_bind %0 ".r"                          ; 4:23
    %10 = binary_op %6, %6 "*"                       ; 5:17
    jump bb1                                         ; 4:9
  bb4: (preds bb2)
    %24 = const int "0"                              ; 9:17
    jump bb1                                         ; 8:9
  bb5: (preds bb2)
    %15 = match_bind %0 "[0]"                        ; 6:15
    %17 = match_bind %0 "[1]"                        ; 6:18
    %21 = binary_op %15, %17 "*"                     ; 7:17
    jump bb1                                         ; 6:9
)ir");
}

}  // namespace
}  // namespace flopscope::frontend
