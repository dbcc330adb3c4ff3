// Rule documentation for users: the pages of docs/rules/ compiled into the binary (by
// cmake/EmbedDocs.cmake), `flopscope rule FS101` and `flopscope rule --all`, and the pieces SARIF
// takes from a page (full description, plain-text and markdown help).
//
// Users: driver/main.cc (the `rule` subcommand), driver/sarif.cc.
#ifndef FLOPSCOPE_DRIVER_RULES_DOC_H_
#define FLOPSCOPE_DRIVER_RULES_DOC_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checkers/registry.h"

namespace flopscope::driver {

// One embedded page; the generated table ends with a {nullptr, nullptr, 0} row.
struct EmbeddedDoc {
  const char* stem;  // "fs101_reload_in_loop"
  const char* text;
  size_t size;
};
extern const EmbeddedDoc kEmbeddedRuleDocs[];

// The embedded page docs/rules/<stem>.md, if there is one.
std::optional<absl::string_view> EmbeddedRuleDoc(absl::string_view stem);

// `flopscope rule CODE_OR_SLUG`: the rule's page. NotFound for an unknown rule (the message lists
// how to see the known ones) or a rule whose page is missing.
absl::StatusOr<std::string> RuleDocumentation(const checkers::Registry& registry,
                                              absl::string_view code_or_slug);

// `flopscope rule --all`: one line per rule, "FS101  reload-in-loop  critical  summary", columns
// aligned, ending with a newline.
std::string RuleListing(const checkers::Registry& registry);

// The body of the section `## <heading>` of a markdown page (up to the next `#`/`##` heading),
// trimmed; "" when absent. Fenced code blocks are skipped when looking for headings.
std::string MarkdownSection(absl::string_view markdown, absl::string_view heading);

// A plain-text rendering of markdown for SARIF's help.text: heading marks, code fences and
// emphasis/backtick markup removed, text otherwise unchanged.
std::string MarkdownToPlainText(absl::string_view markdown);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_RULES_DOC_H_
