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
