// The only file that knows MPI's ABI. Open MPI's handles are addresses of exported globals;
// MPICH's (and its ABI family: Intel MPI, MVAPICH) are fixed integers. Each wrapper runs the
// same body with the handle types of the loaded flavor, through __typeof__.

#include "AutogradMPI.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MPI_FUNCTIONS(Handle, Request)                                     \
  int (*Init_thread)(int *, char ***, int, int *);                         \
  int (*Initialized)(int *);                                               \
  int (*Finalized)(int *);                                                 \
  int (*Finalize)(void);                                                   \
  int (*Comm_rank)(Handle, int *);                                         \
  int (*Comm_size)(Handle, int *);                                         \
  int (*Comm_set_errhandler)(Handle, Handle);                              \
  int (*Barrier)(Handle);                                                  \
  int (*Bcast)(void *, int, Handle, int, Handle);                          \
  int (*Allreduce)(const void *, void *, int, Handle, Handle, Handle);     \
  int (*Iallreduce)(const void *, void *, int, Handle, Handle, Handle, Request *); \
  int (*Wait)(Request *, void *);                                          \
  int (*Test)(Request *, int *, void *);                                   \
  int (*Allgather)(const void *, int, Handle, void *, int, Handle, Handle); \
  int (*Abort)(Handle, int);                                               \
  int (*Error_string)(int, char *, int *);

#define MPI_HANDLES(Handle)                                                \
  Handle world, errors_return;                                             \
  Handle types[4]; /* indexed by ag_mpi_type */                            \
  Handle ops[3];   /* indexed by ag_mpi_op */                              \
  void *in_place, *status_ignore;

typedef void *open_mpi_handle;  // in C declarations, a pointer type must be one name
static struct { MPI_FUNCTIONS(open_mpi_handle, open_mpi_handle) MPI_HANDLES(open_mpi_handle) } open_mpi;
static struct { MPI_FUNCTIONS(int, int) MPI_HANDLES(int) } mpich;
static enum { NOT_LOADED, OPEN_MPI, MPICH } flavor = NOT_LOADED;

// Runs `body` with `m` pointing at the loaded flavor's functions and handles.
#define WITH_MPI(body)                                                     \
  do {                                                                     \
    if (flavor == OPEN_MPI) { __typeof__(open_mpi) *m = &open_mpi; body }  \
    else { __typeof__(mpich) *m = &mpich; body }                           \
  } while (0)

#define FIND(m, name)                                                      \
  (*(void **)&(m).name = dlsym(library, "MPI_" #name)) != NULL

// Every function, looked up into `m` (open_mpi or mpich) by its MPI name.
#define FIND_ALL(m)                                                                                  \
  (FIND(m, Init_thread) && FIND(m, Initialized) && FIND(m, Finalized) && FIND(m, Finalize) &&      \
   FIND(m, Comm_rank) && FIND(m, Comm_size) && FIND(m, Comm_set_errhandler) && FIND(m, Barrier) && \
   FIND(m, Bcast) && FIND(m, Allreduce) && FIND(m, Iallreduce) && FIND(m, Wait) && FIND(m, Test) && \
   FIND(m, Allgather) && FIND(m, Abort) && FIND(m, Error_string))

static int bind_functions_open_mpi(void *library) { return FIND_ALL(open_mpi); }

static int bind_functions_mpich(void *library) { return FIND_ALL(mpich); }

// Open MPI's predefined handles are the addresses of these globals.
static int bind_handles_open_mpi(void *library) {
  const char *names[] = {"ompi_mpi_comm_world", "ompi_mpi_errors_return", "ompi_mpi_float",
                         "ompi_mpi_double",     "ompi_mpi_int64_t",       "ompi_mpi_byte",
                         "ompi_mpi_op_sum",     "ompi_mpi_op_max",        "ompi_mpi_op_min"};
  void *found[9];
  for (int i = 0; i < 9; i++) {
    if ((found[i] = dlsym(library, names[i])) == NULL) return 0;
  }
  open_mpi.world = found[0];
  open_mpi.errors_return = found[1];
  for (int i = 0; i < 4; i++) open_mpi.types[i] = found[2 + i];
  for (int i = 0; i < 3; i++) open_mpi.ops[i] = found[6 + i];
  open_mpi.in_place = (void *)1;
  open_mpi.status_ignore = NULL;
  return 1;
}

// MPICH's are constants of its ABI, stable since MPICH 1.
static void bind_handles_mpich(void) {
  mpich.world = 0x44000000;
  mpich.errors_return = 0x54000001;
  mpich.types[AG_MPI_FLOAT] = 0x4c00040a;
  mpich.types[AG_MPI_DOUBLE] = 0x4c00080b;
  mpich.types[AG_MPI_INT64] = 0x4c00083a;
  mpich.types[AG_MPI_BYTE] = 0x4c00010d;
  mpich.ops[AG_MPI_SUM] = 0x58000003;
  mpich.ops[AG_MPI_MAX] = 0x58000001;
  mpich.ops[AG_MPI_MIN] = 0x58000002;
  mpich.in_place = (void *)-1;
  mpich.status_ignore = (void *)1;
}

static int load_one(const char *path, char *message, long capacity) {
  // RTLD_GLOBAL: Open MPI's own plugins resolve their symbols against libmpi.
  void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (library == NULL) {
    snprintf(message, (size_t)capacity, "%s", dlerror());
    return -1;
  }
  if (dlsym(library, "ompi_mpi_comm_world") != NULL) {
    if (bind_functions_open_mpi(library) && bind_handles_open_mpi(library)) {
      flavor = OPEN_MPI;
      return 0;
    }
  } else if (bind_functions_mpich(library)) {
    bind_handles_mpich();
    flavor = MPICH;
    return 0;
  }
  snprintf(message, (size_t)capacity, "%s: not an MPI library of the Open MPI or MPICH ABI", path);
  dlclose(library);
  return -1;
}

int ag_mpi_load(const char *path, char *message, long capacity) {
  if (flavor != NOT_LOADED) return 0;
  return load_one(path, message, capacity);
}

const char *ag_mpi_flavor(void) {
  switch (flavor) {
    case OPEN_MPI: return "Open MPI";
    case MPICH: return "MPICH";
    default: return NULL;
  }
}

static void finalize_at_exit(void) {
  WITH_MPI({
    int finalized = 1;
    if (m->Finalized(&finalized) == 0 && !finalized) m->Finalize();
  });
}

int ag_mpi_initialize(int *rank, int *size) {
  int code = 0;
  WITH_MPI({
    int initialized = 0;
    if ((code = m->Initialized(&initialized)) != 0) break;
    if (!initialized) {
      const int serialized = 2;  // MPI_THREAD_SERIALIZED in both ABIs
      int provided = 0;
      if ((code = m->Init_thread(NULL, NULL, serialized, &provided)) != 0) break;
      atexit(finalize_at_exit);
    }
    if ((code = m->Comm_set_errhandler(m->world, m->errors_return)) != 0) break;
    if ((code = m->Comm_rank(m->world, rank)) != 0) break;
    code = m->Comm_size(m->world, size);
  });
  return code;
}

int ag_mpi_barrier(void) {
  int code = 0;
  WITH_MPI({ code = m->Barrier(m->world); });
  return code;
}

// Calls with counts past MPI's int are made in pieces.
static const int64_t piece = INT_MAX / 8 * 8;

static size_t type_size(ag_mpi_type type) {
  switch (type) {
    case AG_MPI_FLOAT: return 4;
    case AG_MPI_BYTE: return 1;
    default: return 8;
  }
}

int ag_mpi_broadcast(void *buffer, int64_t count, ag_mpi_type type, int root) {
  int code = 0;
  for (int64_t start = 0; start < count && code == 0; start += piece) {
    int n = (int)(count - start < piece ? count - start : piece);
    char *at = (char *)buffer + (size_t)start * type_size(type);
    WITH_MPI({ code = m->Bcast(at, n, m->types[type], root, m->world); });
  }
  return code;
}

int ag_mpi_allreduce(void *buffer, int64_t count, ag_mpi_type type, ag_mpi_op op) {
  int code = 0;
  for (int64_t start = 0; start < count && code == 0; start += piece) {
    int n = (int)(count - start < piece ? count - start : piece);
    char *at = (char *)buffer + (size_t)start * type_size(type);
    WITH_MPI({ code = m->Allreduce(m->in_place, at, n, m->types[type], m->ops[op], m->world); });
  }
  return code;
}

int ag_mpi_iallreduce(void *buffer, int64_t count, ag_mpi_type type, ag_mpi_op op, int64_t *request) {
  if (count > INT_MAX) return -1;
  int code = 0;
  WITH_MPI({
    __typeof__(m->world) handle;
    code = m->Iallreduce(m->in_place, buffer, (int)count, m->types[type], m->ops[op], m->world,
                         (__typeof__(handle) *)&handle);
    *request = (int64_t)(intptr_t)handle;
  });
  return code;
}

int ag_mpi_wait(int64_t *request) {
  int code = 0;
  WITH_MPI({
    __typeof__(m->world) handle = (__typeof__(handle))(intptr_t)*request;
    code = m->Wait(&handle, m->status_ignore);
    *request = (int64_t)(intptr_t)handle;
  });
  return code;
}

int ag_mpi_test(int64_t *request, int *done) {
  int code = 0;
  WITH_MPI({
    __typeof__(m->world) handle = (__typeof__(handle))(intptr_t)*request;
    code = m->Test(&handle, done, m->status_ignore);
    *request = (int64_t)(intptr_t)handle;
  });
  return code;
}

int ag_mpi_allgather(const void *send, void *receive, int64_t count, ag_mpi_type type) {
  if (count > INT_MAX) return -1;
  int code = 0;
  WITH_MPI({
    code = m->Allgather(send, (int)count, m->types[type], receive, (int)count, m->types[type], m->world);
  });
  return code;
}

void ag_mpi_abort(int code) {
  WITH_MPI({ m->Abort(m->world, code); });
  exit(code);
}

void ag_mpi_error_text(int code, char *text, long capacity) {
  if (code == -1) {
    snprintf(text, (size_t)capacity, "more than 2^31 - 1 elements in one call");
    return;
  }
  char buffer[1024];
  int length = 0;
  int failed = 1;
  WITH_MPI({ failed = m->Error_string(code, buffer, &length) != 0; });
  if (failed) snprintf(text, (size_t)capacity, "MPI error %d", code);
  else snprintf(text, (size_t)capacity, "%.*s", length, buffer);
}
