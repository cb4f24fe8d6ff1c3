"""Runs each workload on swift-autograd and on PyTorch in turn, several rounds, and prints the
median of the per-round speed-ups (PyTorch's median time / ours).

This VM's speed drifts by up to 2x over minutes; a full run of one program and then the other
compares different phases. Alternating per workload keeps each pair of measurements close in time.

Usage (from the repository root, after `swift build -c release`):
    python3 Benchmarks/side_by_side.py --python venv/bin/python [--rounds 3] [--runs 5] [--threads 2]
        [--workload W5 ...] [--out results.jsonl]
"""
import argparse, json, statistics, subprocess, sys

WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"]


def run(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True, help="the Python that has torch installed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workload", action="append", choices=WORKLOADS,
                        help="run only these workloads (repeatable; default: all)")
    parser.add_argument("--out", help="also write every JSON line here, with its round")
    args = parser.parse_args()
    common = ["--runs", str(args.runs), "--threads", str(args.threads)]
    rows, ratios = [], {}
    for workload in args.workload or WORKLOADS:
        for round_index in range(args.rounds):
            ours = run([".build/release/autograd-bench", "--workload", workload] + common)
            theirs = run([args.python, "Benchmarks/pytorch_workloads.py", "--workload", workload] + common)
            by_name = {row["workload"]: row for row in theirs}
            for row in ours + theirs:
                rows.append(dict(row, round=round_index))
            for row in ours:
                other = by_name.get(row["workload"])
                if other:
                    ratios.setdefault(row["workload"], []).append(
                        (other["seconds_median"] / row["seconds_median"], row, other))
            print(f"{workload} round {round_index + 1} done", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    print("| workload | swift-autograd (median) | PyTorch (median) | speed-up per round | median speed-up |")
    print("| --- | ---: | ---: | --- | ---: |")
    for name, entries in ratios.items():
        ours = statistics.median(e[1]["seconds_median"] for e in entries)
        theirs = statistics.median(e[2]["seconds_median"] for e in entries)
        each = ", ".join(f"{e[0]:.2f}x" for e in entries)
        print(f"| {name} | {ours:.4g} s | {theirs:.4g} s | {each} | {statistics.median(e[0] for e in entries):.2f}x |")


if __name__ == "__main__":
    main()
