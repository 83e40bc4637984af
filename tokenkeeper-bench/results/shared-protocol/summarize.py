#!/usr/bin/env python3
"""Summarises run.sh's output: medians and ranges per jar, and new/old ratios of the medians.

B1: every measurement iteration of every round (JMH JSON rawData). B2: each invocation's median
of its 3 storms (from its report), so 'range' is the range of the per-invocation medians.
Usage: python3 summarize.py [DIR]   (default: this script's directory)
"""
import glob, json, os, re, statistics, sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

def b1(version):
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "b1-%s-r*.json" % version))):
        for run in json.load(open(f)):
            name = run["benchmark"].rsplit(".", 1)[1]
            row = out.setdefault(name, {"ns": [], "cpu": [], "bytes": []})
            for fork in run["primaryMetric"]["rawData"]:
                row["ns"] += fork
            for fork in run["secondaryMetrics"]["cpu.time.norm"]["rawData"]:
                row["cpu"] += fork
            for fork in run["secondaryMetrics"]["gc.alloc.rate.norm"]["rawData"]:
                row["bytes"] += fork
    return out

def b2(kind, version):
    rows = {}
    for f in sorted(glob.glob(os.path.join(d, "b2-%s-%s-r*" % (kind, version), "*.md"))):
        for line in open(f):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 4 and cells[0] in ("Tokenkeeper", "harness only (no token work)"):
                r = rows.setdefault(cells[0], {"all": [], "median": [], "first": [], "calls": []})
                r["all"].append(float(cells[2].split()[0]))
                r["median"].append(float(cells[3].split()[0]))
                if cells[4] != "-":
                    r["first"].append(float(cells[4].split()[0]))
                r["calls"].append(cells[1])
    return rows

def fmt(xs, unit=""):
    if not xs:
        return "-"
    return "%.1f%s [%.1f–%.1f]" % (statistics.median(xs), unit, min(xs), max(xs))

def ratio(a, b):
    return "%.2f×" % (statistics.median(b) / statistics.median(a)) if a and b and statistics.median(a) else "-"

print("B1, JDK 17, 1 thread: median [range] over all measurement iterations of all rounds\n")
print("| benchmark | what | old (026c88a) | new | new/old |")
print("|---|---|---|---|---|")
old, new = b1("old"), b1("new")
for name in ("tokenkeeper", "tokenkeeperHeader"):
    label = "token()" if name == "tokenkeeper" else "token().authorizationHeader()"
    for key, what, unit in (("cpu", "CPU ns/op", ""), ("ns", "ns/op (wall)", ""), ("bytes", "B/op", "")):
        o, n = old.get(name, {}).get(key, []), new.get(name, {}).get(key, [])
        print("| %s | %s | %s | %s | %s |" % (label, what, fmt(o), fmt(n), ratio(o, n)))
for kind, title in (("platform", "B2, JDK 17, N = 1,000 platform threads"),
                    ("virtual", "B2, JDK 25, N = 10,000 virtual threads")):
    o, n = b2(kind, "old"), b2(kind, "new")
    print("\n%s: median [range] of the per-invocation medians (3 storms each)\n" % title)
    print("| contender | what | old (026c88a) | new | new/old |")
    print("|---|---|---|---|---|")
    for who in ("harness only (no token work)", "Tokenkeeper"):
        for key, what in (("all", "time until the last caller held a valid token, ms"),
                          ("median", "median caller, ms"), ("first", "1st call reached server, ms")):
            a, b = o.get(who, {}).get(key, []), n.get(who, {}).get(key, [])
            if not a and not b:
                continue
            print("| %s | %s | %s | %s | %s |" % (who, what, fmt(a), fmt(b), ratio(a, b)))
        if who == "Tokenkeeper":
            print("| Tokenkeeper | endpoint calls per storm (per invocation) | %s | %s | |" % (
                ",".join(o.get(who, {}).get("calls", [])), ",".join(n.get(who, {}).get("calls", []))))
