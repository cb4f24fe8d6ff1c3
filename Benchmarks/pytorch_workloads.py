"""The benchmark workloads W1-W8, written for PyTorch (CPU), to run side by side with `autograd-bench`.

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


def w7(X, Y):
    """The digits CNN: standardize, conv3x3(1->16, pad 1) relu maxpool2, conv3x3(16->32, pad 1) relu maxpool2,
    linear 128->64 relu, linear 64->10; Adam 1e-3, batch 32, 20 shuffled epochs on the first 1500 digits."""
    xtr, ytr, xte, yte = X[:1500], Y[:1500], X[1500:], Y[1500:]
    mean, std = xtr.mean(0), xtr.std(0).clamp(min=1e-6)
    xtr, xte = ((xtr - mean) / std).view(-1, 1, 8, 8), ((xte - mean) / std).view(-1, 1, 8, 8)
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
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


def w8_lstm():
    """One-layer LSTM (input 32, hidden 128) over a sequence of 32 steps, batch 16, batch_first; loss = MSE of
    a linear read-out of the last hidden state against a fixed target; Adam 1e-3; 50 training steps."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 32, 32, generator=g); target = torch.randn(16, 8, generator=g)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(32, 128, batch_first=True); head = torch.nn.Linear(128, 8)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    for _ in range(50):
        out, _ = lstm(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), target)
        opt.zero_grad(); loss.backward(); opt.step()
    return {"final_loss": loss.item()}


def w8_transformer():
    """One post-norm transformer encoder layer (d_model 64, 4 heads, feed-forward 256, ReLU, dropout 0) on a
    batch of 16 sequences of 32 tokens (batch_first); loss = mean square of the output; Adam 1e-3; 50 steps."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 32, 64, generator=g)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(64, 4, dim_feedforward=256, dropout=0.0, batch_first=True)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
    for _ in range(50):
        loss = layer(x).pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    return {"final_loss": loss.item()}


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
        chain = timed(lambda: w4(100_000), a.runs)
        # Two recorded ops a step (x * a, + b): the cost of one op forward, backward and freed.
        emit("W4-deep-chain-100000", chain, ns_per_recorded_op=chain[0] / 200_000 * 1e9)
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
        def w6_gelu():
            x = x0.clone().requires_grad_()
            y = torch.nn.functional.gelu(x).sum(); y.backward()
            return {"y": y.item()}
        emit("W6-gelu", timed(w6_gelu, a.runs))
    if want("W7"):
        X, Y = load_digits()
        emit("W7-cnn-digits", timed(lambda: w7(X, Y), a.runs))
    if want("W8"):
        emit("W8-lstm-train-50", timed(w8_lstm, a.runs))
        emit("W8-transformer-layer-train-50", timed(w8_transformer, a.runs))


if __name__ == "__main__":
    main()
