#include "AutogradKernels.h"
#include "fast_tls.h"

// Per thread: a backward pass runs on its caller's thread, and may start another inside a hook.
static _Thread_local long depth AG_FAST_TLS = 0;

long ag_backward_enter(void) { return ++depth; }

void ag_backward_leave(void) { --depth; }

long ag_backward_depth(void) { return depth; }
