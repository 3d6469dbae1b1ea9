// gemm_test.c: correctness and determinism of nn_sgemm / nn_dgemm (Sources/CKernels/gemm.c).
//
// For every shape, the 4 transpose combinations, float and double, the AVX2 and the portable path, and
// several (alpha, beta):
//   1. one call over all of C agrees with a naive double-precision reference within an error bound;
//   2. calls over row blocks of C (split at 1, 7, M/2, M-1, several at once, every row...) and over
//      column blocks (1, 8, 16, N/2, ...) give results bit-identical to the one call, as the threaded
//      split (nn_*gemm_threads) relies on, and so do nn_*gemm_threads on 2 and 3 threads;
//   3. C is not read when beta == 0 (it starts as NaN).
// Build and run: cc -O2 -I Sources/CKernels/include bench/gemm/gemm_test.c Sources/CKernels/gemm.c
//   Sources/CKernels/pool.c -lm -lpthread (also run by `swift test`: EndToEndTests/KernelTests.swift)
// Prints one line per failure and a summary; exits 1 on any failure.
#include "nn_kernels.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;
static double uniform(void) {  // xorshift64, in [-1, 1)
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (double)(rng >> 11) / 4503599627370496.0 - 1.0;
}

// A typed matrix buffer: float or double elements, read and written as double.
typedef struct { int dbl; size_t n; void *p; } buf;
static buf buf_new(int dbl, size_t n) {
    buf b = {dbl, n, malloc((n ? n : 1) * (dbl ? sizeof(double) : sizeof(float)))};
    return b;
}
static double get(buf b, size_t i) { return b.dbl ? ((double *)b.p)[i] : ((float *)b.p)[i]; }
static void set(buf b, size_t i, double x) { if (b.dbl) ((double *)b.p)[i] = x; else ((float *)b.p)[i] = (float)x; }
static size_t esize(buf b) { return b.dbl ? sizeof(double) : sizeof(float); }

// C rows r0..<r1 of the product, as Matrix.swift calls it for one row block.
static void call_rows(int transA, int transB, long r0, long r1, long N, long K, double alpha, buf A, long lda,
                      buf B, long ldb, double beta, buf C, long ldc) {
    long aoff = transA ? r0 : r0 * lda;
    if (C.dbl)
        nn_dgemm(transA, transB, r1 - r0, N, K, alpha, (double *)A.p + aoff, lda, (double *)B.p, ldb, beta,
                 (double *)C.p + r0 * ldc, ldc);
    else
        nn_sgemm(transA, transB, r1 - r0, N, K, (float)alpha, (float *)A.p + aoff, lda, (float *)B.p, ldb,
                 (float)beta, (float *)C.p + r0 * ldc, ldc);
}

// C columns c0..<c1 of the product (a column block, as nn_*gemm_threads makes for a C wider than tall).
static void call_cols(int transA, int transB, long M, long c0, long c1, long K, double alpha, buf A, long lda,
                      buf B, long ldb, double beta, buf C, long ldc) {
    long boff = transB ? c0 * ldb : c0;
    if (C.dbl)
        nn_dgemm(transA, transB, M, c1 - c0, K, alpha, (double *)A.p, lda, (double *)B.p + boff, ldb, beta,
                 (double *)C.p + c0, ldc);
    else
        nn_sgemm(transA, transB, M, c1 - c0, K, (float)alpha, (float *)A.p, lda, (float *)B.p + boff, ldb,
                 (float)beta, (float *)C.p + c0, ldc);
}

static int failures = 0, checks = 0;
static double worst_rel[2];  // max |err| / bound-scale seen, per type, for the summary

static int cmp_long(const void *a, const void *b) { long x = *(const long *)a, y = *(const long *)b; return (x > y) - (x < y); }

static void check(int dbl, int portable, long M, long K, long N, int transA, int transB, long pad, double alpha,
                  double beta) {
    nn_kernels_force_portable(portable);
    const long lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
    const long arows = transA ? K : M, brows = transB ? N : K;
    buf A = buf_new(dbl, (size_t)(arows * lda)), B = buf_new(dbl, (size_t)(brows * ldb));
    buf C0 = buf_new(dbl, (size_t)(M * ldc)), C1 = buf_new(dbl, (size_t)(M * ldc)), C2 = buf_new(dbl, (size_t)(M * ldc));
    for (size_t i = 0; i < A.n; i++) set(A, i, uniform());
    for (size_t i = 0; i < B.n; i++) set(B, i, uniform());
    for (size_t i = 0; i < C0.n; i++) set(C0, i, beta == 0 ? NAN : uniform());
    const char *name = dbl ? "double" : "float";
    const char *path = portable ? "portable" : "avx2";
    char what[160];
    snprintf(what, sizeof what, "%s %s M=%ld K=%ld N=%ld tA=%d tB=%d pad=%ld alpha=%g beta=%g", name, path, M, K, N,
             transA, transB, pad, alpha, beta);

    // 1. One call vs. the reference.
    memcpy(C1.p, C0.p, C0.n * esize(C0));
    call_rows(transA, transB, 0, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
    const double u = dbl ? 0x1p-53 : 0x1p-24;
    double worst = 0;
    int bad = 0;
    for (long i = 0; i < M && !bad; i++)
        for (long j = 0; j < N; j++) {
            double s = 0, sa = 0;
            for (long k = 0; k < K; k++) {
                double a = get(A, (size_t)(transA ? k * lda + i : i * lda + k));
                double b = get(B, (size_t)(transB ? j * ldb + k : k * ldb + j));
                s += a * b;
                sa += fabs(a * b);
            }
            double c0 = beta == 0 ? 0 : get(C0, (size_t)(i * ldc + j));
            double ref = alpha * s + beta * c0;
            double scale = fabs(alpha) * sa + fabs(beta) * fabs(c0);
            double err = fabs(get(C1, (size_t)(i * ldc + j)) - ref);
            // Worst-case bound for a length-K dot product plus the alpha/beta combine: (K+3) u |a||b| terms.
            double bound = 2.0 * (double)(K + 3) * u * scale + 1e-300;
            if (!(err <= bound)) {
                printf("FAIL value %s: C[%ld,%ld] = %.9g, reference %.9g (error %.3g > bound %.3g)\n", what, i, j,
                       get(C1, (size_t)(i * ldc + j)), ref, err, bound);
                bad = 1;
                break;
            }
            if (scale > 0 && err / (u * scale) > worst) worst = err / (u * scale);
        }
    if (worst > worst_rel[dbl]) worst_rel[dbl] = worst;
    checks++;
    failures += bad;
    // Padding columns of C must be untouched.
    for (long i = 0; i < M && pad; i++)
        for (long j = N; j < ldc; j++)
            if (memcmp((char *)C1.p + (size_t)(i * ldc + j) * esize(C1), (char *)C0.p + (size_t)(i * ldc + j) * esize(C0),
                       esize(C1)) != 0) {
                printf("FAIL padding %s: C[%ld,%ld] written\n", what, i, j);
                failures++;
                i = M;
                break;
            }

    // 2. Row splits must be bit-identical to the single call.
    long cands[][6] = {{1}, {7}, {M / 2}, {M - 1}, {1, 7, M / 2, M - 1, M / 3, 2 * M / 3}, {-1}};
    for (size_t s = 0; s < sizeof cands / sizeof cands[0]; s++) {
        long cuts[4096];
        int nc = 0;
        if (cands[s][0] == -1) {  // every row on its own (every 13th for large M)
            long step = M <= 64 ? 1 : 13;
            for (long r = step; r < M && nc < 4000; r += step) cuts[nc++] = r;
        } else {
            for (int t = 0; t < 6; t++)
                if (cands[s][t] > 0 && cands[s][t] < M) cuts[nc++] = cands[s][t];
        }
        if (nc == 0) continue;
        qsort(cuts, (size_t)nc, sizeof cuts[0], cmp_long);
        memcpy(C2.p, C0.p, C0.n * esize(C0));
        long r0 = 0;
        for (int t = 0; t <= nc; t++) {
            long r1 = t < nc ? cuts[t] : M;
            if (r1 > r0) call_rows(transA, transB, r0, r1, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
            r0 = r1;
        }
        checks++;
        if (memcmp(C1.p, C2.p, C1.n * esize(C1)) != 0) {
            long first = -1;
            for (size_t i = 0; i < C1.n; i++)
                if (memcmp((char *)C1.p + i * esize(C1), (char *)C2.p + i * esize(C2), esize(C1)) != 0) { first = (long)i; break; }
            printf("FAIL split %s: %d cut(s) starting at %ld; first difference at C[%ld,%ld]\n", what, nc, cuts[0],
                   first / ldc, first % ldc);
            failures++;
        }
    }
    // 3. Column splits likewise.
    long ccands[][6] = {{1}, {8}, {16}, {N / 2}, {N - 1}, {1, 8, 16, N / 2, N - 1, N / 3}, {-1}};
    for (size_t s = 0; s < sizeof ccands / sizeof ccands[0]; s++) {
        long cuts[4096];
        int nc = 0;
        if (ccands[s][0] == -1) {  // every column on its own (every 13th for large N)
            long step = N <= 64 ? 1 : 13;
            for (long c = step; c < N && nc < 4000; c += step) cuts[nc++] = c;
        } else {
            for (int t = 0; t < 6; t++)
                if (ccands[s][t] > 0 && ccands[s][t] < N) cuts[nc++] = ccands[s][t];
        }
        if (nc == 0) continue;
        qsort(cuts, (size_t)nc, sizeof cuts[0], cmp_long);
        memcpy(C2.p, C0.p, C0.n * esize(C0));
        long c0 = 0;
        for (int t = 0; t <= nc; t++) {
            long c1 = t < nc ? cuts[t] : N;
            if (c1 > c0) call_cols(transA, transB, M, c0, c1, K, alpha, A, lda, B, ldb, beta, C2, ldc);
            c0 = c1;
        }
        checks++;
        if (memcmp(C1.p, C2.p, C1.n * esize(C1)) != 0) {
            printf("FAIL column split %s: %d cut(s) starting at %ld\n", what, nc, cuts[0]);
            failures++;
        }
    }
    // 4. The threaded entry points (the worker pool, blocks of rows or columns), 2 and 3 threads.
    for (long threads = 2; threads <= 3; threads++) {
        memcpy(C2.p, C0.p, C0.n * esize(C0));
        if (dbl)
            nn_dgemm_threads(threads, transA, transB, M, N, K, alpha, A.p, lda, B.p, ldb, beta, C2.p, ldc);
        else
            nn_sgemm_threads(threads, transA, transB, M, N, K, (float)alpha, A.p, lda, B.p, ldb, (float)beta, C2.p, ldc);
        checks++;
        if (memcmp(C1.p, C2.p, C1.n * esize(C1)) != 0) {
            printf("FAIL %ld threads %s\n", threads, what);
            failures++;
        }
    }
    free(A.p); free(B.p); free(C0.p); free(C1.p); free(C2.p);
}

int main(void) {
    // (M, K, N). Inference (M=1), the gradient check (3,784,50), (3,50,10), MLP training with batch 100
    // forward and backward, odd sizes, K beyond one K block (KC=256) and uneven, M beyond one M block
    // (MC=144 float / 72 double), N beyond one N block (NC=2048 float / 1024 double), and K=0.
    static const long shapes[][3] = {
        {1, 1, 1}, {7, 13, 5}, {3, 784, 50}, {3, 50, 10}, {1, 784, 100}, {1, 784, 10}, {2, 300, 70}, {4, 9, 3},
        {5, 257, 33}, {100, 784, 100}, {100, 100, 10}, {784, 100, 100}, {150, 520, 40}, {9, 300, 2100},
        {3, 0, 4}, {6, 1, 17}, {13, 1000, 25}, {50, 784, 300}, {40, 60, 200},
    };
    static const double ab[][2] = {{1, 0}, {0.75, 1}, {-1.5, 0.5}};
    const int fast = nn_cpu_has_avx2_fma();
    printf("AVX2+FMA path: %s\n", fast ? "available, tested" : "not available, portable only");
    for (int dbl = 0; dbl < 2; dbl++)
        for (int portable = fast ? 0 : 1; portable < 2; portable++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
                for (int t = 0; t < 4; t++)
                    for (size_t a = 0; a < sizeof ab / sizeof ab[0]; a++) {
                        const long M = shapes[s][0], K = shapes[s][1], N = shapes[s][2];
                        // The portable path is slow: skip its largest shapes for the non-trivial alpha/beta.
                        if (portable && a > 0 && M * K * N > 2000000) continue;
                        check(dbl, portable, M, K, N, t >> 1, t & 1, (s + (size_t)t) % 3 == 0 ? 5 : 0, ab[a][0], ab[a][1]);
                    }
    // M = 0 and N = 0 must not touch anything.
    nn_sgemm(0, 0, 0, 5, 5, 1, NULL, 5, NULL, 5, 0, NULL, 5);
    nn_dgemm(1, 1, 5, 0, 5, 1, NULL, 5, NULL, 5, 0, NULL, 5);
    printf("%d checks, %d failures; worst error / (u * sum|alpha a b| + |beta c|): float %.2f, double %.2f\n", checks,
           failures, worst_rel[0], worst_rel[1]);
    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
