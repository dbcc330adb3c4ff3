#include "checkers/registry.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "util/check.h"

namespace flopscope::checkers {

// First expansion of rules.def: every listed rule's factory must be defined by its checker file,
// or the link fails.
#define FS_RULE(code, name, slug, severity, summary) std::unique_ptr<Checker> Make##name##Checker();
#include "checkers/rules.def"
#undef FS_RULE

std::string RuleInfo::Stem() const {
  return absl::StrCat(absl::AsciiStrToLower(Code()), "_",
                      absl::StrReplaceAll(slug, {{"-", "_"}}));
}

Registry::Registry(std::vector<RuleInfo> rules) : rules_(std::move(rules)) {
  std::sort(rules_.begin(), rules_.end(),
            [](const RuleInfo& a, const RuleInfo& b) { return a.id < b.id; });
  absl::flat_hash_set<int> codes;
  absl::flat_hash_set<absl::string_view> slugs;
  for (const RuleInfo& rule : rules_) {
    FS_CHECK(rule.id.valid() && rule.id.number() < 1000);
    FS_CHECK(codes.insert(rule.id.number()).second);
    FS_CHECK(slugs.insert(rule.slug).second);
  }
}

const Registry& Registry::Default() {
  // Second expansion of rules.def: the table itself.
  static const Registry* const registry = new Registry(std::vector<RuleInfo>{
#define FS_RULE(code, name, slug, severity, summary) \
  RuleInfo{RuleId(code), #name, slug, Severity::severity, summary, &Make##name##Checker},
#include "checkers/rules.def"
#undef FS_RULE
  });
  return *registry;
}

const RuleInfo* Registry::Find(RuleId id) const {
  int index = IndexOf(id);
  return index < 0 ? nullptr : &rules_[static_cast<size_t>(index)];
}

const RuleInfo* Registry::Find(absl::string_view code_or_slug) const {
  for (const RuleInfo& rule : rules_) {
    if (absl::EqualsIgnoreCase(rule.Code(), code_or_slug) || rule.slug == code_or_slug) {
      return &rule;
    }
  }
  return nullptr;
}

int Registry::IndexOf(RuleId id) const {
  auto it = std::lower_bound(rules_.begin(), rules_.end(), id,
                             [](const RuleInfo& rule, RuleId want) { return rule.id < want; });
  if (it == rules_.end() || it->id != id) return -1;
  return static_cast<int>(it - rules_.begin());
}

namespace {

// One parsed --select/--ignore item. `specificity` orders selectors: ALL (0) < FS (2) < FS1 (3)
// < FS10 (4) < FS101 or a slug (5).
struct Selector {
  std::string text;
  std::string code_prefix;  // upper-case "FS1"; empty for ALL and slugs
  std::string slug;
  int specificity = 0;

  bool Matches(const RuleInfo& rule) const {
    if (!slug.empty()) return rule.slug == slug;
    return absl::StartsWith(rule.Code(), code_prefix);
  }
};

std::optional<Selector> ParseSelector(absl::string_view text) {
  Selector s;
  s.text = std::string(text);
  if (absl::EqualsIgnoreCase(text, "ALL")) return s;
  std::string upper = absl::AsciiStrToUpper(text);
  if (absl::StartsWith(upper, "FS") && upper.size() <= 5 &&
      std::all_of(upper.begin() + 2, upper.end(), absl::ascii_isdigit)) {
    s.code_prefix = upper;
    s.specificity = static_cast<int>(upper.size());
    return s;
  }
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
      })) {
    s.slug = std::string(text);
    s.specificity = 5;
    return s;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<Selector>> ParseSelectors(const std::vector<std::string>& items,
                                                     const std::vector<RuleInfo>& rules,
                                                     absl::string_view flag) {
  std::vector<Selector> out;
  for (const std::string& item : items) {
    for (absl::string_view piece : absl::StrSplit(item, ',', absl::SkipWhitespace())) {
      piece = absl::StripAsciiWhitespace(piece);
      std::optional<Selector> selector = ParseSelector(piece);
      if (!selector.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": '", piece, "' is not a rule code, code prefix, slug or ALL"));
      }
      bool matches_any = std::any_of(rules.begin(), rules.end(), [&](const RuleInfo& rule) {
        return selector->Matches(rule);
      });
      if (!matches_any) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": '", piece, "' selects no rule"));
      }
      out.push_back(*std::move(selector));
    }
  }
  return out;
}

// The specificity of the most specific selector matching `rule`, or -1 when none does.
int BestMatch(const std::vector<Selector>& selectors, const RuleInfo& rule) {
  int best = -1;
  for (const Selector& s : selectors) {
    if (s.Matches(rule)) best = std::max(best, s.specificity);
  }
  return best;
}

}  // namespace

absl::StatusOr<std::vector<const RuleInfo*>> Registry::Select(
    const std::vector<std::string>& select, const std::vector<std::string>& ignore) const {
  absl::StatusOr<std::vector<Selector>> selected = ParseSelectors(select, rules_, "--select");
  if (!selected.ok()) return selected.status();
  absl::StatusOr<std::vector<Selector>> ignored = ParseSelectors(ignore, rules_, "--ignore");
  if (!ignored.ok()) return ignored.status();
  // No --select means ALL.
  if (selected->empty()) selected->push_back(Selector{"ALL", "", "", 0});
  std::vector<const RuleInfo*> out;
  for (const RuleInfo& rule : rules_) {
    int select_match = BestMatch(*selected, rule);
    if (select_match >= 0 && select_match > BestMatch(*ignored, rule)) out.push_back(&rule);
  }
  return out;
}

std::vector<Diagnostic> RunCheckers(const std::vector<const RuleInfo*>& rules,
                                    const CheckContext& ctx) {
  absl::flat_hash_set<int> enabled;
  for (const RuleInfo* rule : rules) enabled.insert(rule->id.number());
  DiagnosticSink sink([&enabled](RuleId id) { return enabled.contains(id.number()); });
  for (const RuleInfo* rule : rules) {
    if (rule->make_checker == nullptr) continue;
    std::unique_ptr<Checker> checker = rule->make_checker();
    checker->Run(ctx, sink);
  }
  return sink.Take();
}

}  // namespace flopscope::checkers
