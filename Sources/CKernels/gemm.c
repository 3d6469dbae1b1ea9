// gemm.c: row-major GEMM for float and double.
//
// Structure: op(A) and op(B) are read through plain loops ordered i, k, j so the innermost loop runs over
// contiguous rows of B and C and vectorises; transposed operands are handled by the loop order, not by
// copies. The same source is compiled twice: once for AVX2+FMA (chosen at run time) and once portable.
#include "nn_kernels.h"
#include <stddef.h>

static int force_portable = 0;
void nn_kernels_force_portable(int on) { force_portable = on; }

int nn_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#define GEMM_BODY(T)                                                                              \
    for (long i = 0; i < M; i++) {                                                                \
        T *c = C + i * ldc;                                                                       \
        if (beta == 0) { for (long j = 0; j < N; j++) c[j] = 0; }                                 \
        else if (beta != 1) { for (long j = 0; j < N; j++) c[j] *= beta; }                       \
    }                                                                                             \
    if (!transB) {                                                                                \
        /* C[i,:] += a(i,k) * B[k,:] : the inner loop is a contiguous axpy. */                    \
        for (long i = 0; i < M; i++) {                                                            \
            T *restrict c = C + i * ldc;                                                          \
            for (long k = 0; k < K; k++) {                                                        \
                const T a = alpha * (transA ? A[k * lda + i] : A[i * lda + k]);                   \
                const T *restrict b = B + k * ldb;                                                \
                for (long j = 0; j < N; j++) c[j] += a * b[j];                                    \
            }                                                                                     \
        }                                                                                         \
    } else {                                                                                      \
        /* C[i,j] += dot(op(A)[i,:], B[j,:]) : B rows are contiguous over k. */                   \
        for (long i = 0; i < M; i++) {                                                            \
            T *restrict c = C + i * ldc;                                                          \
            for (long j = 0; j < N; j++) {                                                        \
                const T *restrict b = B + j * ldb;                                                \
                T s = 0;                                                                          \
                if (!transA) { const T *restrict a = A + i * lda; for (long k = 0; k < K; k++) s += a[k] * b[k]; } \
                else { for (long k = 0; k < K; k++) s += A[k * lda + i] * b[k]; }                 \
                c[j] += alpha * s;                                                                \
            }                                                                                     \
        }                                                                                         \
    }

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void sgemm_avx2(int transA, int transB, long M, long N, long K, float alpha, const float *A, long lda,
                       const float *B, long ldb, float beta, float *C, long ldc) { GEMM_BODY(float) }
__attribute__((target("avx2,fma")))
static void dgemm_avx2(int transA, int transB, long M, long N, long K, double alpha, const double *A, long lda,
                       const double *B, long ldb, double beta, double *C, long ldc) { GEMM_BODY(double) }
#endif

static void sgemm_portable(int transA, int transB, long M, long N, long K, float alpha, const float *A, long lda,
                           const float *B, long ldb, float beta, float *C, long ldc) { GEMM_BODY(float) }
static void dgemm_portable(int transA, int transB, long M, long N, long K, double alpha, const double *A, long lda,
                           const double *B, long ldb, double beta, double *C, long ldc) { GEMM_BODY(double) }

static int use_fast(void) {
    static int cached = -1;
    if (cached < 0) cached = nn_cpu_has_avx2_fma();
    return cached && !force_portable;
}

void nn_sgemm(int transA, int transB, long M, long N, long K, float alpha, const float *A, long lda,
              const float *B, long ldb, float beta, float *C, long ldc) {
#if defined(__x86_64__)
    if (use_fast()) { sgemm_avx2(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); return; }
#endif
    sgemm_portable(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_dgemm(int transA, int transB, long M, long N, long K, double alpha, const double *A, long lda,
              const double *B, long ldb, double beta, double *C, long ldc) {
#if defined(__x86_64__)
    if (use_fast()) { dgemm_avx2(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); return; }
#endif
    dgemm_portable(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
