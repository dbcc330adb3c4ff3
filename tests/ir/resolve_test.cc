#include "ir/resolve.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ir/hand_built_module.h"

namespace flopscope::ir {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::HandBuiltModule;
constexpr int kBody = HandBuiltModule::kBody;

std::vector<std::string> Names(const Program& program, const std::vector<Symbol>& symbols) {
  std::vector<std::string> names;
  for (const Symbol& symbol : symbols) names.push_back(symbol.QualifiedName(program));
  return names;
}

std::vector<std::string> ClassNames(const Program& program, const std::vector<ClassId>& ids) {
  std::vector<std::string> names;
  for (ClassId id : ids) names.push_back(program.klass(id).name);
  return names;
}

FuncId Body(const Program& program, absl::string_view module) {
  return program.module(program.FindModule(module)).body;
}

TEST(MroTest, DiamondFollowsC3) {
  HandBuiltModule m("main");
  m.Class(kBody, "A");
  m.Class(kBody, "B", {m.Load(kBody, "A")});
  m.Class(kBody, "C", {m.Load(kBody, "A")});
  m.Class(kBody, "D", {m.Load(kBody, "B"), m.Load(kBody, "C")});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_THAT(ClassNames(program, resolver.Mro(ClassId(3))), ElementsAre("D", "B", "C", "A"));
  EXPECT_THAT(ClassNames(program, resolver.Mro(ClassId(1))), ElementsAre("B", "A"));
}

// The textbook C3 example: depth-first order would put A before D and is wrong here.
TEST(MroTest, C3LinearizationOfTheClassicExample) {
  HandBuiltModule m("main");
  m.Class(kBody, "O");
  for (const char* name : {"A", "B", "C", "D", "E"}) m.Class(kBody, name, {m.Load(kBody, "O")});
  m.Class(kBody, "K1", {m.Load(kBody, "A"), m.Load(kBody, "B"), m.Load(kBody, "C")});
  m.Class(kBody, "K2", {m.Load(kBody, "D"), m.Load(kBody, "B"), m.Load(kBody, "E")});
  m.Class(kBody, "K3", {m.Load(kBody, "D"), m.Load(kBody, "A")});
  m.Class(kBody, "Z", {m.Load(kBody, "K1"), m.Load(kBody, "K2"), m.Load(kBody, "K3")});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_THAT(ClassNames(program, resolver.Mro(ClassId(9))),
              ElementsAre("Z", "K1", "K2", "K3", "D", "A", "B", "C", "E", "O"));
}

TEST(MroTest, ExternalBasesAreReportedAndInherited) {
  HandBuiltModule m("main");
  const InstrId nn = m.Import(kBody, "torch.nn");
  m.Store(kBody, "nn", nn);
  m.Class(kBody, "Base", {m.Attr(kBody, m.Load(kBody, "nn"), "Module")});
  m.Class(kBody, "Net", {m.Load(kBody, "Base"), m.Load(kBody, "Exception")});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_THAT(ClassNames(program, resolver.Mro(ClassId(1))), ElementsAre("Net", "Base"));
  EXPECT_THAT(resolver.ExternalBases(ClassId(1)),
              ElementsAre("<builtin>.Exception", "torch.nn.Module"));
}

TEST(MroTest, LookupMethodWalksTheMro) {
  HandBuiltModule m("main");
  const int a = m.Class(kBody, "A");
  m.Def(a, "run", {"self"});
  const int b = m.Class(kBody, "B", {m.Load(kBody, "A")});
  m.Def(b, "other", {"self"});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  const FuncId run = resolver.LookupMethod(ClassId(1), "run");
  ASSERT_TRUE(run.valid());
  EXPECT_EQ(program.function(run).qualname, "A.run");
  EXPECT_FALSE(resolver.LookupMethod(ClassId(0), "other").valid());
}

TEST(ImportTest, RelativeImportsDependOnPackageness) {
  Program program;
  program.AddModule(HandBuiltModule("pkg", /*is_package=*/true).Finish());
  program.AddModule(HandBuiltModule("pkg.sub", /*is_package=*/true).Finish());
  program.AddModule(HandBuiltModule("pkg.sub.mod").Finish());
  Resolver resolver(program);
  const ModuleId pkg = program.FindModule("pkg");
  const ModuleId sub = program.FindModule("pkg.sub");
  const ModuleId mod = program.FindModule("pkg.sub.mod");
  EXPECT_EQ(resolver.AbsoluteImportName(pkg, "", 1), "pkg");  // `from . import x` in __init__
  EXPECT_EQ(resolver.AbsoluteImportName(sub, "", 1), "pkg.sub");
  EXPECT_EQ(resolver.AbsoluteImportName(sub, "x", 2), "pkg.x");
  EXPECT_EQ(resolver.AbsoluteImportName(mod, "", 1), "pkg.sub");
  EXPECT_EQ(resolver.AbsoluteImportName(mod, "other", 2), "pkg.other");
  EXPECT_EQ(resolver.AbsoluteImportName(mod, "a.b", 0), "a.b");
  EXPECT_EQ(resolver.AbsoluteImportName(mod, "", 4), "");  // climbs above the top
}

TEST(ImportTest, FromImportsResolveThroughReExports) {
  HandBuiltModule impl("pkg.impl");
  impl.Def(kBody, "helper");
  HandBuiltModule init("pkg", /*is_package=*/true);
  init.Store(kBody, "helper", init.Attr(kBody, init.Import(kBody, "impl", 1), "helper"));
  // `from . import other` binds the submodule: pkg.other has no global of its own.
  init.Store(kBody, "other", init.Attr(kBody, init.Import(kBody, "", 1), "other"));
  HandBuiltModule other("pkg.other");
  HandBuiltModule main("main");
  const InstrId helper = main.Attr(kBody, main.Import(kBody, "pkg"), "helper");
  const InstrId other_mod = main.Attr(kBody, main.Import(kBody, "pkg"), "other");
  const InstrId missing = main.Attr(kBody, main.Import(kBody, "", 3), "x");
  Program program;
  program.AddModule(impl.Finish());
  program.AddModule(init.Finish());
  program.AddModule(other.Finish());
  program.AddModule(main.Finish());
  Resolver resolver(program);
  const FuncId body = Body(program, "main");
  EXPECT_EQ(resolver.QualifiedName(body, helper), "pkg.impl.helper");
  ASSERT_EQ(resolver.Resolve(body, helper).size(), 1u);
  EXPECT_EQ(resolver.Resolve(body, helper)[0].kind, Symbol::Kind::kFunction);
  EXPECT_EQ(resolver.Resolve(body, other_mod)[0].kind, Symbol::Kind::kModule);
  EXPECT_EQ(resolver.QualifiedName(body, other_mod), "pkg.other");
  EXPECT_THAT(resolver.Resolve(body, missing), IsEmpty());
  EXPECT_THAT(Names(program, resolver.ResolveGlobal(program.FindModule("pkg"), "helper")),
              ElementsAre("pkg.impl.helper"));
}

TEST(ImportTest, ExternalNamesSurviveAliasing) {
  HandBuiltModule m("main");
  m.Store(kBody, "nn", m.Import(kBody, "torch.nn"));  // import torch.nn as nn
  const int f = m.Def(kBody, "f");
  const InstrId relu = m.Attr(f, m.Attr(f, m.Load(f, "nn"), "functional"), "relu");
  const InstrId result = m.Call(f, relu);
  const InstrId method = m.Attr(f, result, "sum");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), relu), "torch.nn.functional.relu");
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), result), "torch.nn.functional.relu()");
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), method), "torch.nn.functional.relu().sum");
}

TEST(ImportTest, CyclicReExportsTerminate) {
  HandBuiltModule a("a");
  a.Store(kBody, "x", a.Attr(kBody, a.Import(kBody, "b"), "x"));
  HandBuiltModule b("b");
  b.Store(kBody, "x", b.Attr(kBody, b.Import(kBody, "a"), "x"));
  const int f = b.Def(kBody, "f");
  const InstrId x = b.Load(f, "x");
  Program program;
  program.AddModule(a.Finish());
  program.AddModule(b.Finish());
  Resolver resolver(program);
  EXPECT_THAT(resolver.Resolve(FuncId(program.functions().size() - 1), x), IsEmpty());
  EXPECT_THAT(resolver.ResolveGlobal(program.FindModule("a"), "x"), IsEmpty());
}

TEST(GlobalTest, ModuleBindingShadowsBuiltin) {
  HandBuiltModule m("main");
  m.Def(kBody, "len");
  const int f = m.Def(kBody, "f");
  const InstrId len = m.Load(f, "len");
  const InstrId print = m.Load(f, "print");
  const InstrId nothing = m.Load(f, "undefined_name");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), len), "main.len");
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), print), "<builtin>.print");
  EXPECT_EQ(resolver.Resolve(FuncId(f), print)[0].kind, Symbol::Kind::kBuiltin);
  EXPECT_THAT(resolver.Resolve(FuncId(f), nothing), IsEmpty());
}

TEST(GlobalTest, EveryBindingOfAGlobalIsAPossibility) {
  HandBuiltModule m("main");
  m.Store(kBody, "backend", m.Import(kBody, "torch"));
  const int setup = m.Def(kBody, "setup");
  m.fn(setup).global_decls = {"backend"};
  m.Store(setup, "backend", m.Import(setup, "jax"));
  const int use = m.Def(kBody, "use");
  const InstrId backend = m.Load(use, "backend");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_THAT(Names(program, resolver.Resolve(FuncId(use), backend)),
              UnorderedElementsAre("torch", "jax"));
  EXPECT_EQ(resolver.QualifiedName(FuncId(use), backend), "");  // they disagree
}

TEST(GlobalTest, StarImportHonoursDunderAll) {
  HandBuiltModule lib("lib");
  lib.Def(kBody, "public_a");
  lib.Def(kBody, "public_b");
  const InstrId all = lib.Emit(kBody, Opcode::kBuildList, {lib.Const(kBody, "public_a")});
  lib.Store(kBody, "__all__", all);
  HandBuiltModule main("main");
  main.Emit(kBody, Opcode::kImportStar, {}, "lib", 0);
  main.Emit(kBody, Opcode::kImportStar, {}, "numpy", 0);
  const int f = main.Def(kBody, "f");
  const InstrId a = main.Load(f, "public_a");
  const InstrId b = main.Load(f, "public_b");
  Program program;
  program.AddModule(lib.Finish());
  program.AddModule(main.Finish());
  Resolver resolver(program);
  const FuncId fn(static_cast<int32_t>(program.functions().size() - 1));
  EXPECT_EQ(resolver.QualifiedName(fn, a), "lib.public_a");
  // Not exported by lib's __all__: the external star import is the only candidate.
  EXPECT_EQ(resolver.QualifiedName(fn, b), "numpy.public_b");
}

TEST(PhiTest, PhiIsTheUnionOfItsOperands) {
  HandBuiltModule m("main");
  const int f = m.Def(kBody, "f");
  Function& fn = m.fn(f);
  FunctionBuilder builder(fn);
  const BlockId left = builder.NewBlock();
  const BlockId right = builder.NewBlock();
  const BlockId join = builder.NewBlock();
  builder.SetInsertBlock(fn.entry);
  const InstrId cond = builder.EmitConst(ConstKind::kBool, "True", {});
  builder.EmitBranch(cond, left, right, {});
  builder.SetInsertBlock(left);
  const InstrId torch = builder.Emit(Opcode::kImport, {}, {}, "torch");
  builder.EmitJump(join, {});
  builder.SetInsertBlock(right);
  const InstrId np = builder.Emit(Opcode::kImport, {}, {}, "numpy");
  const InstrId none = builder.EmitConst(ConstKind::kNone, "None", {});
  builder.EmitJump(join, {});
  builder.SetInsertBlock(join);
  const InstrId phi = builder.Emit(Opcode::kPhi, {}, {torch, np});
  fn.instr(phi).targets = {left, right};
  const InstrId phi_none = builder.Emit(Opcode::kPhi, {}, {torch, none});
  fn.instr(phi_none).targets = {left, right};
  const InstrId zeros = builder.Emit(Opcode::kLoadAttr, {}, {phi}, "zeros");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_THAT(Names(program, resolver.Resolve(FuncId(f), phi)),
              UnorderedElementsAre("torch", "numpy"));
  EXPECT_THAT(Names(program, resolver.Resolve(FuncId(f), zeros)),
              UnorderedElementsAre("torch.zeros", "numpy.zeros"));
  // None is data, not a possibility that hides the module.
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), phi_none), "torch");
}

TEST(PhiTest, LoopCarriedPhiTerminates) {
  HandBuiltModule m("main");
  const int f = m.Def(kBody, "f");
  Function& fn = m.fn(f);
  FunctionBuilder builder(fn);
  const BlockId header = builder.NewBlock();
  builder.SetInsertBlock(fn.entry);
  const InstrId torch = builder.Emit(Opcode::kImport, {}, {}, "torch");
  builder.EmitJump(header, {});
  builder.SetInsertBlock(header);
  const InstrId phi = builder.Emit(Opcode::kPhi, {}, {torch});
  const InstrId attr = builder.Emit(Opcode::kLoadAttr, {}, {phi}, "nn");
  fn.instr(phi).operands.push_back(attr);
  fn.instr(phi).targets = {fn.entry, header};
  builder.EmitJump(header, {});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  // torch, torch.nn, torch.nn.nn, ... has no finite bound: the known entry plus "unknown".
  const std::vector<Symbol>& symbols = resolver.Resolve(FuncId(f), phi);
  ASSERT_EQ(symbols.size(), 2u);
  EXPECT_EQ(symbols[0].QualifiedName(program), "torch");
  EXPECT_FALSE(symbols[1].known());
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), phi), "");
}

TEST(ClassTest, SelfMethodsSuperAndInstanceAttributes) {
  HandBuiltModule m("main");
  m.Store(kBody, "transformers", m.Import(kBody, "transformers"));
  const int base = m.Class(kBody, "Base");
  const int base_init = m.Def(base, "__init__", {"self"});
  const InstrId loader = m.Attr(base_init, m.Load(base_init, "transformers"), "AutoModel");
  const InstrId model = m.Call(base_init, m.Attr(base_init, loader, "from_pretrained"));
  m.StoreAttr(base_init, m.Param(base_init, 0), "model", model);
  m.Def(base, "step", {"self"});
  const int child = m.Class(kBody, "Child", {m.Load(kBody, "Base")});
  const int child_step = m.Def(child, "step", {"self"});
  const InstrId self = m.Param(child_step, 0);
  const InstrId own = m.Attr(child_step, self, "step");
  const InstrId inherited = m.Attr(child_step, m.Call(child_step, m.Load(child_step, "super")),
                                   "step");
  const InstrId generate = m.Attr(child_step, m.Attr(child_step, self, "model"), "generate");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  const FuncId fn(child_step);
  ASSERT_EQ(resolver.Resolve(fn, own).size(), 1u);
  EXPECT_EQ(resolver.Resolve(fn, own)[0].kind, Symbol::Kind::kBoundMethod);
  EXPECT_EQ(resolver.QualifiedName(fn, own), "main.Child.step");
  EXPECT_EQ(resolver.QualifiedName(fn, inherited), "main.Base.step");
  EXPECT_EQ(resolver.QualifiedName(fn, generate),
            "transformers.AutoModel.from_pretrained().generate");
}

TEST(DecoratorTest, TransparentAndInRepoDecorators) {
  HandBuiltModule m("main");
  m.Store(kBody, "functools", m.Import(kBody, "functools"));
  // def deco(f): def wrapper(): ...; return wrapper
  const int deco = m.Def(kBody, "deco", {"f"});
  const int wrapper = m.Def(deco, "wrapper", {}, {}, /*bind=*/false);
  m.Return(deco, m.last_value());
  const InstrId cache = m.Attr(kBody, m.Load(kBody, "functools"), "lru_cache");
  const InstrId cache_call = m.Call(kBody, cache, {m.Const(kBody, "None", ConstKind::kNone)});
  const int cached = m.Def(kBody, "cached", {}, {cache_call});
  const int wrapped = m.Def(kBody, "wrapped", {}, {m.Load(kBody, "deco")});
  const int f = m.Def(kBody, "f");
  const InstrId use_cached = m.Load(f, "cached");
  const InstrId use_wrapped = m.Load(f, "wrapped");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), use_cached), "main.cached");
  EXPECT_EQ(resolver.QualifiedName(FuncId(f), use_wrapped), "main.deco.wrapper");
  EXPECT_THAT(resolver.DecoratorNames(FuncId(cached)), ElementsAre("functools.lru_cache()"));
  EXPECT_TRUE(Resolver::IsTransparentDecorator("functools.lru_cache()"));
  EXPECT_THAT(resolver.DecoratorNames(FuncId(wrapped)), ElementsAre("main.deco"));
  EXPECT_FALSE(Resolver::IsTransparentDecorator("main.deco"));
  EXPECT_EQ(program.function(FuncId(wrapper)).qualname, "deco.wrapper");
}

TEST(OriginsTest, ConstantsAndDictElementsAcrossModules) {
  HandBuiltModule config("config");
  const InstrId checkpoint = config.Const(kBody, "gpt2");
  config.Store(kBody, "MODEL", checkpoint);
  config.Def(kBody, "handler_a");
  config.Def(kBody, "handler_b");
  const InstrId dict = config.Emit(
      kBody, Opcode::kBuildDict,
      {config.Const(kBody, "a"), config.Load(kBody, "handler_a"), config.Const(kBody, "b"),
       config.Load(kBody, "handler_b")});
  config.fn(kBody).instr(dict).arg_names = {"", ""};
  config.Store(kBody, "HANDLERS", dict);
  HandBuiltModule main("main");
  const int f = main.Def(kBody, "f", {"key"});
  const InstrId cfg = main.Import(f, "config");
  const InstrId model = main.Attr(f, cfg, "MODEL");
  const InstrId handlers = main.Attr(f, cfg, "HANDLERS");
  const InstrId exact = main.Emit(f, Opcode::kLoadSubscript, {handlers, main.Const(f, "b")});
  const InstrId any = main.Emit(f, Opcode::kLoadSubscript, {handlers, main.Param(f, 0)});
  Program program;
  program.AddModule(config.Finish());
  program.AddModule(main.Finish());
  Resolver resolver(program);
  const FuncId fn = program.module(program.FindModule("main")).body;
  const FuncId f_id(fn.value() + f);
  const std::vector<ValueRef> origins = resolver.Origins(f_id, model);
  ASSERT_EQ(origins.size(), 1u);
  EXPECT_EQ(program.function(origins[0].fn).instr(origins[0].value).text, "gpt2");
  EXPECT_EQ(resolver.QualifiedName(f_id, exact), "config.handler_b");
  EXPECT_THAT(Names(program, resolver.Resolve(f_id, any)),
              UnorderedElementsAre("config.handler_a", "config.handler_b"));
}

}  // namespace
}  // namespace flopscope::ir

namespace flopscope::ir {
namespace {

// m0.f = m1.f = ... = m{n-1}.f, and m{n-1} defines f.
Program ReExportChain(int n) {
  Program program;
  for (int i = 0; i < n; ++i) {
    testing::HandBuiltModule m("m" + std::to_string(i));
    if (i + 1 < n) {
      const InstrId next = m.Import(kBody, "m" + std::to_string(i + 1));
      m.Store(kBody, "f", m.Attr(kBody, next, "f"));
    } else {
      m.Def(kBody, "f");
    }
    program.AddModule(m.Finish());
  }
  return program;
}

TEST(RobustnessTest, LongReExportChainsResolve) {
  const Program program = ReExportChain(60);
  Resolver resolver(program);
  const std::vector<Symbol>& f = resolver.ResolveGlobal(program.FindModule("m0"), "f");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].QualifiedName(program), "m59.f");
}

// Deeper than the resolver recurses: it must give up (unknown) instead of overflowing the stack,
// and answers about the far end stay right.
TEST(RobustnessTest, PathologicalChainsTerminate) {
  const Program program = ReExportChain(5000);
  Resolver resolver(program);
  const std::vector<Symbol>& f = resolver.ResolveGlobal(program.FindModule("m0"), "f");
  EXPECT_TRUE(f.empty() || f[0].QualifiedName(program) == "m4999.f");
  const std::vector<Symbol>& near_end = resolver.ResolveGlobal(program.FindModule("m4990"), "f");
  ASSERT_EQ(near_end.size(), 1u);
  EXPECT_EQ(near_end[0].QualifiedName(program), "m4999.f");
}

TEST(RobustnessTest, WideUnionsAreBounded) {
  testing::HandBuiltModule m("main");
  for (int i = 0; i < 20; ++i) {
    m.Def(kBody, "f" + std::to_string(i));
    m.Store(kBody, "handler", m.last_value());
  }
  const int use = m.Def(kBody, "use");
  const InstrId handler = m.Load(use, "handler");
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  // Twenty possibilities exceed the bound: reported as nothing known, not a partial list.
  EXPECT_THAT(resolver.Resolve(FuncId(use), handler), IsEmpty());
}

}  // namespace
}  // namespace flopscope::ir
