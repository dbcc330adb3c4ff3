#include "dataflow/describe.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace flopscope::dataflow {
namespace {

// One path is the other with a directory prefix ("pkg/m.py" vs "/repo/pkg/m.py"), whichever
// way round the driver and the user spelled them.
bool PathMatches(absl::string_view module_path, absl::string_view wanted) {
  if (module_path == wanted) return true;
  auto suffix_at_boundary = [](absl::string_view longer, absl::string_view shorter) {
    if (shorter.empty() || !absl::EndsWith(longer, shorter)) return false;
    const size_t cut = longer.size() - shorter.size();
    return cut == 0 || longer[cut - 1] == '/' || shorter.front() == '/';
  };
  return suffix_at_boundary(module_path, wanted) || suffix_at_boundary(wanted, module_path);
}

std::string ValueName(const Analysis& a, const ir::Function& fn, ir::InstrId id) {
  const ir::Instr& in = fn.instr(id);
  switch (in.op) {
    case ir::Opcode::kCall:
      return absl::StrCat("result of ", a.CalleeName(fn.id, id), "(...)");
    case ir::Opcode::kLoadVar:
      return absl::StrCat("`", in.text, "`");
    case ir::Opcode::kLoadAttr:
      return absl::StrCat("attribute `.", in.text, "`");
    case ir::Opcode::kParam:
      return absl::StrCat("parameter `", in.text, "`");
    case ir::Opcode::kConst:
      return absl::StrCat("constant ", in.text);
    case ir::Opcode::kPhi:
      return absl::StrCat("`", in.text.empty() ? "value" : in.text, "` (merge of branches)");
    default:
      return absl::StrCat(ir::OpcodeName(in.op), " %", id.value());
  }
}

void AppendChain(const Analysis& a, ProvId prov, std::string* out) {
  std::vector<const ProvStep*> chain = a.Provenance(prov);
  std::reverse(chain.begin(), chain.end());  // origin first
  for (const ProvStep* step : chain) {
    absl::StrAppend(out, "        ", a.DescribeStep(*step), "\n");
  }
}

std::string SizeText(double params) {
  if (params >= 1e9) return absl::StrFormat("~%.1fB parameters", params / 1e9);
  return absl::StrFormat("~%.0fM parameters", params / 1e6);
}

void DescribeValue(const Analysis& a, const AbstractValue& v, std::string* out) {
  absl::StrAppend(out, "      kind: ", KindSetToString(v.kinds), "\n");
  if (!v.sites.IsBottom()) {
    if (v.sites.IsTop()) {
      absl::StrAppend(out, "      identity: unknown\n");
    } else {
      for (SiteId id : v.sites.elements()) {
        const Site& s = a.site(id);
        switch (s.kind) {
          case Site::Kind::kModelLoad: {
            absl::StrAppend(out, "      model: loaded by ", s.name, " at ",
                            a.Location(s.fn, s.instr), ", checkpoint ", s.checkpoint.ToString());
            if (s.parameters) absl::StrAppend(out, ", ", SizeText(*s.parameters));
            for (const ModelLoad& load : a.model_loads()) {
              if (load.model_site == id && load.cached) {
                absl::StrAppend(out, ", cached: ", load.cache_reason);
                break;
              }
            }
            absl::StrAppend(out, "\n");
            if (v.sites_prov == kNoProv) AppendChain(a, s.checkpoint_prov, out);
            break;
          }
          case Site::Kind::kUnknownParam:
            absl::StrAppend(out, "      identity: ", s.name, " (no analyzed caller)\n");
            break;
          default:
            absl::StrAppend(out, "      object: ", s.name.empty() ? "object" : s.name,
                            " created at ", a.Location(s.fn, s.instr), "\n");
        }
      }
      AppendChain(a, v.sites_prov, out);
    }
  }
  if (!v.strings.IsBottom()) {
    absl::StrAppend(out, "      value: ", v.strings.ToString(), "\n");
    AppendChain(a, v.strings_prov, out);
  }
  if (!v.device.IsBottom()) {
    absl::StrAppend(out, "      device: ", v.device.ToString(), "\n");
    AppendChain(a, v.device_prov, out);
  }
  if (!v.dtype.IsBottom()) {
    absl::StrAppend(out, "      dtype: ", v.dtype.IsTop() ? "unknown" : v.dtype.ToString(), "\n");
    AppendChain(a, v.dtype_prov, out);
  }
  if (!v.grad.IsBottom()) {
    absl::StrAppend(out, "      grad: ", v.grad.ToString(), "\n");
    AppendChain(a, v.grad_prov, out);
  }
  if (!v.ctx_mode.IsBottom() && !v.ctx_mode.IsTop()) {
    absl::StrAppend(out, "      sets grad: ", v.ctx_mode.ToString(), "\n");
  }
}

}  // namespace

std::string DescribeFactsAtLine(const Analysis& a, absl::string_view path, int line) {
  const ir::Program& program = a.program();
  std::string out;
  bool module_found = false;
  bool code_found = false;
  for (const ir::Module& m : program.modules()) {
    if (!PathMatches(m.path, path)) continue;
    module_found = true;
    for (const ir::Function& fn : program.functions()) {
      if (fn.module != m.id) continue;
      std::vector<ir::InstrId> on_line;
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          if (fn.instr(id).range.line == static_cast<uint32_t>(line)) on_line.push_back(id);
        }
      }
      if (on_line.empty()) continue;
      code_found = true;
      std::sort(on_line.begin(), on_line.end());
      const auto& contexts = a.ContextsOf(fn.id);
      absl::StrAppend(&out, m.path, ":", line, ": in ",
                      fn.kind == ir::FunctionKind::kModule ? m.name
                                                           : absl::StrCat(m.name, ".", fn.qualname),
                      " (", contexts.size(), contexts.size() == 1 ? " context" : " contexts",
                      ")\n");
      const GradMode mode = a.GradModeAt(fn.id, on_line.front());
      absl::StrAppend(&out, "  grad mode: ", mode.ToString(), "\n");
      for (ContextId c : contexts) {
        const ContextInfo& info = a.context(c);
        absl::StrAppend(&out, "    context #", c, ": grad ",
                        a.GradModeIn(c, on_line.front()).ToString(),
                        info.is_root ? " (entry point)" : "", info.is_hook ? " (hook)" : "",
                        info.gave_up ? " (analysis gave up: unknown)" : "", "\n");
        for (const ContextPath& path_to : a.PathsTo(c, 3)) {
          std::string chain;
          for (const CallStep& step : path_to) {
            absl::StrAppend(&chain, chain.empty() ? "" : " -> ", a.Location(step.caller, step.site));
          }
          if (!chain.empty()) absl::StrAppend(&out, "      via ", chain, "\n");
        }
      }
      absl::flat_hash_set<int32_t> seen;
      std::vector<ir::InstrId> values;
      for (ir::InstrId id : on_line) {
        const ir::Instr& in = fn.instr(id);
        for (ir::InstrId op : in.operands) {
          if (op.valid() && seen.insert(op.value()).second) values.push_back(op);
        }
        if (in.op == ir::Opcode::kCall && seen.insert(id.value()).second) values.push_back(id);
      }
      for (ir::InstrId v : values) {
        const ir::Instr& def = fn.instr(v);
        if (def.op == ir::Opcode::kConst || def.op == ir::Opcode::kImport) continue;
        const AbstractValue value = a.Value(fn.id, v);
        if (!value.kinds.IsTop() && !value.kinds.IsBottom() &&
            (value.kinds.bits() & ~(kKindModule | kKindFunction)) == 0) {
          continue;
        }
        absl::StrAppend(&out, "  ", ValueName(a, fn, v), ":\n");
        if (value.IsTop()) {
          absl::StrAppend(&out, "      unknown\n");
          continue;
        }
        DescribeValue(a, value, &out);
      }
    }
  }
  if (!module_found) return absl::StrCat("no analyzed module matches ", path, "\n");
  if (!code_found) return absl::StrCat("no code on ", path, ":", line, "\n");
  return out;
}

}  // namespace flopscope::dataflow
