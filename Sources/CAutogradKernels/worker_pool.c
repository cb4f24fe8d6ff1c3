// The threads that split the kernels' work: workers that stay awake (spinning) for a moment after
// each job, so that the next one, a few microseconds later, starts at once. Dispatch's
// concurrentPerform put its threads to sleep between jobs, and waking one cost 10-50 µs on the
// virtual machines we measure on: as much as a product of a transformer layer's sizes takes.
//
// A job is published in one 64-bit word, `ticket`: its generation in the high 32 bits, its number
// of indices in the next 16 and the next unclaimed index in the low 16. Whoever claims an index (a
// worker, or the caller, which works too) does so by compare-and-swap on the whole word. A claim
// succeeds only while the job has unclaimed indices, so the job is not finished and its caller
// has not begun to write the next one's context and body: a worker that read those fields late
// can never run an index with another job's.
#include "AutogradKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AG_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define AG_PAUSE() __asm__ __volatile__("yield")
#else
#define AG_PAUSE() ((void)0)
#endif

// How long an idle worker spins before it sleeps: long enough to bridge the single-threaded work
// between two products of a training step, short enough not to hold a core once work stops. While
// it spins it yields now and then, so that on a machine with more threads than cores it gives way.
#define SPIN_SECONDS 0.001
#define MAX_WORKERS 63

static struct {
  _Atomic uint64_t ticket;         // generation << 32 | count << 16 | next index
  _Atomic(void *) context;
  _Atomic(ag_parallel_body) body;
  _Atomic long remaining;          // indices not yet finished
  _Atomic long sleepers;           // workers waiting on `wake`
  atomic_flag busy;                // held by the thread running a job
  pthread_mutex_t mutex;           // guards `wake` and creating workers
  pthread_cond_t wake;
  _Atomic long workers;
} pool = {.busy = ATOMIC_FLAG_INIT, .mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint32_t generation_of(uint64_t ticket) { return (uint32_t)(ticket >> 32); }
static long count_of(uint64_t ticket) { return (long)((ticket >> 16) & 0xFFFF); }
static long index_of(uint64_t ticket) { return (long)(ticket & 0xFFFF); }

// Claims and runs indices of generation `generation` until none is left.
static void work_on(uint32_t generation) {
  void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
  ag_parallel_body body = atomic_load_explicit(&pool.body, memory_order_relaxed);
  uint64_t ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
  while (generation_of(ticket) == generation && index_of(ticket) < count_of(ticket)) {
    if (atomic_compare_exchange_weak_explicit(&pool.ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                              memory_order_acquire)) {
      body(context, index_of(ticket));
      atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_release);
      ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    }
  }
}

static void *worker_main(void *unused) {
  (void)unused;
  uint32_t seen = generation_of(atomic_load(&pool.ticket));
  for (;;) {
    uint32_t generation = generation_of(atomic_load_explicit(&pool.ticket, memory_order_acquire));
    double deadline = 0;
    for (long spins = 0; generation == seen; spins++) {
      AG_PAUSE();
      if ((spins & 255) == 255) {
        sched_yield();
        double now = seconds_now();
        if (deadline == 0) deadline = now + SPIN_SECONDS;
        if (now > deadline) {
          atomic_fetch_add(&pool.sleepers, 1);
          pthread_mutex_lock(&pool.mutex);
          while ((generation = generation_of(atomic_load(&pool.ticket))) == seen)
            pthread_cond_wait(&pool.wake, &pool.mutex);
          pthread_mutex_unlock(&pool.mutex);
          atomic_fetch_sub(&pool.sleepers, 1);
          break;
        }
      }
      generation = generation_of(atomic_load_explicit(&pool.ticket, memory_order_acquire));
    }
    seen = generation;
    work_on(generation);
  }
  return NULL;
}

// Starts workers until there are `wanted` (at most MAX_WORKERS). Returns how many there are.
static long ensure_workers(long wanted) {
  if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
  long workers = atomic_load_explicit(&pool.workers, memory_order_relaxed);
  if (workers >= wanted) return workers;
  pthread_mutex_lock(&pool.mutex);
  while (pool.workers < wanted) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attributes, worker_main, NULL);
    pthread_attr_destroy(&attributes);
    if (failed) break;
    atomic_fetch_add(&pool.workers, 1);
  }
  workers = atomic_load(&pool.workers);
  pthread_mutex_unlock(&pool.mutex);
  return workers;
}

void ag_pool_parallel_for(long count, void *context, ag_parallel_body body) {
  // One job at a time: a second caller (another thread, or a job's body) runs its job alone.
  if (count <= 1 || count > 0xFFFF || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
    for (long t = 0; t < count; t++) body(context, t);
    return;
  }
  if (ensure_workers(count - 1) == 0) {
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    for (long t = 0; t < count; t++) body(context, t);
    return;
  }
  atomic_store_explicit(&pool.context, context, memory_order_relaxed);
  atomic_store_explicit(&pool.body, body, memory_order_relaxed);
  atomic_store_explicit(&pool.remaining, count, memory_order_relaxed);
  uint32_t generation = generation_of(atomic_load(&pool.ticket)) + 1;
  atomic_store(&pool.ticket, (uint64_t)generation << 32 | (uint64_t)count << 16);  // publishes the fields above
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.mutex);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);
  }
  work_on(generation);
  // The indices left are running on workers. If one of them lost its core (more threads than
  // cores), spinning here would only keep it waiting: after a short spin, give the core away.
  for (long spins = 0; atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0; spins++) {
    if (spins < 2000) AG_PAUSE();
    else sched_yield();
  }
  atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}
