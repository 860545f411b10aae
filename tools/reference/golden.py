#!/usr/bin/env python3
"""Independent PyTorch golden reference for @moh/model.

Builds the seed architecture (embedding, post-norm blocks, RMSNorm, GQA attention with
CoPE, SwiGLU, the MoH router with scaled gating and top-k, the load-balance loss L_b,
masked cross-entropy) from SPEC.md alone, in float64, on a small config. It draws its
own weights, writes them as safetensors (same tensor names as `parameterSpecs`), runs
forward + backward, and writes fixtures that packages/model/src/golden.test.ts checks
our TypeScript model against.

Usage (from the repo root; needs PyTorch, e.g. `apt-get install python3-torch`):
    python3 tools/reference/golden.py [--out packages/model/fixtures]
"""
import argparse
import json
import math
import os
import struct

import torch

torch.set_default_dtype(torch.float64)

# The small config: seed head layout (H 8, G 4, hs 2, hr 6, k 4), narrower and with
# fewer CoPE positions than T so that the clamp at P - 1 is exercised.
BASE = {
    "vocabSize": 24,
    "modelDim": 32,
    "layers": 2,
    "maxSeqLen": 16,
    "attention": {
        "queryHeads": 8,
        "kvHeads": 4,
        "position": {"kind": "cope", "maxPositions": 12},
        "window": None,
        "adaptiveWindow": {"kind": "fixed"},
        "outputProjection": False,
        "headSelection": {"kind": "allHeads"},
    },
    "norm": {"kind": "rmsnorm", "eps": 1e-6},
    "ffn": {"kind": "swiglu", "hiddenDim": 64},
    "blockLayout": "postNorm",
    "learnedPositions": False,
    "tiedEmbeddings": False,
    "initStd": 0.02,
}
MOH = {"kind": "mixtureOfHeads", "sharedHeads": 2, "activeRoutedHeads": 4, "loadBalanceWeight": 0.01, "gating": "scaled"}
BATCH, SEQ = 2, 16
# Larger than a training init so that activations and gradients are far from zero
# and a wrong term shows up well above float32 noise.
STD = 0.3


def param_specs(cfg):
    """Tensor names and shapes in weight-file order (SPEC parameter table)."""
    V, d, a = cfg["vocabSize"], cfg["modelDim"], cfg["attention"]
    H, G, F = a["queryHeads"], a["kvHeads"], cfg["ffn"]["hiddenDim"]
    D = d // H
    P = a["position"]["maxPositions"]
    specs = [("embedding", (V, d))]
    for i in range(cfg["layers"]):
        p = f"layers.{i}"
        specs += [(f"{p}.attention.wq", (d, H * D)), (f"{p}.attention.wk", (d, G * D)),
                  (f"{p}.attention.wv", (d, G * D)), (f"{p}.attention.cope", (H, P, D))]
        sel = a["headSelection"]
        if sel["kind"] == "mixtureOfHeads":
            hs = sel["sharedHeads"]
            specs += [(f"{p}.router.ws", (hs, d)), (f"{p}.router.wr", (H - hs, d)), (f"{p}.router.wh", (2, d))]
        specs += [(f"{p}.norm1.gamma", (d,)), (f"{p}.norm2.gamma", (d,)),
                  (f"{p}.ffn.w1", (d, F)), (f"{p}.ffn.w2", (d, F)), (f"{p}.ffn.w3", (F, d))]
    specs.append(("lmHead", (d, V)))
    return specs


def init_weights(cfg, gen):
    weights = {}
    for name, shape in param_specs(cfg):
        if name.endswith("gamma"):
            weights[name] = 1 + 0.1 * torch.randn(shape, generator=gen)
        else:
            weights[name] = STD * torch.randn(shape, generator=gen)
    return weights


def rmsnorm(x, gamma, eps):
    return gamma * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)


def router(x, w, sel, H):
    """Gates (N, H) and L_b of the MoH router (SPEC §4, scaled gating)."""
    hs, k = sel["sharedHeads"], sel["activeRoutedHeads"]
    hr = H - hs
    s = torch.softmax(x @ w["ws"].T, -1)
    r = torch.softmax(x @ w["wr"].T, -1)
    alpha = torch.softmax(x @ w["wh"].T, -1)
    top = torch.topk(r.detach(), k + 1 if k < hr else k, dim=-1)
    if k < hr:  # the golden test must not sit on a tie
        gap = (top.values[:, k - 1] - top.values[:, k]).min().item()
        assert gap > 1e-4, f"top-k near a tie (gap {gap}); change the seed"
    chosen = top.indices[:, :k]
    mask = torch.zeros_like(r).scatter_(1, chosen, 1.0)
    mass = (r * mask).sum(-1, keepdim=True)
    shared = 2 * alpha[:, :1] * hs * s
    routed = 2 * alpha[:, 1:] * k * r * mask / mass
    f = mask.mean(0)  # share of tokens per routed head, no gradient
    balance = hr * (f * r.mean(0)).sum()
    return torch.cat([shared, routed], -1), balance


def cope_bias(q, k, table):
    """CoPE c_ij for one head and one sequence: q, k (T, D), table (P, D)."""
    T = q.shape[0]
    P = table.shape[0]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    z = torch.sigmoid(q @ k.T) * causal
    # p_ij = sum_{t=j..i} z_it: a reversed cumulative sum along j.
    p = torch.flip(torch.cumsum(torch.flip(z, [1]), 1), [1]).clamp(max=P - 1)
    lo = torch.floor(p.detach()).long()
    hi = torch.ceil(p.detach()).long()
    phi = p - lo
    qe = q @ table.T  # (T, P): q_i . E[p], once per row
    return (1 - phi) * torch.gather(qe, 1, lo) + phi * torch.gather(qe, 1, hi)


def attention(x, w, gates, cfg, batch, seq):
    a = cfg["attention"]
    H, G = a["queryHeads"], a["kvHeads"]
    d = cfg["modelDim"]
    D = d // H
    q, k, v = x @ w["wq"], x @ w["wk"], x @ w["wv"]
    out = []
    causal = torch.tril(torch.ones(seq, seq, dtype=torch.bool))
    for b in range(batch):
        rows = slice(b * seq, (b + 1) * seq)
        heads = []
        for h in range(H):
            g = h // (H // G)
            qh = q[rows, h * D:(h + 1) * D]
            kh = k[rows, g * D:(g + 1) * D]
            vh = v[rows, g * D:(g + 1) * D]
            scores = qh @ kh.T / math.sqrt(D) + cope_bias(qh, kh, w["cope"][h])
            attn = torch.softmax(scores.masked_fill(~causal, float("-inf")), -1)
            heads.append(gates[rows, h:h + 1] * (attn @ vh))
        out.append(torch.cat(heads, -1))
    return torch.cat(out, 0)


def forward(cfg, weights, ids, targets):
    eps = cfg["norm"]["eps"]
    H = cfg["attention"]["queryHeads"]
    sel = cfg["attention"]["headSelection"]
    x = weights["embedding"][ids]
    balances = []
    for i in range(cfg["layers"]):
        w = {n.split(".")[-1]: t for n, t in weights.items() if n.startswith(f"layers.{i}.")}
        if sel["kind"] == "mixtureOfHeads":
            gates, balance = router(x, w, sel, H)
            balances.append(balance)
        else:
            gates = torch.ones(x.shape[0], H)
        h = rmsnorm(x + attention(x, w, gates, cfg, BATCH, SEQ), weights[f"layers.{i}.norm1.gamma"], eps)
        ffn = (torch.nn.functional.silu(h @ w["w1"]) * (h @ w["w2"])) @ w["w3"]
        x = rmsnorm(h + ffn, weights[f"layers.{i}.norm2.gamma"], eps)
    logits = x @ weights["lmHead"]
    ce = torch.nn.functional.cross_entropy(logits, targets, ignore_index=-1)
    loss = ce
    if balances:
        loss = ce + sel["loadBalanceWeight"] * torch.stack(balances).mean()
    return loss, ce, balances, logits


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"source": "tools/reference/golden.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="packages/model/fixtures")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(20241017)
    ids = torch.randint(0, BASE["vocabSize"], (BATCH * SEQ,), generator=gen)
    targets = torch.roll(ids, -1).clone()
    targets[SEQ - 1::SEQ] = -1  # no next token at the end of a sequence
    targets[:3] = -1  # a masked prompt
    fixture = {"batch": BATCH, "seqLen": SEQ, "ids": ids.tolist(), "targets": targets.tolist(), "cases": {}}
    for label, sel in (("allHeads", {"kind": "allHeads"}), ("moh", MOH)):
        cfg = json.loads(json.dumps(BASE))
        cfg["attention"]["headSelection"] = sel
        weights = init_weights(cfg, gen)
        # Round to float32 first: the TypeScript model sees exactly these values.
        weights = {n: t.to(torch.float32).to(torch.float64).requires_grad_(True) for n, t in weights.items()}
        loss, ce, balances, logits = forward(cfg, weights, ids, targets)
        loss.backward()
        write_safetensors(os.path.join(args.out, f"golden-{label}.weights.safetensors"), weights)
        write_safetensors(os.path.join(args.out, f"golden-{label}.grads.safetensors"),
                          {n: t.grad for n, t in weights.items()})
        fixture["cases"][label] = {
            "config": cfg,
            "loss": loss.item(),
            "ce": ce.item(),
            "balance": [b.item() for b in balances],
            "logits": [round(v, 7) for v in logits.detach().flatten().tolist()],
        }
        print(f"{label}: loss {loss.item():.6f} ce {ce.item():.6f} balance {[round(b.item(), 4) for b in balances]}")
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")


if __name__ == "__main__":
    main()
