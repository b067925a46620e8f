#!/usr/bin/env python3
"""Summarize bench/compare_builds.sh: one markdown row per benchmark, before vs after.

usage: compare_builds.py OUT_DIR    (files {slq,op,eigs}_{before,after}_<round>.json)

Per benchmark: the median real time of each build over its rounds, the ratio
after/before, each build's spread (max - min) / median, and the verdict of the
rule "within max(5%, the measured spread)". For eigs rows, the matvec counts
(which do not depend on the machine) are shown too.
"""
import glob
import json
import os
import statistics
import sys


def load(out, group, label):
    rows = {}
    for path in sorted(glob.glob(os.path.join(out, f"{group}_{label}_*.json"))):
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            if b.get("run_type") == "aggregate":
                continue
            name = b["name"].replace("/iterations:1", "").replace("/manual_time", "")
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
            rows.setdefault(name, []).append((b["real_time"] * scale, b.get("matvecs")))
    return rows


def spread(times):
    m = statistics.median(times)
    return (max(times) - min(times)) / m if m > 0 else 0.0


def main():
    out = sys.argv[1]
    print("| benchmark | before (s) | after (s) | after/before | spread before | spread after | matvecs before/after | within max(5%, spread) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for group in ("slq", "op", "eigs"):
        before, after = load(out, group, "before"), load(out, group, "after")
        for name in before:
            if name not in after:
                continue
            tb = [t for t, _ in before[name]]
            ta = [t for t, _ in after[name]]
            mb, ma = statistics.median(tb), statistics.median(ta)
            ratio = ma / mb
            allowed = max(0.05, spread(tb), spread(ta))
            ok = ratio <= 1.0 + allowed
            worst = max(worst, ratio)
            mv = ""
            if before[name][0][1] is not None:
                mv = f"{int(before[name][0][1])}/{int(after[name][0][1])}"
            print(f"| {name} | {mb:.4g} | {ma:.4g} | {ratio:.3f} | {spread(tb):.1%} | {spread(ta):.1%} | {mv} | {'yes' if ok else 'NO'} |")
    print(f"\nlargest after/before ratio: {worst:.3f}")


if __name__ == "__main__":
    main()
