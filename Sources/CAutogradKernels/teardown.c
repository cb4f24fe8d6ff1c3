#include "AutogradKernels.h"
#include "fast_tls.h"

// Per thread: nodes are freed on whichever thread drops the last reference to a graph.
static _Thread_local long depth AG_FAST_TLS = 0;

long ag_teardown_enter(void) { return ++depth; }

void ag_teardown_leave(void) { --depth; }
