// write_then_product.c: does writing W just before a forward product (as the optimizer step leaves it: on both
// cores, split by rows or by columns, or on one) slow the product, against the product alone? Medians of 41
// groups of 10 calls, the four cases interleaved. Arguments: M K N (default 100 784 512: the Fashion recipe's
// first layer at batch 100).
//   /opt/swift/usr/bin/clang -O2 -I Sources/CKernels/include bench/gemm/write_then_product.c \
//       Sources/CKernels/gemm.c Sources/CKernels/pool.c -lpthread -lm -o .build-gemm/write_then_product
#include "nn_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return (x>y)-(x<y);}
typedef struct { float *w; long n; int parts; int cols_mode; long rows, cols; } wr;
static void touch(void *c, long t) { wr *p = c;
  if (!p->cols_mode) { long a = p->n * t / p->parts, b = p->n * (t + 1) / p->parts; for (long i = a; i < b; i++) p->w[i] = p->w[i] * 0.999999f + 1e-9f; }
  else { long a = p->cols * t / p->parts, b = p->cols * (t + 1) / p->parts; for (long r = 0; r < p->rows; r++) for (long j = a; j < b; j++) p->w[r*p->cols+j] = p->w[r*p->cols+j] * 0.999999f + 1e-9f; } }
int main(int argc, char **argv) {
  long M = 100, K = 784, N = 512; if (argc > 3) { M = atol(argv[1]); K = atol(argv[2]); N = atol(argv[3]); }
  float *A = malloc(4*M*K), *W = malloc(4*K*N), *C = malloc(4*M*N);
  for (long i = 0; i < M*K; i++) A[i] = (i % 7) * 0.1f; for (long i = 0; i < K*N; i++) W[i] = (i % 5) * 0.01f;
  double t[4][41];
  for (int r = 0; r < 41; r++) for (int mode = 0; mode < 4; mode++) {
    // mode 0: product alone; 1: W rewritten by a 2-thread row split first; 2: by the main thread only; 3: 2-thread column split
    double total = 0;
    for (int it = 0; it < 10; it++) {
      wr p = {W, K*N, 2, mode == 3, K, N};
      if (mode == 1 || mode == 3) nn_parallel_run(2, 2, touch, &p);
      if (mode == 2) { p.parts = 1; touch(&p, 0); }
      double s = now(); nn_sgemm_threads(2, 0, 0, M, N, K, 1.0f, A, K, W, N, 0.0f, C, N); total += now() - s;
    }
    t[mode][r] = total / 10;
  }
  const char *names[] = {"product alone", "after a 2-thread row-split write of W", "after a 1-thread write of W", "after a 2-thread column-split write of W"};
  for (int m = 0; m < 4; m++) { qsort(t[m], 41, 8, cmp); printf("(%ld,%ld,%ld) %-42s %.1f us  %.1f GFLOP/s\n", M, K, N, names[m], t[m][20]*1e6, 2.0*M*N*K/t[m][20]/1e9); }
}
