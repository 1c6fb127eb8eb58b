#!/usr/bin/env python3
"""A strict reader of Prometheus's text exposition format (0.0.4), for
tests/agent/web.sh: refuses anything a scraper could misread, then prints
each sample as 'NAME{LABELS} VALUE' with labels sorted, one per line.

Checks: every line is a HELP, a TYPE or a sample; names and label names are
legal; a family's HELP and TYPE come once, before its samples, and its
samples are together; counters end in _total; histograms have ascending
le buckets, cumulative counts, a +Inf bucket equal to _count, and a _sum;
no sample is repeated; values are numbers; label values are escaped.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def fail(n, msg):
    sys.exit(f"prom-check: line {n}: {msg}")


def labels(n, text):
    out, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            fail(n, f"bad label at {text[pos:]!r}")
        if m.group(1) in out:
            fail(n, f"label {m.group(1)} twice")
        out[m.group(1)] = m.group(2)
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                fail(n, f"expected ',' in labels at {text[pos:]!r}")
            pos += 1
    return out


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and types.get(base) == "histogram":
            return base
    return name


def main():
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail(0, "the last line has no newline")
    types, helps, done, seen, samples = {}, set(), set(), set(), []
    current = None
    hist = {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                fail(n, f"bad comment {line!r}")
            name = parts[2]
            if name in done:
                fail(n, f"{name} described after its samples ended")
            if parts[1] == "HELP":
                if name in helps:
                    fail(n, f"HELP of {name} twice")
                helps.add(name)
            else:
                if name in types:
                    fail(n, f"TYPE of {name} twice")
                if parts[3] not in TYPES:
                    fail(n, f"unknown type {parts[3]}")
                if parts[3] == "counter" and not name.endswith("_total"):
                    fail(n, f"counter {name} does not end in _total")
                types[name] = parts[3]
            if current and current != name:
                done.add(current)
            current = name
            continue
        if line.startswith("#") or not line:
            fail(n, f"stray line {line!r}")
        m = re.match(r"([^{ ]+)(?:\{(.*)\})? (\S+)$", line)
        if not m or not NAME.match(m.group(1)):
            fail(n, f"bad sample {line!r}")
        name, lab = m.group(1), labels(n, m.group(2) or "")
        fam = family_of(name, types)
        if fam not in types:
            fail(n, f"{name} has no TYPE before it")
        if fam in done:
            fail(n, f"samples of {fam} are not together")
        if current != fam:
            if current:
                done.add(current)
            current = fam
        try:
            value = float(m.group(3))
        except ValueError:
            fail(n, f"value {m.group(3)!r} is not a number")
        key = name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(lab.items())) + "}"
        if key in seen:
            fail(n, f"{key} twice")
        seen.add(key)
        samples.append((key, value))
        if types[fam] == "histogram":
            h = hist.setdefault(fam, {"le": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                le = float(lab["le"]) if lab.get("le") != "+Inf" else math.inf
                if h["le"] and (le <= h["le"][-1][0] or value < h["le"][-1][1]):
                    fail(n, f"{fam}: buckets not ascending and cumulative")
                h["le"].append((le, value))
            elif name.endswith("_sum"):
                h["sum"] = value
            else:
                h["count"] = value
    for fam, h in hist.items():
        if not h["le"] or h["le"][-1][0] != math.inf:
            fail(0, f"{fam}: no +Inf bucket")
        if h["count"] != h["le"][-1][1] or h["sum"] is None:
            fail(0, f"{fam}: _count is not the +Inf bucket, or no _sum")
    for key, value in samples:
        print(f"{key} {value:g}")


main()
