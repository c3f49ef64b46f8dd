/*
 * wasm_threadpool.c: threadpool.h for the threaded wasm build (scripts/build-wasm.mjs, densenet-mt.wasm), so
 * dispatch.c splits ops for wasm exactly as it does for the addon. The "threads" are Web Workers / Node
 * worker_threads that the JS glue (src/backend/wasm/threads.ts) starts, each instantiating this module on the
 * same shared memory with its own stack, then calling dn_worker_main(id), which never returns until
 * dn_pool_stop(). Hand-off as in threadpool.c: a mailbox (generation counter) per worker, parts claimed by
 * compare-and-swap; a worker spins a while, then sleeps in memory.atomic.wait32 until the poster notifies.
 * The posting (main) thread never sleeps on a browser's main thread (atomics.wait traps there): it claims
 * parts itself and spins for the rest; where it may block (Node), it waits in short timed waits instead.
 * Scratch comes from a region the glue reserves (no malloc in this freestanding build). Also here: the few
 * libc functions dispatch.c calls (wasm_include/). Not here: work splitting (dispatch.c), kernels.
 */
#include "dispatch.h"
#include "kernels.h"
#include "threadpool.h"

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

/* Overridable for tuning (DENSENET_WASM_CFLAGS=-DSPIN_WORKER=...): the polls are not timed (no clock here). 1 << 20
 * polls looked better than 1 << 17 for a 0.4-0.6 ms GEMM at 2 threads in 2 of 2 noisy runs, but DenseNet-121 batch 1
 * showed no difference beyond noise, so the shorter spin (less CPU burned after each op) stays. */
#ifndef SPIN_WORKER
#define SPIN_WORKER (1 << 17) /* mailbox polls before sleeping */
#endif
#ifndef SPIN_MAIN
#define SPIN_MAIN 4096 /* done polls before a timed wait, where the poster may wait */
#endif
#define MAIN_WAIT_NS 50000LL

struct worker {
  int gen; /* mailbox: bumped by the poster (seq_cst, pairs with `sleeping`) */
  int sleeping;
  char pad[56];
};

static struct {
  int threads, max_threads, quit, main_can_wait, setup_threads;
  size_t scratch_floats;
  float *scratch[DN_MAX_THREADS];
  struct worker w[DN_MAX_THREADS];
  dn_task fn;
  void *arg;
  unsigned gen;
  unsigned long long claim; /* gen << 32 | parts << 16 | next part */
  int done;
} pool;

/* Same as threadpool.c: a late thread can never claim a part of a job that was replaced. */
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

/* A worker's loop (id 1..threads-1); returns only after dn_pool_stop(). */
EXPORT(dn_worker_main) void dn_worker_main(int id) {
  if (id < 1 || id >= pool.max_threads) return;
  struct worker *w = &pool.w[id];
  int seen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
  for (;;) {
    for (int i = 1; __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE) == seen; i++) {
      if (__atomic_load_n(&pool.quit, __ATOMIC_ACQUIRE)) return;
      if (i >= SPIN_WORKER) {
        __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w->gen, __ATOMIC_SEQ_CST) == seen && !__atomic_load_n(&pool.quit, __ATOMIC_SEQ_CST))
          __builtin_wasm_memory_atomic_wait32(&w->gen, seen, -1);
        __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
        i = 0;
      }
    }
    if (__atomic_load_n(&pool.quit, __ATOMIC_ACQUIRE)) return;
    seen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);
    run_parts(pool.scratch[id]);
  }
}

/* Wakes every worker so dn_worker_main returns (the glue then terminates the workers). */
EXPORT(dn_pool_stop) void dn_pool_stop(void) {
  __atomic_store_n(&pool.quit, 1, __ATOMIC_SEQ_CST);
  for (int t = 1; t < pool.max_threads; t++) {
    __atomic_add_fetch(&pool.w[t].gen, 1, __ATOMIC_SEQ_CST);
    __builtin_wasm_memory_atomic_notify(&pool.w[t].gen, 1);
  }
}

/* Floats of scratch each thread needs (the region the glue reserves holds threads times this). */
EXPORT(dn_mt_scratch_floats) size_t dn_mt_scratch_floats(void) { return K(bwd_scratch_floats)(); }

/*
 * Called once on the main instance before any op: `threads` threads (the caller included), scratch for
 * thread t at region + t * dn_mt_scratch_floats(), and whether this thread may block in atomics.wait.
 * 0 on success.
 */
EXPORT(dn_mt_setup) int dn_mt_setup(int threads, float *region, int main_can_wait) {
  if (threads < 1 || threads > DN_MAX_THREADS) return -1;
  size_t per = dn_mt_scratch_floats();
  for (int t = 0; t < threads; t++) pool.scratch[t] = region + (size_t)t * per;
  pool.scratch_floats = per;
  pool.max_threads = threads;
  pool.setup_threads = threads;
  pool.main_can_wait = main_can_wait;
  return dn_init();
}

/* Threads ops use from now on (1..the count given to dn_mt_setup); 0 on success. */
EXPORT(dn_mt_set_threads) int dn_mt_set_threads(int threads) { return dn_set_threads(threads); }
EXPORT(dn_mt_threads) int dn_mt_threads(void) { return dn_threads(); }

/* Benchmark: flops done by `iters` rounds of register-only multiply-adds on each of `threads` threads. */
EXPORT(dn_fma_peak) double dn_fma_peak_export(size_t iters, int threads) { return dn_fma_peak(iters, threads); }

int dn_pool_start(int threads, size_t scratch_floats) {
  if (scratch_floats > pool.scratch_floats || threads < 1) return -1;
  pool.threads = threads > pool.max_threads ? pool.max_threads : threads;
  return 0;
}

int dn_pool_threads(void) { return pool.threads; }

int dn_pool_set_threads(int threads) {
  if (threads < 1 || threads > pool.max_threads) return -1;
  pool.threads = threads;
  return 0;
}

int dn_pool_reserve(size_t floats) { return floats <= pool.scratch_floats ? 0 : -1; }

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
    if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST)) __builtin_wasm_memory_atomic_notify(&w->gen, 1);
  }
  run_parts(pool.scratch[0]);
  /* a worker still inside a part: spin; in Node also sleep in short timed waits (it may be waiting for a CPU) */
  for (int i = 1;; i++) {
    int d = __atomic_load_n(&pool.done, __ATOMIC_ACQUIRE);
    if (d >= nt) break;
    if (pool.main_can_wait && i >= SPIN_MAIN) __builtin_wasm_memory_atomic_wait32(&pool.done, d, MAIN_WAIT_NS);
  }
}

void dn_pool_lock(void) {}
void dn_pool_unlock(void) {}

/* ---- the libc dispatch.c calls (wasm_include/) ---- */

char *getenv(const char *name) {
  (void)name;
  return 0;
}

long strtol(const char *s, char **end, int base) {
  long v = 0;
  int neg = *s == '-';
  if (neg || *s == '+') s++;
  while (*s >= '0' && *s <= '9') v = v * base + (*s++ - '0');
  if (end) *end = (char *)s;
  return neg ? -v : v;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

char *strcat(char *dst, const char *src) {
  char *d = dst;
  while (*d) d++;
  while ((*d++ = *src++)) {}
  return dst;
}

long sysconf(int name) { return name == 84 ? pool.setup_threads : -1; }
