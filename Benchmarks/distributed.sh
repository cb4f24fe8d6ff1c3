#!/usr/bin/env bash
# The distributed workloads D1-D3 (see BENCHMARKS.md), with MPI's own all-reduce from C beside D2.
# Needs Open MPI with its compiler wrapper (Debian: apt-get install openmpi-bin libopenmpi-dev).
#   bash Benchmarks/distributed.sh [ROUNDS] > results.jsonl
# Each round runs D1 (which alternates one process and two within the job, as this VM drifts),
# then D2 and its C reference over shared memory and over TCP on the loopback interface; then D3
# once over each.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
swift build -c release --product autograd-bench >&2
mpicc -O2 Benchmarks/mpi_allreduce.c -o .build/release/mpi_allreduce
bench=.build/release/autograd-bench
mpirun=(mpirun --allow-run-as-root --oversubscribe)
tcp=(--mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include lo)
tag() { sed "s/^{/{\"transport\": \"$1\", /"; }
for _ in $(seq "$rounds"); do
  "${mpirun[@]}" -np 2 "$bench" --distributed --workload D1 --threads 1 --runs 7 | tag shm
  "${mpirun[@]}" -np 2 .build/release/mpi_allreduce 20 | tag shm
  "${mpirun[@]}" -np 2 "$bench" --distributed --workload D2 --threads 1 --runs 20 | tag shm
  "${mpirun[@]}" -np 2 "${tcp[@]}" .build/release/mpi_allreduce 20 | tag tcp
  "${mpirun[@]}" -np 2 "${tcp[@]}" "$bench" --distributed --workload D2 --threads 1 --runs 20 | tag tcp
done
"${mpirun[@]}" -np 2 "$bench" --distributed --workload D3 --threads 1 --runs 20 | tag shm
"${mpirun[@]}" -np 2 "${tcp[@]}" "$bench" --distributed --workload D3 --threads 1 --runs 20 | tag tcp
