// gemm.c: the dense matrix products every layer spends its time in, for float and double.
//
// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major, with leading dimensions lda/ldb/ldc.
// This is a small GEMM in the style of BLIS/GotoBLAS: op(A) and op(B) are copied ("packed") block by
// block into contiguous panels, and a register-blocked micro-kernel computes one tile of C at a time from
// a panel of A (mr rows) and a panel of B (nr columns). The loops around it and the sizes of the blocks
// are in gemm_impl.h, written once and compiled here for float and for double.
//
// nn_*gemm_threads split C into blocks of rows or columns, one per thread of the worker pool (pool.c),
// each block one call of the same driver. What it deliberately is not: tuned for AVX-512, or a full BLAS
// (no complex types, no triangular forms).
//
// Determinism: every element C[i,j] is computed by exactly this sequence of operations, whatever rows the
// call covers, wherever (i,j) falls in its tile and whichever tile shape the call picked:
//
//     for each k block [k0,k1) (the boundaries depend on K only):
//         acc = 0;  for k = k0, k0+1, ..., k1-1:  acc = fma(op(A)[i,k], op(B)[k,j], acc)
//         first block:  C = (beta == 0) ? alpha*acc : fma(alpha, acc, beta*C)
//         later blocks: C = fma(alpha, acc, C)
//
// Tile shapes, packing, zero padding, masked edge tiles and the swapped orientation used for few columns
// (C^T = B^T A^T; fma(a,b,acc) == fma(b,a,acc)) change where acc lives, never this sequence, so splitting C
// across threads by rows or columns gives results bit-identical to one call (bench/gemm/gemm_test.c checks it). The
// portable path runs the same sequence with `acc + a*b` (fused or not as the compiler targets, the same
// for every element) and skips the swapped orientation.
#include "nn_kernels.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---- run-time dispatch -----------------------------------------------------------------------------

// Both flags are read by every call from any thread: relaxed atomics (any thread computes the same CPU check).
static int force_portable = 0, cpu_fast = -1;
void nn_kernels_force_portable(int on) { __atomic_store_n(&force_portable, on, __ATOMIC_RELAXED); }

int nn_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static int use_fast(void) {
    int fast = __atomic_load_n(&cpu_fast, __ATOMIC_RELAXED);
    if (fast < 0) __atomic_store_n(&cpu_fast, fast = nn_cpu_has_avx2_fma(), __ATOMIC_RELAXED);
    return fast && !__atomic_load_n(&force_portable, __ATOMIC_RELAXED);
}
int nn_kernels_use_fast(void) { return use_fast(); }

// ---- per-thread scratch for the packed panels -------------------------------------------------------
// Calls arrive from several threads at once, so each thread keeps its own two buffers (A block, B block),
// grown on demand and freed when the thread exits. Keeping them avoids a malloc + page faults per call
// (the B block of a 1024x1024 product is 1 MB).

struct scratch { void *p[2]; size_t n[2]; };
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v) {
    struct scratch *s = v;
    free(s->p[0]);
    free(s->p[1]);
    free(s);
}
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static void *scratch(int slot, size_t bytes) {
    pthread_once(&scratch_once, scratch_init);
    struct scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) { fputs("nn_gemm: out of memory\n", stderr); abort(); }
        pthread_setspecific(scratch_key, s);
    }
    if (s->n[slot] < bytes) {
        free(s->p[slot]);
        s->p[slot] = NULL;
        if (posix_memalign(&s->p[slot], 64, bytes) != 0) { fputs("nn_gemm: out of memory\n", stderr); abort(); }
        s->n[slot] = bytes;
    }
    return s->p[slot];
}

static long min_l(long a, long b) { return a < b ? a : b; }
static long round_up(long x, long m) { return (x + m - 1) / m * m; }

// ---- packing 6 rows of a row-major A ---------------------------------------------------------------------
// pack_a turns 6 rows of A (contiguous over k) into [k][6], a transpose. Done one element at a time this was
// a third of the time of (100,100,10); these do it with SSE2 shuffles (baseline x86-64, no run-time check)
// and return how many k columns they packed; pack_a finishes the rest.
#if defined(__x86_64__)
static long pack6_f(const float *a, long lda, long kc, float *dst) {
    long k = 0;
    for (; k + 4 <= kc; k += 4) {  // four k steps: a 4x4 transpose of rows 0-3, pairs for rows 4-5
        const float *p = a + k;
        __m128 r0 = _mm_loadu_ps(p), r1 = _mm_loadu_ps(p + lda), r2 = _mm_loadu_ps(p + 2 * lda);
        __m128 r3 = _mm_loadu_ps(p + 3 * lda), r4 = _mm_loadu_ps(p + 4 * lda), r5 = _mm_loadu_ps(p + 5 * lda);
        __m128 t0 = _mm_unpacklo_ps(r0, r1), t1 = _mm_unpacklo_ps(r2, r3);  // k0,k1 of rows 0-1 / 2-3
        __m128 t2 = _mm_unpackhi_ps(r0, r1), t3 = _mm_unpackhi_ps(r2, r3);  // k2,k3
        __m128 u0 = _mm_unpacklo_ps(r4, r5), u1 = _mm_unpackhi_ps(r4, r5);  // rows 4-5: k0,k1 / k2,k3
        float *d = dst + k * 6;
        _mm_storeu_ps(d, _mm_movelh_ps(t0, t1));      _mm_storel_pi((__m64 *)(d + 4), u0);
        _mm_storeu_ps(d + 6, _mm_movehl_ps(t1, t0));  _mm_storeh_pi((__m64 *)(d + 10), u0);
        _mm_storeu_ps(d + 12, _mm_movelh_ps(t2, t3)); _mm_storel_pi((__m64 *)(d + 16), u1);
        _mm_storeu_ps(d + 18, _mm_movehl_ps(t3, t2)); _mm_storeh_pi((__m64 *)(d + 22), u1);
    }
    return k;
}
static long pack6_d(const double *a, long lda, long kc, double *dst) {
    long k = 0;
    for (; k + 2 <= kc; k += 2)  // two k steps: rows in pairs
        for (int r = 0; r < 6; r += 2) {
            __m128d x = _mm_loadu_pd(a + r * lda + k), y = _mm_loadu_pd(a + (r + 1) * lda + k);
            _mm_storeu_pd(dst + k * 6 + r, _mm_unpacklo_pd(x, y));
            _mm_storeu_pd(dst + (k + 1) * 6 + r, _mm_unpackhi_pd(x, y));
        }
    return k;
}

// The transposed copy of pack_b (B stored [N,K]): rows jj..jj+3 of src (row stride ld), columns 0..<kc,
// written as dst[k*w + jj..jj+3]. A 4x4 (float) or 2x2 (double) SSE transpose per step; returns how many k
// columns it did.
static long packT4_f(const float *src, long ld, long kc, int w, float *dst) {
    long k = 0;
    for (; k + 4 <= kc; k += 4) {
        __m128 r0 = _mm_loadu_ps(src + k), r1 = _mm_loadu_ps(src + ld + k);
        __m128 r2 = _mm_loadu_ps(src + 2 * ld + k), r3 = _mm_loadu_ps(src + 3 * ld + k);
        __m128 t0 = _mm_unpacklo_ps(r0, r1), t1 = _mm_unpacklo_ps(r2, r3);
        __m128 t2 = _mm_unpackhi_ps(r0, r1), t3 = _mm_unpackhi_ps(r2, r3);
        _mm_storeu_ps(dst + k * w, _mm_movelh_ps(t0, t1));
        _mm_storeu_ps(dst + (k + 1) * w, _mm_movehl_ps(t1, t0));
        _mm_storeu_ps(dst + (k + 2) * w, _mm_movelh_ps(t2, t3));
        _mm_storeu_ps(dst + (k + 3) * w, _mm_movehl_ps(t3, t2));
    }
    return k;
}
static long packT4_d(const double *src, long ld, long kc, int w, double *dst) {
    long k = 0;
    for (; k + 2 <= kc; k += 2)
        for (int r = 0; r < 4; r += 2) {
            __m128d x = _mm_loadu_pd(src + r * ld + k), y = _mm_loadu_pd(src + (r + 1) * ld + k);
            _mm_storeu_pd(dst + k * w + r, _mm_unpacklo_pd(x, y));
            _mm_storeu_pd(dst + (k + 1) * w + r, _mm_unpackhi_pd(x, y));
        }
    return k;
}
#else
static long pack6_f(const float *a, long lda, long kc, float *dst) { (void)a; (void)lda; (void)kc; (void)dst; return 0; }
static long pack6_d(const double *a, long lda, long kc, double *dst) { (void)a; (void)lda; (void)kc; (void)dst; return 0; }
static long packT4_f(const float *s, long ld, long kc, int w, float *d) { (void)s; (void)ld; (void)kc; (void)w; (void)d; return 0; }
static long packT4_d(const double *s, long ld, long kc, int w, double *d) { (void)s; (void)ld; (void)kc; (void)w; (void)d; return 0; }
#endif

// ---- vector operations ----------------------------------------------------------------------------------
// The kernels are written with the V_* macros below. V_FMA and V_LOAD use the compiler builtin and a plain
// unaligned vector load, which is what _mm256_fmadd_ps / _mm256_loadu_ps expand to: identical code at -O2,
// but at -O0 (SwiftPM debug builds) the intrinsics' wrapper functions copy every operand through the stack
// and the kernel ran 3x slower (0.9 instead of 3 GFLOP/s).

// ---- float: 8 lanes per AVX2 register ------------------------------------------------------------------
// Blocking (Zen 3: 32 KB L1d, 512 KB L2 per core, L3 shared):
//   KC = 256: a packed B micro-panel (256 x 16 floats = 16 KB) stays in L1 while the A micro-panels
//             (6 x 256 floats = 6 KB each) stream past it from L2.
//   MC = 144: the packed A block (144 x 256 floats = 144 KB) stays in L2; a multiple of every mr (1,2,3,6).
//   NC = 2048: the packed B block (256 x 2048 floats = 2 MB) stays in L3 with room for the other thread's.
#define REAL float
#define LANES 8
#define KC 256
#define MC 144
#define NC 2048
#define FN(name) name##_f
#if defined(__x86_64__)
#define VEC __m256
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) (*(const __m256_u *)(p))
#define V_STORE(p, x) _mm256_storeu_ps(p, x)
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_SET1(x) _mm256_set1_ps(x)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_FMA(a, b, c) ((__m256)__builtin_ia32_vfmaddps256((__v8sf)(a), (__v8sf)(b), (__v8sf)(c)))
#define V_MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_MASKLOAD(p, m) _mm256_maskload_ps(p, m)
#define V_MASKSTORE(p, m, x) _mm256_maskstore_ps(p, m, x)
#define S_MUL(a, b) _mm_cvtss_f32(_mm_mul_ss(_mm_set_ss(a), _mm_set_ss(b)))
#define S_FMA(a, b, c) _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)))
#endif
#include "gemm_impl.h"
#undef REAL
#undef LANES
#undef KC
#undef MC
#undef NC
#undef FN
#undef VEC
#undef V_ZERO
#undef V_LOAD
#undef V_STORE
#undef V_BCAST
#undef V_SET1
#undef V_MUL
#undef V_FMA
#undef V_MASK
#undef V_MASKLOAD
#undef V_MASKSTORE
#undef S_MUL
#undef S_FMA

// ---- double: 4 lanes per AVX2 register -----------------------------------------------------------------
// Same byte sizes as float: KC = 256 (B micro-panel 256 x 8 doubles = 16 KB in L1), MC = 72 (A block
// 72 x 256 doubles = 144 KB in L2), NC = 1024 (B block 2 MB in L3).
#define REAL double
#define LANES 4
#define KC 256
#define MC 72
#define NC 1024
#define FN(name) name##_d
#if defined(__x86_64__)
#define VEC __m256d
#define V_ZERO() _mm256_setzero_pd()
#define V_LOAD(p) (*(const __m256d_u *)(p))
#define V_STORE(p, x) _mm256_storeu_pd(p, x)
#define V_BCAST(p) _mm256_broadcast_sd(p)
#define V_SET1(x) _mm256_set1_pd(x)
#define V_MUL(a, b) _mm256_mul_pd(a, b)
#define V_FMA(a, b, c) ((__m256d)__builtin_ia32_vfmaddpd256((__v4df)(a), (__v4df)(b), (__v4df)(c)))
#define V_MASK(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))
#define V_MASKLOAD(p, m) _mm256_maskload_pd(p, m)
#define V_MASKSTORE(p, m, x) _mm256_maskstore_pd(p, m, x)
#define S_MUL(a, b) _mm_cvtsd_f64(_mm_mul_sd(_mm_set_sd(a), _mm_set_sd(b)))
#define S_FMA(a, b, c) _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c)))
#endif
#include "gemm_impl.h"

// ---- public entry points -------------------------------------------------------------------------------

void nn_sgemm(int transA, int transB, long M, long N, long K, float alpha, const float *A, long lda,
              const float *B, long ldb, float beta, float *C, long ldc) {
    gemm_f(use_fast(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_dgemm(int transA, int transB, long M, long N, long K, double alpha, const double *A, long lda,
              const double *B, long ldb, double beta, double *C, long ldc) {
    gemm_d(use_fast(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_sgemm_threads(long threads, int transA, int transB, long M, long N, long K, float alpha, const float *A,
                      long lda, const float *B, long ldb, float beta, float *C, long ldc) {
    gemm_threads_f(threads, use_fast(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_dgemm_threads(long threads, int transA, int transB, long M, long N, long K, double alpha, const double *A,
                      long lda, const double *B, long ldb, double beta, double *C, long ldc) {
    gemm_threads_d(threads, use_fast(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
