#!/usr/bin/python3
"""plot_real.py OUT: figures of a real_heterogeneity output directory (examples/torch/real_heterogeneity.cpp).

For every model directory OUT/<model>/ with spectra/ and losses.csv it writes
  OUT/<model>/js_heatmap.png   the JS distance matrix (library convention, natural log) with block names
  OUT/<model>/densities.png    each block's density on the common grid (log y)
  OUT/<model>/losses.png       the training-loss curves of the best SGD and Adam rates (others faint)
Needs numpy and matplotlib (Debian: python3-numpy, python3-matplotlib; run with /usr/bin/python3).
Cost: seconds. Caveat: reads only files real_heterogeneity writes; a model without spectra/run.csv
(an incomplete run) is skipped with a message.
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def heatmap(d, model, names):
    js = np.load(os.path.join(d, "spectra", "js_distance.npy"))
    k = len(names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.45 * k, 0.6 + 0.4 * k))
    im = ax.imshow(js, cmap="viridis", vmin=0.0, vmax=np.sqrt(np.log(2.0)))
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_yticklabels(names, fontsize=7)
    fig.colorbar(im, ax=ax, label="JS distance (natural log, max sqrt(ln 2))")
    off = js[~np.eye(k, dtype=bool)]
    ax.set_title(f"{model}: heterogeneity {off.mean():.4f}" if k > 1 else model, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "js_heatmap.png"), dpi=130)
    plt.close(fig)


def densities(d, model, names):
    grid = np.load(os.path.join(d, "spectra", "grid.npy"))
    dens = np.load(os.path.join(d, "spectra", "densities.npy"))
    fig, ax = plt.subplots(figsize=(7, 4))
    floor = 1e-12
    for name, row in zip(names, dens):
        ax.plot(grid, np.maximum(row, floor), lw=0.9, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    ax.set_title(f"{model}: blockwise Hessian spectra at initialization", fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "densities.png"), dpi=130)
    plt.close(fig)


def losses(d, model):
    runs = {}
    with open(os.path.join(d, "losses.csv")) as f:
        for row in csv.DictReader(f):
            key = (row["optimizer"], float(row["lr"]), row["best"] == "1")
            runs.setdefault(key, ([], []))
            runs[key][0].append(int(row["step"]))
            runs[key][1].append(float(row["loss"]))
    fig, ax = plt.subplots(figsize=(7, 4))
    colors = {"sgd": "tab:blue", "adam": "tab:red"}
    for (opt, lr, best), (steps, vals) in sorted(runs.items(), key=lambda kv: kv[0][2]):
        ax.plot(steps, vals, color=colors.get(opt, "k"), lw=1.4 if best else 0.5, alpha=1.0 if best else 0.25,
                label=f"{opt} lr {lr:g}" if best else None)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (one batch)")
    ax.set_title(f"{model}: SGD (momentum 0.9) vs Adam, best rate bold", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "losses.png"), dpi=130)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_real.py OUT (the --out directory of real_heterogeneity)")
    out = sys.argv[1]
    if not os.path.isdir(out):
        sys.exit(f"plot_real.py: {out} is not a directory")
    for model in sorted(os.listdir(out)):
        d = os.path.join(out, model)
        if not os.path.isfile(os.path.join(d, "spectra", "run.csv")):
            continue
        with open(os.path.join(d, "block_names.txt")) as f:
            names = [line.rstrip("\n") for line in f if line.strip()]
        heatmap(d, model, names)
        densities(d, model, names)
        if os.path.isfile(os.path.join(d, "losses.csv")):
            losses(d, model)
        print(f"plot_real.py: wrote {d}/js_heatmap.png, densities.png, losses.png")


if __name__ == "__main__":
    main()
