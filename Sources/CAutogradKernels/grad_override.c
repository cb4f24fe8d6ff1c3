#include "AutogradKernels.h"
#include "fast_tls.h"

// Per thread: the backward pass runs its rules synchronously on the calling thread.
static _Thread_local int grad_override AG_FAST_TLS = 0;

int ag_grad_override(void) { return grad_override; }

int ag_set_grad_override(int value) {
  int old = grad_override;
  grad_override = value;
  return old;
}
