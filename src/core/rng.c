/* Random numbers with NumPy parity: SeedSequence (pool size 4) -> PCG64 (XSL-RR 128/64), and
 * the Generator methods rlc needs (random, uniform, ziggurat normals, bounded integers,
 * shuffles, weighted choice), each consuming the raw stream exactly as NumPy does. */
#include "core/rng_impl.h"

#include <math.h>
#include <string.h>

/* ---- SeedSequence ----------------------------------------------------------------------- */

#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_L 0xca01f9ddu
#define SS_MIX_R 0x4973f715u

static uint32_t ss_hashmix(uint32_t v, uint32_t *h) {
    v ^= *h;
    *h *= SS_MULT_A;
    v *= *h;
    v ^= v >> 16;
    return v;
}

static uint32_t ss_mix(uint32_t x, uint32_t y) {
    uint32_t r = SS_MIX_L * x - SS_MIX_R * y;
    r ^= r >> 16;
    return r;
}

void rlc__seedseq(const uint32_t *words, int n, uint32_t pool[4], uint64_t state[4]) {
    uint32_t h = SS_INIT_A;
    for (int i = 0; i < 4; i++)
        pool[i] = ss_hashmix(i < n ? words[i] : 0u, &h);
    for (int src = 0; src < 4; src++)
        for (int dst = 0; dst < 4; dst++)
            if (src != dst) pool[dst] = ss_mix(pool[dst], ss_hashmix(pool[src], &h));
    for (int src = 4; src < n; src++)
        for (int dst = 0; dst < 4; dst++)
            pool[dst] = ss_mix(pool[dst], ss_hashmix(words[src], &h));
    /* generate_state(4, uint64): eight 32-bit words, paired little-endian. */
    uint32_t hb = SS_INIT_B, w[8];
    for (int i = 0; i < 8; i++) {
        uint32_t v = pool[i % 4];
        v ^= hb;
        hb *= SS_MULT_B;
        v *= hb;
        v ^= v >> 16;
        w[i] = v;
    }
    for (int k = 0; k < 4; k++)
        state[k] = (uint64_t)w[2 * k] | ((uint64_t)w[2 * k + 1] << 32);
}

/* ---- PCG64: 128-bit LCG kept as two uint64 halves ----------------------------------------- */

#define PCG_MULT_HI 0x2360ed051fc65da4ull
#define PCG_MULT_LO 0x4385df649fccf645ull

/* Full 64x64 -> 128-bit product. */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* state = state * MULT + inc (mod 2^128). */
static void pcg_step(rlc_rng *r) {
    uint64_t hi, lo;
    mul64(r->state_lo, PCG_MULT_LO, &hi, &lo);
    hi += r->state_hi * PCG_MULT_LO + r->state_lo * PCG_MULT_HI;
    uint64_t nlo = lo + r->inc_lo;
    hi += r->inc_hi + (nlo < lo);
    r->state_hi = hi;
    r->state_lo = nlo;
}

/* Seeds PCG64 from the 4 uint64 of generate_state, as NumPy's PCG64 does. */
static void pcg_seed(rlc_rng *r, const uint64_t s[4]) {
    /* initstate = s0:s1, initseq = s2:s3; inc = initseq << 1 | 1. */
    r->inc_hi = (s[2] << 1) | (s[3] >> 63);
    r->inc_lo = (s[3] << 1) | 1u;
    r->state_hi = 0;
    r->state_lo = 0;
    pcg_step(r);
    uint64_t lo = r->state_lo + s[1];
    r->state_hi += s[0] + (lo < r->state_lo);
    r->state_lo = lo;
    pcg_step(r);
    r->uinteger = 0;
    r->has_uint32 = 0;
}

static void seed_entropy(rlc_rng *r, const uint32_t *words, int n) {
    uint32_t pool[4];
    uint64_t s[4];
    rlc__seedseq(words, n, pool, s);
    pcg_seed(r, s);
}

/* Splits a uint64 into NumPy's minimal little-endian uint32 words (0 -> {0}). */
static int u64_words(uint64_t v, uint32_t w[2]) {
    w[0] = (uint32_t)v;
    w[1] = (uint32_t)(v >> 32);
    return w[1] ? 2 : 1;
}

void rlc_rng_seed(rlc_rng *r, uint64_t seed) {
    uint32_t w[2];
    int n = u64_words(seed, w);
    seed_entropy(r, w, n);
}

void rlc_rng_seed_words(rlc_rng *r, const uint32_t *words, int nwords) {
    /* The value is an integer: high zero words do not count (NumPy's int -> uint32 array). */
    if (!words) nwords = 0;
    while (nwords > 1 && words[nwords - 1] == 0)
        nwords--;
    if (nwords < 1) {
        static const uint32_t zero = 0;
        words = &zero;
        nwords = 1;
    }
    seed_entropy(r, words, nwords);
}

rlc_status rlc_rng_seed_str(rlc_rng *r, const char *decimal) {
    if (!decimal || !*decimal) return rlc_error(RLC_ERR_INVALID, "rng seed: empty string");
    size_t len = strlen(decimal);
    for (size_t i = 0; i < len; i++)
        if (decimal[i] < '0' || decimal[i] > '9')
            return rlc_error(RLC_ERR_INVALID,
                             "rng seed '%.40s': not a non-negative decimal integer", decimal);
    /* Each 32-bit word holds more than 9 decimal digits. */
    size_t cap = len / 9 + 1;
    if (cap > (size_t)0x7fffffff) return rlc_error(RLC_ERR_RANGE, "rng seed: string too long");
    uint32_t small[64];
    uint32_t *w = small;
    if (cap > sizeof small / sizeof small[0]) {
        w = rlc_malloc(cap * sizeof *w);
        if (!w) return RLC_ERR_NOMEM;
    }
    int n = 1;
    w[0] = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t carry = (uint64_t)(decimal[i] - '0');
        for (int k = 0; k < n; k++) {
            uint64_t v = (uint64_t)w[k] * 10u + carry;
            w[k] = (uint32_t)v;
            carry = v >> 32;
        }
        if (carry) w[n++] = (uint32_t)carry;
    }
    seed_entropy(r, w, n);
    if (w != small) rlc_free(w);
    return RLC_OK;
}

void rlc_rng_seed_stream(rlc_rng *r, uint64_t seed, uint64_t stream) {
    /* SeedSequence(seed, spawn_key=(stream,)), i.e. SeedSequence(seed).spawn(stream + 1)[stream]
     * in NumPy: the seed's words padded to the pool size, then the stream's words. */
    uint32_t w[6] = {0, 0, 0, 0, 0, 0};
    u64_words(seed, w);
    int n = 4 + u64_words(stream, w + 4);
    seed_entropy(r, w, n);
}

uint64_t rlc_rng_next_u64(rlc_rng *r) {
    pcg_step(r);
    uint64_t x = r->state_hi ^ r->state_lo;
    unsigned rot = (unsigned)(r->state_hi >> 58);
    return (x >> rot) | (x << ((64u - rot) & 63u));
}

uint32_t rlc_rng_next_u32(rlc_rng *r) {
    /* Low half first; the high half is kept for the next call (NumPy's pcg64_next32). */
    if (r->has_uint32) {
        r->has_uint32 = 0;
        return r->uinteger;
    }
    uint64_t v = rlc_rng_next_u64(r);
    r->has_uint32 = 1;
    r->uinteger = (uint32_t)(v >> 32);
    return (uint32_t)v;
}

double rlc_rng_random(rlc_rng *r) {
    return (double)(rlc_rng_next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double rlc_rng_uniform(rlc_rng *r, double lo, double hi) {
    double range = hi - lo;
    return lo + range * rlc_rng_random(r);
}

double rlc_rng_normal(rlc_rng *r) {
    for (;;) {
        /* Bits 0-7 pick the strip, bit 8 the sign, bits 9-60 the 52-bit abscissa. */
        uint64_t u = rlc_rng_next_u64(r);
        int idx = (int)(u & 0xff);
        u >>= 8;
        int neg = (int)(u & 1);
        uint64_t rabs = (u >> 1) & 0x000fffffffffffffull;
        double x = (double)rabs * rlc__zig_wi[idx];
        if (neg) x = -x;
        if (rabs < rlc__zig_ki[idx]) return x; /* inside the strip's rectangle: ~99% */
        if (idx == 0) {
            /* Base strip beyond r: Marsaglia's exponential tail sampler. */
            for (;;) {
                double xx = -rlc__zig_inv_r * log1p(-rlc_rng_random(r));
                double yy = -log1p(-rlc_rng_random(r));
                if (yy + yy > xx * xx)
                    return ((rabs >> 8) & 1) ? -(rlc__zig_r + xx) : rlc__zig_r + xx;
            }
        }
        /* Wedge: accept under the density. */
        double y = (rlc__zig_fi[idx - 1] - rlc__zig_fi[idx]) * rlc_rng_random(r) + rlc__zig_fi[idx];
        if (y < exp(-0.5 * x * x)) return x;
    }
}

double rlc_rng_gauss(rlc_rng *r, double mean, double std) {
    return mean + std * rlc_rng_normal(r);
}

/* Lemire's multiply-shift bounded integer in [0, rng] for rng < 2^32 - 1 (32-bit draws). */
static uint32_t bounded_u32(rlc_rng *r, uint32_t rng) {
    uint32_t excl = rng + 1u;
    uint64_t m = (uint64_t)rlc_rng_next_u32(r) * excl;
    uint32_t left = (uint32_t)m;
    if (left < excl) {
        uint32_t threshold = (uint32_t)(0u - excl) % excl; /* 2^32 mod excl */
        while (left < threshold) {
            m = (uint64_t)rlc_rng_next_u32(r) * excl;
            left = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* The same with 64-bit draws, for 2^32 - 1 < rng < 2^64 - 1. */
static uint64_t bounded_u64(rlc_rng *r, uint64_t rng) {
    uint64_t excl = rng + 1u, hi, lo;
    mul64(rlc_rng_next_u64(r), excl, &hi, &lo);
    if (lo < excl) {
        uint64_t threshold = (0u - excl) % excl; /* 2^64 mod excl */
        while (lo < threshold)
            mul64(rlc_rng_next_u64(r), excl, &hi, &lo);
    }
    return hi;
}

int64_t rlc_rng_integers(rlc_rng *r, int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    /* Inclusive range computed in uint64 so that [INT64_MIN, INT64_MAX) does not overflow. */
    uint64_t rng = (uint64_t)hi - (uint64_t)lo - 1u, off;
    if (rng == 0) {
        off = 0; /* NumPy draws nothing for a single-value range */
    } else if (rng < 0xffffffffu) {
        off = bounded_u32(r, (uint32_t)rng);
    } else if (rng == 0xffffffffu) {
        off = rlc_rng_next_u32(r);
    } else {
        off = bounded_u64(r, rng);
    }
    return (int64_t)((uint64_t)lo + off);
}

/* NumPy's random_interval: a uniform integer in [0, max] by masked rejection, as used by
 * shuffle and permutation (not Lemire). */
static uint64_t random_interval(rlc_rng *r, uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max, v;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffu) {
        while ((v = (rlc_rng_next_u32(r) & mask)) > max) {
        }
    } else {
        while ((v = (rlc_rng_next_u64(r) & mask)) > max) {
        }
    }
    return v;
}

void rlc_rng_permutation(rlc_rng *r, int64_t n, int64_t *out) {
    if (n <= 0 || !out) return;
    for (int64_t i = 0; i < n; i++)
        out[i] = i;
    rlc_rng_shuffle(r, out, n, sizeof *out);
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size) {
    unsigned char tmp[64];
    while (size) {
        size_t k = size < sizeof tmp ? size : sizeof tmp;
        memcpy(tmp, a, k);
        memcpy(a, b, k);
        memcpy(b, tmp, k);
        a += k;
        b += k;
        size -= k;
    }
}

void rlc_rng_shuffle(rlc_rng *r, void *base, int64_t n, size_t size) {
    if (n <= 1 || !base || size == 0) return;
    unsigned char *p = base;
    /* Fisher-Yates from the end: for i = n-1 .. 1, swap element i with a uniform j in [0, i]. */
    for (int64_t i = n - 1; i >= 1; i--) {
        uint64_t j = random_interval(r, (uint64_t)i);
        if (j != (uint64_t)i) swap_bytes(p + (size_t)i * size, p + (size_t)j * size, size);
    }
}

int64_t rlc_rng_choice_p(rlc_rng *r, const double *p, int64_t n) {
    if (!p || n <= 0) return -1;
    /* NumPy: cdf = p.cumsum(); cdf /= cdf[-1]; idx = cdf.searchsorted(random(), 'right'). The
     * cumulative sum is sequential, so cdf[-1] is the plain left-to-right sum. */
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (!(p[i] >= 0.0)) return -1;
        total += p[i];
    }
    if (!(total > 0.0) || !isfinite(total)) return -1;
    double u = rlc_rng_random(r);
    double c = 0.0;
    for (int64_t i = 0; i < n; i++) {
        c += p[i];
        if (c / total > u) return i;
    }
    return n - 1; /* unreachable: the last cdf entry is exactly 1 > u */
}

float rlc_rng_uniformf(rlc_rng *r, float lo, float hi) {
    /* NumPy's float32 uniform: 24 high bits of a 32-bit draw. */
    float u = (float)(rlc_rng_next_u32(r) >> 8) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
}

float rlc_rng_normalf(rlc_rng *r) {
    return (float)rlc_rng_normal(r);
}
