// The rule table, expanded from checkers/rules.def: for each rule its code, names, catalog
// severity, summary and checker factory; lookup by code or slug; and Ruff-style rule selection
// (--select/--ignore with codes, code prefixes such as FS1 or FS10, slugs, or ALL).
//
// Registry::Default() is the table of rules.def. Tests build their own Registry from a handful of
// RuleInfo rows, so the output code and selection logic are testable before any rule exists.
//
// Users: the driver (selection, running checkers, `flopscope rule`), output formats (metadata).
#ifndef FLOPSCOPE_CHECKERS_REGISTRY_H_
#define FLOPSCOPE_CHECKERS_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checkers/checker.h"
#include "checkers/diagnostic.h"

namespace flopscope::checkers {

struct RuleInfo {
  RuleId id;
  absl::string_view name;  // PascalCase: "ReloadInLoop" (SARIF reportingDescriptor.name)
  absl::string_view slug;  // "reload-in-loop"
  Severity severity;
  absl::string_view summary;  // one line, lowercase, no trailing period
  std::unique_ptr<Checker> (*make_checker)() = nullptr;

  std::string Code() const { return id.Code(); }  // "FS101"
  // "fs101_reload_in_loop": the stem of the checker, its doc page and its corpus file.
  std::string Stem() const;
};

class Registry {
 public:
  // Rows are sorted by code. Codes and slugs must be unique (FS_CHECK: a table bug, not input).
  explicit Registry(std::vector<RuleInfo> rules);

  // The rules of checkers/rules.def.
  static const Registry& Default();

  const std::vector<RuleInfo>& rules() const { return rules_; }
  const RuleInfo* Find(RuleId id) const;
  // By code ("FS101", case-insensitive) or slug ("reload-in-loop"); nullptr when unknown.
  const RuleInfo* Find(absl::string_view code_or_slug) const;
  // Index of the rule in rules() (SARIF ruleIndex), or -1.
  int IndexOf(RuleId id) const;

  // The rules enabled by `select` (empty: all) minus `ignore`, Ruff's way: each selector is ALL, a
  // code, a code prefix ("FS", "FS1", "FS10") or a slug, and items may be comma-separated. For
  // each rule the most specific matching selector decides; on a tie ignore wins. So
  // `--select FS1 --ignore FS103` runs FS1xx but FS103, and `--ignore FS1 --select FS101` runs
  // FS101 only. A selector that matches no rule is InvalidArgument naming it.
  absl::StatusOr<std::vector<const RuleInfo*>> Select(
      const std::vector<std::string>& select, const std::vector<std::string>& ignore) const;

 private:
  std::vector<RuleInfo> rules_;
};

// Runs the checkers of `rules` over `ctx` and returns their findings, sorted and de-duplicated.
// Only findings of `rules` are kept, even if a checker reports another code.
std::vector<Diagnostic> RunCheckers(const std::vector<const RuleInfo*>& rules,
                                    const CheckContext& ctx);

}  // namespace flopscope::checkers

#endif  // FLOPSCOPE_CHECKERS_REGISTRY_H_
