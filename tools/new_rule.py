#!/usr/bin/env python3
"""Scaffold a flopscope rule: the four artifacts and its line in checkers/rules.def.

usage: tools/new_rule.py FS101 reload-in-loop --severity critical --summary "..." [--dry-run]

Writes, each only when missing (existing files are kept untouched):
  checkers/fs101_reload_in_loop.cc     checker skeleton defining MakeReloadInLoopChecker()
  docs/rules/fs101_reload_in_loop.md   page with the required headings
  corpus/fs101_reload_in_loop.py       corpus file (unless corpus/<stem>_project/ exists)
and inserts FS_RULE(101, ReloadInLoop, "reload-in-loop", kCritical, "...") into rules.def in code
order. The summary may be omitted when docs/rules/README.md already lists the rule.
See docs/adding_a_rule.md.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES_DEF = os.path.join(ROOT, "checkers", "rules.def")
SEVERITIES = {"critical": "kCritical", "high": "kHigh", "medium": "kMedium", "low": "kLow"}
RULE_LINE = re.compile(r'^FS_RULE\((\d{3}),\s*(\w+),\s*"([a-z0-9-]+)",\s*(k\w+),\s*"(.*)"\)\s*$')

CHECKER = """\
// {code} {slug}: {summary}.
// User documentation: docs/rules/{stem}.md
#include <memory>

#include "checkers/checker.h"

namespace flopscope::checkers {{
namespace {{

class {name}Checker final : public Checker {{
 public:
  void Run([[maybe_unused]] const CheckContext& ctx,
           [[maybe_unused]] DiagnosticSink& sink) const override {{
    // Gate cheaply, resolve through ctx (program, resolver, call graph, analysis), decide, then
    // report where the user must change code, with the call path to the fact's origin:
    //   sink.Report(Diagnostic::For(RuleId::k{code}, ctx.LocationOf(fn, site))
    //                   .Message("`name` ...").Help("...").WithConfidence(0.9, "evidence")
    //                   .LogicalLocation(ctx.QualifiedName(fn))
    //                   .Step(ctx.LocationOf(fn, site), ctx.DisplayName(fn), "calls helper()"));
  }}
}};

}}  // namespace

std::unique_ptr<Checker> Make{name}Checker() {{ return std::make_unique<{name}Checker>(); }}

}}  // namespace flopscope::checkers
"""

DOC = """\
# {code} · {slug}

**Severity:** {severity_word} (catalog §{section}).

## What it does

{summary_sentence}

## Why is this bad?

## Example

```python
```

## Use instead

```python
```

## Known limitations

## Options

None (added in v0.1).

## References

- Anti-pattern catalog, section {section}
"""

CORPUS = '''\
"""{code} {slug}: {summary}.

Bad cases carry `# expect: {code}`; near misses carry nothing (see corpus/README.md).
"""
'''


def pascal_case(slug):
    return "".join(word[:1].upper() + word[1:] for word in slug.split("-") if word)


def summary_from_index(code):
    index = os.path.join(ROOT, "docs", "rules", "README.md")
    if not os.path.exists(index):
        return None
    with open(index, encoding="utf-8") as fh:
        for line in fh:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 4 and cells[0] == code:
                return cells[3]
    return None


def write_new(path, text, dry_run):
    rel = os.path.relpath(path, ROOT)
    if os.path.exists(path):
        print(f"kept     {rel}")
        return
    print(f"created  {rel}")
    if not dry_run:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def rule_line_position(number, slug):
    """The rules.def lines and where the new line goes; exits if the code or slug is taken."""
    with open(RULES_DEF, encoding="utf-8") as fh:
        lines = fh.readlines()
    insert_at = len(lines)
    for i, existing in enumerate(lines):
        m = RULE_LINE.match(existing)
        if not m:
            continue
        if int(m.group(1)) == number:
            sys.exit(f"error: FS{number:03d} is already registered: {existing.strip()}")
        if m.group(3) == slug:
            sys.exit(f"error: slug {slug} is already used by FS{m.group(1)}")
        if int(m.group(1)) > number and insert_at == len(lines):
            insert_at = i
    return lines, insert_at


def insert_rule_line(lines, insert_at, line, dry_run):
    lines.insert(insert_at, line + "\n")
    print(f"inserted {line}")
    if not dry_run:
        with open(RULES_DEF, "w", encoding="utf-8") as fh:
            fh.writelines(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("code", help="FS followed by three digits, e.g. FS101")
    parser.add_argument("slug", help="kebab-case name of the bad pattern, e.g. reload-in-loop")
    parser.add_argument("--severity", required=True, choices=sorted(SEVERITIES))
    parser.add_argument("--summary", help="one line, lowercase, no trailing period")
    parser.add_argument("--dry-run", action="store_true", help="print what would change")
    args = parser.parse_args()

    code = args.code.upper()
    if not re.fullmatch(r"FS[1-9]\d\d", code):
        sys.exit(f"error: {args.code} is not a rule code (FS101)")
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", args.slug):
        sys.exit(f"error: {args.slug} is not a kebab-case slug (reload-in-loop)")
    summary = args.summary or summary_from_index(code)
    if not summary:
        sys.exit("error: --summary is required (docs/rules/README.md does not list the rule)")
    summary = summary.strip().rstrip(".")
    if '"' in summary or "\\" in summary:
        sys.exit("error: the summary may not contain quotes or backslashes")
    if summary[:1].isupper():
        sys.exit("error: the summary starts lowercase")

    number = int(code[2:])
    name = pascal_case(args.slug)
    stem = f"{code.lower()}_{args.slug.replace('-', '_')}"
    section = f"{number // 100}.{number % 100}"
    fields = dict(code=code, slug=args.slug, summary=summary, stem=stem, name=name,
                  section=section, severity_word=args.severity.capitalize(),
                  summary_sentence=summary[:1].upper() + summary[1:] + ".")

    # Refuse a taken code or slug before writing anything.
    lines, insert_at = rule_line_position(number, args.slug)
    write_new(os.path.join(ROOT, "checkers", stem + ".cc"), CHECKER.format(**fields), args.dry_run)
    write_new(os.path.join(ROOT, "docs", "rules", stem + ".md"), DOC.format(**fields),
              args.dry_run)
    if os.path.isdir(os.path.join(ROOT, "corpus", stem + "_project")):
        print(f"kept     corpus/{stem}_project/")
    else:
        write_new(os.path.join(ROOT, "corpus", stem + ".py"), CORPUS.format(**fields),
                  args.dry_run)
    insert_rule_line(
        lines, insert_at,
        f'FS_RULE({number:03d}, {name}, "{args.slug}", {SEVERITIES[args.severity]}, "{summary}")',
        args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
