#include "AutogradKernels.h"
#include "fast_tls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

// Per thread, a short stack of each size class: the thread that frees a graph's small results is
// almost always the one that records the next graph, and a stack keeps the storages it reuses
// the ones it touched last.
#define DEPTH 16

typedef struct {
  void *slots[AG_STORAGE_POOL_CLASSES][DEPTH];
  int counts[AG_STORAGE_POOL_CLASSES];
} storage_pool;

// The pool itself lives on the heap and is reached through a thread-local pointer: a thread
// that never frees a small tensor costs 8 bytes, and a thread-specific key hands the storages
// back when the thread exits (the pool's workers come and go; LeakSanitizer would see them lost).
static _Thread_local storage_pool *my_pool AG_FAST_TLS;
static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
static _Atomic(ag_storage_release) release_storage;

static void empty_pool(void *pointer) {
  storage_pool *pool = pointer;
  ag_storage_release release = atomic_load_explicit(&release_storage, memory_order_relaxed);
  for (int c = 0; c < AG_STORAGE_POOL_CLASSES; c++) {
    for (int i = 0; i < pool->counts[c]; i++) release(pool->slots[c][i]);
  }
  free(pool);
}

static void make_pool_key(void) {
  if (pthread_key_create(&pool_key, empty_pool) != 0) abort();
}

void *ag_storage_pool_take(long size_class) {
  storage_pool *pool = my_pool;
  if (!pool || pool->counts[size_class] == 0) return NULL;
  return pool->slots[size_class][--pool->counts[size_class]];
}

bool ag_storage_pool_give(long size_class, void *storage, ag_storage_release release) {
  storage_pool *pool = my_pool;
  if (!pool) {
    atomic_store_explicit(&release_storage, release, memory_order_relaxed);
    pthread_once(&pool_key_once, make_pool_key);
    pool = calloc(1, sizeof(storage_pool));
    if (!pool) return false;
    if (pthread_setspecific(pool_key, pool) != 0) {
      free(pool);
      return false;
    }
    my_pool = pool;
  }
  if (pool->counts[size_class] == DEPTH) return false;
  pool->slots[size_class][pool->counts[size_class]++] = storage;
  return true;
}
