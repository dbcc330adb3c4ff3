// After the fixpoint: which contexts are live (reachable from a root over the call edges of the
// final solve; contexts created with arguments that were still growing are dropped), who calls
// each live context, the event lists in program order, and which loads are cached.
#include <algorithm>
#include <deque>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dataflow/engine.h"

namespace flopscope::dataflow::internal {
namespace {

template <typename Event>
void Collect(const std::vector<std::unique_ptr<ContextData>>& contexts,
             const std::vector<bool>& live,
             absl::flat_hash_map<int32_t, Event> ContextData::*field, std::vector<Event>& out) {
  for (const auto& c : contexts) {
    if (!live[static_cast<size_t>(c->info.id)]) continue;
    for (const auto& [instr, event] : (*c).*field) out.push_back(event);
  }
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return std::make_tuple(a.fn.value(), a.site.value(), a.context) <
           std::make_tuple(b.fn.value(), b.site.value(), b.context);
  });
}

}  // namespace

void Engine::Finish() {
  const size_t n = contexts.size();
  live.assign(n, false);
  callers.assign(n, {});
  std::deque<ContextId> queue;
  for (const auto& c : contexts) {
    if (c->info.is_root) {
      live[static_cast<size_t>(c->info.id)] = true;
      queue.push_back(c->info.id);
    }
  }
  while (!queue.empty()) {
    const ContextId id = queue.front();
    queue.pop_front();
    const ContextData& c = ctx(id);
    std::vector<std::pair<int32_t, std::vector<ContextId>>> sites(c.callees_at.begin(),
                                                                  c.callees_at.end());
    std::sort(sites.begin(), sites.end());
    for (const auto& [site, callees] : sites) {
      for (ContextId callee : callees) {
        callers[static_cast<size_t>(callee)].push_back(CallStep{c.info.fn, id, ir::InstrId(site)});
        if (!live[static_cast<size_t>(callee)]) {
          live[static_cast<size_t>(callee)] = true;
          queue.push_back(callee);
        }
      }
    }
  }
  live_by_fn.assign(program.functions().size(), {});
  for (const auto& c : contexts) {
    if (live[static_cast<size_t>(c->info.id)]) live_by_fn[c->info.fn.index()].push_back(c->info.id);
  }
  Collect(contexts, live, &ContextData::loads, loads);
  Collect(contexts, live, &ContextData::forwards, forwards);
  Collect(contexts, live, &ContextData::hooks, hooks);
  Collect(contexts, live, &ContextData::casts, casts);
  Collect(contexts, live, &ContextData::optimizers, optimizers);

  for (ModelLoad& load : loads) {
    if (auto it = singleton_cached.find(load.model_site); it != singleton_cached.end()) {
      load.cached = true;
      load.cache_reason = it->second;
      continue;
    }
    // Cached when every known way of reaching the load passes through a cache-decorated
    // function (the loader's own function included).
    if (funcs[load.fn.index()].cache_decorated) {
      load.cached = true;
      load.cache_reason = absl::StrCat(FunctionLabel(load.fn), "() is memoized (lru_cache)");
      continue;
    }
    const std::vector<ContextPath> paths = PathsTo(load.context, 16);
    bool all = !paths.empty();
    std::string reason;
    for (const ContextPath& path : paths) {
      bool through = false;
      for (const CallStep& step : path) {
        // The step's callee is the next step's caller (or the load's function).
        if (funcs[step.caller.index()].cache_decorated) {
          through = true;
          reason = absl::StrCat(FunctionLabel(step.caller), "() is memoized (lru_cache)");
        }
      }
      all = all && through;
    }
    if (all) {
      load.cached = true;
      load.cache_reason = reason;
    }
  }
  for (HookRegistration& hook : hooks) {
    auto it = ctx(hook.context).callees_at.find(hook.site.value());
    if (it != ctx(hook.context).callees_at.end()) hook.callback_contexts = it->second;
  }
}

std::vector<ContextPath> Engine::PathsTo(ContextId id, size_t limit) const {
  std::vector<ContextPath> out;
  if (id < 0 || static_cast<size_t>(id) >= contexts.size() || callers.empty()) return out;
  // Breadth-first over callers; a partial path is stored callee-first and reversed at the end.
  struct Partial {
    ContextId head;
    std::vector<CallStep> steps;
  };
  std::deque<Partial> queue;
  queue.push_back({id, {}});
  size_t expanded = 0;
  while (!queue.empty() && out.size() < limit && expanded < 4096) {
    Partial p = std::move(queue.front());
    queue.pop_front();
    ++expanded;
    const auto& in = callers[static_cast<size_t>(p.head)];
    if (in.empty() || p.steps.size() >= 32) {
      out.emplace_back(p.steps.rbegin(), p.steps.rend());
      continue;
    }
    bool extended = false;
    for (const CallStep& step : in) {
      bool repeats = step.caller_context == id;
      for (const CallStep& s : p.steps) repeats = repeats || s.caller_context == step.caller_context;
      if (repeats) continue;
      Partial next{step.caller_context, p.steps};
      next.steps.push_back(step);
      queue.push_back(std::move(next));
      extended = true;
    }
    if (!extended) out.emplace_back(p.steps.rbegin(), p.steps.rend());
  }
  return out;
}

}  // namespace flopscope::dataflow::internal
