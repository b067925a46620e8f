#!/usr/bin/python3
"""Figure for examples/deep_linear: relative loss against steps for each optimizer.

Usage (python3 with numpy and matplotlib):

    /usr/bin/python3 examples/plot_deep_linear.py OUT_DIR [-o PATH.png]

OUT_DIR is the directory deep_linear wrote (default deep_linear_out); it reads every
trace_<method>.csv there (columns step, relative_loss) and writes OUT_DIR/loss_curves.png,
or PATH.png with -o (small: <= 200 KB).
"""

import argparse
import csv
import glob
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_trace(path):
    steps, loss = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            steps.append(int(row["step"]))
            loss.append(float(row["relative_loss"]))
    return steps, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", nargs="?", default="deep_linear_out")
    ap.add_argument("-o", "--output", default=None)
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.out_dir, "trace_*.csv")))
    if not files:
        sys.exit(f"plot_deep_linear: no trace_<method>.csv in {a.out_dir} (run deep_linear --out {a.out_dir} first)")
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for path in files:
        method = os.path.basename(path)[len("trace_"):-len(".csv")]
        steps, loss = read_trace(path)
        pts = [(s, l) for s, l in zip(steps, loss) if s > 0 and l > 0]
        if not pts:
            continue
        label = method + (" (no learning rate)" if method == "agd" else " (tuned)")
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("relative loss f(w_t) / f(w_0)")
    ax.set_title("Deep linear network (examples/deep_linear)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = a.output or os.path.join(a.out_dir, "loss_curves.png")
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
