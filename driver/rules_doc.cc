#include "driver/rules_doc.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace flopscope::driver {

std::optional<absl::string_view> EmbeddedRuleDoc(absl::string_view stem) {
  for (const EmbeddedDoc* doc = kEmbeddedRuleDocs; doc->stem != nullptr; ++doc) {
    if (stem == doc->stem) return absl::string_view(doc->text, doc->size);
  }
  return std::nullopt;
}

absl::StatusOr<std::string> RuleDocumentation(const checkers::Registry& registry,
                                              absl::string_view code_or_slug) {
  const checkers::RuleInfo* rule = registry.Find(code_or_slug);
  if (rule == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown rule '", code_or_slug,
                                            "' (`flopscope rule --all` lists the rules)"));
  }
  std::optional<absl::string_view> page = EmbeddedRuleDoc(rule->Stem());
  if (!page.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no documentation page docs/rules/", rule->Stem(), ".md for ", rule->Code()));
  }
  std::string text(*page);
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

std::string RuleListing(const checkers::Registry& registry) {
  size_t slug_width = 4;
  for (const checkers::RuleInfo& rule : registry.rules()) {
    slug_width = std::max(slug_width, rule.slug.size());
  }
  auto pad = [](absl::string_view s, size_t width) {
    return absl::StrCat(s, std::string(width > s.size() ? width - s.size() : 0, ' '));
  };
  std::string out = absl::StrCat(pad("CODE", 7), pad("SLUG", slug_width + 2), pad("SEVERITY", 10),
                                 "SUMMARY\n");
  for (const checkers::RuleInfo& rule : registry.rules()) {
    absl::StrAppend(&out, pad(rule.Code(), 7), pad(rule.slug, slug_width + 2),
                    pad(checkers::SeverityName(rule.severity), 10), rule.summary, "\n");
  }
  return out;
}

namespace {

bool IsFence(absl::string_view line) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
  return absl::StartsWith(t, "```") || absl::StartsWith(t, "~~~");
}

// The heading level of a line ("## x" is 2), or 0 when it is not an ATX heading.
int HeadingLevel(absl::string_view line) {
  size_t level = 0;
  while (level < line.size() && line[level] == '#') ++level;
  if (level == 0 || level > 6 || level >= line.size() || line[level] != ' ') return 0;
  return static_cast<int>(level);
}

}  // namespace

std::string MarkdownSection(absl::string_view markdown, absl::string_view heading) {
  std::vector<absl::string_view> lines = absl::StrSplit(markdown, '\n');
  std::vector<absl::string_view> body;
  bool inside = false;
  bool in_fence = false;
  for (absl::string_view raw : lines) {
    absl::string_view line = absl::StripSuffix(raw, "\r");
    if (!in_fence) {
      int level = HeadingLevel(line);
      if (level > 0 && level <= 2) {
        if (inside) break;
        absl::string_view title = absl::StripAsciiWhitespace(line.substr(level + 1));
        inside = level == 2 && absl::EqualsIgnoreCase(title, heading);
        continue;
      }
    }
    if (IsFence(line)) in_fence = !in_fence;
    if (inside) body.push_back(line);
  }
  return std::string(absl::StripAsciiWhitespace(absl::StrJoin(body, "\n")));
}

std::string MarkdownToPlainText(absl::string_view markdown) {
  std::vector<std::string> out;
  bool in_fence = false;
  for (absl::string_view raw : absl::StrSplit(markdown, '\n')) {
    absl::string_view line = absl::StripSuffix(raw, "\r");
    if (IsFence(line)) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) {
      out.push_back(absl::StrCat("    ", line));
      continue;
    }
    int level = HeadingLevel(line);
    if (level > 0) line = line.substr(static_cast<size_t>(level) + 1);
    out.push_back(absl::StrReplaceAll(line, {{"**", ""}, {"`", ""}}));
  }
  return std::string(absl::StripAsciiWhitespace(absl::StrJoin(out, "\n")));
}

}  // namespace flopscope::driver
