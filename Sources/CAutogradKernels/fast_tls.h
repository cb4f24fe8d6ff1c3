#ifndef AG_FAST_TLS_H
#define AG_FAST_TLS_H

// Thread-local variables of this library that are read on every op or node. On ELF systems the
// initial-exec model reads them at a fixed offset from the thread pointer; the default model for
// position-independent code calls __tls_get_addr on every access.
#if defined(__ELF__)
#define AG_FAST_TLS __attribute__((tls_model("initial-exec")))
#else
#define AG_FAST_TLS
#endif

#endif
