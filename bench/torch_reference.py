#!/usr/bin/python3
"""Blockwise SLQ of real networks the way the usual Python tools do it (issue 12 §5).

    /usr/bin/python3 bench/torch_reference.py --dir OUT [--models tinygpt tinycnn] [--threads 1]
                                              [--reps 5] [--probes 2] [--steps 20]

OUT is what `bench_torch_hvp --out OUT` wrote (it runs this script itself at the end): for each
model OUT/<model>/problem/ (weights/<name>.npy, parameters.txt, hessian_x<b>.npy,
hessian_y<b>.npy), OUT/<model>/blockspec.csv and OUT/<model>/nodes/<i>.npy.

The models are rebuilt here with the same parameter names as examples/torch/models.hpp and load
the same float32 weights and the same 2 batches; the Hessian is the mean over the batches, and a
block is every parameter tensor with >= 2 dimensions (blockspec's default partition), in
parameter order. Two ways to form H_ll v:
  recompute  forward + create_graph backward again for every product (the paper's code);
  cached     the create_graph gradient of each batch built once and retained, then
             autograd.grad(g_l, W_l, v_l, retain_graph=True) per product (PyHessian's way).
Lanczos runs in float64 with full reorthogonalization (v is cast to the model's dtype for the
product, the result back to float64, as blockspec does); probes are Rademacher.

Reports per model: milliseconds per block-HVP (mean over blocks, 2 batches each) for both
modes and blockspec's (from blockspec.csv, measured by the C++ program in the same run); the
total time of blockwise SLQ at probes x steps; and the agreement: each block's largest
eigenvalue (scipy's eigsh, ARPACK, tol 1e-10, on the cached product) against blockspec's
extreme_eigenpairs within 1e-4 relative, and each block's SLQ density (pooled nodes and
weights) within a Wasserstein-1 distance of 5% of the block's spectral range. The probes differ
(blockspec draws its own), so the W1 figure includes the sampling error of `probes` probes.
Writes OUT/comparison.md (the table) and exits 1 when an agreement check fails.
"""
import argparse
import csv
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import LinearOperator, eigsh
from scipy.stats import wasserstein_distance


class Attention(torch.nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q = torch.nn.Linear(width, width, bias=False)
        self.k = torch.nn.Linear(width, width, bias=False)
        self.v = torch.nn.Linear(width, width, bias=False)
        self.o = torch.nn.Linear(width, width, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.heads
        split = lambda t: t.view(B, T, self.heads, hd).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = q @ k.transpose(-2, -1) / math.sqrt(hd)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        att = torch.softmax(att.masked_fill(mask, float("-inf")), -1)
        return self.o((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class GptBlock(torch.nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln2 = torch.nn.LayerNorm(width)
        self.fc1 = torch.nn.Linear(width, 4 * width)
        self.fc2 = torch.nn.Linear(4 * width, width)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGpt(torch.nn.Module):
    def __init__(self, vocab, width=64, heads=4, layers=2, context=32):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, width)
        self.pos = torch.nn.Embedding(context, width)
        self.blocks = torch.nn.ModuleList([GptBlock(width, heads) for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(width)
        self.head = torch.nn.Linear(width, vocab, bias=False)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln_f(x))


class TinyCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.fc = torch.nn.Linear(144, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        return self.fc(x.flatten(1))


def load_problem(name, pdir):
    weights = {}
    for line in open(os.path.join(pdir, "parameters.txt")):
        key = line.split()[0]
        weights[key] = torch.from_numpy(np.load(os.path.join(pdir, "weights", key + ".npy")))
    if name == "tinygpt":
        model = TinyGpt(weights["tok.weight"].shape[0])
    elif name == "tinycnn":
        model = TinyCnn()
    else:
        raise SystemExit(f"torch_reference.py: unknown model {name!r} (tinygpt, tinycnn)")
    names = [k for k, _ in model.named_parameters()]
    if sorted(names) != sorted(weights):
        raise SystemExit(f"torch_reference.py: {name}: parameter names differ from {pdir}/parameters.txt")
    model.load_state_dict(weights)
    batches = []
    b = 0
    while os.path.exists(os.path.join(pdir, f"hessian_x{b}.npy")):
        batches.append((torch.from_numpy(np.load(os.path.join(pdir, f"hessian_x{b}.npy"))),
                        torch.from_numpy(np.load(os.path.join(pdir, f"hessian_y{b}.npy")))))
        b += 1
    return model, batches


def loss_of(model, batch):
    logits = model(batch[0])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[1].reshape(-1))


class BlockHvp:
    """H_ll v over the batches (their mean), cached or recompute."""

    def __init__(self, model, batches, mode):
        self.model, self.batches, self.mode = model, batches, mode
        self.params = [p for _, p in model.named_parameters()]
        self.names = [n for n, _ in model.named_parameters()]
        self.blocks = [i for i, p in enumerate(self.params) if p.dim() >= 2]
        self.graphs = None

    def gradients(self, batch):
        return torch.autograd.grad(loss_of(self.model, batch), self.params, create_graph=True)

    def product(self, l, v):
        i = self.blocks[l]
        p = self.params[i]
        vt = torch.from_numpy(v).to(p.dtype).view_as(p)
        if self.mode == "cached" and self.graphs is None:
            self.graphs = [self.gradients(b) for b in self.batches]
        out = np.zeros(p.numel())
        for b, batch in enumerate(self.batches):
            g = self.graphs[b] if self.mode == "cached" else self.gradients(batch)
            (hv,) = torch.autograd.grad(g[i], p, vt, retain_graph=self.mode == "cached")
            out += hv.detach().reshape(-1).double().numpy()
        return out / len(self.batches)

    def release(self):
        self.graphs = None


def lanczos(matvec, n, steps, rng):
    """Gauss quadrature (nodes, weights) of one Rademacher probe, full reorthogonalization."""
    m = min(steps, n)
    v = rng.choice([-1.0, 1.0], size=n) / math.sqrt(n)
    V = np.zeros((m, n))
    alpha, beta = np.zeros(m), np.zeros(m)
    V[0] = v
    for j in range(m):
        w = matvec(V[j])
        alpha[j] = V[j] @ w
        w -= V[: j + 1].T @ (V[: j + 1] @ w)
        w -= V[: j + 1].T @ (V[: j + 1] @ w)
        if j + 1 < m:
            beta[j] = np.linalg.norm(w)
            if beta[j] < 1e-12:
                m = j + 1
                break
            V[j + 1] = w / beta[j]
    T = np.diag(alpha[:m]) + np.diag(beta[: m - 1], 1) + np.diag(beta[: m - 1], -1)
    theta, S = np.linalg.eigh(T)
    return theta, S[0] ** 2


def blockwise_slq(hvp, probes, steps, seed=0):
    out = []
    for l, i in enumerate(hvp.blocks):
        n = hvp.params[i].numel()
        rng = np.random.default_rng([seed, l])
        nodes, weights = [], []
        for _ in range(probes):
            t, w = lanczos(lambda x: hvp.product(l, x), n, steps, rng)
            nodes.append(t)
            weights.append(w / probes)
        out.append((np.concatenate(nodes), np.concatenate(weights)))
    return out


def ms_per_product(hvp, l, reps, rng):
    n = hvp.params[hvp.blocks[l]].numel()
    x = rng.standard_normal(n)
    hvp.product(l, x)  # warm-up: builds the graphs in cached mode
    t0 = time.perf_counter()
    for _ in range(reps):
        hvp.product(l, x)
    return 1e3 * (time.perf_counter() - t0) / reps


def largest_eigenvalue(hvp, l):
    n = hvp.params[hvp.blocks[l]].numel()
    op = LinearOperator((n, n), matvec=lambda x: hvp.product(l, np.asarray(x, dtype=np.float64).ravel()),
                        dtype=np.float64)
    return float(eigsh(op, k=1, which="LA", tol=1e-10, v0=np.ones(n), return_eigenvectors=False)[0])


def run_model(name, args):
    mdir = os.path.join(args.dir, name)
    model, batches = load_problem(name, os.path.join(mdir, "problem"))
    ref = list(csv.DictReader(open(os.path.join(mdir, "blockspec.csv"))))
    slq_bs = dict(line.split() for line in open(os.path.join(mdir, "blockspec_slq.txt")))
    cached, recompute = BlockHvp(model, batches, "cached"), BlockHvp(model, batches, "recompute")
    if [cached.names[i] for i in cached.blocks] != [r["block"] for r in ref]:
        raise SystemExit(f"torch_reference.py: {name}: blocks differ from blockspec.csv")
    rng = np.random.default_rng(1)
    rows, failures = [], []
    for l, r in enumerate(ref):
        ms_c, ms_r = ms_per_product(cached, l, args.reps, rng), ms_per_product(recompute, l, args.reps, rng)
        lam = largest_eigenvalue(cached, l)
        lam_bs = float(r["lambda_max"])
        rel = abs(lam - lam_bs) / abs(lam_bs)
        rows.append(dict(block=r["block"], n=int(r["size"]), bs=float(r["ms_cached"]), bs_r=float(r["ms_recompute"]),
                         py_c=ms_c, py_r=ms_r, lam=lam, lam_bs=lam_bs, rel=rel))
        if not rel <= 1e-4:
            failures.append(f"{name} {r['block']}: lambda_max {lam:.10g} vs blockspec {lam_bs:.10g} (rel {rel:.2e})")
    times = {}
    for hvp in (cached, recompute):
        hvp.release()
        t0 = time.perf_counter()
        dens = blockwise_slq(hvp, args.probes, args.steps)
        times[hvp.mode] = time.perf_counter() - t0
        if hvp.mode == "cached":
            for l, (nodes, weights) in enumerate(dens):
                bs = np.load(os.path.join(mdir, "nodes", f"{l}.npy"))
                lo = min(nodes.min(), bs[:, 0].min())
                hi = max(nodes.max(), bs[:, 0].max())
                w1 = wasserstein_distance(nodes, bs[:, 0], weights, bs[:, 1]) / max(hi - lo, 1e-300)
                rows[l]["w1"] = w1
                if not w1 <= 0.05:
                    failures.append(f"{name} {rows[l]['block']}: density W1 = {w1:.3f} of the range (> 0.05)")
    return rows, times, float(slq_bs["lockstep_seconds"]), float(slq_bs["block_by_block_seconds"]), failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--models", nargs="+", default=["tinygpt", "tinycnn"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--probes", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lines = [f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()} (both sides), "
             f"blockwise SLQ {args.probes} probes x {args.steps} steps, 2 batches, float32 models", ""]
    all_failures = []
    for name in args.models:
        rows, times, lock, seq, failures = run_model(name, args)
        all_failures += failures
        mean = lambda k: sum(r[k] for r in rows) / len(rows)
        lines += [f"### {name}: {len(rows)} blocks", "",
                  "| block | n | blockspec cached ms | Python cached ms | Python recompute ms | "
                  "lambda_max rel. diff | density W1 / range |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['block']} | {r['n']} | {r['bs']:.2f} | {r['py_c']:.2f} | {r['py_r']:.2f} | "
                         f"{r['rel']:.1e} | {r.get('w1', float('nan')):.3f} |")
        lines += ["", f"- ms per block-HVP, mean over blocks: blockspec {mean('bs'):.2f} (recompute {mean('bs_r'):.2f}), "
                  f"Python cached {mean('py_c'):.2f}, Python recompute {mean('py_r'):.2f}; "
                  f"Python cached / blockspec = {mean('py_c') / mean('bs'):.2f}x, "
                  f"Python recompute / Python cached = {mean('py_r') / mean('py_c'):.2f}x",
                  f"- blockwise SLQ total: blockspec lockstep {lock:.2f} s, block by block {seq:.2f} s; "
                  f"Python cached {times['cached']:.2f} s, recompute {times['recompute']:.2f} s; "
                  f"Python cached / blockspec lockstep = {times['cached'] / lock:.2f}x", ""]
    lines.append("agreement: " + ("every block within 1e-4 (lambda_max) and 5% W1 (density)" if not all_failures
                                  else "FAILED\n" + "\n".join("  " + f for f in all_failures)))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.dir, "comparison.md"), "w") as f:
        f.write(text + "\n")
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main())
