#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::ir {
namespace {

using ::testing::HasSubstr;

SourceRange At(uint32_t line, uint32_t col) { return SourceRange{line, col, line, col + 1}; }

// module `main`:  class C(Base, metaclass=M): def m(self): ...   def f(x, *args, y=1): ...
ModuleUnit MakeUnit() {
  ModuleUnit unit;
  unit.module.name = "main";
  unit.module.path = "main.py";
  unit.module.line_count = 9;
  unit.module.body = FuncId(0);

  Function& body = unit.functions.emplace_back();
  body.id = FuncId(0);
  body.kind = FunctionKind::kModule;
  body.name = "<module>";
  body.qualname = "<module>";
  {
    FunctionBuilder b(body);
    body.entry = b.NewBlock();
    b.SetInsertBlock(body.entry);
    const InstrId base = b.Emit(Opcode::kLoadVar, At(1, 9), {}, "Base", int32_t(VarScope::kGlobal));
    const InstrId meta = b.Emit(Opcode::kLoadVar, At(1, 25), {}, "M", int32_t(VarScope::kGlobal));
    const InstrId cls = b.Emit(Opcode::kMakeClass, At(1, 1), {base, meta}, "", 0);
    body.instrs[cls.index()].arg_names = {"", "metaclass"};
    b.Emit(Opcode::kStoreVar, At(1, 7), {cls}, "C", int32_t(VarScope::kGlobal));
    const InstrId one = b.EmitConst(ConstKind::kInt, "1", At(3, 17));
    const InstrId fn = b.Emit(Opcode::kMakeFunction, At(3, 1), {one}, "", 2);
    body.instrs[fn.index()].arg_names = {"y"};
    b.Emit(Opcode::kStoreVar, At(3, 5), {fn}, "f", int32_t(VarScope::kGlobal));
    const InstrId none = b.EmitConst(ConstKind::kNone, "None", SourceRange{});
    b.Emit(Opcode::kReturn, SourceRange{}, {none});
  }

  Function& method = unit.functions.emplace_back();
  method.id = FuncId(1);
  method.name = "m";
  method.qualname = "C.m";
  method.parent = FuncId(0);
  method.method_of = ClassId(0);
  method.params.push_back(Param{"self", ParamKind::kPositional, false, At(2, 9)});
  {
    FunctionBuilder b(method);
    method.entry = b.NewBlock();
    b.SetInsertBlock(method.entry);
    const InstrId self = b.Emit(Opcode::kParam, At(2, 9), {}, "self", 0);
    b.Emit(Opcode::kReturn, At(2, 16), {self});
  }

  Function& f = unit.functions.emplace_back();
  f.id = FuncId(2);
  f.name = "f";
  f.qualname = "f";
  f.parent = FuncId(0);
  f.definition = InstrId(5);
  f.range = At(3, 1);
  f.params = {Param{"x", ParamKind::kPositional, false, At(3, 7)},
              Param{"args", ParamKind::kVarArgs, false, At(3, 10)},
              Param{"y", ParamKind::kKeywordOnly, true, At(3, 16)}};
  {
    FunctionBuilder b(f);
    f.entry = b.NewBlock();
    const BlockId then_block = b.NewBlock();
    const BlockId join = b.NewBlock();
    b.SetInsertBlock(f.entry);
    const InstrId x = b.Emit(Opcode::kParam, At(3, 7), {}, "x", 0);
    const InstrId cuda = b.Emit(Opcode::kLoadAttr, At(4, 5), {x}, "cuda");
    const InstrId call = b.Emit(Opcode::kCall, At(4, 5), {cuda, x, x}, "");
    f.instrs[call.index()].arg_names = {"", "key"};
    b.EmitBranch(call, then_block, join, At(4, 2));
    b.SetInsertBlock(then_block);
    const InstrId text = b.EmitConst(ConstKind::kString, "a\"b\n", At(5, 9));
    b.EmitJump(join, At(5, 1));
    b.SetInsertBlock(join);
    const InstrId phi = b.Emit(Opcode::kPhi, SourceRange{}, {x, text});
    f.instrs[phi.index()].targets = {f.entry, then_block};
    b.Emit(Opcode::kReturn, At(6, 5), {phi});
    ComputeCfg(f);
  }

  Class& c = unit.classes.emplace_back();
  c.id = ClassId(0);
  c.name = "C";
  c.qualname = "C";
  c.body = FuncId(1);
  c.defined_in = FuncId(0);
  c.definition = InstrId(2);
  c.methods["m"] = FuncId(1);
  c.range = At(1, 1);
  return unit;
}

TEST(PrinterTest, FunctionGolden) {
  Program program;
  program.AddModule(MakeUnit());
  const std::string expected = R"(function main.f(x, *args, y=<default>) [kind=function, line 3]
  parent <module>
  definition %5
  bb0: (entry)
    %0 = param 0 "x"                                 ; 3:7
    %1 = load_attr %0 "cuda"                         ; 4:5
    %2 = call %1(%0, key=%0)                         ; 4:5
    branch %2, bb1, bb2                              ; 4:2
  bb1: (preds bb0)
    %4 = const str "a\"b\n"                          ; 5:9
    jump bb2                                         ; 5:1
  bb2: (preds bb0, bb1)
    %6 = phi [bb0: %0], [bb1: %4]
    return %6                                        ; 6:5
)";
  EXPECT_EQ(PrintFunction(program, program.function(FuncId(2))), expected);
}

TEST(PrinterTest, ModuleListsClassesMethodsAndEveryFunction) {
  Program program;
  const ModuleId id = program.AddModule(MakeUnit());
  const std::string text = PrintModule(program, id);
  EXPECT_THAT(text, HasSubstr("module main \"main.py\" [lines 9]\n"));
  EXPECT_THAT(text, HasSubstr("class C [line 1] body C.m, defined in <module> at %2\n"
                              "  bases %0, metaclass=%1\n"
                              "  method m -> C.m\n"));
  EXPECT_THAT(text, HasSubstr("function main() [kind=module, line 0]\n"));
  EXPECT_THAT(text, HasSubstr("%2 = make_class @C(%0, metaclass=%1)"));
  EXPECT_THAT(text, HasSubstr("%5 = make_function @f(y=%4)"));
  EXPECT_THAT(text, HasSubstr("store_var global \"C\", %2"));
  EXPECT_THAT(text, HasSubstr("function main.C.m(self) [kind=function, line 0]\n"
                              "  parent <module>\n  method_of C\n"));
  EXPECT_THAT(text, HasSubstr("function main.f("));
  // Deterministic: printing twice gives the same bytes.
  EXPECT_EQ(text, PrintModule(program, id));
}

TEST(PrinterTest, LoopsRegionsAndBlockAnnotations) {
  Function fn;
  fn.qualname = "g";
  FunctionBuilder b(fn);
  fn.entry = b.NewBlock();
  const BlockId header = b.NewBlock();
  const BlockId body = b.NewBlock();
  const BlockId handler = b.NewBlock();
  b.SetInsertBlock(fn.entry);
  const InstrId seq = b.Emit(Opcode::kBuildList, At(1, 1), {}, "");
  const InstrId it = b.Emit(Opcode::kGetIter, At(1, 1), {seq}, "", 1);
  b.EmitJump(header, At(1, 1));
  b.SetInsertBlock(header);
  const InstrId next = b.Emit(Opcode::kForIter, At(1, 1), {it});
  fn.instrs[next.index()].targets = {body, handler};
  b.SetInsertBlock(body);
  const InstrId enter = b.Emit(Opcode::kWithEnter, At(2, 6), {next}, "", 0);
  b.Emit(Opcode::kUnpackItem, At(2, 6), {enter}, "", -1);
  b.Emit(Opcode::kWithExit, At(2, 6), {next}, "", 0);
  b.EmitJump(header, At(2, 1));
  b.SetInsertBlock(handler);
  b.Emit(Opcode::kUnreachable, SourceRange{});
  fn.blocks[body.index()].with_region = RegionId(0);
  fn.blocks[body.index()].loop = LoopId(0);
  fn.blocks[body.index()].exception_targets = {handler};
  fn.with_regions.push_back(WithRegion{RegionId(0), RegionId(), enter, At(2, 6), false});
  Loop loop;
  loop.id = LoopId(0);
  loop.header = header;
  loop.blocks = {header, body};
  loop.exits = {handler};
  loop.for_iter = next;
  loop.range = At(1, 1);
  fn.loops.push_back(loop);
  ComputeCfg(fn);

  const std::string text = PrintFunction(Program(), fn);
  EXPECT_THAT(text, HasSubstr("  with 0: enter %4, parent -, line 2:6\n"));
  EXPECT_THAT(text, HasSubstr("  loop 0: for, header bb1, depth 1, parent -, for_iter %3, line 1:1\n"
                              "    blocks [bb1, bb2] exits [bb3]\n"));
  EXPECT_THAT(text, HasSubstr("  bb2: (preds bb1) (except bb3) [loop 0] [with 0]\n"));
  EXPECT_THAT(text, HasSubstr("%1 = get_iter %0 async"));
  EXPECT_THAT(text, HasSubstr("%3 = for_iter %1, bb2, bb3"));
  EXPECT_THAT(text, HasSubstr("%4 = with_enter %3 with 0"));
  EXPECT_THAT(text, HasSubstr("%5 = unpack_item %4 index -1"));
  EXPECT_THAT(text, HasSubstr("  bb3: (preds bb1, bb2)\n    unreachable\n"));
}

TEST(PrinterTest, OutOfRangeIdsDoNotCrash) {
  Function fn;
  fn.qualname = "h";
  FunctionBuilder b(fn);
  fn.entry = b.NewBlock();
  b.SetInsertBlock(fn.entry);
  b.Emit(Opcode::kMakeFunction, SourceRange{}, {}, "", 42);
  fn.blocks[0].instrs.push_back(InstrId(99));
  const std::string text = PrintFunction(Program(), fn);
  EXPECT_THAT(text, HasSubstr("make_function @func#42()"));
  EXPECT_THAT(text, HasSubstr("<bad instruction 99>"));
}

}  // namespace
}  // namespace flopscope::ir
