/*
 * threadpool.h: a persistent pthread pool for the addon (not built for wasm). Workers are created once,
 * spin briefly after each job and then sleep, and each owns a 64-byte-aligned scratch buffer that grows
 * once and is reused, so running an op allocates nothing.
 */
#ifndef DN_THREADPOOL_H
#define DN_THREADPOOL_H
#include <stddef.h>

#define DN_MAX_THREADS 64

/* fn(arg, t, nt, scratch) runs once for each part t = 0..nt-1, on whichever thread claims it first (the
 * caller included), with that thread's scratch. */
typedef void (*dn_task)(void *arg, int t, int nt, float *scratch);

/* Starts the pool with `threads` threads in use (workers = threads - 1); 0 on success. Idempotent. */
int dn_pool_start(int threads, size_t scratch_floats);
int dn_pool_threads(void);
/* Changes the number of threads ops use (1..DN_MAX_THREADS), creating workers if needed; 0 on success. */
int dn_pool_set_threads(int threads);
/* Ensures every thread's scratch holds at least `floats` floats; 0 on success. */
int dn_pool_reserve(size_t floats);
float *dn_pool_scratch(int t);
/* Runs fn on nt threads (clamped to the pool size) and returns when all are done. */
void dn_pool_run(dn_task fn, void *arg, int nt);
/* Serialises ops from several JS threads (worker_threads): the pool and scratch 0 are shared. */
void dn_pool_lock(void);
void dn_pool_unlock(void);

#endif
