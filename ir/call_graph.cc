#include "ir/call_graph.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
// write_graphviz's edge iterator trips a false -Wmaybe-uninitialized under g++ 12 -O2.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/graph/graphviz.hpp>
#pragma GCC diagnostic pop
#include <boost/graph/strong_components.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace flopscope::ir {
namespace {

using Digraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

// Library functions that take functions without ever calling them: passing a function to them
// is no callback. Sorted for binary search.
constexpr absl::string_view kNeverCallArguments[] = {
    "<builtin>.callable",  "<builtin>.delattr",    "<builtin>.dir",
    "<builtin>.getattr",   "<builtin>.hasattr",    "<builtin>.hash",
    "<builtin>.id",        "<builtin>.isinstance", "<builtin>.issubclass",
    "<builtin>.len",       "<builtin>.print",      "<builtin>.repr",
    "<builtin>.setattr",   "<builtin>.str",        "<builtin>.type",
    "<builtin>.vars",      "functools.update_wrapper", "functools.wraps",
    "inspect.getsource",   "inspect.signature",
};

bool NeverCallsArguments(absl::string_view name) {
  return std::binary_search(std::begin(kNeverCallArguments), std::end(kNeverCallArguments), name);
}

bool IsCallable(const Symbol& symbol) {
  return symbol.kind == Symbol::Kind::kFunction || symbol.kind == Symbol::Kind::kBoundMethod;
}

absl::string_view EdgeKindName(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kDirect:
      return "direct";
    case EdgeKind::kConstructor:
      return "constructor";
    case EdgeKind::kDecorator:
      return "decorator";
    case EdgeKind::kCallback:
      return "callback";
  }
  return "";
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrCat("\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace

struct CallGraph::Impl {
  Impl(const Program& p, const Resolver& r)
      : program(p),
        resolver(r),
        callees(p.functions().size()),
        callers(p.functions().size()),
        externals(p.functions().size()) {}

  void Build();
  void AddCallSite(const Function& fn, InstrId site, const Instr& call);
  void AddCalleeEdges(const Function& fn, InstrId site, const Symbol& callee, EdgeKind kind);
  void AddCallbacks(const Function& fn, InstrId site, const Instr& call);
  void AddEdge(FuncId caller, InstrId site, FuncId callee, EdgeKind kind);
  void AddExternal(FuncId caller, InstrId site, std::string name);
  void ComputeSccs();
  // The function whose JSON entry absorbs fn's calls: comprehensions fold into the nearest
  // enclosing function that is not one (PyCG-style tools have no comprehension scopes).
  FuncId JsonOwner(FuncId fn) const;

  const Program& program;
  const Resolver& resolver;
  std::vector<std::vector<CallEdge>> callees;
  std::vector<std::vector<CallEdge>> callers;
  std::vector<std::vector<ExternalCall>> externals;
  std::vector<std::vector<FuncId>> sccs;
};

void CallGraph::Impl::Build() {
  for (const Function& fn : program.functions()) {
    for (size_t i = 0; i < fn.instrs.size(); ++i) {
      const Instr& instr = fn.instrs[i];
      if (instr.op == Opcode::kCall && !instr.operands.empty() && instr.block.valid()) {
        AddCallSite(fn, InstrId(static_cast<int32_t>(i)), instr);
      }
    }
  }
  const auto by_site = [](const CallEdge& a, const CallEdge& b) {
    return std::tie(a.caller, a.site, a.callee, a.kind) <
           std::tie(b.caller, b.site, b.callee, b.kind);
  };
  for (auto& edges : callees) std::sort(edges.begin(), edges.end(), by_site);
  for (auto& edges : callers) std::sort(edges.begin(), edges.end(), by_site);
  ComputeSccs();
}

void CallGraph::Impl::AddCallSite(const Function& fn, InstrId site, const Instr& call) {
  const bool decoration = resolver.DecoratedFunctionAt(fn.id, site).valid() ||
                          resolver.DecoratedClassAt(fn.id, site).valid();
  bool in_repo_decorator = false;
  for (const Symbol& callee : resolver.Resolve(fn.id, call.operands[0])) {
    in_repo_decorator = in_repo_decorator || (decoration && callee.kind != Symbol::Kind::kExternal &&
                                              callee.kind != Symbol::Kind::kBuiltin);
    AddCalleeEdges(fn, site, callee, decoration ? EdgeKind::kDecorator : EdgeKind::kDirect);
  }
  if (!decoration) {
    AddCallbacks(fn, site, call);
  } else if (in_repo_decorator) {
    // An in-repo decorator receives the function and may run it (typically from a wrapper).
    const FuncId decorated = resolver.DecoratedFunctionAt(fn.id, site);
    if (decorated.valid()) AddEdge(fn.id, site, decorated, EdgeKind::kCallback);
  }
}

void CallGraph::Impl::AddCalleeEdges(const Function& fn, InstrId site, const Symbol& callee,
                                     EdgeKind kind) {
  switch (callee.kind) {
    case Symbol::Kind::kFunction:
    case Symbol::Kind::kBoundMethod:
      AddEdge(fn.id, site, callee.func, kind);
      break;
    case Symbol::Kind::kClass: {
      const FuncId init = resolver.LookupMethod(callee.cls, "__init__");
      if (init.valid()) {
        AddEdge(fn.id, site, init, EdgeKind::kConstructor);
      } else if (const std::vector<std::string> bases = resolver.ExternalBases(callee.cls);
                 !bases.empty()) {
        AddExternal(fn.id, site, absl::StrCat(bases.front(), ".__init__"));
      }
      break;
    }
    case Symbol::Kind::kInstance: {
      const FuncId method = resolver.CallMethodOf(callee.cls);
      if (method.valid()) AddEdge(fn.id, site, method, kind);
      break;
    }
    case Symbol::Kind::kExternal:
    case Symbol::Kind::kBuiltin:
      AddExternal(fn.id, site, callee.QualifiedName(program));
      break;
    default:
      break;
  }
}

// Functions passed as arguments run where the callee decides: hooks, map/sorted keys,
// executor.submit, an in-repo function that calls its parameter.
void CallGraph::Impl::AddCallbacks(const Function& fn, InstrId site, const Instr& call) {
  if (resolver.IsContainerWrite(fn.id, site)) return;  // reading the container links it later
  const std::vector<Symbol>& callees = resolver.Resolve(fn.id, call.operands[0]);
  if (!callees.empty() && callees.back().known() &&
      std::all_of(callees.begin(), callees.end(), [&](const Symbol& callee) {
        return NeverCallsArguments(callee.QualifiedName(program));
      })) {
    return;
  }
  for (size_t i = 1; i < call.operands.size(); ++i) {
    for (const Symbol& argument : resolver.Resolve(fn.id, call.operands[i])) {
      if (IsCallable(argument)) AddEdge(fn.id, site, argument.func, EdgeKind::kCallback);
    }
  }
}

void CallGraph::Impl::AddEdge(FuncId caller, InstrId site, FuncId callee, EdgeKind kind) {
  std::vector<CallEdge>& out = callees[caller.index()];
  // Sites are visited in order, so this site's edges are the tail of the list.
  for (auto it = out.rbegin(); it != out.rend() && it->site == site; ++it) {
    if (it->callee == callee && it->kind == kind) return;
  }
  const CallEdge edge{caller, site, callee, kind};
  out.push_back(edge);
  callers[callee.index()].push_back(edge);
}

void CallGraph::Impl::AddExternal(FuncId caller, InstrId site, std::string name) {
  std::vector<ExternalCall>& out = externals[caller.index()];
  for (auto it = out.rbegin(); it != out.rend() && it->site == site; ++it) {
    if (it->name == name) return;
  }
  out.push_back({caller, site, std::move(name)});
}

void CallGraph::Impl::ComputeSccs() {
  const size_t n = program.functions().size();
  Digraph graph(n);
  for (const auto& edges : callees) {
    for (const CallEdge& edge : edges) {
      boost::add_edge(edge.caller.index(), edge.callee.index(), graph);
    }
  }
  std::vector<int> component(n, 0);
  const int count = n == 0 ? 0
                           : boost::strong_components(
                                 graph, boost::make_iterator_property_map(
                                            component.begin(), boost::get(boost::vertex_index, graph)));
  // Tarjan's algorithm numbers a component only after every component it reaches, so ascending
  // numbers are callees before callers.
  sccs.assign(static_cast<size_t>(count), {});
  for (size_t v = 0; v < n; ++v) {
    sccs[static_cast<size_t>(component[v])].push_back(FuncId(static_cast<int32_t>(v)));
  }
}

FuncId CallGraph::Impl::JsonOwner(FuncId fn) const {
  FuncId owner = fn;
  while (program.function(owner).kind == FunctionKind::kComprehension &&
         program.function(owner).parent.valid()) {
    owner = program.function(owner).parent;
  }
  return owner;
}

CallGraph::CallGraph(const Program& program, const Resolver& resolver)
    : impl_(std::make_unique<Impl>(program, resolver)) {
  impl_->Build();
}

CallGraph::~CallGraph() = default;

const std::vector<CallEdge>& CallGraph::Callees(FuncId caller) const {
  return impl_->callees[caller.index()];
}

const std::vector<CallEdge>& CallGraph::Callers(FuncId callee) const {
  return impl_->callers[callee.index()];
}

std::vector<FuncId> CallGraph::CalleesAt(FuncId caller, InstrId site) const {
  std::vector<FuncId> result;
  for (const CallEdge& edge : impl_->callees[caller.index()]) {
    if (edge.site == site &&
        std::find(result.begin(), result.end(), edge.callee) == result.end()) {
      result.push_back(edge.callee);
    }
  }
  return result;
}

const std::vector<ExternalCall>& CallGraph::ExternalCallees(FuncId caller) const {
  return impl_->externals[caller.index()];
}

const std::vector<std::vector<FuncId>>& CallGraph::SccsBottomUp() const { return impl_->sccs; }

std::string CallGraph::FunctionName(FuncId fn) const {
  const Program& program = impl_->program;
  const Function& function = program.function(fn);
  const std::string& module = program.module(function.module).name;
  if (function.kind == FunctionKind::kModule) return module;
  return absl::StrCat(module, ".", function.qualname);
}

std::string CallGraph::ToJson() const {
  const Program& program = impl_->program;
  std::map<std::string, std::set<std::string>> adjacency;
  for (const Function& fn : program.functions()) {
    const FuncId owner = impl_->JsonOwner(fn.id);
    std::set<std::string>& out = adjacency[FunctionName(owner)];
    for (const CallEdge& edge : Callees(fn.id)) {
      if (program.function(edge.callee).kind == FunctionKind::kComprehension) continue;
      out.insert(FunctionName(edge.callee));
    }
    for (const ExternalCall& call : ExternalCallees(fn.id)) {
      // Calls of call results ("torch.no_grad()") name no function a user could look up.
      if (call.name.find('(') == std::string::npos) out.insert(call.name);
    }
  }
  std::string json = "{";
  bool first_key = true;
  for (const auto& [name, targets] : adjacency) {
    absl::StrAppend(&json, first_key ? "\n  " : ",\n  ", JsonString(name), ": [");
    first_key = false;
    bool first = true;
    for (const std::string& target : targets) {
      absl::StrAppend(&json, first ? "" : ", ", JsonString(target));
      first = false;
    }
    json += "]";
  }
  json += first_key ? "}\n" : "\n}\n";
  return json;
}

std::string CallGraph::ToDot() const {
  const Program& program = impl_->program;
  std::vector<std::string> names;
  names.reserve(program.functions().size());
  for (const Function& fn : program.functions()) names.push_back(FunctionName(fn.id));
  absl::flat_hash_map<std::string, size_t> external_vertex;
  std::vector<std::pair<size_t, size_t>> edge_ends;
  std::vector<std::string> edge_labels;
  for (const Function& fn : program.functions()) {
    std::set<std::pair<FuncId, EdgeKind>> seen;
    for (const CallEdge& edge : Callees(fn.id)) {
      if (!seen.insert({edge.callee, edge.kind}).second) continue;
      edge_ends.emplace_back(fn.id.index(), edge.callee.index());
      edge_labels.emplace_back(EdgeKindName(edge.kind));
    }
    std::set<std::string> seen_external;
    for (const ExternalCall& call : ExternalCallees(fn.id)) {
      if (!seen_external.insert(call.name).second) continue;
      auto [it, inserted] = external_vertex.try_emplace(call.name, names.size());
      if (inserted) names.push_back(call.name);
      edge_ends.emplace_back(fn.id.index(), it->second);
      edge_labels.emplace_back("external");
    }
  }
  using LabeledGraph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                            boost::property<boost::edge_index_t, size_t>>;
  LabeledGraph graph(names.size());
  for (size_t i = 0; i < edge_ends.size(); ++i) {
    boost::add_edge(edge_ends[i].first, edge_ends[i].second, i, graph);
  }
  const auto edge_writer = [&](std::ostream& out, const LabeledGraph::edge_descriptor& edge) {
    out << "[label=" << boost::escape_dot_string(edge_labels[boost::get(boost::edge_index, graph,
                                                                        edge)])
        << "]";
  };
  std::ostringstream out;
  boost::write_graphviz(out, graph, boost::make_label_writer(names.data()), edge_writer);
  return out.str();
}

}  // namespace flopscope::ir
