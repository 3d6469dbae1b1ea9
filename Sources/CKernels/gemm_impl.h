// gemm_impl.h: packing, micro-kernels and the blocked driver, written once and included by gemm.c for
// float and for double. Expects REAL, LANES, KC, MC, NC and FN(name) (and on x86_64 VEC and the V_* and
// S_* intrinsics) to be defined. Not a public header.
//
// Tile shapes (mr rows x nv vectors of LANES columns; the accumulators live in registers):
//   M >= 4: 6 x 2 vectors (6x16 float, 6x8 double): 12 accumulators + 2 B vectors + 1 broadcast = 15 of
//           the 16 ymm registers; per k step 2 loads + 6 broadcasts feed 12 FMAs. 12 independent chains
//           cover the FMA latency (4-5 cycles) times the FMA issue rate (1-2 ymm per cycle).
//   M <= 3: M x (8, 6 or 4) vectors: with one to three rows the 6x2 tile would leave FMA slots idle and
//           stall on latency; these keep 8-12 accumulators, e.g. (3,784,50) in double runs as 3 x 16.
// Edge tiles use the same kernels with fewer rows (the last A panel is packed with its own row count) and
// fewer vectors (the last B panel is zero-padded to whole vectors; partial vectors of C are loaded and
// stored with masks). Few columns (N = 10) run in the swapped orientation, see FN(gemm) at the end.
//
// Measured on the 2-core EPYC VM this was tuned on (bench/gemm/RESULTS.md): a register-only FMA loop
// peaks at 40 GFLOP/s float per core (one ymm FMA per cycle), the 6x16 kernel reaches 38-39 of it with
// its operands in L1, and whole products 33-36.

// ---- packing ---------------------------------------------------------------------------------------------

// Columns k_from..<kc of R rows of A (row stride lda) -> [k][R].
static inline void FN(pack_rows)(const int R, const REAL *src, long lda, long k_from, long kc, REAL *dst) {
    for (long k = k_from; k < kc; k++)
        for (int r = 0; r < R; r++) dst[k * R + r] = src[r * lda + k];
}

// Height of the panel of A that starts at row i of a block of mc rows. With mr = 6 and mc not a multiple
// of 6, the rows are shared out evenly over ceil(mc/6) panels of 6 and 5 rows (50 = 5x6 + 4x5), rather
// than whole panels and a last one of 1-5 rows: a 2-row tile runs its FMAs at a third of the rate
// (kernel_2x2 was 6% of a (50,784,300) product). Panel heights change no result (gemm.c's contract).
static inline int FN(panel_rows)(long mc, int mr, long i) {
    if (mr != 6 || mc % mr == 0) return (int)min_l(mr, mc - i);
    const long np = (mc + mr - 1) / mr, q = mc / np, tall = mc % np;  // tall panels of q+1 rows, then q
    return (int)(i < tall * (q + 1) ? q + 1 : q);
}

// op(A)[i0:i0+mc, k0:k0+kc] -> panels of FN(panel_rows) rows laid out [k][r] (the values one k step
// broadcasts are adjacent). A panel of R rows starting at row i is at dst + i*kc (no padding).
static void FN(pack_a)(int transA, const REAL *A, long lda, long i0, long mc, long k0, long kc, int mr,
                       REAL *dst) {
    for (long i = 0, R; i < mc; i += R) {
        R = FN(panel_rows)(mc, mr, i);
        if (!transA) {  // A is [M,K]: each row of the panel is contiguous over k
            const REAL *src = A + (i0 + i) * lda + k0;
            const long done = R == 6 ? FN(pack6)(src, lda, kc, dst) : 0;
            switch (R) {  // a constant row count lets the compiler unroll the r loop (3x faster for M = 3)
            case 1: FN(pack_rows)(1, src, lda, done, kc, dst); break;
            case 2: FN(pack_rows)(2, src, lda, done, kc, dst); break;
            case 3: FN(pack_rows)(3, src, lda, done, kc, dst); break;
            case 4: FN(pack_rows)(4, src, lda, done, kc, dst); break;
            case 5: FN(pack_rows)(5, src, lda, done, kc, dst); break;
            default: FN(pack_rows)(6, src, lda, done, kc, dst); break;
            }
        } else if (R == 6) {  // A is [K,M]: the R values of one k step are contiguous
            for (long k = 0; k < kc; k++) memcpy(dst + k * 6, A + (k0 + k) * lda + i0 + i, 6 * sizeof(REAL));
        } else {
            for (long k = 0; k < kc; k++) {
                const REAL *src = A + (k0 + k) * lda + i0 + i;
                for (int r = 0; r < R; r++) dst[k * R + r] = src[r];
            }
        }
        dst += (long)R * kc;
    }
}

// op(B)[k0:k0+kc, j0:j0+nc] -> panels of nrw columns laid out [k][j]. Panel p starts at dst + p*nrw*kc;
// the last one is w = nc % nrw columns rounded up to whole vectors, padded with zeros (w columns per k).
static void FN(pack_b)(int transB, const REAL *B, long ldb, long k0, long kc, long j0, long nc, int nrw,
                       REAL *dst) {
    if (!transB && nrw == 2 * LANES && nc >= nrw) {
        // The usual case (the 6x2 tile, B not transposed): row by row of B, each row's whole panels at
        // once. Panel by panel instead read 64 bytes from each of kc rows a row stride apart: with
        // strides like 2 KB that defeated the prefetchers and thrashed a few cache sets (the copy ran at
        // 5 GB/s, 11% of a (256,784,512) product).
        const long full = nc / nrw * nrw;
        for (long k = 0; k < kc; k++) {
            const REAL *src = B + (k0 + k) * ldb + j0;
            REAL *d = dst + k * nrw;
            for (long j = 0; j < full; j += nrw) __builtin_memcpy(d + j * kc, src + j, sizeof(REAL) * 2 * LANES);
        }
        if (full == nc) return;
        dst += full * kc;
        j0 += full;
        nc -= full;
    }
    for (long j = 0; j < nc; j += nrw) {
        const int nr = (int)min_l(nrw, nc - j), w = (int)round_up(nr, LANES);
        if (!transB) {  // B is [K,N]: a row of the panel is a contiguous copy
            for (long k = 0; k < kc; k++) {
                const REAL *src = B + (k0 + k) * ldb + j0 + j;
                REAL *d = dst + k * w;
                memcpy(d, src, sizeof(REAL) * (size_t)nr);  // (gcc -O2 leaves the plain loop scalar)
                for (int jj = nr; jj < w; jj++) d[jj] = 0;
            }
        } else {        // B is [N,K]: a transpose, four stored rows at a time
            int jj = 0;
            for (; jj + 4 <= nr; jj += 4) {
                const REAL *src = B + (j0 + j + jj) * ldb + k0;
                const long done = FN(packT4)(src, ldb, kc, w, dst + jj);
                for (int t = 0; t < 4; t++)
                    for (long k = done; k < kc; k++) dst[k * w + jj + t] = src[t * ldb + k];
            }
            for (; jj < nr; jj++) {
                const REAL *src = B + (j0 + j + jj) * ldb + k0;
                for (long k = 0; k < kc; k++) dst[k * w + jj] = src[k];
            }
            for (long k = 0; k < kc; k++)
                for (int jj = nr; jj < w; jj++) dst[k * w + jj] = 0;
        }
        dst += (long)w * kc;
    }
}

// ---- micro-kernels -------------------------------------------------------------------------------------
// One tile: acc[r][j] = sum over the kc steps of a[k*R + r] * b[k*ldb + j], then C = combine(acc) as in the
// contract at the top of gemm.c. a is a packed A panel; b is a packed B panel (ldb = its width) or, for
// small M, B itself. nr <= V*LANES is the number of valid columns of C.

typedef void (*FN(kernel_fn))(long kc, const REAL *a, const REAL *b, long ldb, REAL *c, long ldc, int nr,
                              const REAL *ab, int first);

#if defined(__x86_64__)
// C tile = combine(acc), the last step of the contract; partial vectors with masked loads/stores.
__attribute__((always_inline, target("avx2,fma"))) static inline void FN(store_avx2)(
    const int R, const int V, VEC acc[6][8], REAL *c, long ldc, int nr, const REAL *ab, int first) {
    const REAL alpha = ab[0], beta = ab[1];
    const VEC va = V_SET1(alpha), vb = V_SET1(beta);
    const int scale_c = first && beta != 1, read_c = !(first && beta == 0);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        REAL *cr = c + r * ldc;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) {
            const int n = nr - v * LANES;  // valid columns in this vector
            if (n >= LANES) {
                VEC x = V_MUL(va, acc[r][v]);
                if (read_c) {
                    VEC old = V_LOAD(cr + v * LANES);
                    if (scale_c) old = V_MUL(vb, old);
                    x = V_FMA(va, acc[r][v], old);
                }
                V_STORE(cr + v * LANES, x);
            } else if (n > 0) {  // the same arithmetic on the first n lanes only
                const __m256i m = V_MASK(n);
                VEC x = V_MUL(va, acc[r][v]);
                if (read_c) {
                    VEC old = V_MASKLOAD(cr + v * LANES, m);
                    if (scale_c) old = V_MUL(vb, old);
                    x = V_FMA(va, acc[r][v], old);
                }
                V_MASKSTORE(cr + v * LANES, m, x);
            }
        }
    }
}

// R and V are compile-time constants in every caller, so the loops unroll and acc lives in registers.
// MASKB (with V = 1) reads only the first nr columns of B, for B read in place whose last columns do not
// fill a vector. This is where most of the running time is spent.
__attribute__((always_inline, target("avx2,fma"))) static inline void FN(kernel_avx2)(
    const int R, const int V, const int MASKB, long kc, const REAL *a, const REAL *b, long ldb, REAL *c, long ldc, int nr,
    const REAL *ab, int first) {
    VEC acc[6][8];
    const __m256i bmask = V_MASK(nr);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) acc[r][v] = V_ZERO();
    for (long k = 0; k < kc; k++) {
        if (R > 3) {  // tall tile (V <= 2): load the B vectors, then one broadcast of A per row
            VEC bv[2];
#pragma GCC unroll 8
            for (int v = 0; v < V; v++) bv[v] = V_LOAD(b + v * LANES);
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                const VEC ar = V_BCAST(a + r);
#pragma GCC unroll 8
                for (int v = 0; v < V; v++) acc[r][v] = V_FMA(ar, bv[v], acc[r][v]);
            }
        } else {      // wide tile: the R broadcasts stay in registers, B is loaded one vector at a time
            VEC ar[3];  // (loading all V vectors first would need R*V + V + 1 > 16 registers and spill)
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) ar[r] = V_BCAST(a + r);
#pragma GCC unroll 8
            for (int v = 0; v < V; v++) {
                const VEC bv = MASKB ? V_MASKLOAD(b, bmask) : V_LOAD(b + v * LANES);
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) acc[r][v] = V_FMA(ar[r], bv, acc[r][v]);
            }
        }
        a += R;
        b += ldb;
    }
    FN(store_avx2)(R, V, acc, c, ldc, nr, ab, first);
}

#define KERNEL(R, V)                                                                                     \
    __attribute__((target("avx2,fma"))) static void FN(kernel_##R##x##V)(                                \
        long kc, const REAL *a, const REAL *b, long ldb, REAL *c, long ldc, int nr, const REAL *ab, \
        int first) {                                                                                     \
        FN(kernel_avx2)(R, V, 0, kc, a, b, ldb, c, ldc, nr, ab, first);                         \
    }
#define KERNEL_MASKB(R)                                                                                  \
    __attribute__((target("avx2,fma"))) static void FN(kernel_##R##x1m)(                                 \
        long kc, const REAL *a, const REAL *b, long ldb, REAL *c, long ldc, int nr, const REAL *ab, \
        int first) {                                                                                     \
        FN(kernel_avx2)(R, 1, 1, kc, a, b, ldb, c, ldc, nr, ab, first);                         \
    }
KERNEL(1, 1) KERNEL(1, 2) KERNEL(1, 3) KERNEL(1, 4) KERNEL(1, 5) KERNEL(1, 6) KERNEL(1, 7) KERNEL(1, 8)
KERNEL(2, 1) KERNEL(2, 2) KERNEL(2, 3) KERNEL(2, 4) KERNEL(2, 5) KERNEL(2, 6)
KERNEL(3, 1) KERNEL(3, 2) KERNEL(3, 3) KERNEL(3, 4)
KERNEL(4, 1) KERNEL(4, 2)
KERNEL(5, 1) KERNEL(5, 2)
KERNEL(6, 1)
KERNEL_MASKB(1) KERNEL_MASKB(2) KERNEL_MASKB(3)
#undef KERNEL
#undef KERNEL_MASKB

// The main tile, 6 x 2 vectors (6x16 float, 6x8 double), written out by hand: the same operations as
// FN(kernel_avx2)(6, 2, ...), but with named accumulators it also runs tolerably in debug (-O0) builds,
// where the generic loops and arrays would cost ~10x.
__attribute__((target("avx2,fma"))) static void FN(kernel_6x2)(long kc, const REAL *a, const REAL *b, long ldb,
                                                              REAL *c, long ldc, int nr, const REAL *ab,
                                                              int first) {
    VEC c00 = V_ZERO(), c01 = V_ZERO(), c10 = V_ZERO(), c11 = V_ZERO(), c20 = V_ZERO(), c21 = V_ZERO();
    VEC c30 = V_ZERO(), c31 = V_ZERO(), c40 = V_ZERO(), c41 = V_ZERO(), c50 = V_ZERO(), c51 = V_ZERO();
    for (long k = 0; k < kc; k++, a += 6, b += ldb) {
        const VEC b0 = V_LOAD(b), b1 = V_LOAD(b + LANES);
        VEC ar;
        ar = V_BCAST(a + 0); c00 = V_FMA(ar, b0, c00); c01 = V_FMA(ar, b1, c01);
        ar = V_BCAST(a + 1); c10 = V_FMA(ar, b0, c10); c11 = V_FMA(ar, b1, c11);
        ar = V_BCAST(a + 2); c20 = V_FMA(ar, b0, c20); c21 = V_FMA(ar, b1, c21);
        ar = V_BCAST(a + 3); c30 = V_FMA(ar, b0, c30); c31 = V_FMA(ar, b1, c31);
        ar = V_BCAST(a + 4); c40 = V_FMA(ar, b0, c40); c41 = V_FMA(ar, b1, c41);
        ar = V_BCAST(a + 5); c50 = V_FMA(ar, b0, c50); c51 = V_FMA(ar, b1, c51);
    }
    VEC acc[6][8];
    acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11; acc[2][0] = c20; acc[2][1] = c21;
    acc[3][0] = c30; acc[3][1] = c31; acc[4][0] = c40; acc[4][1] = c41; acc[5][0] = c50; acc[5][1] = c51;
    FN(store_avx2)(6, 2, acc, c, ldc, nr, ab, first);
}

// [R][V]: every (rows, vectors) a call can ask for; see FN(tile_shape).
static const FN(kernel_fn) FN(kernels_avx2)[7][9] = {
    [1] = {0, FN(kernel_1x1), FN(kernel_1x2), FN(kernel_1x3), FN(kernel_1x4), FN(kernel_1x5), FN(kernel_1x6),
           FN(kernel_1x7), FN(kernel_1x8)},
    [2] = {0, FN(kernel_2x1), FN(kernel_2x2), FN(kernel_2x3), FN(kernel_2x4), FN(kernel_2x5), FN(kernel_2x6)},
    [3] = {0, FN(kernel_3x1), FN(kernel_3x2), FN(kernel_3x3), FN(kernel_3x4)},
    [4] = {0, FN(kernel_4x1), FN(kernel_4x2)},
    [5] = {0, FN(kernel_5x1), FN(kernel_5x2)},
    [6] = {0, FN(kernel_6x1), FN(kernel_6x2)},
};
// Store for the swapped orientation (see FN(gemm)): tile t[r][j] (row stride ldt) holds acc for C[j][r];
// C[j][r] at c + j*ldc + r. The same operations as the kernel's vector store, one element at a time.
__attribute__((target("avx2,fma"))) static void FN(store_transposed_avx2)(int R, int nr, const REAL *t, int ldt,
                                                                         REAL *c, long ldc, REAL alpha,
                                                                         REAL beta, int first) {
    for (int j = 0; j < nr; j++) {
        REAL *cj = c + j * ldc;
        for (int r = 0; r < R; r++) {
            const REAL acc = t[r * ldt + j];
            if (first && beta == 0) { cj[r] = S_MUL(alpha, acc); continue; }
            REAL old = cj[r];
            if (first && beta != 1) old = S_MUL(beta, old);
            cj[r] = S_FMA(alpha, acc, old);
        }
    }
}

// [R]: the last columns of an in-place B (small M only, so R <= 3).
static const FN(kernel_fn) FN(kernels_maskb_avx2)[4] = {0, FN(kernel_1x1m), FN(kernel_2x1m), FN(kernel_3x1m)};
#endif

// Portable C for CPUs without AVX2/FMA: the same tiles and the same per-element sequence, in plain loops.
static void FN(kernel_portable)(int R, int W, long kc, const REAL *a, const REAL *b, long ldb, REAL *c,
                                long ldc, int nr, const REAL *ab, int first) {
    REAL acc[6 * 8 * LANES];
    for (int i = 0; i < R * W; i++) acc[i] = 0;
    for (long k = 0; k < kc; k++) {
        for (int r = 0; r < R; r++) {
            const REAL ar = a[r];
            for (int j = 0; j < W; j++) acc[r * W + j] += ar * b[j];
        }
        a += R;
        b += ldb;
    }
    const REAL alpha = ab[0], beta = ab[1];
    for (int r = 0; r < R; r++) {
        REAL *cr = c + r * ldc;
        for (int j = 0; j < nr; j++) {
            if (first && beta == 0) { cr[j] = alpha * acc[r * W + j]; continue; }
            REAL old = cr[j];
            if (first && beta != 1) old = beta * old;
            cr[j] = alpha * acc[r * W + j] + old;
        }
    }
}

// ---- driver -------------------------------------------------------------------------------------------

// Tile shape for a call with M rows: see the table at the top of this file.
static void FN(tile_shape)(long M, int *mr, int *nv) {
    if (M >= 4) { *mr = 6; *nv = 2; }
    else { *mr = (int)M; *nv = M == 1 ? 8 : M == 2 ? 6 : 4; }
}

// One K block of rows i_begin..<i_end and columns jc..<jc+nc of C, from B already packed (bp, pack_b's
// layout for these columns and this K block): packs A block by block (MC rows) into abuf, then runs the
// micro-kernels, panel of B outer, panel of A inner (the B panel stays in L1 across the A panels).
// transC: C is stored transposed, element [i][j] at C[j*ldc + i] (the swapped orientation).
static void FN(macro_block)(int fast, int transA, int transC, long i_begin, long i_end, long jc, long nc, long k0,
                            long kc, int first, int mr, int nrw, const REAL *A, long lda, const REAL *bp, REAL *abuf,
                            REAL *C, long ldc, const REAL ab[2]) {
    for (long ic = i_begin; ic < i_end; ic += MC) {
        const long mc = min_l(MC, i_end - ic);
        FN(pack_a)(transA, A, lda, ic, mc, k0, kc, mr, abuf);
        for (long j = 0; j < nc; j += nrw) {
            const int nr = (int)min_l(nrw, nc - j), V = (nr + LANES - 1) / LANES;
            const REAL *bpj = bp + j * kc;
            const long ldbp = V * LANES;
            for (long i = 0, step; i < mc; i += step) {
                const int R = FN(panel_rows)(mc, mr, i);
                step = R;
                const REAL *ap = abuf + i * kc;
#if defined(__x86_64__)
                if (transC) {  // raw acc into a tile (1*acc is exact), then the transposed store
                    REAL tile[6 * 2 * LANES];
                    static const REAL raw[2] = {1, 0};
                    FN(kernels_avx2)[R][V](kc, ap, bpj, ldbp, tile, V * LANES, nr, raw, 1);
                    FN(store_transposed_avx2)(R, nr, tile, V * LANES, C + (jc + j) * ldc + ic + i, ldc, ab[0], ab[1],
                                              first);
                    continue;
                }
#endif
                REAL *cp = C + (ic + i) * ldc + jc + j;
#if defined(__x86_64__)
                if (fast) {
                    FN(kernels_avx2)[R][V](kc, ap, bpj, ldbp, cp, ldc, nr, ab, first);
                    continue;
                }
#endif
                FN(kernel_portable)(R, V * LANES, kc, ap, bpj, ldbp, cp, ldc, nr, ab, first);
            }
        }
    }
}

// K blocks of at most KC, as equal as possible (784 -> 4 x 196). They depend on K only: part of the
// determinism contract. Block p is [K*p/nk, K*(p+1)/nk).
static long FN(k_blocks)(long K) { return (K + KC - 1) / KC; }

// M, N, K >= 1 and alpha != 0 (FN(gemm) handles the rest). transC: see FN(macro_block) (fast path, M >= 4).
static void FN(gemm_blocked)(int fast, int transA, int transB, int transC, long M, long N, long K, REAL alpha,
                             const REAL *A, long lda, const REAL *B, long ldb, REAL beta, REAL *C, long ldc) {
#if !defined(__x86_64__)
    fast = 0;
#endif
    // The kernels take alpha and beta by address: passed by value, gcc keeps them in registers through the
    // k loop and spills an accumulator instead (20% slower).
    const REAL ab[2] = {alpha, beta};
    int mr, nv;
    FN(tile_shape)(M, &mr, &nv);
    const int nrw = nv * LANES;
    // With few rows each element of B is used only M times, so copying B would cost about as much as the
    // product; the kernels then read it in place (row stride ldb). Transposed B always needs the copy.
    const int pack_all_b = transB || M >= 4;
    const long nk = FN(k_blocks)(K), kc_max = (K + nk - 1) / nk;
    REAL *abuf = scratch(0, sizeof(REAL) * (size_t)(round_up(min_l(M, MC), mr) * kc_max));
    REAL *bbuf = pack_all_b ? scratch(1, sizeof(REAL) * (size_t)(round_up(min_l(N, NC), nrw) * kc_max)) : NULL;

    for (long jc = 0; jc < N; jc += NC) {
        const long nc = min_l(NC, N - jc);
        for (long p = 0; p < nk; p++) {
            const long k0 = K * p / nk, kc = K * (p + 1) / nk - k0;
            const int first = p == 0;
            if (pack_all_b) {
                FN(pack_b)(transB, B, ldb, k0, kc, jc, nc, nrw, bbuf);
                FN(macro_block)(fast, transA, transC, 0, M, jc, nc, k0, kc, first, mr, nrw, A, lda, bbuf, abuf, C, ldc, ab);
                continue;
            }
            // small M, B in place: whole vectors, then the last < LANES columns
            FN(pack_a)(transA, A, lda, 0, M, k0, kc, mr, abuf);
            for (long j = 0; j < nc; j += nrw) {
                const int nr = (int)min_l(nrw, nc - j);
                const REAL *bp = B + k0 * ldb + jc + j;
                REAL *cp = C + jc + j;
                const int full = nr / LANES * LANES, R = (int)M;
#if defined(__x86_64__)
                if (fast) {
                    if (full) FN(kernels_avx2)[R][full / LANES](kc, abuf, bp, ldb, cp, ldc, full, ab, first);
                    if (nr > full)
                        FN(kernels_maskb_avx2)[R](kc, abuf, bp + full, ldb, cp + full, ldc, nr - full, ab, first);
                    continue;
                }
#endif
                FN(kernel_portable)(R, nr, kc, abuf, bp, ldb, cp, ldc, nr, ab, first);
            }
        }
    }
}

// Few columns (a last layer with 10 outputs): vectors along N would be mostly padding (10 columns fill 2
// vectors of 8 floats), so when that wastes over 20% compute C^T = op(B)^T op(A)^T instead, vectors
// along M. Each element still gets the same sequence: fma(a, b, acc) == fma(b, a, acc), same k order,
// same K blocks. N >= 4 keeps the swapped call out of the small-M path.
static int FN(swapped)(int fast, long M, long N) {
    const long lanes_n = (N + LANES - 1) / LANES, lanes_m = (M + LANES - 1) / LANES;
    return fast && N >= 4 && 5 * N * lanes_m < 4 * M * lanes_n;
}

static void FN(gemm)(int fast, int transA, int transB, long M, long N, long K, REAL alpha, const REAL *A,
                     long lda, const REAL *B, long ldb, REAL beta, REAL *C, long ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0) {  // nothing to accumulate: C = beta*C (C is not read when beta == 0)
        for (long i = 0; i < M; i++) {
            REAL *c = C + i * ldc;
            if (beta == 0) memset(c, 0, sizeof(REAL) * (size_t)N);
            else if (beta != 1) for (long j = 0; j < N; j++) c[j] *= beta;
        }
        return;
    }
    if (FN(swapped)(fast, M, N))
        FN(gemm_blocked)(fast, !transB, !transA, 1, N, M, K, alpha, B, ldb, A, lda, beta, C, ldc);
    else
        FN(gemm_blocked)(fast, transA, transB, 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---- split across threads ---------------------------------------------------------------------------------
// C is split into blocks of rows, one per thread, at multiples of the tile height (6), so only the last
// block has a partial tile. Any split gives the same bits (the contract at the top of gemm.c).
//
// Shared B: had every thread packed all of op(B) for its rows (as one nn_*gemm call per block would),
// the copying of B would be done once per thread: for (256,784,512) on 2 threads that was a fifth of the
// time. Instead the threads first pack op(B) together (each its share of the panels, for every K block of
// a column chunk of NC), then each computes its rows from the one packed copy: two rounds on the pool.
// Few columns (the swapped orientation, see FN(gemm)) keep one call per row block: B is then tiny.

typedef struct {
    int fast, transA, transB, transC, mr, nrw;
    long M, K, tasks, nk, kc_max, region, jc, nc, panels;
    REAL ab[2];
    const REAL *A, *B;
    REAL *C, *bpack;
    long lda, ldb, ldc;
} FN(shared);

static long FN(row_boundary)(long M, long tasks, long t) {
    return t == tasks ? M : min_l(M, (M * t / tasks + 3) / 6 * 6);
}

// Round 1, task t: panels [t*panels/tasks, (t+1)*panels/tasks) of every K block of the chunk.
static void FN(pack_task)(void *context, long t) {
    const FN(shared) *s = context;
    const long p0 = t * s->panels / s->tasks, p1 = (t + 1) * s->panels / s->tasks;
    if (p1 <= p0) return;
    const long j0 = p0 * s->nrw, j1 = min_l(p1 * s->nrw, s->nc);
    for (long p = 0; p < s->nk; p++) {
        const long k0 = s->K * p / s->nk, kc = s->K * (p + 1) / s->nk - k0;
        FN(pack_b)(s->transB, s->B, s->ldb, k0, kc, s->jc + j0, j1 - j0, s->nrw, s->bpack + p * s->region + j0 * kc);
    }
}

// Round 2, task t: rows [row_boundary(t), row_boundary(t+1)) of the chunk's columns, every K block.
static void FN(compute_task)(void *context, long t) {
    const FN(shared) *s = context;
    const long r0 = FN(row_boundary)(s->M, s->tasks, t), r1 = FN(row_boundary)(s->M, s->tasks, t + 1);
    if (r1 <= r0) return;
    REAL *abuf = scratch(0, sizeof(REAL) * (size_t)(round_up(min_l(r1 - r0, MC), s->mr) * s->kc_max));
    for (long p = 0; p < s->nk; p++) {
        const long k0 = s->K * p / s->nk, kc = s->K * (p + 1) / s->nk - k0;
        FN(macro_block)(s->fast, s->transA, s->transC, r0, r1, s->jc, s->nc, k0, kc, p == 0, s->mr, s->nrw, s->A,
                        s->lda, s->bpack + p * s->region, abuf, s->C, s->ldc, s->ab);
    }
}

// Few columns: rows r0..<r1 of C as one call of the single-thread driver.
typedef struct {
    int fast, transA, transB;
    long M, N, K, tasks;
    REAL alpha, beta;
    const REAL *A, *B;
    REAL *C;
    long lda, ldb, ldc;
} FN(rows_split);

static void FN(rows_task)(void *context, long t) {
    const FN(rows_split) *s = context;
    const long r0 = FN(row_boundary)(s->M, s->tasks, t), r1 = FN(row_boundary)(s->M, s->tasks, t + 1);
    if (r1 <= r0) return;
    FN(gemm)(s->fast, s->transA, s->transB, r1 - r0, s->N, s->K, s->alpha, s->A + (s->transA ? r0 : r0 * s->lda),
             s->lda, s->B, s->ldb, s->beta, s->C + r0 * s->ldc, s->ldc);
}

// Few rows and many columns (a forward product at batch 50-100: M = 50, N = 300): columns j0..<j1 of C
// as one call of the single-thread driver. Each thread packs only its own columns of B and reads its own
// copy while computing: the shared-B split below packs B in one round and reads it in a second, half of
// it from the other core's cache, and B (the weights) is most of the data when M is small.
static long FN(column_boundary)(long N, long tasks, long t, int nrw) {
    return t == tasks ? N : min_l(N, (N * t / tasks + nrw / 2) / nrw * nrw);
}

static void FN(columns_task)(void *context, long t) {
    const FN(rows_split) *s = context;
    const int nrw = 2 * LANES;
    const long j0 = FN(column_boundary)(s->N, s->tasks, t, nrw), j1 = FN(column_boundary)(s->N, s->tasks, t + 1, nrw);
    if (j1 <= j0) return;
    FN(gemm)(s->fast, s->transA, s->transB, s->M, j1 - j0, s->K, s->alpha, s->A, s->lda,
             s->B + (s->transB ? j0 * s->ldb : j0), s->ldb, s->beta, s->C + j0, s->ldc);
}

static void FN(gemm_threads)(long threads, int fast, int transA, int transB, long M, long N, long K, REAL alpha,
                             const REAL *A, long lda, const REAL *B, long ldb, REAL beta, REAL *C, long ldc) {
#if !defined(__x86_64__)
    fast = 0;
#endif
    const long flops = M * N * (K > 1 ? K : 1);
    // Below ~200k multiply-adds (a few microseconds) handing half to another thread costs more than it
    // saves; with fewer than 12 rows there is not a tile for each thread.
    if (threads < 2 || flops < 200000 || M < 12 || K <= 0 || alpha == 0) {
        FN(gemm)(fast, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    // Tasks are claimed as threads come free, so twice as many tasks as threads lets the faster thread take
    // a share of a thread that was descheduled (the VM's second vCPU is often busy for a while).
    if (fast && 2 * M <= N && N >= 4 * 2 * LANES * threads && !FN(swapped)(fast, M, N)) {
        const long tasks = N >= 8 * 2 * LANES * threads ? 2 * threads : threads;
        FN(rows_split) s = {fast, transA, transB, M, N, K, tasks, alpha, beta, A, B, C, lda, ldb, ldc};
        nn_parallel_run(tasks, threads, FN(columns_task), &s);
        return;
    }
    const long tasks = min_l(threads, (M + 5) / 6);
    if (FN(swapped)(fast, M, N)) {
        FN(rows_split) s = {fast, transA, transB, M, N, K, tasks, alpha, beta, A, B, C, lda, ldb, ldc};
        nn_parallel_run(tasks, threads, FN(rows_task), &s);
        return;
    }
    const int mr = 6, nrw = 2 * LANES;  // the tile of every M >= 4 (FN(tile_shape)); blocks have >= 6 rows
    const long nk = FN(k_blocks)(K), kc_max = (K + nk - 1) / nk, region = round_up(min_l(N, NC), nrw) * kc_max;
    const long compute_tasks = M >= 48 * threads ? 2 * threads : tasks;
    FN(shared) s = {fast, transA, transB, 0, mr, nrw, M, K, tasks, nk, kc_max, region, 0, 0, 0, {alpha, beta},
                    A, B, C, scratch(1, sizeof(REAL) * (size_t)(nk * region)), lda, ldb, ldc};
    for (long jc = 0; jc < N; jc += NC) {
        s.jc = jc;
        s.nc = min_l(NC, N - jc);
        s.panels = (s.nc + nrw - 1) / nrw;
        s.tasks = tasks;
        nn_parallel_run(tasks, threads, FN(pack_task), &s);
        s.tasks = compute_tasks;
        nn_parallel_run(compute_tasks, threads, FN(compute_task), &s);
    }
}
