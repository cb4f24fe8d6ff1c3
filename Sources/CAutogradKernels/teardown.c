#include "AutogradKernels.h"
#include "fast_tls.h"

#include <stdlib.h>  // defines __GLIBC__ where the C library is glibc
#ifdef __GLIBC__
#include <malloc.h>
#endif

// Per thread: nodes are freed on whichever thread drops the last reference to a graph.
static _Thread_local long depth AG_FAST_TLS = 0;

long ag_teardown_enter(void) { return ++depth; }

void ag_teardown_leave(void) { --depth; }

void ag_return_free_memory(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}
