// Deterministic mutation fuzzing of the frontend: snippets covering every construct are cut,
// spliced and sprinkled with stray tokens; every mutant must parse, lower without crashing, and
// give structurally valid pre-SSA IR (ir::Verify) in which every instruction has a range.
#include <random>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::frontend {
namespace {

const char* const kSeeds[] = {
    R"py(
import torch, os.path as osp
from ..pkg import mod as m, other
@torch.no_grad()
def evaluate(model, loader, *args, device="cuda", **kw):
    results = [model(b).logits.argmax(-1) for b in loader if b is not None]
    total = sum(x.item() for x in results)
    with torch.autocast("cuda"), open(osp.join("a", "b")) as fh:
        for i, (x, y) in enumerate(loader):
            if i > 10 and not y:
                break
            elif i < 0 or y:
                continue
            else:
                model.layers[3].mlp.weight.data += x
        else:
            total = -1
    return total, {k: v for k, v in kw.items()}
)py",
    R"py(
class Probe(nn.Module, metaclass=Meta):
    cache = {}
    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.handles = []
    async def run(self, xs):
        async with self.lock as lock:
            async for x in xs:
                yield await self.forward(x)
    def hook(self):
        count = 0
        def inner(module, inp, out):
            nonlocal count
            count += 1
            Probe.cache[count] = out.detach()
        return lambda: inner
)py",
    R"py(
def control(cmd, data):
    try:
        value = data[cmd]
    except (KeyError, IndexError) as error:
        raise ValueError(f"bad {cmd!r:>{10}}") from error
    except* OSError:
        pass
    else:
        del data[cmd], value.attr
    finally:
        print("done")
    match cmd:
        case {"op": "add", "args": [a, b, *rest]} if a > b:
            return a + b
        case Point(x=0, y=yy) | Point(x=yy, y=0):
            return yy
        case [1, 2] | (3, 4) as pair:
            return pair
        case str() as s if (n := len(s)) > 3:
            return n
        case _:
            assert False, "unreachable"
    while (line := read()) is not None:
        global seen
        seen, *others = line.split(), 1
    return x if a < b <= c else y
)py",
};

// Stray tokens inserted by the mutator; "<NUL>" stands for a NUL byte.
const char* const kTokens[] = {
    "(",      ")",      "[",     "]",     "{",      "}",      ":",     "\n",     "    ",   "def ",
    "class ", "lambda", "if ",   "else",  "for ",   " in ",   "with ", "try:",   "except", "*",
    "**",     "@",      "f\"{",  "}\"",   "\"",     "\'\'\'", "\\\n",  "\t",     ",",      "=",
    ":=",     "async ", "await", "yield", "return", "\r\n",   "case",  "match ", "<NUL>"};

std::string Mutate(std::string text, std::mt19937& rng) {
  const int edits = std::uniform_int_distribution<int>(1, 12)(rng);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t pos = std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng);
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0:  // delete a span
        text.erase(pos, std::uniform_int_distribution<size_t>(1, 40)(rng));
        break;
      case 1: {  // insert a stray token
        const size_t count = sizeof(kTokens) / sizeof(kTokens[0]);
        const std::string token = kTokens[std::uniform_int_distribution<size_t>(0, count - 1)(rng)];
        text.insert(pos, token == "<NUL>" ? std::string(1, '\0') : token);
        break;
      }
      default: {  // duplicate a span elsewhere
        const size_t from = std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng);
        const size_t length = std::uniform_int_distribution<size_t>(1, 120)(rng);
        text.insert(pos, text.substr(from, length));
        break;
      }
    }
  }
  return text;
}

TEST(FrontendFuzz, MutantsLowerToValidIr) {
  std::mt19937 rng(20240611);
  int with_problems = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string seed = kSeeds[i % (sizeof(kSeeds) / sizeof(kSeeds[0]))];
    SourceFile source;
    source.path = "fuzz.py";
    source.module_name = "fuzz";
    source.text = Mutate(seed, rng);
    absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(source);
    ASSERT_TRUE(unit.ok()) << unit.status();
    with_problems += unit->module.problems.empty() ? 0 : 1;
    for (ir::Function& fn : unit->functions) {
      ir::ComputeCfg(fn);
      const absl::Status status = ir::Verify(fn);
      ASSERT_TRUE(status.ok()) << status << "\n--- mutant " << i << ":\n" << source.text;
      for (const ir::Instr& instr : fn.instrs) {
        ASSERT_TRUE(instr.range.valid()) << ir::OpcodeName(instr.op) << " in mutant " << i;
      }
    }
  }
  // Most mutants are broken; the fuzzer must actually be producing syntax errors.
  EXPECT_GT(with_problems, 500);
}

TEST(FrontendFuzz, SeedsAreValidPython) {
  for (const char* seed : kSeeds) {
    SourceFile source;
    source.path = "seed.py";
    source.text = seed;
    absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(source);
    ASSERT_TRUE(unit.ok());
    EXPECT_TRUE(unit->module.problems.empty()) << unit->module.problems[0].message;
  }
}

}  // namespace
}  // namespace flopscope::frontend
