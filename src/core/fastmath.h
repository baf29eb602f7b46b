/* Elementwise math the network ops call millions of times per run, faster than the libm
 * functions tgmath would pick and at least as accurate. Branch-free and without libm calls,
 * so that the ops' blocked loops vectorise it. */
#ifndef RLC_CORE_FASTMATH_H
#define RLC_CORE_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* tanh of a float, computed in double: tanh |x| = (1 - e) / (1 + e) with e = exp(-2|x|).
 * exp(y) for y in [-40, 0] is 2^k exp(r), k = round(y / ln 2), r = y - k ln 2 with ln 2 split
 * in two (Cody and Waite: k ln2_hi is exact), |r| <= 0.347, and exp(r) by its Taylor series to
 * r^13 / 13! (truncation 4e-18 relative); 2^k is built from k's bits. e is then within a few
 * double ulps, the cancellation in 1 - e costs at most a factor 1 / (2|x|) <= 2^11, so the
 * double tanh is within 2^-40 relative and its rounding to float is the correctly rounded
 * tanh except within 2^-40 of a rounding midpoint (then one ulp off). |x| < 2^-12 and nan
 * return x (tanh x = x (1 - x^2/3 + ...) rounds to x there); |x| >= 20 gives 1 (tanh x rounds
 * to 1 from 9.1 on). glibc's tanhf, an expm1f-based routine, is slower, does not vectorise and
 * differs from the rounded tanh for about 5% of floats. Tested in tests/core/test_op_unary.c. */
static inline float rlc__tanhf(float xf) {
    const double x = xf, ax = fabs(x);
    const double a = ax < 20.0 ? ax : 20.0; /* nan -> 20, replaced below */
    const double y = -2.0 * a;
    double kd = y * 0x1.71547652b82fep0 + 0x1.8p52; /* k in the low mantissa bits */
    uint64_t kb;
    memcpy(&kb, &kd, sizeof kb);
    kd -= 0x1.8p52;
    const double r = (y - kd * 0x1.62e42fee00000p-1) - kd * 0x1.a39ef35793c76p-33;
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* the low 12 bits of kb are k mod 4096: (k + 1023) << 52 is 2^k for k in [-58, 0] */
    const uint64_t sb = (kb << 52) + ((uint64_t)1023 << 52);
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    const double e = p * scale;
    const double t = (1.0 - e) / (1.0 + e);
    const float tf = (float)(x < 0 ? -t : t);
    return ax >= 0x1p-12 ? tf : xf; /* tiny and nan: x */
}

/* y[i] = rlc__tanhf(y[i]) for i < n, vectorised for the CPU at hand (fastmath.c). */
void rlc__tanhf_inplace(float *y, int64_t n);

/* tanh for a float or a double operand (the ops are written once for both). */
#define RLC__TANH(x) _Generic((x), float: rlc__tanhf, default: tanh)(x)

#endif
