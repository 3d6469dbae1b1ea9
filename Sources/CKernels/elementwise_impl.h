// elementwise_impl.h: the loops of elementwise.c, written once and included for float and for double.
// Expects REAL, FN(name), SQRT and LOAD_D4. Not a public header.
//
// Each body names its operation order in the comment; "g'" is the gradient with the decay term,
// g + decay * w, where decay != 0 (a separate loop without it keeps decay == 0 exactly the plain g).

BODY void FN(sgd_body)(long n, REAL *restrict w, const REAL *restrict g, REAL lr, REAL decay) {
    if (decay != 0) {
        for (long i = 0; i < n; i++) { const REAL gi = g[i] + decay * w[i]; w[i] = w[i] - lr * gi; }
    } else {
        for (long i = 0; i < n; i++) w[i] = w[i] - lr * g[i];
    }
}
DISPATCH(FN(nn_sgd), FN(sgd_body), (long n, REAL *w, const REAL *g, REAL lr, REAL decay), (n, w, g, lr, decay))

// v = (mu * v) - (lr * g'); w = w + v
BODY void FN(momentum_body)(long n, REAL *restrict w, const REAL *restrict g, REAL *restrict v, REAL lr, REAL mu,
                            REAL decay) {
    if (decay != 0) {
        for (long i = 0; i < n; i++) {
            const REAL gi = g[i] + decay * w[i];
            const REAL vi = mu * v[i] - lr * gi;
            v[i] = vi;
            w[i] = w[i] + vi;
        }
    } else {
        for (long i = 0; i < n; i++) {
            const REAL vi = mu * v[i] - lr * g[i];
            v[i] = vi;
            w[i] = w[i] + vi;
        }
    }
}
DISPATCH(FN(nn_momentum), FN(momentum_body), (long n, REAL *w, const REAL *g, REAL *v, REAL lr, REAL mu, REAL decay),
         (n, w, g, v, lr, mu, decay))

// h = h + g' * g'; w = w - (lr * g') / (sqrt(h) + eps)
BODY void FN(adagrad_body)(long n, REAL *restrict w, const REAL *restrict g, REAL *restrict h, REAL lr, REAL eps,
                           REAL decay) {
    if (decay != 0) {
        for (long i = 0; i < n; i++) {
            const REAL gi = g[i] + decay * w[i];
            const REAL hi = h[i] + gi * gi;
            h[i] = hi;
            w[i] = w[i] - lr * gi / (SQRT(hi) + eps);
        }
    } else {
        for (long i = 0; i < n; i++) {
            const REAL gi = g[i];
            const REAL hi = h[i] + gi * gi;
            h[i] = hi;
            w[i] = w[i] - lr * gi / (SQRT(hi) + eps);
        }
    }
}
DISPATCH(FN(nn_adagrad), FN(adagrad_body), (long n, REAL *w, const REAL *g, REAL *h, REAL lr, REAL eps, REAL decay),
         (n, w, g, h, lr, eps, decay))

// m = m + c1 * (g' - m); v = v + c2 * (g' * g' - v); w = w - (lr_t * m) / (sqrt(v) + eps)
BODY void FN(adam_body)(long n, REAL *restrict w, const REAL *restrict g, REAL *restrict m, REAL *restrict v, REAL lr_t,
                        REAL c1, REAL c2, REAL eps, REAL decay) {
    if (decay != 0) {
        for (long i = 0; i < n; i++) {
            const REAL gi = g[i] + decay * w[i];
            const REAL mi = m[i] + c1 * (gi - m[i]);
            const REAL vi = v[i] + c2 * (gi * gi - v[i]);
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] - lr_t * mi / (SQRT(vi) + eps);
        }
    } else {
        for (long i = 0; i < n; i++) {
            const REAL gi = g[i];
            const REAL mi = m[i] + c1 * (gi - m[i]);
            const REAL vi = v[i] + c2 * (gi * gi - v[i]);
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] - lr_t * mi / (SQRT(vi) + eps);
        }
    }
}
DISPATCH(FN(nn_adam), FN(adam_body),
         (long n, REAL *w, const REAL *g, REAL *m, REAL *v, REAL lr_t, REAL c1, REAL c2, REAL eps, REAL decay),
         (n, w, g, m, v, lr_t, c1, c2, eps, decay))

// dst[r, j] = (REAL)src[rows[r], j] * scale + offset
BODY void FN(gather_body)(const uint8_t *restrict src, long cols, const long *restrict rows, long count, REAL scale,
                          REAL offset, REAL *restrict dst) {
    // The rows are scattered over the whole data set (tens of MB): ask for rows r+1..r+AHEAD while
    // converting row r, so their cache misses overlap instead of coming one row at a time.
    enum { AHEAD = 8 };
    for (long r = 0; r < count && r < AHEAD; r++)
        for (long j = 0; j < cols; j += 64) __builtin_prefetch(src + rows[r] * cols + j);
    for (long r = 0; r < count; r++) {
        if (r + AHEAD < count)
            for (long j = 0; j < cols; j += 64) __builtin_prefetch(src + rows[r + AHEAD] * cols + j);
        const uint8_t *restrict s = src + rows[r] * cols;
        REAL *restrict d = dst + r * cols;
        for (long j = 0; j < cols; j++) d[j] = (REAL)s[j] * scale + offset;
    }
}
DISPATCH(FN(nn_gather_bytes), FN(gather_body),
         (const uint8_t *src, long cols, const long *rows, long count, REAL scale, REAL offset, REAL *dst),
         (src, cols, rows, count, scale, offset, dst))

// acc[i % 16] += (double)x[i] * (double)x[i], then the 16 partial sums pairwise (acc[k] += acc[k + 8],
// then + 4, + 2, + 1): an order that depends on n only. (The products of floats are exact in double.)
// Written with 4-lane vectors of double, lanes 4q..4q+3 in acc4[q]: the plain loop over 16 scalars was
// vectorised badly.
BODY double FN(sum_squares_body)(long n, const REAL *restrict x) {
    d4 acc4[4] = {{0}, {0}, {0}, {0}};
    long i = 0;
    for (; i + 16 <= n; i += 16)
        for (int q = 0; q < 4; q++) {
            const d4 v = LOAD_D4(x + i + 4 * q);
            acc4[q] = acc4[q] + v * v;
        }
    double acc[16];
    for (int k = 0; k < 16; k++) acc[k] = acc4[k / 4][k % 4];
    for (int k = 0; i < n; i++, k++) { const double xi = (double)x[i]; acc[k] = acc[k] + xi * xi; }
    for (int width = 8; width >= 1; width /= 2)
        for (int k = 0; k < width; k++) acc[k] = acc[k] + acc[k + width];
    return acc[0];
}
VALUE_DISPATCH(double, FN(nn_sum_squares), FN(sum_squares_body), (long n, const REAL *x), (n, x))

// Batch norm over x [b, n*p]: the value of feature j at position s of sample r is x[(r*n + j)*p + s]. Each
// function works on features j0..<j1 (a thread's slice; features never share a sum).
//
// LANE_SUM(n, f): f(0) + ... + f(n-1) in eight lanes (lane i % 8), combined ((0+1)+(2+3))+((4+5)+(6+7)),
// then the last n % 8 added in order: NNCore's laneSum, the same bits. For n < 8 it is (0 + f(0)) + ...
#define LANE_SUM(result, count, expr)                                                          \
    do {                                                                                       \
        REAL lane_[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                              \
        long i_ = 0;                                                                           \
        for (; i_ + 8 <= (count); i_ += 8)                                                     \
            for (int k_ = 0; k_ < 8; k_++) { const long s = i_ + k_; lane_[k_] += (expr); }    \
        REAL sum_ = ((lane_[0] + lane_[1]) + (lane_[2] + lane_[3])) + ((lane_[4] + lane_[5]) + (lane_[6] + lane_[7])); \
        for (; i_ < (count); i_++) { const long s = i_; sum_ += (expr); }                      \
        (result) = sum_;                                                                       \
    } while (0)

// mean[j] = sum over r of LANE_SUM(p, x) (r in order), / (b*p); var[j] likewise of (x - mean[j])^2.
// After a dense layer (p = 1) each sum is x[0,j] + x[1,j] + ... in order, vectorised across j.
BODY void FN(bn_stats_body)(long b, long n, long p, long j0, long j1, const REAL *restrict x, REAL *restrict mean,
                            REAL *restrict var) {
    const REAL count = (REAL)(b * p);
    for (long j = j0; j < j1; j++) { mean[j] = 0; var[j] = 0; }
    if (p == 1) {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) mean[j] += x[r * n + j];
        for (long j = j0; j < j1; j++) mean[j] /= count;
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) { const REAL c = x[r * n + j] - mean[j]; var[j] += c * c; }
    } else {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const REAL *restrict run = x + (r * n + j) * p;
                REAL sum;
                LANE_SUM(sum, p, run[s]);
                mean[j] += sum;
            }
        for (long j = j0; j < j1; j++) mean[j] /= count;
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const REAL *restrict run = x + (r * n + j) * p;
                const REAL mj = mean[j];
                REAL sum;
                LANE_SUM(sum, p, (run[s] - mj) * (run[s] - mj));
                var[j] += sum;
            }
    }
    for (long j = j0; j < j1; j++) var[j] /= count;
}
DISPATCH(FN(nn_batchnorm_stats), FN(bn_stats_body),
         (long b, long n, long p, long j0, long j1, const REAL *x, REAL *mean, REAL *var), (b, n, p, j0, j1, x, mean, var))

// xn = (x - mean[j]) / std[j]; y = gamma[j] * xn + beta[j]
BODY void FN(bn_normalize_body)(long b, long n, long p, long j0, long j1, const REAL *restrict x,
                                const REAL *restrict mean, const REAL *restrict std, const REAL *restrict gamma,
                                const REAL *restrict beta, REAL *restrict xn, REAL *restrict y) {
    if (p == 1) {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const long at = r * n + j;
                const REAL normalised = (x[at] - mean[j]) / std[j];
                xn[at] = normalised;
                y[at] = gamma[j] * normalised + beta[j];
            }
    } else {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const long at = (r * n + j) * p;
                const REAL mj = mean[j], sj = std[j], gj = gamma[j], bj = beta[j];
                for (long s = 0; s < p; s++) {
                    const REAL normalised = (x[at + s] - mj) / sj;
                    xn[at + s] = normalised;
                    y[at + s] = gj * normalised + bj;
                }
            }
    }
}
DISPATCH(FN(nn_batchnorm_normalize), FN(bn_normalize_body),
         (long b, long n, long p, long j0, long j1, const REAL *x, const REAL *mean, const REAL *std, const REAL *gamma,
          const REAL *beta, REAL *xn, REAL *y),
         (b, n, p, j0, j1, x, mean, std, gamma, beta, xn, y))

// dbeta[j] = sum dout; dgamma[j] = sum dout * xn (each over r in order, LANE_SUM over p);
// dx = (gamma[j] / std[j]) * ((dout - dbeta[j] / (b*p)) - xn * (dgamma[j] / (b*p)))
// The three quotients depend on j only: they are computed once per feature, for a block of up to 256
// features at a time, rather than once per value (three divisions per value were most of this loop's time).
BODY void FN(bn_backward_body)(long b, long n, long p, long j0, long j1, const REAL *restrict dout,
                               const REAL *restrict xn, const REAL *restrict gamma, const REAL *restrict std,
                               REAL *restrict dbeta, REAL *restrict dgamma, REAL *restrict dx) {
    enum { BLOCK = 256 };
    const REAL count = (REAL)(b * p);
    for (long j = j0; j < j1; j++) { dbeta[j] = 0; dgamma[j] = 0; }
    if (p == 1) {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const long at = r * n + j;
                dbeta[j] += dout[at];
                dgamma[j] += dout[at] * xn[at];
            }
    } else {
        for (long r = 0; r < b; r++)
            for (long j = j0; j < j1; j++) {
                const REAL *restrict d = dout + (r * n + j) * p, *restrict xr = xn + (r * n + j) * p;
                REAL sd, sdx;
                LANE_SUM(sd, p, d[s]);
                LANE_SUM(sdx, p, d[s] * xr[s]);
                dbeta[j] += sd;
                dgamma[j] += sdx;
            }
    }
    REAL scale[BLOCK], meanD[BLOCK], meanDX[BLOCK];
    for (long jb = j0; jb < j1; jb += BLOCK) {
        const long width = j1 - jb < BLOCK ? j1 - jb : BLOCK;
        for (long k = 0; k < width; k++) {
            scale[k] = gamma[jb + k] / std[jb + k];
            meanD[k] = dbeta[jb + k] / count;
            meanDX[k] = dgamma[jb + k] / count;
        }
        if (p == 1) {
            for (long r = 0; r < b; r++)
                for (long k = 0; k < width; k++) {
                    const long at = r * n + jb + k;
                    dx[at] = scale[k] * (dout[at] - meanD[k] - xn[at] * meanDX[k]);
                }
        } else {
            for (long r = 0; r < b; r++)
                for (long k = 0; k < width; k++) {
                    const long at = (r * n + jb + k) * p;
                    for (long s = 0; s < p; s++) dx[at + s] = scale[k] * (dout[at + s] - meanD[k] - xn[at + s] * meanDX[k]);
                }
        }
    }
}
DISPATCH(FN(nn_batchnorm_backward), FN(bn_backward_body),
         (long b, long n, long p, long j0, long j1, const REAL *dout, const REAL *xn, const REAL *gamma, const REAL *std,
          REAL *dbeta, REAL *dgamma, REAL *dx),
         (b, n, p, j0, j1, dout, xn, gamma, std, dbeta, dgamma, dx))
#undef LANE_SUM

// sums[j] = 0 + x[0, j] + x[1, j] + ... (rows in order), vectorised across j
BODY void FN(column_sums_body)(long rows, long cols, const REAL *restrict x, REAL *restrict sums) {
    for (long j = 0; j < cols; j++) sums[j] = 0;
    for (long r = 0; r < rows; r++)
        for (long j = 0; j < cols; j++) sums[j] += x[r * cols + j];
}
DISPATCH(FN(nn_column_sums), FN(column_sums_body), (long rows, long cols, const REAL *x, REAL *sums), (rows, cols, x, sums))

// mask[i] = keep if the generator's next 53-bit draw u satisfies u >= threshold (u * 2^-53 >= ratio), else 0;
// xoshiro256** as NNCore's SeededGenerator, state advanced n times. The draws go to a small buffer first
// and are compared in a second, vectorised loop: compilers turn a comparison in the serial loop into a
// branch, which mispredicts `ratio` of the time.
BODY void FN(dropout_mask_body)(long n, uint64_t *restrict state, uint64_t threshold, REAL keep, REAL *restrict mask) {
    enum { CHUNK = 256 };
    uint64_t draws[CHUNK];
    uint64_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
    for (long start = 0; start < n; start += CHUNK) {
        const long count = n - start < CHUNK ? n - start : CHUNK;
        for (long i = 0; i < count; i++) {
            const uint64_t five = s1 * 5;
            draws[i] = (((five << 7) | (five >> 57)) * 9) >> 11;
            const uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = (s3 << 45) | (s3 >> 19);
        }
        for (long i = 0; i < count; i++) mask[start + i] = draws[i] >= threshold ? keep : 0;
    }
    state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
}
DISPATCH(FN(nn_dropout_mask), FN(dropout_mask_body), (long n, uint64_t *state, uint64_t threshold, REAL keep, REAL *mask),
         (n, state, threshold, keep, mask))
