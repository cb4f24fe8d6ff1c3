#!/usr/bin/env bash
# Counts the Swift runtime's retains, releases and object allocations of one benchmark run, by
# the type of the object (its metadata), with uprobes: where the reference counting of small ops
# goes, which a sampling profile shows only as time inside swift_retain and swift_release.
#
#   bash Benchmarks/count_refcounts.sh [autograd-bench binary] [workload]
#
# Needs root (uprobes) and perf. Every event is counted, not sampled (runs differ by a few per
# thousand where perf drops events under load); divide by the workload's
# steps (W1 with `--runs 1`: 60,600 steps, a warm-up and a timed run of both its lines). Classes whose
# metadata the runtime makes at launch (`Storage`, a `ManagedBuffer`) show as an address in the
# runtime's `InitialAllocationPool`.
set -euo pipefail
bench=${1:-.build/release/autograd-bench}
workload=${2:-W1}
core=$(ldd "$bench" | awk '/libswiftCore.so/ {print $3}')
data=$(mktemp /tmp/refcounts.XXXXXX)
trap 'rm -f "$data"; perf probe -q -d "probe_libswiftCore:*" 2>/dev/null || true' EXIT

perf probe -q -d "probe_libswiftCore:*" 2>/dev/null || true
# The first word of an object is its type's metadata; a null object reads as 0.
for fn in swift_retain swift_release; do perf probe -q -x "$core" "$fn meta=+0(%di):u64"; done
perf probe -q -x "$core" swift_allocObject "meta=%di:u64"
perf record -q -o "$data" -e 'probe_libswiftCore:*' "$bench" --workload "$workload" --runs 1 --threads 1 > /dev/null

# Metadata addresses to type names: the loaded images' base addresses, then their symbols.
perf script -i "$data" --show-mmap-events -F event,trace 2>/dev/null | python3 -c '
import bisect, collections, re, subprocess, sys
images, counts = [], collections.Counter()
for line in sys.stdin:
    m = re.search(r"PERF_RECORD_MMAP2 .*\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .* r-xp (/\S+)", line)
    if m:
        images.append((int(m.group(1), 16) - int(m.group(3), 16), m.group(4)))
        continue
    m = re.search(r"probe_libswiftCore:(\w+): .*meta=(0x[0-9a-f]+|\d+)", line)
    if m:
        counts[(m.group(1), int(m.group(2), 0))] += 1
symbols = {}
def name(address):
    if address == 0:
        return "(nil)"
    for base, path in sorted(images, reverse=True):
        if address < base:
            continue
        if path not in symbols:
            table = []
            for flags in ([], ["-D"]):
                out = subprocess.run(["nm", *flags, path], capture_output=True, text=True).stdout
                for row in out.split("\n"):
                    parts = row.split()
                    if len(parts) == 3:
                        table.append((int(parts[0], 16), parts[2]))
            table.sort()
            symbols[path] = table
        table = symbols[path]
        i = bisect.bisect_right([a for a, _ in table], address - base) - 1
        # Far past the nearest symbol is not that symbol: an address on the heap.
        if i >= 0 and address - base - table[i][0] < 1 << 16:
            raw = table[i][1]
            shown = subprocess.run(["swift", "demangle", "--simplified", raw], capture_output=True, text=True).stdout.strip()
            return shown.split(" ---> ")[-1] + ("" if table[i][0] == address - base else " (+%#x)" % (address - base - table[i][0]))
    return hex(address)
for (event, address), n in counts.most_common(30):
    print("%10d  %-18s %s" % (n, event, name(address)))
'
