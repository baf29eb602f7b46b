/* Elementwise math the network ops call millions of times per run, faster than the libm
 * functions tgmath would pick and at least as accurate. Branch-free and without libm calls,
 * so that the ops' blocked loops vectorise it. */
#ifndef RLC_CORE_FASTMATH_H
#define RLC_CORE_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* tanh of a float in float arithmetic, within 1.6 ulp of tanh (99.7% of floats correctly
 * rounded; checked over every float in tests/core/test_op_unary.c). Two branches, both computed
 * and one selected so that loops over it vectorise:
 * - |x| < 0.55: tanh x = x + x u P(u), u = x^2, P of degree 4 fitted for minimal relative error
 *   (approximation error 2e-9, far below the float's 6e-8);
 * - otherwise: tanh |x| = 1 - 2 / (E + 1), E = exp(2 min(|x|, 9.1)) = 2^k exp(r) with k the
 *   nearest integer to 2|x| / ln 2 (from the low bits of a 1.5 2^23 shifted sum), r = 2|x| - k ln 2
 *   with ln 2 split in two (Cody and Waite: k ln2_hi is exact for k <= 26), exp(r) by a degree-6
 *   polynomial (relative error 2e-9 on |r| <= ln2/2), and 2^k built from k's bits. For
 *   |x| >= 0.55 the result is at least 0.5, so the subtraction loses nothing; past 9.1 it
 *   rounds to 1.
 * The sign is copied from x (tanh -0 = -0) and nan returns x. Only IEEE + - * / in a fixed
 * order (no FMA: -ffp-contract=off), so scalar, SSE2, AVX2 and AVX-512 loops give the same
 * bits. About 4.5x faster than the correctly rounded double-precision version rlc used until
 * 2026-11 (0.86 against 3.9 ns per element in AVX2 loops on the 2-core EPYC VM); glibc's tanhf
 * does not vectorise. */
static inline float rlc__tanhf(float x) {
    const float ax = fabsf(x);
    const float u = ax * ax;
    float p = -0.006421151105314493f;
    p = p * u + 0.021180285140872f;
    p = p * u + -0.05388001352548599f;
    p = p * u + 0.1333286464214325f;
    p = p * u + -0.33333325386047363f;
    const float small = ax + ax * (u * p);
    const float z = 2.0f * (ax < 9.1f ? ax : 9.1f); /* nan -> 9.1, replaced below */
    float kf = z * 1.44269502f + 12582912.0f;       /* k in the low mantissa bits */
    uint32_t kb;
    memcpy(&kb, &kf, sizeof kb);
    kf -= 12582912.0f;
    const float r = (z - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
    float q = 0.0013836845755577087f;
    q = q * r + 0.008374815806746483f;
    q = q * r + 0.04166822507977486f;
    q = q * r + 0.16666419804096222f;
    q = q * r + 0.49999991059303284f;
    q = q * r + 1.0f;
    q = q * r + 1.0f;
    /* the low 9 bits of kb are k (0 <= k <= 27): (k + 127) << 23 is 2^k */
    const uint32_t sb = (kb << 23) + (127u << 23);
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    const float large = 1.0f - 2.0f / (q * scale + 1.0f);
    const float t = ax < 0.55f ? small : large;
    return ax == ax ? copysignf(t, x) : x;
}

/* y[i] = rlc__tanhf(y[i]) for i < n, vectorised for the CPU at hand (fastmath.c). */
void rlc__tanhf_inplace(float *y, int64_t n);

/* tanh for a float or a double operand (the ops are written once for both). */
#define RLC__TANH(x) _Generic((x), float: rlc__tanhf, default: tanh)(x)

#endif
