#include "checkers/model_rule_support.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ir/call_graph.h"
#include "ir/passes.h"

namespace flopscope::checkers::model_rules {

using dataflow::ContextPath;
using ir::Opcode;

std::vector<Frame> FramesOf(const ContextPath& path, ir::FuncId fn, dataflow::ContextId context,
                            ir::InstrId site) {
  std::vector<Frame> frames;
  frames.reserve(path.size() + 1);
  for (const dataflow::CallStep& step : path) {
    frames.push_back(Frame{step.caller, step.caller_context, step.site});
  }
  frames.push_back(Frame{fn, context, site});
  return frames;
}

std::vector<dataflow::support::CallSite> CallString(const std::vector<Frame>& frames,
                                                    size_t end) {
  std::vector<dataflow::support::CallSite> out;
  for (size_t i = 0; i < end && i < frames.size(); ++i) {
    out.push_back(dataflow::support::CallSite{frames[i].fn, frames[i].site});
  }
  return out;
}

std::string CalleeText(const CheckContext& ctx, ir::FuncId fn, ir::InstrId call) {
  // In-repo callees by the name users see in the function list ("load_model", "Runner.load").
  for (ir::FuncId callee : ctx.call_graph().CalleesAt(fn, call)) {
    return absl::StrCat(ctx.DisplayName(callee), "()");
  }
  std::string name = ctx.analysis().CalleeName(fn, call);
  if (name.empty()) return "a call";
  return absl::StrCat(name, "()");
}

void AddFrameSteps(const CheckContext& ctx, const std::vector<Frame>& frames, size_t from,
                   const std::string& event_message, Diagnostic& diagnostic) {
  for (size_t i = from; i < frames.size(); ++i) {
    const Frame& frame = frames[i];
    const std::string message = i + 1 == frames.size()
                                    ? event_message
                                    : absl::StrCat("calls ", CalleeText(ctx, frame.fn, frame.site));
    diagnostic.Step(ctx.LocationOf(frame.fn, frame.site), ctx.DisplayName(frame.fn), message);
  }
}

std::optional<std::string> SingleCheckpoint(const dataflow::ConstStrings& checkpoint) {
  if (!checkpoint.IsSingleton()) return std::nullopt;
  return checkpoint.values().front();
}

std::string CheckpointText(const dataflow::ConstStrings& checkpoint) {
  if (checkpoint.IsTop() || checkpoint.IsBottom() || checkpoint.partial()) {
    return "a checkpoint known only at run time";
  }
  if (checkpoint.IsSingleton()) return absl::StrCat("`", checkpoint.values().front(), "`");
  return absl::StrCat("one of `", absl::StrJoin(checkpoint.values(), "`, `"), "`");
}

void AddCheckpointOrigin(const CheckContext& ctx, const dataflow::Site& site,
                         Diagnostic& diagnostic) {
  if (site.checkpoint_prov == dataflow::kNoProv) return;
  const std::vector<const dataflow::ProvStep*> chain =
      ctx.analysis().Provenance(site.checkpoint_prov);
  if (chain.empty()) return;
  const dataflow::ProvStep& origin = *chain.back();  // the oldest step: where the name was set
  if (!origin.fn.valid() || !origin.instr.valid()) return;
  if (origin.fn == site.fn && origin.instr == site.instr) return;
  const ir::Function& fn = ctx.program().function(origin.fn);
  if (origin.instr.index() >= fn.instrs.size()) return;
  if (origin.fn == site.fn &&
      fn.instr(origin.instr).range.line == fn.instr(site.instr).range.line) {
    return;  // a literal argument of the load itself
  }
  // The newest step on the origin's line says what the line does with the name ("assigned to
  // global `MODEL_NAME`"); the oldest is only the literal.
  const uint32_t origin_line = fn.instr(origin.instr).range.line;
  absl::string_view what = origin.text;
  for (const dataflow::ProvStep* step : chain) {
    if (step->fn == origin.fn && step->instr.valid() && step->instr.index() < fn.instrs.size() &&
        fn.instr(step->instr).range.line == origin_line) {
      what = step->text;
      break;
    }
  }
  diagnostic.Related(ctx.LocationOf(origin.fn, origin.instr),
                     absl::StrCat("the checkpoint name ", CheckpointText(site.checkpoint),
                                  " is set here: ", what));
}

std::string ParametersText(double parameters) {
  if (parameters >= 1e9) {
    const double b = parameters / 1e9;
    return std::fabs(b - std::round(b)) < 0.05 ? absl::StrFormat("%.0fB", b)
                                                : absl::StrFormat("%.1fB", b);
  }
  return absl::StrFormat("%.0fM", parameters / 1e6);
}

std::string GigabytesText(double parameters, double bytes_per_parameter) {
  const double gb = parameters * bytes_per_parameter / 1e9;
  if (gb >= 10) return absl::StrFormat("about %.0f GB", gb);
  return absl::StrFormat("about %.1f GB", gb);
}

const dataflow::Site& SiteOf(const dataflow::Analysis& analysis,
                             const dataflow::ModelLoad& load) {
  return analysis.site(load.model_site);
}

namespace {

// Position of a live instruction in its block, or -1.
int PositionIn(const ir::Function& fn, ir::InstrId instr) {
  if (!instr.valid() || instr.index() >= fn.instrs.size()) return -1;
  const ir::BlockId block = fn.instr(instr).block;
  if (!block.valid()) return -1;
  const std::vector<ir::InstrId>& instrs = fn.block(block).instrs;
  auto it = std::find(instrs.begin(), instrs.end(), instr);
  return it == instrs.end() ? -1 : static_cast<int>(it - instrs.begin());
}

bool IsBackEdge(const ir::Function& fn, ir::BlockId from, ir::BlockId to) {
  for (const ir::Loop& loop : fn.loops) {
    if (loop.header != to) continue;
    if (std::binary_search(loop.blocks.begin(), loop.blocks.end(), from)) return true;
  }
  return false;
}

// Blocks reachable from the successors of `start` (start itself only around a cycle).
bool BlockReaches(const ir::Function& fn, ir::BlockId start, ir::BlockId target, bool acyclic) {
  std::vector<bool> seen(fn.blocks.size(), false);
  std::deque<ir::BlockId> queue;
  auto push_succs = [&](ir::BlockId b) {
    for (ir::BlockId s : fn.block(b).succs) {
      if (acyclic && IsBackEdge(fn, b, s)) continue;
      if (!seen[s.index()]) {
        seen[s.index()] = true;
        queue.push_back(s);
      }
    }
  };
  push_succs(start);
  while (!queue.empty()) {
    ir::BlockId b = queue.front();
    queue.pop_front();
    if (b == target) return true;
    push_succs(b);
  }
  return false;
}

bool Reaches(const ir::Function& fn, ir::InstrId from, ir::InstrId to, bool acyclic) {
  const int pf = PositionIn(fn, from);
  const int pt = PositionIn(fn, to);
  if (pf < 0 || pt < 0) return false;
  const ir::BlockId bf = fn.instr(from).block;
  const ir::BlockId bt = fn.instr(to).block;
  if (bf == bt && pt > pf) return true;
  return BlockReaches(fn, bf, bt, acyclic);
}

}  // namespace

bool ComesBefore(const ir::Function& fn, ir::InstrId from, ir::InstrId to) {
  return Reaches(fn, from, to, /*acyclic=*/true);
}

std::vector<ir::LoopId> LoopsAround(const ir::Function& fn, ir::InstrId instr) {
  std::vector<ir::LoopId> out;
  for (ir::LoopId loop = ir::InnermostLoopOfInstr(fn, instr); loop.valid();
       loop = fn.loops[loop.index()].parent) {
    out.push_back(loop);
    if (out.size() > fn.loops.size()) break;  // malformed nesting: never loop forever
  }
  return out;
}

absl::flat_hash_set<ir::FuncId> FunctionsRunByLoop(const CheckContext& ctx, ir::FuncId fn,
                                                    ir::LoopId loop) {
  absl::flat_hash_set<ir::FuncId> out;
  const ir::Function& function = ctx.program().function(fn);
  std::vector<ir::FuncId> work;
  for (const ir::CallEdge& edge : ctx.call_graph().Callees(fn)) {
    if (ir::InstrInLoop(function, loop, edge.site) && out.insert(edge.callee).second) {
      work.push_back(edge.callee);
    }
  }
  while (!work.empty()) {
    ir::FuncId f = work.back();
    work.pop_back();
    for (const ir::CallEdge& edge : ctx.call_graph().Callees(f)) {
      if (out.insert(edge.callee).second) work.push_back(edge.callee);
    }
  }
  return out;
}

}  // namespace flopscope::checkers::model_rules
