// The reference for D2: the same all-reduce as `autograd-bench --distributed --workload D2`
// (64 MiB of float32, sum, in place), made directly on MPI from C. Build and run:
//   mpicc -O2 Benchmarks/mpi_allreduce.c -o /tmp/mpi_allreduce   (Debian: apt-get install libopenmpi-dev)
//   mpirun -np 2 /tmp/mpi_allreduce [RUNS]
// Rank 0 prints one JSON line: the median seconds and the bus bandwidth, 2 (n - 1) / n x bytes / s.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  if (runs < 1) runs = 1;
  const int count = 16 << 20;
  float *buffer = malloc(sizeof(float) * (size_t)count);
  double *times = malloc(sizeof(double) * (size_t)runs);
  for (int i = 0; i < count; i++) buffer[i] = 1.0f;
  MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);  // warm-up
  for (int r = 0; r < runs; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    times[r] = MPI_Wtime() - start;
  }
  qsort(times, (size_t)runs, sizeof(double), compare);
  double median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
  if (rank == 0) {
    double bus = 2.0 * (size - 1) / size * (64.0 * (1 << 20)) / median / 1e9;
    printf("{\"framework\": \"c-mpi\", \"workload\": \"D2-allreduce-64MiB\", \"ranks\": %d, \"runs\": %d, "
           "\"seconds_median\": %.6f, \"bus_gb_per_second\": %.3f}\n", size, runs, median, bus);
  }
  free(buffer);
  free(times);
  MPI_Finalize();
  return 0;
}
