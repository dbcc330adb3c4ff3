#!/usr/bin/env python3
"""Scores flopscope against the hold-out set in eval/holdout.

    python3 eval/score.py build/driver/flopscope            # one run over eval/holdout
    python3 eval/score.py build/driver/flopscope --per-project
    python3 eval/score.py --findings out.json               # score a saved JSON report
    python3 eval/score.py --list-expected                   # ground truth only, no binary

Ground truth is written in the hold-out sources themselves, as trailing comments:

    model = load(name)  # expect: FS101             a finding of FS101 is due on this line
    x = f(y)            # expect: FS103, FS105      several rules due on one line
    hook(...)           # allow: FS304              debatable: counted neither way
    m = load(name)      # expect: FS101  # allow: FS103

A finding matches an expectation when rule, file and line agree (several findings of one rule on
one line count once). Only the ten rules of issue 4 are scored; findings of any other rule are
listed as out of scope and do not change the numbers. Standard library only.
"""
import argparse
import collections
import io
import json
import os
import re
import subprocess
import sys
import tokenize

RULES = ("FS101", "FS103", "FS104", "FS105", "FS201",
         "FS301", "FS304", "FS305", "FS401", "FS402")
TARGET_PRECISION = 0.90
TARGET_RECALL = 0.85

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_HOLDOUT = os.path.join(HERE, "holdout")

_MARKER = re.compile(r"\b(expect|allow)\s*:\s*((?:FS\d{3})(?:\s*,\s*FS\d{3})*)")
_RULE = re.compile(r"FS\d{3}")


# --------------------------------------------------------------------------- ground truth

def python_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def annotations(path):
    """Yields (line, kind, rule) for every expect/allow marker in the file's comments."""
    with open(path, "rb") as f:
        source = f.read()
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as e:
        raise SystemExit(f"score.py: cannot tokenize {path}: {e}")
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        for kind, rules in _MARKER.findall(tok.string):
            for rule in _RULE.findall(rules):
                yield tok.start[0], kind, rule


def load_ground_truth(holdout):
    expected, allowed = set(), set()
    for path in python_files(holdout):
        rel = os.path.relpath(path, holdout)
        for line, kind, rule in annotations(path):
            if rule not in RULES:
                raise SystemExit(f"score.py: {rel}:{line}: {rule} is not one of the scored rules")
            (expected if kind == "expect" else allowed).add((rel, line, rule))
    clash = expected & allowed
    if clash:
        rel, line, rule = sorted(clash)[0]
        raise SystemExit(f"score.py: {rel}:{line}: {rule} is both expected and allowed")
    return expected, allowed


# --------------------------------------------------------------------------- findings

def _first(d, *keys):
    for k in keys:
        if isinstance(d, dict) and d.get(k) is not None:
            return d[k]
    return None


def _normalize_rule(rule):
    rule = str(rule).strip().upper()
    if rule.isdigit():
        rule = "FS" + rule
    return rule


def _resolve(path, holdout, base_dirs):
    """Maps a reported path to a path relative to the hold-out root (None if outside it)."""
    candidates = [path] if os.path.isabs(path) else [os.path.join(b, path) for b in base_dirs]
    for c in candidates:
        if os.path.exists(c):
            rel = os.path.relpath(os.path.realpath(c), os.path.realpath(holdout))
            return None if rel.startswith("..") else rel
    return None


def parse_report(report, holdout, base_dirs):
    """Returns ([(rel_path, line, rule, message)], [unplaceable finding descriptions])."""
    if isinstance(report, dict):
        findings = _first(report, "findings", "results", "diagnostics")
    else:
        findings = report
    if not isinstance(findings, list):
        raise SystemExit("score.py: the JSON report has no top-level 'findings' list")
    placed, unplaced = [], []
    for f in findings:
        rule = _first(f, "rule", "rule_id", "ruleId", "code")
        loc = _first(f, "location") or {}
        path = _first(f, "path", "file", "filename") or _first(loc, "path", "file")
        line = _first(f, "line", "start_line", "row") or _first(loc, "line", "start_line")
        if rule is None or path is None or line is None:
            unplaced.append(json.dumps(f)[:200])
            continue
        rel = _resolve(str(path), holdout, base_dirs)
        if rel is None:
            unplaced.append(f"{path}:{line} {rule}")
            continue
        placed.append((rel, int(line), _normalize_rule(rule), str(_first(f, "message") or "")))
    return placed, unplaced


def run_binary(binary, target, extra):
    cmd = [binary, "check", target, "--format", "json"] + extra
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise SystemExit(f"score.py: cannot run {binary}: {e}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"score.py: `{' '.join(cmd)}` exited {proc.returncode} "
                         "without a JSON report on stdout")


def collect_findings(args, holdout):
    bases = [os.getcwd(), holdout, os.path.dirname(holdout)]
    if args.findings:
        with open(args.findings) as f:
            return parse_report(json.load(f), holdout, bases)
    # Spelled the way a user would type it (relative when run from the repository root).
    spelled = os.path.relpath(holdout) if not os.path.relpath(holdout).startswith("..") else holdout
    targets = [spelled]
    if args.per_project:
        targets = [os.path.join(spelled, e) for e in sorted(os.listdir(holdout))
                   if not e.startswith((".", "__")) and
                   (e.endswith(".py") or os.path.isdir(os.path.join(holdout, e)))]
    placed, unplaced = [], []
    for t in targets:
        p, u = parse_report(run_binary(args.binary, t, args.extra), holdout,
                            bases + [os.path.dirname(t), t])
        placed += p
        unplaced += u
    return placed, unplaced


# --------------------------------------------------------------------------- scoring

def ratio(num, den):
    return num / den if den else None


def fmt(x):
    return "  n/a" if x is None else f"{x:5.3f}"


def score(expected, allowed, placed):
    found = {}
    out_of_scope = []
    for rel, line, rule, msg in placed:
        if rule not in RULES:
            out_of_scope.append((rel, line, rule))
            continue
        found.setdefault((rel, line, rule), msg)
    tp = {k for k in found if k in expected}
    fp = {k for k in found if k not in expected and k not in allowed}
    fn = expected - set(found)
    allowed_hit = {k for k in found if k in allowed}
    return tp, fp, fn, allowed_hit, found, out_of_scope


def report(expected, allowed, tp, fp, fn, allowed_hit, found, out_of_scope, unplaced):
    by = lambda s: collections.Counter(r for _, _, r in s)
    e, t, p, n = by(expected), by(tp), by(fp), by(fn)
    print(f"{'rule':6} {'expected':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    for r in RULES:
        prec, rec = ratio(t[r], t[r] + p[r]), ratio(t[r], e[r])
        print(f"{r:6} {e[r]:8d} {t[r]:4d} {p[r]:4d} {n[r]:4d} {fmt(prec):>9} {fmt(rec):>7}")
    prec, rec = ratio(len(tp), len(tp) + len(fp)), ratio(len(tp), len(expected))
    print(f"{'all':6} {len(expected):8d} {len(tp):4d} {len(fp):4d} {len(fn):4d} "
          f"{fmt(prec):>9} {fmt(rec):>7}")
    print(f"(allowed lines: {len(allowed)}, of which reported: {len(allowed_hit)})")

    if fp:
        print("\nFalse positives:")
        for rel, line, rule in sorted(fp):
            msg = found[(rel, line, rule)]
            print(f"  {rel}:{line} {rule}" + (f"  -- {msg[:120]}" if msg else ""))
    if fn:
        print("\nFalse negatives:")
        for rel, line, rule in sorted(fn):
            print(f"  {rel}:{line} {rule}")
    if out_of_scope:
        print(f"\nOut of scope (rules not scored here): {len(out_of_scope)}")
        for rel, line, rule in sorted(set(out_of_scope)):
            print(f"  {rel}:{line} {rule}")
    if unplaced:
        print(f"\nFindings outside the hold-out set or without a location: {len(unplaced)}")
        for u in unplaced[:20]:
            print(f"  {u}")
    ok = (prec is not None and prec >= TARGET_PRECISION and
          rec is not None and rec >= TARGET_RECALL)
    print(f"\nTarget (issue 4): precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}: "
          f"{'met' if ok else 'NOT met'}")
    return ok


def list_expected(expected, allowed):
    e = collections.Counter(r for _, _, r in expected)
    a = collections.Counter(r for _, _, r in allowed)
    print(f"{'rule':6} {'expected':>8} {'allowed':>8}")
    for r in RULES:
        print(f"{r:6} {e[r]:8d} {a[r]:8d}")
    print(f"{'all':6} {len(expected):8d} {len(allowed):8d}")
    files = collections.Counter(p.split(os.sep)[0] for p, _, _ in expected)
    print("\nexpected findings per project:")
    for proj, c in sorted(files.items()):
        print(f"  {proj:32} {c}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", help="path to the flopscope executable")
    ap.add_argument("--holdout", default=DEFAULT_HOLDOUT, help="hold-out root (default: %(default)s)")
    ap.add_argument("--per-project", action="store_true",
                    help="run the binary once per top-level project instead of once overall")
    ap.add_argument("--findings", help="score this saved `check --format json` report instead")
    ap.add_argument("--list-expected", action="store_true", help="print the ground truth counts")
    ap.add_argument("--enforce", action="store_true",
                    help="exit 1 when the issue-4 precision/recall targets are not met")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                    help="further arguments passed to `flopscope check` (must come last)")
    args = ap.parse_args()

    holdout = os.path.abspath(args.holdout)
    expected, allowed = load_ground_truth(holdout)
    if args.list_expected:
        list_expected(expected, allowed)
        return 0
    if not args.binary and not args.findings:
        ap.error("give the flopscope binary (or --findings FILE, or --list-expected)")

    placed, unplaced = collect_findings(args, holdout)
    ok = report(expected, allowed, *score(expected, allowed, placed), unplaced)
    return 1 if (args.enforce and not ok) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into head/sed
        sys.exit(0)
