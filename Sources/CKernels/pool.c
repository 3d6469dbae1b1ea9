// pool.c: persistent worker threads for splitting one product across cores.
//
// A training step of 784-100-10 makes two products large enough to split, each ~0.3 ms. Handing them to
// libdispatch wakes a sleeping thread every time, which costs tens of microseconds on a VM (an IPI and a
// vCPU reschedule); these workers instead spin for a short while after each job, so the next product of
// the step finds them awake, and only then sleep on a condition variable.
//
// One job at a time: a call that finds the pool busy (another thread's job, or a nested call from inside
// a task) runs its tasks itself, serially. Results never depend on which thread ran a task.
//
// Tasks are claimed from `ticket`, which holds the job's generation (high 32 bits) and the next task index
// (low 32 bits) in one atomic: a worker that arrives late, after its job is finished, cannot claim a task
// of the next job, because the compare-and-swap checks the generation along with the index. While a job
// is being set up its ticket is CLOSED: otherwise a late worker that read the new job's count but still
// held the old, exhausted ticket could claim index `old count` of the new job before it was published
// (ParallelismTests.backToBackJobs caught exactly that).
#include "nn_kernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_WORKERS = 63 };
static const uint32_t CLOSED = UINT32_MAX;  // ticket index while the job's fields are being written
// How long an idle worker keeps spinning before it sleeps.
static const long spin_ns = 200000;

static struct {
    pthread_mutex_t busy;          // held by the thread whose job is running
    pthread_mutex_t lock;          // guards the condition variable
    pthread_cond_t wake;
    _Atomic uint64_t ticket;       // generation << 32 | next task index
    _Atomic long sleepers;
    _Atomic long done;             // tasks of the current job finished
    _Atomic long count;            // the current job: task count, workers that join, function, context
    _Atomic long workers_wanted;
    _Atomic(nn_task_fn) fn;
    _Atomic(void *) context;
    long started;                  // workers created so far (only grows; under busy)
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_tasks(uint32_t generation) {
    for (;;) {
        uint64_t v = atomic_load(&pool.ticket);
        if ((uint32_t)(v >> 32) != generation) return;
        if ((uint32_t)v == CLOSED) { CPU_RELAX(); continue; }  // being set up: a few stores away
        long n = atomic_load_explicit(&pool.count, memory_order_relaxed);
        nn_task_fn fn = atomic_load_explicit(&pool.fn, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
        long i = (long)(uint32_t)v;
        if (i >= n) return;
        if (!atomic_compare_exchange_weak(&pool.ticket, &v, v + 1)) continue;
        fn(context, i);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *worker(void *arg) {
    long id = (long)arg;
    uint32_t seen = (uint32_t)(atomic_load(&pool.ticket) >> 32);
    for (;;) {
        uint32_t generation;
        long spun_since = now_ns();
        int spins = 0;
        while ((generation = (uint32_t)(atomic_load(&pool.ticket) >> 32)) == seen) {
            CPU_RELAX();
            if (++spins % 256 == 0 && now_ns() - spun_since > spin_ns) {
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleepers, 1);
                while ((uint32_t)(atomic_load(&pool.ticket) >> 32) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.lock);
                spun_since = now_ns();
            }
        }
        seen = generation;
        if (id < atomic_load_explicit(&pool.workers_wanted, memory_order_relaxed)) run_tasks(generation);
    }
    return NULL;
}

void nn_parallel_run(long count, long threads, nn_task_fn fn, void *context) {
    if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
    if (count <= 1 || threads <= 1 || count >= (long)CLOSED || pthread_mutex_trylock(&pool.busy) != 0) {
        for (long i = 0; i < count; i++) fn(context, i);
        return;
    }
    long workers = (threads < count ? threads : count) - 1;
    while (pool.started < workers) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&t, &attr, worker, (void *)pool.started);
        pthread_attr_destroy(&attr);
        if (failed) break;  // fewer workers; the caller does the rest
        pool.started++;
    }
    if (workers > pool.started) workers = pool.started;
    uint32_t generation = (uint32_t)(atomic_load(&pool.ticket) >> 32) + 1;
    atomic_store(&pool.ticket, (uint64_t)generation << 32 | CLOSED);  // no claim can succeed from here
    atomic_store_explicit(&pool.count, count, memory_order_relaxed);
    atomic_store_explicit(&pool.workers_wanted, workers, memory_order_relaxed);
    atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    atomic_store(&pool.ticket, (uint64_t)generation << 32);  // seq_cst: publishes the job, then sleepers is read
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_tasks(generation);
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < count) CPU_RELAX();
    pthread_mutex_unlock(&pool.busy);
}
