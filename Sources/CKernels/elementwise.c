// elementwise.c: optimizer updates, byte-to-float batches and sums of squares (see nn_elementwise.h).
//
// Each loop is written once, plainly, as an always-inline body; the compiler vectorises it for each
// instruction set it is compiled for below (AVX2, and the x86-64 baseline), and the CPU picks one at run
// time. Contraction of a*b+c into a fused multiply-add is off for the whole file: these loops must round
// exactly like the Swift loops they replaced (and like each other), whatever the vector width.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "nn_elementwise.h"
#include "nn_kernels.h"
#include <math.h>

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma")))
#endif
#define BODY __attribute__((always_inline)) static inline
// IEEE square roots without errno (a library call with errno would keep the loops scalar); the operands
// are never negative here.
#if defined(__clang__) && __has_builtin(__builtin_elementwise_sqrt)
#define SQRT_F(x) __builtin_elementwise_sqrt(x)
#define SQRT_D(x) __builtin_elementwise_sqrt(x)
#else
#define SQRT_F(x) __builtin_sqrtf(x)
#define SQRT_D(x) __builtin_sqrt(x)
#endif

// One exported function per body and type: the AVX2 copy when the CPU has it (and the portable path is
// not forced, see nn_kernels_force_portable), else the baseline copy. PARAMS is the parameter list, ARGS
// the same names as arguments. VALUE_DISPATCH is the same for a body that returns a value.
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if defined(__x86_64__)
#define DISPATCH(name, body, PARAMS, ARGS)                         \
    AVX2 static void CAT(name, _avx2) PARAMS { body ARGS; }        \
    static void CAT(name, _base) PARAMS { body ARGS; }             \
    void name PARAMS { (nn_kernels_use_fast() ? CAT(name, _avx2) : CAT(name, _base)) ARGS; }
#define VALUE_DISPATCH(ret, name, body, PARAMS, ARGS)              \
    AVX2 static ret CAT(name, _avx2) PARAMS { return body ARGS; }  \
    static ret CAT(name, _base) PARAMS { return body ARGS; }       \
    ret name PARAMS { return (nn_kernels_use_fast() ? CAT(name, _avx2) : CAT(name, _base)) ARGS; }
#else
#define DISPATCH(name, body, PARAMS, ARGS) void name PARAMS { body ARGS; }
#define VALUE_DISPATCH(ret, name, body, PARAMS, ARGS) ret name PARAMS { return body ARGS; }
#endif

// Four doubles, with the compiler's vector extension (one ymm register with AVX2, two xmm without);
// LOAD_D4 reads four REALs from any address as doubles.
typedef double d4 __attribute__((vector_size(32)));
typedef double d4u __attribute__((vector_size(32), aligned(8)));
typedef float f4u __attribute__((vector_size(16), aligned(4)));

#define REAL float
#define LOAD_D4(p) __builtin_convertvector(*(const f4u *)(p), d4)
#define FN(name) name##_f
#define SQRT SQRT_F
#include "elementwise_impl.h"
#undef REAL
#undef LOAD_D4
#undef FN
#undef SQRT

#define REAL double
#define LOAD_D4(p) ((d4)*(const d4u *)(p))
#define FN(name) name##_d
#define SQRT SQRT_D
#include "elementwise_impl.h"
