"""Turns the JSON lines of autograd-bench and pytorch_workloads.py into a Markdown table of medians
and ratios. Usage: python3 compare.py ours.jsonl pytorch.jsonl [more pytorch.jsonl ...]"""
import json, sys


def load(paths):
    rows = {}
    for path in paths:
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                row = json.loads(line)
                rows[row["workload"]] = row
    return rows


ours, theirs = load(sys.argv[1:2]), load(sys.argv[2:])
print("| workload | swift-autograd | PyTorch | speed-up (PyTorch time / ours) |")
print("| --- | ---: | ---: | ---: |")
for name, row in ours.items():
    other = theirs.get(name)
    def show(r):
        if r is None:
            return "—"
        text = f"{r['seconds_median']:.4g} s"
        if "gflops" in r:
            text += f" ({r['gflops']:.1f} GFLOP/s)"
        return text
    ratio = f"{other['seconds_median'] / row['seconds_median']:.2f}x" if other else "—"
    print(f"| {name} | {show(row)} | {show(other)} | {ratio} |")
