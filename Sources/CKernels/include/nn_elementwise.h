// nn_elementwise.h: the element-wise loops of a training step that are not matrix products: optimizer
// updates with the weight decay fused in, the byte-to-float batch conversion and the decay term's sum of
// squares. For float (_f) and double (_d).
//
// Every function except the sums computes each element by exactly the operations the plain loop in its
// comment shows (no fused multiply-adds; correctly rounded sqrt and division), so vector widths and the
// run-time choice of AVX2 or AVX-512 never change a result, and calls over disjoint ranges of the arrays
// (one per thread) give the same bits as one call.
//
// decay: the L2 weight-decay gradient term, g' = g + decay * w (w before the update), as Network.gradient
// adds it; 0 means none (the plain g is used, not g + 0*w).
#ifndef NN_ELEMENTWISE_H
#define NN_ELEMENTWISE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// SGD: w -= lr * g'
void nn_sgd_f(long n, float *w, const float *g, float lr, float decay);
void nn_sgd_d(long n, double *w, const double *g, double lr, double decay);

/// Momentum: v = mu * v - lr * g'; w += v
void nn_momentum_f(long n, float *w, const float *g, float *v, float lr, float mu, float decay);
void nn_momentum_d(long n, double *w, const double *g, double *v, double lr, double mu, double decay);

/// AdaGrad: h += g' * g'; w -= lr * g' / (sqrt(h) + eps)
void nn_adagrad_f(long n, float *w, const float *g, float *h, float lr, float eps, float decay);
void nn_adagrad_d(long n, double *w, const double *g, double *h, double lr, double eps, double decay);

/// Adam (the book's form): m += c1 * (g' - m); v += c2 * (g' * g' - v); w -= lr_t * m / (sqrt(v) + eps)
void nn_adam_f(long n, float *w, const float *g, float *m, float *v, float lr_t, float c1, float c2, float eps,
               float decay);
void nn_adam_d(long n, double *w, const double *g, double *m, double *v, double lr_t, double c1, double c2,
               double eps, double decay);

/// Rows `rows[0..<count]` of a byte matrix with `cols` columns (row stride cols) as floats:
/// dst[r * cols + j] = (float)src[rows[r] * cols + j] * scale + offset.
void nn_gather_bytes_f(const uint8_t *src, long cols, const long *rows, long count, float scale, float offset,
                       float *dst);
void nn_gather_bytes_d(const uint8_t *src, long cols, const long *rows, long count, double scale, double offset,
                       double *dst);

/// sum of x[i]^2, accumulated in double in a fixed order that depends on n only (16 interleaved partial
/// sums, then added pairwise); not the sequential sum's rounding.
double nn_sum_squares_f(long n, const float *x);
double nn_sum_squares_d(long n, const double *x);

/// Batch norm on x [b, n*p] (feature j at position s of sample r is x[(r*n + j)*p + s]), features j0..<j1:
/// mean[j] and var[j] over the b*p values (two passes; each sum over r in order of an eight-lane sum over
/// the p positions, NNCore's laneSum order); var is the mean squared deviation.
void nn_batchnorm_stats_f(long b, long n, long p, long j0, long j1, const float *x, float *mean, float *var);
void nn_batchnorm_stats_d(long b, long n, long p, long j0, long j1, const double *x, double *mean, double *var);
/// xn = (x - mean[j]) / std[j]; y = gamma[j] * xn + beta[j]
void nn_batchnorm_normalize_f(long b, long n, long p, long j0, long j1, const float *x, const float *mean,
                              const float *std, const float *gamma, const float *beta, float *xn, float *y);
void nn_batchnorm_normalize_d(long b, long n, long p, long j0, long j1, const double *x, const double *mean,
                              const double *std, const double *gamma, const double *beta, double *xn, double *y);
/// dbeta[j] = sum dout, dgamma[j] = sum dout * xn (sums as in stats);
/// dx = gamma[j] / std[j] * (dout - dbeta[j] / (b*p) - xn * dgamma[j] / (b*p))
void nn_batchnorm_backward_f(long b, long n, long p, long j0, long j1, const float *dout, const float *xn,
                             const float *gamma, const float *std, float *dbeta, float *dgamma, float *dx);
void nn_batchnorm_backward_d(long b, long n, long p, long j0, long j1, const double *dout, const double *xn,
                             const double *gamma, const double *std, double *dbeta, double *dgamma, double *dx);

/// sums[j] = x[0, j] + x[1, j] + ... + x[rows-1, j] (from 0, rows in order) for x [rows, cols]: a
/// bias gradient.
void nn_column_sums_f(long rows, long cols, const float *x, float *sums);
void nn_column_sums_d(long rows, long cols, const double *x, double *sums);

/// Dropout's mask from xoshiro256** (state[4], advanced n draws): mask[i] = keep when the draw's top 53
/// bits are >= threshold (ceil(ratio * 2^53)), else 0.
void nn_dropout_mask_f(long n, uint64_t *state, uint64_t threshold, float keep, float *mask);
void nn_dropout_mask_d(long n, uint64_t *state, uint64_t threshold, double keep, double *mask);

#ifdef __cplusplus
}
#endif
#endif
