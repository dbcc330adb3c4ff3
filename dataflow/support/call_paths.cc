#include "dataflow/support/call_paths.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace flopscope::dataflow::support {
namespace {

// Partial paths kept at once while enumerating; beyond it the search stops (the paths found so
// far are returned). Keeps PathsTo bounded on call graphs with huge fan-in.
constexpr size_t kMaxPartialPaths = 4096;

}  // namespace

CallPaths::CallPaths(const ir::Program& program, const ir::CallGraph& calls)
    : program_(program), calls_(calls) {
  const size_t n = program.functions().size();
  callers_.resize(n);
  for (const ir::Function& fn : program.functions()) {
    for (const ir::CallEdge& e : calls.Callees(fn.id)) {
      if (!e.callee.valid() || e.callee.index() >= n) continue;
      callers_[e.callee.index()].push_back(Caller{e.caller, e.site});
    }
  }
  for (const ir::Class& cls : program.classes()) {
    if (cls.body.valid() && cls.defined_in.valid() && cls.body.index() < n) {
      callers_[cls.body.index()].push_back(Caller{cls.defined_in, cls.definition});
    }
  }
  // A function is an entry when nothing outside its own SCC calls it (plain recursion does not
  // make a function reachable).
  std::vector<int32_t> scc_of(n, -1);
  const std::vector<std::vector<ir::FuncId>>& sccs = calls.SccsBottomUp();
  for (size_t s = 0; s < sccs.size(); ++s) {
    for (ir::FuncId f : sccs[s]) {
      if (f.valid() && f.index() < n) scc_of[f.index()] = static_cast<int32_t>(s);
    }
  }
  entry_.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    std::vector<Caller>& list = callers_[i];
    std::sort(list.begin(), list.end(), [](const Caller& a, const Caller& b) {
      return a.fn != b.fn ? a.fn < b.fn : a.site < b.site;
    });
    list.erase(std::unique(list.begin(), list.end(),
                           [](const Caller& a, const Caller& b) {
                             return a.fn == b.fn && a.site == b.site;
                           }),
               list.end());
    const ir::Function& fn = program.functions()[i];
    bool outside_caller = false;
    for (const Caller& c : list) {
      outside_caller = outside_caller || scc_of[c.fn.index()] < 0 || scc_of[c.fn.index()] != scc_of[i];
    }
    entry_[i] = fn.kind == ir::FunctionKind::kModule ||
                (!outside_caller && fn.kind != ir::FunctionKind::kClassBody);
  }
}

std::vector<CallPath> CallPaths::PathsTo(ir::FuncId fn, ir::InstrId instr,
                                         PathLimits limits) const {
  std::vector<CallPath> out;
  if (!fn.valid() || fn.index() >= callers_.size() || limits.max_paths == 0) return out;
  // A tree of partial paths: node i extends node parent (one step closer to the target) with a
  // caller step; the target itself is node 0.
  struct Node {
    PathStep step;
    int32_t parent;
    size_t depth;
  };
  std::vector<Node> nodes = {Node{PathStep{fn, instr}, -1, 1}};
  auto emit = [&](int32_t index) {
    CallPath path;
    for (int32_t i = index; i >= 0; i = nodes[static_cast<size_t>(i)].parent) {
      path.push_back(nodes[static_cast<size_t>(i)].step);
    }
    out.push_back(std::move(path));
  };
  auto on_path = [&](int32_t index, ir::FuncId f) {
    for (int32_t i = index; i >= 0; i = nodes[static_cast<size_t>(i)].parent) {
      if (nodes[static_cast<size_t>(i)].step.fn == f) return true;
    }
    return false;
  };
  for (size_t next = 0; next < nodes.size() && out.size() < limits.max_paths; ++next) {
    const auto index = static_cast<int32_t>(next);
    const Node node = nodes[next];
    const ir::FuncId top = node.step.fn;
    if (entry_[top.index()] || node.depth >= limits.max_depth) {
      emit(index);
      continue;
    }
    bool extended = false;
    for (const Caller& c : callers_[top.index()]) {
      if (on_path(index, c.fn)) continue;
      if (nodes.size() >= kMaxPartialPaths) break;
      nodes.push_back(Node{PathStep{c.fn, c.site}, index, node.depth + 1});
      extended = true;
    }
    if (!extended) emit(index);
  }
  return out;
}

ir::LoopId CallPaths::LoopAround(ir::FuncId fn, ir::InstrId instr) const {
  if (!fn.valid() || !instr.valid()) return ir::LoopId();
  const ir::Function& f = program_.function(fn);
  if (instr.index() >= f.instrs.size()) return ir::LoopId();
  const ir::BlockId block = f.instr(instr).block;
  if (!block.valid() || block.index() >= f.blocks.size()) return ir::LoopId();
  return f.block(block).loop;
}

std::optional<LoopContext> CallPaths::EnclosingLoop(ir::FuncId fn, ir::InstrId instr,
                                                    PathLimits limits) const {
  const ir::LoopId own = LoopAround(fn, instr);
  if (own.valid()) return LoopContext{CallPath{PathStep{fn, instr}}, 0, fn, own};
  for (const CallPath& path : PathsTo(fn, instr, limits)) {
    for (size_t i = path.size(); i-- > 0;) {
      const ir::LoopId loop = LoopAround(path[i].fn, path[i].site);
      if (loop.valid()) return LoopContext{path, i, path[i].fn, loop};
    }
  }
  return std::nullopt;
}

std::vector<LoopContext> CallPaths::EnclosingLoops(ir::FuncId fn, ir::InstrId instr,
                                                   PathLimits limits) const {
  std::vector<LoopContext> out;
  auto seen = [&](ir::FuncId f, ir::LoopId loop, ir::InstrId site) {
    for (const LoopContext& c : out) {
      if (c.fn == f && c.loop == loop && c.path[c.step].site == site) return true;
    }
    return false;
  };
  for (const CallPath& path : PathsTo(fn, instr, limits)) {
    for (size_t i = path.size(); i-- > 0;) {
      const ir::LoopId loop = LoopAround(path[i].fn, path[i].site);
      if (loop.valid() && !seen(path[i].fn, loop, path[i].site)) {
        out.push_back(LoopContext{path, i, path[i].fn, loop});
      }
    }
  }
  return out;
}

std::string CallPaths::Describe(const PathStep& step) const {
  std::string where = calls_.FunctionName(step.fn);
  const std::vector<ir::FuncId> callees = calls_.CalleesAt(step.fn, step.site);
  if (!callees.empty()) {
    return absl::StrCat("in ", where, "(): calls ", calls_.FunctionName(callees.front()), "()");
  }
  for (const ir::ExternalCall& e : calls_.ExternalCallees(step.fn)) {
    if (e.site == step.site) return absl::StrCat("in ", where, "(): calls ", e.name, "()");
  }
  const ir::Function& f = program_.function(step.fn);
  if (step.site.valid() && step.site.index() < f.instrs.size()) {
    return absl::StrCat("in ", where, "(): line ", f.instr(step.site).range.line);
  }
  return absl::StrCat("in ", where, "()");
}

}  // namespace flopscope::dataflow::support
