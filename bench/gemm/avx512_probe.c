// avx512_probe.c: would an AVX-512 micro-kernel beat the package's AVX2 6x16 one on this CPU?
//
// Zen 4 executes a 512-bit FMA as two 256-bit halves, so its FMA peak per cycle is the same with ymm and
// zmm registers; what AVX-512 can still win is fewer instructions per FMA (a broadcast folded into the
// FMA's memory operand, one load per 16 floats instead of 8) and 32 registers for a taller tile. This
// measures exactly the part of the GEMM those change: the macro-kernel, i.e. one packed A block
// (MC = 144 rows x KC = 256, in L2) against one packed B block (KC x 512 columns, panels of 16 columns),
// writing C (144 x 512), with the packing layouts the package uses. Every variant computes each C element
// with the same sequence of FMAs in the same k order (and the program checks the bits agree), so a faster
// variant could replace the AVX2 one without changing any result.
//
//   register peak : independent FMAs on registers only, ymm and zmm (the ceiling)
//   avx2 6x16     : the package's kernel_6x2 (12 ymm accumulators, 2 B loads + 6 broadcasts per k)
//   avx512 12x16  : 12 zmm accumulators, 1 B load + 12 FMAs with a broadcast memory operand per k
//   avx512 6x32   : 12 zmm accumulators, 2 B loads + 6 broadcast FMAs per k (B panels of 32 columns)
//   avx512 14x32  : 28 zmm accumulators, 2 B loads + 14 broadcasts per k
//
// Build and run (single thread, timed by the thread's CPU time, best of 200 repeats):
//   /opt/swift/usr/bin/clang -O2 bench/gemm/avx512_probe.c -o .build-gemm/avx512_probe && .build-gemm/avx512_probe
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MC = 144, KC = 256, NB = 512 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// ---- register peak ----
__attribute__((target("avx2,fma"))) static float peak_ymm(long n) {
    __m256 a[12], b = _mm256_set1_ps(1.0001f), c = _mm256_set1_ps(0.9999f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
    float s = 0;
    for (int i = 0; i < 12; i++) s += a[i][0];
    return s;
}
__attribute__((target("avx512f"))) static float peak_zmm(long n) {
    __m512 a[12], b = _mm512_set1_ps(1.0001f), c = _mm512_set1_ps(0.9999f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
    float s = 0;
    for (int i = 0; i < 12; i++) s += a[i][0];
    return s;
}

// ---- micro-kernels: acc over kc steps, then C = acc (beta = 0, alpha = 1) ----
__attribute__((target("avx2,fma"))) static void k_avx2_6x16(long kc, const float *a, const float *b, float *c, long ldc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (long k = 0; k < kc; k++, a += 6, b += 16) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 ar;
        ar = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(ar, b0, c00); c01 = _mm256_fmadd_ps(ar, b1, c01);
        ar = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(ar, b0, c10); c11 = _mm256_fmadd_ps(ar, b1, c11);
        ar = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(ar, b0, c20); c21 = _mm256_fmadd_ps(ar, b1, c21);
        ar = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(ar, b0, c30); c31 = _mm256_fmadd_ps(ar, b1, c31);
        ar = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(ar, b0, c40); c41 = _mm256_fmadd_ps(ar, b1, c41);
        ar = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(ar, b0, c50); c51 = _mm256_fmadd_ps(ar, b1, c51);
    }
    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int r = 0; r < 6; r++) {
        _mm256_storeu_ps(c + r * ldc, acc[2 * r]);
        _mm256_storeu_ps(c + r * ldc + 8, acc[2 * r + 1]);
    }
}

// R rows x V zmm vectors of 16 columns; R and V are constants at each call site.
__attribute__((always_inline, target("avx512f"))) static inline void k_avx512(const int R, const int V, long kc, const float *a,
                                                                             const float *b, float *c, long ldc) {
    __m512 acc[14][2];
#pragma GCC unroll 14
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    for (long k = 0; k < kc; k++, a += R, b += 16 * V) {
        __m512 bv[2];
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 14
        for (int r = 0; r < R; r++) {
            const __m512 ar = _mm512_set1_ps(a[r]);
#pragma GCC unroll 2
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 14
    for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
}
__attribute__((target("avx512f"))) static void k_avx512_12x16(long kc, const float *a, const float *b, float *c, long ldc) {
    k_avx512(12, 1, kc, a, b, c, ldc);
}
__attribute__((target("avx512f"))) static void k_avx512_6x32(long kc, const float *a, const float *b, float *c, long ldc) {
    k_avx512(6, 2, kc, a, b, c, ldc);
}
__attribute__((target("avx512f"))) static void k_avx512_14x32(long kc, const float *a, const float *b, float *c, long ldc) {
    k_avx512(14, 2, kc, a, b, c, ldc);
}

typedef void (*kernel)(long, const float *, const float *, float *, long);

// Packs A [MC, KC] (row-major) into panels of mr rows laid out [k][r], B [KC, NB] into panels of nr columns
// laid out [k][j] (the package's layouts), then runs the macro-kernel: panel of B outer, panel of A inner.
static double run(kernel f, int mr, int nr, const float *A, const float *B, float *C, int repeats) {
    const int rows = MC / mr * mr;  // whole tiles only (144 = 12*12 = 6*24; 14 rows: 140)
    float *ap = aligned_alloc(64, sizeof(float) * MC * KC), *bp = aligned_alloc(64, sizeof(float) * KC * NB);
    for (int i = 0; i < rows; i += mr)
        for (int k = 0; k < KC; k++)
            for (int r = 0; r < mr; r++) ap[i * KC + k * mr + r] = A[(i + r) * KC + k];
    for (int j = 0; j < NB; j += nr)
        for (int k = 0; k < KC; k++)
            for (int jj = 0; jj < nr; jj++) bp[j * KC + k * nr + jj] = B[k * NB + j + jj];
    double best = 1e30;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now();
        for (int j = 0; j < NB; j += nr)
            for (int i = 0; i < rows; i += mr) f(KC, ap + i * KC, bp + j * KC, C + i * NB + j, NB);
        double t = now() - t0;
        if (t < best) best = t;
    }
    free(ap);
    free(bp);
    return 2.0 * rows * NB * KC / best * 1e-9;
}

int main(void) {
    if (!__builtin_cpu_supports("avx512f")) { puts("no AVX-512 on this CPU"); return 0; }
    float *A = malloc(sizeof(float) * MC * KC), *B = malloc(sizeof(float) * KC * NB);
    float *C0 = calloc(MC * NB, sizeof(float)), *C1 = calloc(MC * NB, sizeof(float));
    srand(7);
    for (int i = 0; i < MC * KC; i++) A[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (int i = 0; i < KC * NB; i++) B[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    long n = 50000000;
    double t0 = now();
    volatile float sink = peak_ymm(n);
    double t1 = now();
    printf("register peak, ymm FMAs: %.1f GFLOP/s\n", n * 12 * 16 / (t1 - t0) * 1e-9);
    t0 = now();
    sink = peak_zmm(n);
    t1 = now();
    printf("register peak, zmm FMAs: %.1f GFLOP/s\n", n * 12 * 32 / (t1 - t0) * 1e-9);
    (void)sink;
    printf("macro-kernel, A %dx%d x B %dx%d, best of 200:\n", MC, KC, KC, NB);
    printf("  avx2   6x16 : %.1f GFLOP/s\n", run(k_avx2_6x16, 6, 16, A, B, C0, 200));
    struct { const char *name; kernel f; int mr, nr; } v[] = {
        {"avx512 12x16", k_avx512_12x16, 12, 16}, {"avx512  6x32", k_avx512_6x32, 6, 32}, {"avx512 14x32", k_avx512_14x32, 14, 32}};
    for (int i = 0; i < 3; i++) {
        memset(C1, 0, sizeof(float) * MC * NB);
        double g = run(v[i].f, v[i].mr, v[i].nr, A, B, C1, 200);
        const int rows = MC / v[i].mr * v[i].mr;
        printf("  %s : %.1f GFLOP/s, %s\n", v[i].name, g,
               memcmp(C0, C1, sizeof(float) * rows * NB) == 0 ? "same bits as avx2" : "BITS DIFFER");
    }
    return 0;
}
