#include "AutogradKernels.h"
#include "fast_tls.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

// Per thread, a short stack of each size class: the thread that frees a graph's small results is
// almost always the one that records the next graph, and a stack keeps the storages it reuses
// the ones it touched last.
#define DEPTH 16

// Graph nodes that a backward pass freed, for the next graph's ops: a training step records as
// many nodes as the step before it. The stack grows with the graphs freed, to at most NODE_LIMIT
// nodes (46 MB of nodes; a pass through a graph of 5 * 10^5 nodes or more empties it, see
// `Node.largeGraph`). With 64 at most, W4's chains of 2 * 10^5 nodes spent a sixth of their
// instructions freeing nodes into the allocator's lists and allocating them again.
#define NODE_LIMIT (1 << 18)
#define NODE_FIRST_CAPACITY 64

typedef struct {
  void *slots[AG_STORAGE_POOL_CLASSES][DEPTH];
  int counts[AG_STORAGE_POOL_CLASSES];
  void **nodes;
  int node_count;
  int node_capacity;
  // The list of a backward pass's ready nodes, kept with its capacity for the thread's next pass.
  void *ready_list;
} storage_pool;

// The pool itself lives on the heap and is reached through a thread-local pointer: a thread
// that never frees a small tensor costs 8 bytes, and a thread-specific key hands the storages
// back when the thread exits (the pool's workers come and go; LeakSanitizer would see them lost).
static _Thread_local storage_pool *my_pool AG_FAST_TLS;
static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
// Set with the first pool: storages and nodes are both Swift objects, released alike.
static _Atomic(ag_storage_release) release_object;

static void empty_pool(void *pointer) {
  storage_pool *pool = pointer;
  ag_storage_release release = atomic_load_explicit(&release_object, memory_order_relaxed);
  for (int c = 0; c < AG_STORAGE_POOL_CLASSES; c++) {
    for (int i = 0; i < pool->counts[c]; i++) release(pool->slots[c][i]);
  }
  for (int i = 0; i < pool->node_count; i++) release(pool->nodes[i]);
  free(pool->nodes);
  if (pool->ready_list) release(pool->ready_list);
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

// The calling thread's pool, made on first use; NULL when it cannot be made.
static storage_pool *ensured_pool(ag_storage_release release) {
  storage_pool *pool = my_pool;
  if (pool) return pool;
  atomic_store_explicit(&release_object, release, memory_order_relaxed);
  pthread_once(&pool_key_once, make_pool_key);
  pool = calloc(1, sizeof(storage_pool));
  if (!pool) return NULL;
  if (pthread_setspecific(pool_key, pool) != 0) {
    free(pool);
    return NULL;
  }
  my_pool = pool;
  return pool;
}

bool ag_storage_pool_give(long size_class, void *storage, ag_storage_release release) {
  storage_pool *pool = my_pool;
  if (!pool) {
    pool = ensured_pool(release);
    if (!pool) return false;
  }
  if (pool->counts[size_class] == DEPTH) return false;
  pool->slots[size_class][pool->counts[size_class]++] = storage;
  return true;
}

void *ag_node_pool_take(void) {
  storage_pool *pool = my_pool;
  if (!pool || pool->node_count == 0) return NULL;
  return pool->nodes[--pool->node_count];
}

bool ag_node_pool_give(void *node, ag_storage_release release) {
  storage_pool *pool = my_pool;
  if (!pool) {
    pool = ensured_pool(release);
    if (!pool) return false;
  }
  if (pool->node_count == pool->node_capacity) {
    if (pool->node_capacity == NODE_LIMIT) return false;
    int capacity = pool->node_capacity ? 2 * pool->node_capacity : NODE_FIRST_CAPACITY;
    void **grown = realloc(pool->nodes, (size_t)capacity * sizeof(void *));
    if (!grown) return false;
    pool->nodes = grown;
    pool->node_capacity = capacity;
  }
  pool->nodes[pool->node_count++] = node;
  return true;
}

bool ag_node_pool_has_room(void) {
  storage_pool *pool = my_pool;
  return !pool || pool->node_count < NODE_LIMIT;
}

long ag_node_pool_count(void) {
  storage_pool *pool = my_pool;
  return pool ? pool->node_count : 0;
}

void ag_node_pool_empty(void) {
  storage_pool *pool = my_pool;
  if (!pool) return;
  ag_storage_release release = atomic_load_explicit(&release_object, memory_order_relaxed);
  // Popped before each release, so that the pool is whole whatever a node's release runs.
  while (pool->node_count > 0) release(pool->nodes[--pool->node_count]);
  free(pool->nodes);
  pool->nodes = NULL;
  pool->node_capacity = 0;
}

void *ag_ready_list_take(void) {
  storage_pool *pool = my_pool;
  if (!pool) return NULL;
  void *list = pool->ready_list;
  pool->ready_list = NULL;
  return list;
}

bool ag_ready_list_give(void *list, ag_storage_release release) {
  storage_pool *pool = my_pool;
  if (!pool) {
    pool = ensured_pool(release);
    if (!pool) return false;
  }
  if (pool->ready_list) return false;
  pool->ready_list = list;
  return true;
}
