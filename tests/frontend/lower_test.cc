// Lowering of definitions, names/scopes and expressions: concrete IR facts per construct.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "tests/frontend/lower_test_util.h"

namespace flopscope::frontend {
namespace {

using ::flopscope::frontend::testing::BlockOf;
using ::flopscope::frontend::testing::Find;
using ::flopscope::frontend::testing::FindClass;
using ::flopscope::frontend::testing::Fn;
using ::flopscope::frontend::testing::LowerSource;
using ::flopscope::frontend::testing::One;
using ::flopscope::frontend::testing::Operand;
using ::flopscope::frontend::testing::Scopes;
using ir::FunctionKind;
using ir::Opcode;
using ir::VarScope;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LowerDefinitions, FunctionsClassesAndQualnames) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f():
    def inner():
        pass
    g = lambda: 1
    return [x for x in g()]

class C(Base, metaclass=Meta):
    attr = 1
    def m(self):
        return lambda: self
    class Inner:
        def n(self): pass
)py");
  ASSERT_FALSE(unit.functions.empty());
  const ir::Function& module = unit.functions[0];
  EXPECT_EQ(module.kind, FunctionKind::kModule);
  EXPECT_EQ(module.name, "<module>");
  EXPECT_EQ(module.qualname, "");
  EXPECT_EQ(unit.module.name, "m");
  EXPECT_EQ(unit.module.body, ir::FuncId(0));

  const ir::Function& f = Fn(unit, "f");
  EXPECT_EQ(f.kind, FunctionKind::kFunction);
  EXPECT_EQ(f.parent, module.id);
  EXPECT_EQ(Fn(unit, "f.inner").parent, f.id);
  EXPECT_EQ(Fn(unit, "f.<lambda1>").kind, FunctionKind::kLambda);
  EXPECT_EQ(Fn(unit, "f.<lambda1>").name, "<lambda1>");
  EXPECT_EQ(Fn(unit, "f.<listcomp1>").kind, FunctionKind::kComprehension);

  const ir::Class* c = FindClass(unit, "C");
  ASSERT_NE(c, nullptr);
  const ir::Function& body = Fn(unit, "C");
  EXPECT_EQ(body.kind, FunctionKind::kClassBody);
  EXPECT_EQ(body.name, "C");
  EXPECT_EQ(body.class_of_body, c->id);
  EXPECT_EQ(c->body, body.id);
  EXPECT_EQ(c->defined_in, module.id);
  const ir::Function& m = Fn(unit, "C.m");
  EXPECT_EQ(m.method_of, c->id);
  EXPECT_EQ(m.parent, body.id);
  EXPECT_FALSE(Fn(unit, "C.m.<lambda1>").method_of.valid());
  ASSERT_EQ(c->methods.count("m"), 1u);
  EXPECT_EQ(c->methods.at("m"), m.id);
  EXPECT_EQ(c->methods.count("attr"), 0u);
  ASSERT_NE(FindClass(unit, "C.Inner"), nullptr);
  EXPECT_EQ(Fn(unit, "C.Inner.n").method_of, FindClass(unit, "C.Inner")->id);

  // MakeClass: operands = bases then keywords.
  const ir::Instr& make = module.instr(c->definition);
  EXPECT_EQ(make.op, Opcode::kMakeClass);
  EXPECT_EQ(make.aux, c->id.value());
  EXPECT_THAT(make.arg_names, ElementsAre("", "metaclass"));
  ASSERT_EQ(make.operands.size(), 2u);
  EXPECT_EQ(module.instr(make.operands[0]).text, "Base");
  EXPECT_EQ(module.instr(make.operands[1]).text, "Meta");
  // The definition is stored under the class name.
  const ir::InstrId store = One(module, Opcode::kStoreVar, "C");
  EXPECT_EQ(Operand(module, store, 0), c->definition);
  EXPECT_EQ(f.definition, Operand(module, One(module, Opcode::kStoreVar, "f"), 0));
  EXPECT_EQ(module.instr(f.definition).aux, f.id.value());
}

TEST(LowerDefinitions, LambdasAndComprehensionsNumberedPerFunction) {
  const ir::ModuleUnit unit = LowerSource(R"py(
a = lambda: 1
b = lambda: 2
s = {x for x in a()}
d = {k: v for k, v in b()}
g = (y for y in s)
l = [z for z in g]
def f():
    return lambda: 3
)py");
  EXPECT_EQ(Fn(unit, "<lambda1>").name, "<lambda1>");
  EXPECT_EQ(Fn(unit, "<lambda2>").name, "<lambda2>");
  EXPECT_EQ(Fn(unit, "<setcomp1>").kind, FunctionKind::kComprehension);
  EXPECT_EQ(Fn(unit, "<dictcomp1>").kind, FunctionKind::kComprehension);
  EXPECT_TRUE(Fn(unit, "<genexpr1>").is_generator);
  EXPECT_FALSE(Fn(unit, "<listcomp1>").is_generator);
  EXPECT_EQ(Fn(unit, "f.<lambda1>").parent, Fn(unit, "f").id);
}

TEST(LowerDefinitions, DecoratorsAppliedInnermostFirst) {
  const ir::ModuleUnit unit = LowerSource(R"py(
@outer
@inner(1)
def f(): pass

@dataclass
class D: pass
)py");
  const ir::Function& module = unit.functions[0];
  const ir::Function& f = Fn(unit, "f");
  ASSERT_EQ(f.decorator_calls.size(), 2u);
  EXPECT_EQ(module.instr(ir::DecoratorValue(module, f.decorator_calls[0])).text, "outer");
  const ir::InstrId inner = ir::DecoratorValue(module, f.decorator_calls[1]);
  EXPECT_EQ(module.instr(inner).op, Opcode::kCall);  // inner(1)
  // f = outer(inner(1)(<make f>))
  const ir::InstrId stored = Operand(module, One(module, Opcode::kStoreVar, "f"), 0);
  EXPECT_EQ(stored, f.decorator_calls[0]);
  const ir::InstrId applied_inner = Operand(module, stored, 1);
  EXPECT_EQ(applied_inner, f.decorator_calls[1]);
  EXPECT_EQ(Operand(module, applied_inner, 0), inner);
  EXPECT_EQ(Operand(module, applied_inner, 1), f.definition);

  const ir::Class* d = FindClass(unit, "D");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->decorator_calls.size(), 1u);
  EXPECT_EQ(module.instr(ir::DecoratorValue(module, d->decorator_calls[0])).text, "dataclass");
  const ir::InstrId d_stored = Operand(module, One(module, Opcode::kStoreVar, "D"), 0);
  EXPECT_EQ(d_stored, d->decorator_calls[0]);
  EXPECT_EQ(Operand(module, d_stored, 1), d->definition);
}

TEST(LowerDefinitions, ParametersAndDefaults) {
  const ir::ModuleUnit unit = LowerSource(R"py(
async def f(a, /, b: int = 1, *args, c, d=2, **kw) -> int:
    yield a
)py");
  const ir::Function& f = Fn(unit, "f");
  EXPECT_TRUE(f.is_async);
  EXPECT_TRUE(f.is_generator);
  ASSERT_EQ(f.params.size(), 6u);
  const std::vector<std::string> names = {"a", "b", "args", "c", "d", "kw"};
  const std::vector<ir::ParamKind> kinds = {
      ir::ParamKind::kPositionalOnly, ir::ParamKind::kPositional,  ir::ParamKind::kVarArgs,
      ir::ParamKind::kKeywordOnly,    ir::ParamKind::kKeywordOnly, ir::ParamKind::kVarKeywords};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(f.params[i].name, names[i]);
    EXPECT_EQ(f.params[i].kind, kinds[i]) << names[i];
  }
  EXPECT_TRUE(f.params[1].has_default);
  EXPECT_TRUE(f.params[4].has_default);
  EXPECT_FALSE(f.params[0].has_default);
  // Defaults evaluated in the parent, passed to MakeFunction by parameter name.
  const ir::Function& module = unit.functions[0];
  const ir::Instr& make = module.instr(f.definition);
  EXPECT_THAT(make.arg_names, ElementsAre("b", "d"));
  EXPECT_EQ(module.instr(make.operands[0]).text, "1");
  EXPECT_EQ(module.instr(make.operands[1]).text, "2");
  // Entry: Param i then StoreVar local, for every parameter, in order.
  const ir::Block& entry = f.block(f.entry);
  ASSERT_GE(entry.instrs.size(), 12u);
  for (size_t i = 0; i < names.size(); ++i) {
    const ir::Instr& param = f.instr(entry.instrs[2 * i]);
    const ir::Instr& store = f.instr(entry.instrs[2 * i + 1]);
    EXPECT_EQ(param.op, Opcode::kParam);
    EXPECT_EQ(param.aux, static_cast<int>(i));
    EXPECT_EQ(param.text, names[i]);
    EXPECT_EQ(store.op, Opcode::kStoreVar);
    EXPECT_EQ(store.text, names[i]);
    EXPECT_EQ(static_cast<VarScope>(store.aux), VarScope::kLocal);
    EXPECT_EQ(store.operands[0], entry.instrs[2 * i]);
  }
}

TEST(LowerNames, ModuleGlobalLocalAndClassScopes) {
  const ir::ModuleUnit unit = LowerSource(R"py(
x = 1
def f(p):
    y = p + x
    print(y)
def g():
    global x
    x = 2
class C:
    z = x
    w = z
)py");
  EXPECT_THAT(Scopes(unit.functions[0], Opcode::kStoreVar, "x"), ElementsAre(VarScope::kGlobal));
  const ir::Function& f = Fn(unit, "f");
  EXPECT_THAT(Scopes(f, Opcode::kStoreVar, "y"), ElementsAre(VarScope::kLocal));
  EXPECT_THAT(Scopes(f, Opcode::kLoadVar, "x"), ElementsAre(VarScope::kGlobal));
  EXPECT_THAT(Scopes(f, Opcode::kLoadVar, "print"), ElementsAre(VarScope::kGlobal));
  const ir::Function& g = Fn(unit, "g");
  EXPECT_THAT(Scopes(g, Opcode::kStoreVar, "x"), ElementsAre(VarScope::kGlobal));
  EXPECT_THAT(g.global_decls, ElementsAre("x"));
  const ir::Function& c = Fn(unit, "C");
  EXPECT_THAT(Scopes(c, Opcode::kLoadVar, "x"), ElementsAre(VarScope::kGlobal));
  EXPECT_THAT(Scopes(c, Opcode::kStoreVar, "z"), ElementsAre(VarScope::kClass));
  EXPECT_THAT(Scopes(c, Opcode::kLoadVar, "z"), ElementsAre(VarScope::kClass));
}

TEST(LowerNames, ClosuresUseCellsAndOwnerKeepsLocal) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def outer(model):
    count = 0
    def hook(m, i, o):
        nonlocal count
        count += 1
        return model(o)
    model.register_forward_hook(hook)
    return count
)py");
  const ir::Function& outer = Fn(unit, "outer");
  const ir::Function& hook = Fn(unit, "outer.hook");
  EXPECT_THAT(outer.cell_vars, ElementsAre("count", "model"));
  EXPECT_THAT(hook.free_vars, ElementsAre("count", "model"));
  // Read-only capture: the owner keeps SSA (kLocal) and mirrors every store into the cell.
  EXPECT_THAT(Scopes(outer, Opcode::kStoreVar, "model"),
              ElementsAre(VarScope::kLocal, VarScope::kCell));
  EXPECT_THAT(Scopes(outer, Opcode::kLoadVar, "model"), ElementsAre(VarScope::kLocal));
  EXPECT_THAT(Scopes(hook, Opcode::kLoadVar, "model"), ElementsAre(VarScope::kCell));
  // Rebound by the closure (nonlocal): a cell everywhere.
  EXPECT_THAT(Scopes(outer, Opcode::kStoreVar, "count"), ElementsAre(VarScope::kCell));
  EXPECT_THAT(Scopes(outer, Opcode::kLoadVar, "count"), ElementsAre(VarScope::kCell));
  EXPECT_THAT(Scopes(hook, Opcode::kStoreVar, "count"), ElementsAre(VarScope::kCell));
  // MakeFunction carries no cell operands (documented choice).
  EXPECT_TRUE(outer.instr(hook.definition).operands.empty());
}

TEST(LowerNames, ClassScopeIsSkippedByMethods) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def factory():
    size = 3
    class M:
        size = 4
        def get(self):
            return size
    return M
)py");
  EXPECT_THAT(Scopes(Fn(unit, "factory.M.get"), Opcode::kLoadVar, "size"),
              ElementsAre(VarScope::kCell));
  EXPECT_THAT(Scopes(Fn(unit, "factory.M"), Opcode::kStoreVar, "size"),
              ElementsAre(VarScope::kClass));
  EXPECT_THAT(Fn(unit, "factory.M").free_vars, ElementsAre("size"));
  EXPECT_THAT(Fn(unit, "factory").cell_vars, ElementsAre("size"));
}

TEST(LowerNames, ComprehensionScopeAndWalrus) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def f(data, k):
    ys = [last := y * k for y in data if y]
    return last
total = [seen := v for v in range(3)]
)py");
  const ir::Function& f = Fn(unit, "f");
  const ir::Function& comp = Fn(unit, "f.<listcomp1>");
  // The first iterable is evaluated in f and passed as the single argument.
  const ir::InstrId call = Operand(f, One(f, Opcode::kStoreVar, "ys"), 0);
  ASSERT_EQ(f.instr(call).op, Opcode::kCall);
  EXPECT_EQ(f.instr(Operand(f, call, 0)).op, Opcode::kMakeFunction);
  EXPECT_EQ(f.instr(Operand(f, call, 0)).aux, comp.id.value());
  EXPECT_EQ(f.instr(Operand(f, call, 1)).text, "data");
  EXPECT_EQ(comp.definition, Operand(f, call, 0));
  ASSERT_EQ(comp.params.size(), 1u);
  EXPECT_EQ(comp.params[0].name, ".0");
  EXPECT_THAT(Scopes(comp, Opcode::kStoreVar, "y"), ElementsAre(VarScope::kLocal));
  EXPECT_THAT(Scopes(comp, Opcode::kLoadVar, "k"), ElementsAre(VarScope::kCell));
  // Walrus binds in the enclosing function.
  EXPECT_THAT(Scopes(comp, Opcode::kStoreVar, "last"), ElementsAre(VarScope::kCell));
  EXPECT_THAT(Scopes(f, Opcode::kLoadVar, "last"), ElementsAre(VarScope::kCell));
  EXPECT_THAT(f.cell_vars, ElementsAre("k", "last"));
  // At module level a walrus in a comprehension binds a global.
  EXPECT_THAT(Scopes(Fn(unit, "<listcomp1>"), Opcode::kStoreVar, "seen"),
              ElementsAre(VarScope::kGlobal));
  // The comprehension's loop and its result.
  ASSERT_EQ(comp.loops.size(), 1u);
  EXPECT_TRUE(comp.loops[0].for_iter.valid());
  EXPECT_EQ(comp.instr(comp.loops[0].for_iter).op, Opcode::kForIter);
  EXPECT_EQ(Find(comp, Opcode::kLoadAttr, "append").size(), 1u);
}

TEST(LowerExpressions, AugmentedAssignmentThroughAttributeChain) {
  const ir::ModuleUnit unit = LowerSource(R"py(
def steer(model, v):
    model.layers[3].mlp.weight.data += v
)py");
  const ir::Function& fn = Fn(unit, "steer");
  const ir::InstrId store = One(fn, Opcode::kStoreAttr, "data");
  const ir::InstrId weight = Operand(fn, store, 0);
  EXPECT_EQ(fn.instr(weight).op, Opcode::kLoadAttr);
  EXPECT_EQ(fn.instr(weight).text, "weight");
  const ir::InstrId mlp = Operand(fn, weight, 0);
  EXPECT_EQ(fn.instr(mlp).text, "mlp");
  const ir::InstrId layer = Operand(fn, mlp, 0);
  EXPECT_EQ(fn.instr(layer).op, Opcode::kLoadSubscript);
  EXPECT_EQ(fn.instr(Operand(fn, layer, 1)).text, "3");
  const ir::InstrId layers = Operand(fn, layer, 0);
  EXPECT_EQ(fn.instr(layers).text, "layers");
  EXPECT_EQ(fn.instr(Operand(fn, layers, 0)).text, "model");
  const ir::InstrId updated = Operand(fn, store, 1);
  EXPECT_EQ(fn.instr(updated).op, Opcode::kInplaceOp);
  EXPECT_EQ(fn.instr(updated).text, "+");
  const ir::InstrId old = Operand(fn, updated, 0);
  EXPECT_EQ(fn.instr(old).op, Opcode::kLoadAttr);
  EXPECT_EQ(fn.instr(old).text, "data");
  EXPECT_EQ(Operand(fn, old, 0), weight);  // the object is evaluated once
}

TEST(LowerExpressions, AugmentedSubscriptEvaluatesTargetOnce) {
  const ir::ModuleUnit unit = LowerSource("def f(x, i, v):\n    x.a[i] += v\n");
  const ir::Function& fn = Fn(unit, "f");
  ASSERT_EQ(Find(fn, Opcode::kStoreSubscript).size(), 1u);
  const ir::InstrId store = Find(fn, Opcode::kStoreSubscript)[0];
  const ir::InstrId object = Operand(fn, store, 0);
  EXPECT_EQ(fn.instr(object).op, Opcode::kLoadAttr);
  EXPECT_EQ(Find(fn, Opcode::kLoadAttr, "a").size(), 1u);
  const ir::InstrId op = Operand(fn, store, 2);
  EXPECT_EQ(fn.instr(op).op, Opcode::kInplaceOp);
  const ir::InstrId load = Operand(fn, op, 0);
  EXPECT_EQ(fn.instr(load).op, Opcode::kLoadSubscript);
  EXPECT_EQ(Operand(fn, load, 0), object);
  EXPECT_EQ(Operand(fn, load, 1), Operand(fn, store, 1));
}

TEST(LowerExpressions, CallArgumentKinds) {
  const ir::ModuleUnit unit = LowerSource("obj.method(a, *rest, k=1, **extra)\n");
  const ir::Function& fn = unit.functions[0];
  ASSERT_EQ(Find(fn, Opcode::kCall).size(), 1u);
  const ir::Instr& call = fn.instr(Find(fn, Opcode::kCall)[0]);
  EXPECT_THAT(call.arg_names, ElementsAre("", "*", "k", "**"));
  ASSERT_EQ(call.operands.size(), 5u);
  EXPECT_EQ(fn.instr(call.operands[0]).op, Opcode::kLoadAttr);
  EXPECT_EQ(fn.instr(call.operands[0]).text, "method");
  EXPECT_EQ(fn.instr(call.operands[2]).text, "rest");
  EXPECT_EQ(fn.instr(call.operands[4]).text, "extra");
}

TEST(LowerExpressions, KwargsDictLiteralStaysVisible) {
  const ir::ModuleUnit unit =
      LowerSource("kw = {'torch_dtype': torch.float16, **base}\nload(name, **kw)\n");
  const ir::Function& fn = unit.functions[0];
  ASSERT_EQ(Find(fn, Opcode::kBuildDict).size(), 1u);
  const ir::Instr& dict = fn.instr(Find(fn, Opcode::kBuildDict)[0]);
  EXPECT_THAT(dict.arg_names, ElementsAre("", "**"));
  ASSERT_EQ(dict.operands.size(), 4u);
  EXPECT_EQ(fn.instr(dict.operands[0]).text, "torch_dtype");
  EXPECT_EQ(fn.instr(dict.operands[1]).text, "float16");
  EXPECT_EQ(dict.operands[2], dict.operands[3]);
}

TEST(LowerExpressions, ImportsFollowTheContract) {
  const ir::ModuleUnit unit = LowerSource(R"py(
import a.b
import a.b as c
from x.y import z as w, q
from . import m
from ..pkg.sub import n
from os import *
)py");
  const ir::Function& fn = unit.functions[0];
  std::vector<std::string> imports;
  for (ir::InstrId id : Find(fn, Opcode::kImport)) {
    imports.push_back(absl::StrCat(fn.instr(id).text, "@", fn.instr(id).aux));
  }
  EXPECT_THAT(imports, ElementsAre("a@0", "a.b@0", "x.y@0", "@1", "pkg.sub@2"));
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "a"), 0)).text, "a");
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "c"), 0)).text, "a.b");
  const ir::InstrId w = Operand(fn, One(fn, Opcode::kStoreVar, "w"), 0);
  EXPECT_EQ(fn.instr(w).op, Opcode::kLoadAttr);
  EXPECT_EQ(fn.instr(w).text, "z");
  EXPECT_EQ(fn.instr(Operand(fn, w, 0)).text, "x.y");
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "m"), 0)).text, "m");
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "n"), 0)).text, "n");
  ASSERT_EQ(Find(fn, Opcode::kImportStar).size(), 1u);
  EXPECT_EQ(fn.instr(Find(fn, Opcode::kImportStar)[0]).text, "os");
}

TEST(LowerExpressions, BooleanOperatorsBranchAndMergeThroughTemporary) {
  const ir::ModuleUnit unit = LowerSource("def f(a, b, c):\n    return a and b or c\n");
  const ir::Function& fn = Fn(unit, "f");
  EXPECT_GE(Find(fn, Opcode::kBranch).size(), 2u);
  const ir::InstrId ret = Find(fn, Opcode::kReturn)[0];
  const ir::Instr& result = fn.instr(Operand(fn, ret, 0));
  EXPECT_EQ(result.op, Opcode::kLoadVar);
  EXPECT_EQ(static_cast<VarScope>(result.aux), VarScope::kLocal);
  EXPECT_EQ(result.text.substr(0, 2), "$t");
  // Every operand value is stored to a temporary on its path.
  EXPECT_GE(Find(fn, Opcode::kStoreVar).size(), 3u + 4u);
}

TEST(LowerExpressions, ChainedComparisonShortCircuits) {
  const ir::ModuleUnit unit = LowerSource("def f(a, b, c):\n    return a < b <= c\n");
  const ir::Function& fn = Fn(unit, "f");
  const std::vector<ir::InstrId> compares = Find(fn, Opcode::kCompare);
  ASSERT_EQ(compares.size(), 2u);
  EXPECT_EQ(fn.instr(compares[0]).text, "<");
  EXPECT_EQ(fn.instr(compares[1]).text, "<=");
  EXPECT_NE(BlockOf(fn, compares[0]), BlockOf(fn, compares[1]));
  // b is evaluated once and reused as the left side of the second comparison.
  EXPECT_EQ(Operand(fn, compares[0], 1), Operand(fn, compares[1], 0));
  const ir::Instr& branch = fn.instr(fn.block(BlockOf(fn, compares[0])).instrs.back());
  EXPECT_EQ(branch.op, Opcode::kBranch);
  EXPECT_EQ(branch.operands[0], compares[0]);
}

TEST(LowerExpressions, ConditionalExpressionAndNotIn) {
  const ir::ModuleUnit unit = LowerSource("y = a if b not in c else d is not e\n");
  const ir::Function& fn = unit.functions[0];
  EXPECT_EQ(Find(fn, Opcode::kCompare, "not in").size(), 1u);
  EXPECT_EQ(Find(fn, Opcode::kCompare, "is not").size(), 1u);
  const ir::InstrId cond = Find(fn, Opcode::kCompare, "not in")[0];
  const ir::Instr& branch = fn.instr(fn.block(BlockOf(fn, cond)).instrs.back());
  EXPECT_EQ(branch.op, Opcode::kBranch);
}

TEST(LowerExpressions, StarredAssignmentAndUnpacking) {
  const ir::ModuleUnit unit = LowerSource("a, *b, (c, d), e = f()\n[x, y] = z\n");
  const ir::Function& fn = unit.functions[0];
  const ir::InstrId star = Operand(fn, One(fn, Opcode::kStoreVar, "b"), 0);
  EXPECT_EQ(fn.instr(star).op, Opcode::kUnpackStar);
  EXPECT_EQ(fn.instr(star).aux, 1);     // one item before
  EXPECT_EQ(fn.instr(star).text, "2");  // two after
  const ir::InstrId e = Operand(fn, One(fn, Opcode::kStoreVar, "e"), 0);
  EXPECT_EQ(fn.instr(e).op, Opcode::kUnpackItem);
  EXPECT_EQ(fn.instr(e).aux, -1);
  const ir::InstrId d = Operand(fn, One(fn, Opcode::kStoreVar, "d"), 0);
  EXPECT_EQ(fn.instr(d).aux, 1);
  EXPECT_EQ(fn.instr(Operand(fn, d, 0)).aux, -2);  // (c, d) is the second item from the end
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "y"), 0)).aux, 1);
}

TEST(LowerExpressions, StringsAndFStrings) {
  const ir::ModuleUnit unit =
      LowerSource("a = 'gpt2-xl'\nb = f\"{name}-{size:>{w}}b\"\nc = b'raw'\nd = 'x' 'y'\ne = 1j\n");
  const ir::Function& fn = unit.functions[0];
  const ir::Instr& a = fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "a"), 0));
  EXPECT_EQ(a.text, "gpt2-xl");
  EXPECT_EQ(static_cast<ir::ConstKind>(a.aux), ir::ConstKind::kString);
  const ir::InstrId b = Operand(fn, One(fn, Opcode::kStoreVar, "b"), 0);
  EXPECT_EQ(fn.instr(b).op, Opcode::kFormatString);
  EXPECT_EQ(fn.instr(b).text, "{}-{}b");
  ASSERT_EQ(fn.instr(b).operands.size(), 3u);
  EXPECT_EQ(fn.instr(Operand(fn, b, 0)).text, "name");
  EXPECT_EQ(fn.instr(Operand(fn, b, 2)).text, "w");
  EXPECT_EQ(
      static_cast<ir::ConstKind>(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "c"), 0)).aux),
      ir::ConstKind::kBytes);
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "d"), 0)).text, "xy");
  EXPECT_EQ(
      static_cast<ir::ConstKind>(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "e"), 0)).aux),
      ir::ConstKind::kComplex);
}

TEST(LowerExpressions, SubscriptsAndSlices) {
  const ir::ModuleUnit unit = LowerSource("y = x[1:2, ::3]\n");
  const ir::Function& fn = unit.functions[0];
  const ir::InstrId load = Operand(fn, One(fn, Opcode::kStoreVar, "y"), 0);
  ASSERT_EQ(fn.instr(load).op, Opcode::kLoadSubscript);
  const ir::InstrId key = Operand(fn, load, 1);
  ASSERT_EQ(fn.instr(key).op, Opcode::kBuildTuple);
  const ir::InstrId second = Operand(fn, key, 1);
  ASSERT_EQ(fn.instr(second).op, Opcode::kBuildSlice);
  EXPECT_EQ(static_cast<ir::ConstKind>(fn.instr(Operand(fn, second, 0)).aux), ir::ConstKind::kNone);
  EXPECT_EQ(fn.instr(Operand(fn, second, 2)).text, "3");
}

TEST(LowerExpressions, DeleteYieldAwaitAndOpaque) {
  const ir::ModuleUnit unit = LowerSource(R"py(
async def f(a, b):
    del a, b.c, b[0]
    x = yield
    yield from b
    await b
type Alias = int
)py");
  const ir::Function& f = Fn(unit, "f");
  EXPECT_THAT(Scopes(f, Opcode::kDelVar, "a"), ElementsAre(VarScope::kLocal));
  EXPECT_EQ(Find(f, Opcode::kDelAttr, "c").size(), 1u);
  EXPECT_EQ(Find(f, Opcode::kDelSubscript).size(), 1u);
  EXPECT_EQ(Find(f, Opcode::kYield).size(), 1u);
  EXPECT_EQ(Find(f, Opcode::kYieldFrom).size(), 1u);
  EXPECT_EQ(Find(f, Opcode::kAwait).size(), 1u);
  EXPECT_TRUE(f.is_generator);
  const ir::Function& module = unit.functions[0];
  EXPECT_EQ(module.instr(Operand(module, One(module, Opcode::kStoreVar, "Alias"), 0)).op,
            Opcode::kOpaque);
}

TEST(LowerExpressions, RangesAreOneBased) {
  const ir::ModuleUnit unit = LowerSource("x = 1\nif x:\n    y = foo(x)\n");
  const ir::Function& fn = unit.functions[0];
  const ir::Instr& call = fn.instr(Find(fn, Opcode::kCall)[0]);
  EXPECT_EQ(call.range.line, 3u);
  EXPECT_EQ(call.range.col, 9u);
  EXPECT_EQ(call.range.end_line, 3u);
  EXPECT_EQ(call.range.end_col, 15u);
  for (const ir::Instr& instr : fn.instrs) EXPECT_TRUE(instr.range.valid());
}

TEST(LowerGrammarQuirks, StarredChainsAndTypeCallTargets) {
  // tree-sitter-python reads `[*a.f()]` as `(*a).f()` and `type(x).y = v` as a type alias.
  const ir::ModuleUnit unit = LowerSource(
      "xs = [*ts.order()]\ntype(self).sock = s\nt = tuple[*Ts]\nwith (open(p) as fh):\n    pass\n");
  const ir::Function& fn = unit.functions[0];
  const ir::InstrId list = Operand(fn, One(fn, Opcode::kStoreVar, "xs"), 0);
  ASSERT_EQ(fn.instr(list).op, Opcode::kBuildList);
  EXPECT_THAT(fn.instr(list).arg_names, ElementsAre("*"));
  EXPECT_EQ(fn.instr(Operand(fn, list, 0)).op, Opcode::kCall);
  EXPECT_TRUE(Find(fn, Opcode::kOpaque).empty());
  const ir::InstrId store = One(fn, Opcode::kStoreAttr, "sock");
  const ir::InstrId type_call = Operand(fn, store, 0);
  ASSERT_EQ(fn.instr(type_call).op, Opcode::kCall);
  EXPECT_EQ(fn.instr(Operand(fn, type_call, 0)).text, "type");
  EXPECT_EQ(fn.instr(Operand(fn, type_call, 1)).text, "self");
  const ir::InstrId key = Operand(fn, Operand(fn, One(fn, Opcode::kStoreVar, "t"), 0), 1);
  EXPECT_EQ(fn.instr(key).op, Opcode::kBuildTuple);
  EXPECT_THAT(fn.instr(key).arg_names, ElementsAre("*"));
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "fh"), 0)).op, Opcode::kWithEnter);
}

TEST(LowerGrammarQuirks, ParenthesizedTargetIsNotATupleAndSelfDocumentingFString) {
  const ir::ModuleUnit unit = LowerSource("(a) = 1\n(b), c = d\ns = f'{a=}!'\n");
  const ir::Function& fn = unit.functions[0];
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "a"), 0)).op, Opcode::kConst);
  EXPECT_EQ(fn.instr(Operand(fn, One(fn, Opcode::kStoreVar, "b"), 0)).op, Opcode::kUnpackItem);
  const ir::InstrId s = Operand(fn, One(fn, Opcode::kStoreVar, "s"), 0);
  EXPECT_EQ(fn.instr(s).text, "a={}!");
}

}  // namespace
}  // namespace flopscope::frontend
