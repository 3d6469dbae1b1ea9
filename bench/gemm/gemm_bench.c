// gemm_bench.c: nn_sgemm / nn_dgemm (Sources/CKernels/gemm.c) against OpenBLAS cblas_sgemm / cblas_dgemm.
//
// For each shape: GFLOP/s (2*M*N*K / time) on 1 thread and on 2 threads, median over repeats. Ours on 2
// threads is nn_*gemm_threads(2, ...), the call Matrix.swift makes (C split into 2 blocks of rows, or of
// columns when C is wider than tall, on the package's worker pool CKernels/pool.c); OpenBLAS uses its own
// threading (openblas_set_num_threads). Ours and OpenBLAS alternate repeat by repeat so that the noise of
// a shared machine hits both alike.
// Build: see run.sh. Usage: gemm_bench [repeats] [min_ms_per_repeat] [only shapes whose label contains this]
// Environment: GEMM_BENCH_CPUTIME=1 and GEMM_BENCH_STAT=min (see below), GEMM_BENCH_1THREAD=1 skips the
// 2-thread columns.
#include "nn_kernels.h"
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void openblas_set_num_threads(int);

// GEMM_BENCH_CPUTIME=1 times 1-thread runs by this thread's CPU time rather than wall time: on a shared,
// busy machine that leaves out the time the thread spent descheduled (2-thread runs always use wall time).
static int use_cputime = 0;
// GEMM_BENCH_STAT=min reports the fastest repeat instead of the median (what an idle machine would show).
static int use_min = 0;
static double now(void) {
    struct timespec ts;
    clock_gettime(use_cputime ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    int dbl, transA, transB;
    long M, N, K, lda, ldb, ldc;
    void *A, *B, *C;
} problem;

// Ours on `threads` threads: nn_*gemm_threads, exactly as Matrix.swift calls it (C split into blocks of rows
// or columns on the package's worker pool, pool.c).
static void ours(const problem *p, int threads) {
    if (p->dbl)
        nn_dgemm_threads(threads, p->transA, p->transB, p->M, p->N, p->K, 1.0, p->A, p->lda, p->B, p->ldb, 0.0, p->C, p->ldc);
    else
        nn_sgemm_threads(threads, p->transA, p->transB, p->M, p->N, p->K, 1.0f, p->A, p->lda, p->B, p->ldb, 0.0f, p->C, p->ldc);
}

static void openblas(const problem *p) {
    enum CBLAS_TRANSPOSE ta = p->transA ? CblasTrans : CblasNoTrans, tb = p->transB ? CblasTrans : CblasNoTrans;
    if (p->dbl)
        cblas_dgemm(CblasRowMajor, ta, tb, p->M, p->N, p->K, 1.0, p->A, p->lda, p->B, p->ldb, 0.0, p->C, p->ldc);
    else
        cblas_sgemm(CblasRowMajor, ta, tb, p->M, p->N, p->K, 1.0f, p->A, p->lda, p->B, p->ldb, 0.0f, p->C, p->ldc);
}

static int cmp_double(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

// Median seconds per call of ours (which=0) and OpenBLAS (which=1), alternating repeat by repeat.
static void measure(const problem *p, int threads, int repeats, double min_s, double out[2]) {
    openblas_set_num_threads(threads);
    use_cputime = threads == 1 && getenv("GEMM_BENCH_CPUTIME") && atoi(getenv("GEMM_BENCH_CPUTIME"));
    long iters[2];
    for (int w = 0; w < 2; w++) {  // warm up and pick the number of calls per repeat
        long n = 1;
        for (;;) {
            double t0 = now();
            for (long i = 0; i < n; i++) w ? openblas(p) : ours(p, threads);
            if (now() - t0 >= min_s || n >= (1L << 30)) break;
            n *= 2;
        }
        iters[w] = n;
    }
    double *t[2] = {malloc(sizeof(double) * (size_t)repeats), malloc(sizeof(double) * (size_t)repeats)};
    for (int r = 0; r < repeats; r++)
        for (int w = 0; w < 2; w++) {
            double t0 = now();
            for (long i = 0; i < iters[w]; i++) w ? openblas(p) : ours(p, threads);
            t[w][r] = (now() - t0) / (double)iters[w];
        }
    for (int w = 0; w < 2; w++) {
        qsort(t[w], (size_t)repeats, sizeof(double), cmp_double);
        out[w] = use_min ? t[w][0] : t[w][repeats / 2];
        free(t[w]);
    }
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 21;
    double min_s = (argc > 2 ? atof(argv[2]) : 5) * 1e-3;
    // (M, K, N, transA, transB, double): C[M,N] = op(A)[M,K] op(B)[K,N].
    static const struct { const char *what; long M, K, N; int tA, tB, dbl; } shapes[] = {
        {"fwd 784-100", 100, 784, 100, 0, 0, 0},
        {"fwd 100-10", 100, 100, 10, 0, 0, 0},
        {"fwd 784-512", 100, 784, 512, 0, 0, 0},
        {"fwd 512-512", 100, 512, 512, 0, 0, 0},
        {"fwd 512-10", 100, 512, 10, 0, 0, 0},
        {"dW=X^T dY 784x100", 784, 100, 100, 1, 0, 0},
        {"dW=X^T dY 512x512", 512, 100, 512, 1, 0, 0},
        {"dX=dY W^T 100->784", 100, 100, 784, 0, 1, 0},
        {"dX=dY W^T 512->512", 100, 512, 512, 0, 1, 0},
        {"dX=dY W^T 10->512", 100, 10, 512, 0, 1, 0},
        {"inference M=1", 1, 784, 100, 0, 0, 0},
        // nn-train's defaults (784-300-10, batch 50) and the README's Fashion recipe (784-512-256-10, batch 100)
        {"default fwd 784-300 b50", 50, 784, 300, 0, 0, 0},
        {"default dW 784x300 b50", 784, 50, 300, 1, 0, 0},
        {"fashion fwd 512-256", 100, 512, 256, 0, 0, 0},
        {"fashion dW 784x512", 784, 100, 512, 1, 0, 0},
        {"fashion dX 256->512", 100, 256, 512, 0, 1, 0},
        {"large", 256, 784, 512, 0, 0, 0},
        {"cube", 1024, 1024, 1024, 0, 0, 0},
        {"gradcheck f64", 3, 784, 50, 0, 0, 1},
        {"gradcheck f64", 3, 50, 10, 0, 0, 1},
        {"f64 fwd", 100, 784, 100, 0, 0, 1},
        {"f64 cube", 1024, 1024, 1024, 0, 0, 1},
    };
    use_min = getenv("GEMM_BENCH_STAT") && strcmp(getenv("GEMM_BENCH_STAT"), "min") == 0;
    printf("AVX2+FMA path: %s; %d repeats of >= %.0f ms, %s; 1 thread timed by %s\n\n",
           nn_cpu_has_avx2_fma() ? "yes" : "no", repeats, min_s * 1e3, use_min ? "fastest" : "median",
           getenv("GEMM_BENCH_CPUTIME") && atoi(getenv("GEMM_BENCH_CPUTIME")) ? "thread CPU time" : "wall time");
    printf("| shape (M,K,N) | op | type | ours 1 thr | OpenBLAS 1 thr | ratio | ours 2 thr | OpenBLAS 2 thr | ratio | ours us/call 1 thr |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    uint64_t s = 1;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (argc > 3 && !strstr(shapes[i].what, argv[3])) continue;
        problem p = {shapes[i].dbl, shapes[i].tA, shapes[i].tB, shapes[i].M, shapes[i].N, shapes[i].K, 0, 0, 0, 0, 0, 0};
        p.lda = p.transA ? p.M : p.K;
        p.ldb = p.transB ? p.K : p.N;
        p.ldc = p.N;
        size_t es = p.dbl ? sizeof(double) : sizeof(float), na = (size_t)(p.M * p.K), nb = (size_t)(p.K * p.N);
        p.A = aligned_alloc(64, (na * es + 63) / 64 * 64);
        p.B = aligned_alloc(64, (nb * es + 63) / 64 * 64);
        p.C = aligned_alloc(64, ((size_t)(p.M * p.N) * es + 63) / 64 * 64);
        for (size_t j = 0; j < na + nb; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            double x = (double)(s >> 40) / 16777216.0 - 0.5;
            if (p.dbl) (j < na ? (double *)p.A : (double *)p.B)[j < na ? j : j - na] = x;
            else (j < na ? (float *)p.A : (float *)p.B)[j < na ? j : j - na] = (float)x;
        }
        double t1[2], t2[2], flop = 2.0 * p.M * p.N * p.K;
        measure(&p, 1, repeats, min_s, t1);
        if (getenv("GEMM_BENCH_1THREAD")) t2[0] = t2[1] = 1e30;
        else measure(&p, 2, repeats, min_s, t2);
        const char *op = p.transA ? (p.transB ? "A^T B^T" : "A^T B") : (p.transB ? "A B^T" : "A B");
        printf("| %ld,%ld,%ld %s | %s | %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.1f |\n", p.M, p.K, p.N,
               shapes[i].what, op, p.dbl ? "f64" : "f32", flop / t1[0] * 1e-9, flop / t1[1] * 1e-9, t1[1] / t1[0],
               flop / t2[0] * 1e-9, flop / t2[1] * 1e-9, t2[1] / t2[0], t1[0] * 1e6);
        fflush(stdout);
        free(p.A); free(p.B); free(p.C);
    }
    return 0;
}
