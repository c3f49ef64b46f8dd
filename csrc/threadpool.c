/*
 * threadpool.c: persistent workers with one mailbox each (a generation counter). Posting a job bumps the
 * mailboxes of the participating workers only; a worker spins on its mailbox for ~0.3 ms after its last job
 * (a hand-off then costs a few microseconds) and then sleeps on its condition variable, so an idle process
 * burns no CPU. Parts of a job are claimed, not assigned: whichever thread is running takes the next part,
 * so on a busy machine a descheduled or sleeping worker never holds up the caller unless it already
 * started a part. Not here: work splitting (dispatch.c decides what part t of nt is).
 */
#define _GNU_SOURCE
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPIN_NS 300000L

struct worker {
  unsigned gen; /* mailbox: bumped by the poster (seq_cst, pairs with `sleeping`) */
  int sleeping;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char pad[64];
};

static struct {
  int started, threads, workers; /* threads in use; workers created (thread ids 1..workers) */
  size_t scratch_floats;
  float *scratch[DN_MAX_THREADS];
  struct worker w[DN_MAX_THREADS];
  dn_task fn;
  void *arg;
  unsigned gen;                /* job counter */
  unsigned long long claim;    /* gen << 32 | parts << 16 | next part: claimed by compare-and-swap */
  int done;                    /* parts finished in the current job */
  pthread_mutex_t op_lock;
} pool = {.op_lock = PTHREAD_MUTEX_INITIALIZER};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/*
 * Claims and runs parts of the current job until none is left. The part count lives in the claim word with
 * the job number, so a late thread can never claim a part of a job that has already been replaced; and the
 * caller does not replace fn/arg until every claimed part is done, so fields read after a claim are current.
 */
static void run_parts(float *scratch) {
  for (;;) {
    unsigned long long w = __atomic_load_n(&pool.claim, __ATOMIC_ACQUIRE);
    unsigned parts = (unsigned)(w >> 16) & 0xffff, next = (unsigned)w & 0xffff;
    if (next >= parts) return;
    if (!__atomic_compare_exchange_n(&pool.claim, &w, w + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
    pool.fn(pool.arg, (int)next, (int)parts, scratch);
    __atomic_fetch_add(&pool.done, 1, __ATOMIC_RELEASE);
  }
}

static void *worker_main(void *p) {
  int id = (int)(size_t)p;
  struct worker *w = &pool.w[id];
  unsigned seen = 0; /* gen starts at 0; a job may be posted before this thread runs */
  for (;;) {
    long t0 = now_ns();
    for (unsigned i = 1; __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE) == seen; i++) {
      cpu_relax();
      if ((i & 1023) == 0 && now_ns() - t0 > SPIN_NS) {
        pthread_mutex_lock(&w->mu);
        __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&w->gen, __ATOMIC_SEQ_CST) == seen) pthread_cond_wait(&w->cv, &w->mu);
        __atomic_store_n(&w->sleeping, 0, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&w->mu);
      }
    }
    seen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
    run_parts(pool.scratch[id]);
  }
  return 0;
}

static float *alloc_scratch(size_t floats) {
  void *p = 0;
  if (posix_memalign(&p, 64, (floats ? floats : 16) * sizeof(float)) != 0) return 0;
  return p;
}

static int grow_workers(int threads) {
  while (pool.workers + 1 < threads) {
    int id = pool.workers + 1;
    struct worker *w = &pool.w[id];
    if (!pool.scratch[id] && !(pool.scratch[id] = alloc_scratch(pool.scratch_floats))) return -1;
    pthread_mutex_init(&w->mu, 0);
    pthread_cond_init(&w->cv, 0);
    w->gen = 0;
    w->sleeping = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&w->thread, &attr, worker_main, (void *)(size_t)id);
    pthread_attr_destroy(&attr);
    if (rc != 0) return -1;
    pool.workers = id;
  }
  return 0;
}

int dn_pool_start(int threads, size_t scratch_floats) {
  if (pool.started) return 0;
  if (threads < 1) threads = 1;
  if (threads > DN_MAX_THREADS) threads = DN_MAX_THREADS;
  pool.scratch_floats = scratch_floats;
  if (!(pool.scratch[0] = alloc_scratch(scratch_floats))) return -1;
  pool.started = 1;
  if (grow_workers(threads) != 0) threads = pool.workers + 1;
  pool.threads = threads;
  return 0;
}

int dn_pool_threads(void) { return pool.threads; }

int dn_pool_set_threads(int threads) {
  if (threads < 1 || threads > DN_MAX_THREADS) return -1;
  if (grow_workers(threads) != 0) return -1;
  pool.threads = threads;
  return 0;
}

int dn_pool_reserve(size_t floats) {
  if (floats <= pool.scratch_floats) return 0;
  for (int t = 0; t <= pool.workers; t++) {
    float *p = alloc_scratch(floats);
    if (!p) return -1;
    free(pool.scratch[t]);
    pool.scratch[t] = p;
  }
  pool.scratch_floats = floats;
  return 0;
}

float *dn_pool_scratch(int t) { return pool.scratch[t]; }

void dn_pool_run(dn_task fn, void *arg, int nt) {
  if (nt > pool.threads) nt = pool.threads;
  if (nt <= 1) {
    fn(arg, 0, 1, pool.scratch[0]);
    return;
  }
  pool.fn = fn;
  pool.arg = arg;
  pool.gen++;
  __atomic_store_n(&pool.done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&pool.claim, (unsigned long long)pool.gen << 32 | (unsigned long long)nt << 16, __ATOMIC_RELEASE);
  for (int t = 1; t < nt; t++) {
    struct worker *w = &pool.w[t];
    __atomic_add_fetch(&w->gen, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) {
      pthread_mutex_lock(&w->mu);
      pthread_cond_signal(&w->cv);
      pthread_mutex_unlock(&w->mu);
    }
  }
  run_parts(pool.scratch[0]);
  /* a worker still inside a part: spin, then yield (on a busy machine it may be waiting for a CPU) */
  for (unsigned i = 1; __atomic_load_n(&pool.done, __ATOMIC_ACQUIRE) < nt; i++) {
    cpu_relax();
    if ((i & 255) == 0) sched_yield();
  }
}

void dn_pool_lock(void) { pthread_mutex_lock(&pool.op_lock); }
void dn_pool_unlock(void) { pthread_mutex_unlock(&pool.op_lock); }
