"""The benchmark workloads W1-W6, written for PyTorch (CPU), to run side by side with `autograd-bench`.

Copied from the project's shared bench folder, with two changes: the forward-only GEMM timing returns
no tensor (the original tested a matrix's truth value and stopped there), and the digits file is
looked up beside this repository's copy of the data.

Usage:  python3 pytorch_workloads.py [--threads 2] [--runs 5] [--workload W1 ...]
Needs:  pip install torch numpy   (CPU use only).  Prints one JSON line per workload, like autograd-bench:
        {"framework": "pytorch", "workload": ..., "seconds_median": ..., "runs": ..., "threads": ..., ...}
Each figure is the median of --runs timed runs after one warm-up, timed inside the process around the
workload only. Compare medians from the same session on the same machine, as ratios.
"""
import argparse, json, os, statistics, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "Sources", "AutogradExamples", "Resources", "digits.csv")


def timed(fn, runs):
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter(); result = fn(); times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), max(times), result


def w1(epochs):
    w = torch.tensor([1.0], requires_grad=True)
    for _ in range(epochs):
        for x, y in ((1.0, 2.0), (2.0, 4.0), (3.0, 6.0)):
            l = (y - x * w) * (y - x * w)
            l.backward()
            w.data = w.data - 0.01 * w.grad.item()
            w.grad.data.zero_()
    return {"epochs": epochs, "final_w": w.item()}


def w2():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1000, generator=g); y = torch.randn(64, 10, generator=g)
    w1_ = torch.randn(1000, 100, generator=g, requires_grad=True)
    w2_ = torch.randn(100, 10, generator=g, requires_grad=True)
    for _ in range(500):
        loss = (x.mm(w1_).clamp(min=0).mm(w2_) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1_ -= 1e-6 * w1_.grad; w2_ -= 1e-6 * w2_.grad
            w1_.grad.zero_(); w2_.grad.zero_()
    return {"final_loss": loss.item()}


def load_digits():
    data = np.loadtxt(DIGITS, delimiter=",", dtype=np.float32)
    return torch.from_numpy(data[:, :64] / 16.0), torch.from_numpy(data[:, 64].astype(np.int64))


def w3(X, Y):
    xtr, ytr, xte, yte = X[:1500], Y[:1500], X[1500:], Y[1500:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        perm = torch.randperm(1500, generator=g)
        for i in range(0, 1500, 32):
            idx = perm[i:i + 32]
            loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    return {"test_accuracy": acc}


def w4(depth):
    x0 = torch.tensor(0.5, requires_grad=True); a = torch.tensor(0.9999); b = torch.tensor(0.0001)
    x = x0
    for _ in range(depth):
        x = x * a + b
    x.backward()
    return {"depth": depth, "grad": x0.grad.item()}


def w5(n):
    A = torch.randn(n, n, requires_grad=True); B = torch.randn(n, n, requires_grad=True)
    G = torch.ones(n, n)
    def run():
        A.grad = None; B.grad = None
        (A @ B).backward(G)
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2); p.add_argument("--runs", type=int, default=5)
    p.add_argument("--workload", action="append")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    want = lambda w: not a.workload or w in a.workload
    def emit(name, t, **extra):
        print(json.dumps({"framework": "pytorch", "workload": name, "seconds_median": t[0], "seconds_min": t[1],
                          "seconds_max": t[2], "runs": a.runs, "threads": a.threads, **(t[3] or {}), **extra}),
              flush=True)
    if want("W1"):
        emit("W1-seed-exercise-100", timed(lambda: w1(100), a.runs))
        emit("W1-seed-exercise-10000", timed(lambda: w1(10000), a.runs))
    if want("W2"): emit("W2-two-layer-net", timed(w2, a.runs))
    if want("W3"):
        X, Y = load_digits()  # outside the timed part
        emit("W3-mlp-digits", timed(lambda: w3(X, Y), a.runs))
    if want("W4"):
        emit("W4-deep-chain-100000", timed(lambda: w4(100_000), a.runs))
    if want("W5"):
        run = w5(1024); t = timed(run, max(a.runs, 7))
        emit("W5-gemm-1024-fwd-bwd", t, gflops=3 * 2 * 1024 ** 3 / t[0] / 1e9)
        for n in (256, 512, 1024, 2048):
            A = torch.randn(n, n); B = torch.randn(n, n)
            def forward():
                A @ B
                return {}
            t = timed(forward, a.runs)
            emit(f"W5-gemm-{n}-fwd", t, n=n, gflops=2 * n ** 3 / t[0] / 1e9)
    if want("W6"):
        x0 = torch.randn(10_000_000, generator=torch.Generator().manual_seed(0))
        def w6():
            x = x0.clone().requires_grad_()
            y = (torch.tanh(x) * torch.exp(-x * x)).sum(); y.backward()
            return {"y": y.item()}
        emit("W6-elementwise", timed(w6, a.runs))


if __name__ == "__main__":
    main()
