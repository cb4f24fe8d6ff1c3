#ifndef AUTOGRAD_MPI_H
#define AUTOGRAD_MPI_H

#include <stdint.h>

// MPI, loaded at run time with dlopen so that building and testing need no MPI installed.
// Open MPI and MPICH differ in ABI (handles are pointers in one and ints in the other); mpi.c is
// the only place that knows. Every function returns an MPI error code (0 for success) unless
// said otherwise.

typedef enum { AG_MPI_FLOAT = 0, AG_MPI_DOUBLE = 1, AG_MPI_INT64 = 2, AG_MPI_BYTE = 3 } ag_mpi_type;
typedef enum { AG_MPI_SUM = 0, AG_MPI_MAX = 1, AG_MPI_MIN = 2 } ag_mpi_op;

/// Loads the MPI library at `path` (a path or a name for dlopen) unless one is loaded already.
/// Returns 0, or -1 with a reason in `message`.
int ag_mpi_load(const char *path, char *message, long capacity);

/// "Open MPI" or "MPICH" once loaded, NULL before.
const char *ag_mpi_flavor(void);

/// Initializes MPI (serialized threading: calls from any thread, one at a time), makes errors
/// return codes instead of aborting, and finalizes at exit.
int ag_mpi_initialize(int *rank, int *size);

int ag_mpi_barrier(void);
int ag_mpi_broadcast(void *buffer, int64_t count, ag_mpi_type type, int root);
/// In place: `buffer` holds this rank's values before and the reduction after.
int ag_mpi_allreduce(void *buffer, int64_t count, ag_mpi_type type, ag_mpi_op op);
/// Starts an in-place all-reduce of at most 2^31 - 1 elements; `request` is then waited on.
int ag_mpi_iallreduce(void *buffer, int64_t count, ag_mpi_type type, ag_mpi_op op, int64_t *request);
int ag_mpi_wait(int64_t *request);
/// Sets `done` to 1 when the request has completed (it is then freed), 0 otherwise.
int ag_mpi_test(int64_t *request, int *done);
/// `receive` holds `count` elements from each rank, in rank order.
int ag_mpi_allgather(const void *send, void *receive, int64_t count, ag_mpi_type type);

/// Ends every process of the job with `code`. Does not return.
void ag_mpi_abort(int code);

/// The text of an MPI error code.
void ag_mpi_error_text(int code, char *text, long capacity);

#endif
