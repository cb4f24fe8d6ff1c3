#include "AutogradKernels.h"

// Per thread: nodes are freed on whichever thread drops the last reference to a graph. On ELF
// systems the initial-exec model reads it at a fixed offset from the thread pointer; the default
// for position-independent code called __tls_get_addr on every node freed (2% of a small step).
#if defined(__ELF__)
#define AG_FAST_TLS __attribute__((tls_model("initial-exec")))
#else
#define AG_FAST_TLS
#endif

static _Thread_local long depth AG_FAST_TLS = 0;

long ag_teardown_enter(void) { return ++depth; }

void ag_teardown_leave(void) { --depth; }
