// nn_kernels.h: the dense matrix products every layer spends its time in.
//
// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major with leading dimensions lda/ldb/ldc.
// op(X) is X, or X transposed when trans* is non-zero (then X is stored [K,M] or [N,K]).
//
// Determinism: every element of C is computed by the same sequence of operations (the same k order, the
// same fused or unfused multiply-adds) whatever sub-block of C a call covers, so splitting C across threads
// by rows or columns gives bit-identical results to one call over the whole of C (the sequence is spelled out at the
// top of gemm.c). The AVX2/FMA code path is chosen at run time (nn_cpu_has_avx2_fma); other CPUs get
// portable C, which is deterministic in the same way but not bit-identical to the AVX2 path.
// BLAS conventions: C is not read when beta == 0; when alpha == 0 or K == 0, A and B are not read and
// C = beta * C. Calls may run concurrently from any threads; nn_kernels_force_portable is process-wide.
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

void nn_sgemm(int transA, int transB, long M, long N, long K, float alpha, const float *A, long lda,
              const float *B, long ldb, float beta, float *C, long ldc);

void nn_dgemm(int transA, int transB, long M, long N, long K, double alpha, const double *A, long lda,
              const double *B, long ldb, double beta, double *C, long ldc);

/// The same products, split across up to `threads` threads (the calling one and the worker pool's) when
/// they are large enough: C in blocks of rows, or of columns when C is wider than tall. Bit-identical to
/// nn_sgemm / nn_dgemm for any thread count.
void nn_sgemm_threads(long threads, int transA, int transB, long M, long N, long K, float alpha, const float *A,
                      long lda, const float *B, long ldb, float beta, float *C, long ldc);
void nn_dgemm_threads(long threads, int transA, int transB, long M, long N, long K, double alpha, const double *A,
                      long lda, const double *B, long ldb, double beta, double *C, long ldc);

/// 1 when the CPU has AVX2 and FMA (the fast path), else 0.
int nn_cpu_has_avx2_fma(void);

/// 1 when the AVX2 code paths run: the CPU has them and the portable path is not forced.
int nn_kernels_use_fast(void);

/// Forces the portable path (for tests and benchmarks): 1 = portable only, 0 = auto.
void nn_kernels_force_portable(int on);

typedef void (*nn_task_fn)(void *context, long index);

/// Runs fn(context, i) for every i in 0..<count, on the calling thread and up to threads-1 persistent
/// worker threads (pool.c); returns when all are done. Serial when the pool is busy (nested or concurrent
/// calls), so tasks must not depend on running in parallel.
void nn_parallel_run(long count, long threads, nn_task_fn fn, void *context);

#ifdef __cplusplus
}
#endif
#endif
