#!/bin/sh
# bench/gemm/run.sh: the GEMM kernel's correctness/determinism test, then the table against OpenBLAS.
#
#   bench/gemm/run.sh [repeats [min_ms_per_repeat [label filter]]]     (defaults: 21 repeats of >= 5 ms)
#   CC=clang bench/gemm/run.sh                                          (SwiftPM builds CKernels with clang -O2)
#
# OpenBLAS is used here only, for the side-by-side comparison; the package does not link it.
set -eu
cd "$(dirname "$0")/../.."
dpkg -s libopenblas-dev >/dev/null 2>&1 || apt-get install -y libopenblas-dev
CC=${CC:-cc}
OUT=.build-gemm/bench
mkdir -p "$OUT"
INC="-I Sources/CKernels/include"
$CC -O2 -Wall $INC bench/gemm/gemm_test.c Sources/CKernels/gemm.c Sources/CKernels/pool.c -lm -lpthread -o "$OUT/gemm_test"
$CC -O2 -Wall $INC bench/gemm/gemm_bench.c Sources/CKernels/gemm.c Sources/CKernels/pool.c -lopenblas -lpthread -lm -o "$OUT/gemm_bench"
echo "== test ($CC -O2)"
"$OUT/gemm_test"
echo
echo "== benchmark ($CC -O2, $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg))"
"$OUT/gemm_bench" "${1:-21}" "${2:-5}" ${3:+"$3"}
