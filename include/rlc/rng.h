/* Random numbers: PCG64 (XSL-RR 128/64) seeded through NumPy's SeedSequence, so that
 * rlc_rng_seed(&r, s) followed by the draws below reproduces numpy.random.default_rng(s)
 * bit for bit (and therefore Gymnasium's env.reset(seed=s)). */
#ifndef RLC_RNG_H
#define RLC_RNG_H

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Plain struct: copying it snapshots the stream (env get_state/set_state rely on this). */
typedef struct rlc_rng {
    uint64_t state_hi, state_lo; /* 128-bit LCG state */
    uint64_t inc_hi, inc_lo;     /* 128-bit increment (odd) */
    /* NumPy's Generator keeps a buffered 32-bit half for next_uint32; kept for parity. */
    uint32_t uinteger;
    int has_uint32;
} rlc_rng;

/* Seeds like numpy.random.default_rng(seed) for a seed < 2^64. */
RLC_API void rlc_rng_seed(rlc_rng *r, uint64_t seed);
/* Seeds from an arbitrary-size non-negative integer given as 32-bit words, least significant
 * first (seed 2^128+7 is {7,0,0,0,1}). nwords >= 1; high zero words are ignored, as the value
 * is what counts ({7,0} seeds like 7). */
RLC_API void rlc_rng_seed_words(rlc_rng *r, const uint32_t *words, int nwords);
/* Seeds from a decimal string of any length ("340282366920938463463374607431768211463");
 * RLC_ERR_INVALID if it is not a non-negative decimal integer (digits only: no sign, spaces or
 * empty string), RLC_ERR_NOMEM if a string of 576 digits or more cannot get its scratch
 * buffer. `r` is untouched on failure. */
RLC_API rlc_status rlc_rng_seed_str(rlc_rng *r, const char *decimal);

/* Raw 64-bit output (numpy: bit_generator.random_raw()). */
RLC_API uint64_t rlc_rng_next_u64(rlc_rng *r);
/* 32-bit output as NumPy's next_uint32 (uses the buffered half of a 64-bit draw). */
RLC_API uint32_t rlc_rng_next_u32(rlc_rng *r);
/* Uniform double in [0, 1): Generator.random(). */
RLC_API double rlc_rng_random(rlc_rng *r);
/* Generator.uniform(lo, hi): lo + (hi - lo) * random(). */
RLC_API double rlc_rng_uniform(rlc_rng *r, double lo, double hi);
/* Generator.standard_normal(): NumPy's 256-step ziggurat. */
RLC_API double rlc_rng_normal(rlc_rng *r);
/* Generator.normal(mean, std). */
RLC_API double rlc_rng_gauss(rlc_rng *r, double mean, double std);
/* Generator.integers(lo, hi) for a single int64 draw, hi exclusive: Lemire's method on the
 * buffered 32-bit draws when hi - lo <= 2^32 (one u32 without rejection when hi - lo = 2^32),
 * on 64-bit draws above. hi - lo = 1 draws nothing. Returns lo without drawing if hi <= lo
 * (NumPy raises). */
RLC_API int64_t rlc_rng_integers(rlc_rng *r, int64_t lo, int64_t hi);
/* Generator.permutation(n): 0..n-1 shuffled, written to out[n]. Nothing happens for n <= 0
 * or out == NULL. */
RLC_API void rlc_rng_permutation(rlc_rng *r, int64_t n, int64_t *out);
/* Generator.shuffle on an array of n elements of `size` bytes each (NumPy's Fisher-Yates from
 * the end, j drawn by masked rejection on u32 draws while i < 2^32). */
RLC_API void rlc_rng_shuffle(rlc_rng *r, void *base, int64_t n, size_t size);
/* Generator.choice(n, p=probs) for one draw: index sampled from probabilities p[n]
 * (cumulative sum normalised by its last entry, compared with one random(), as NumPy does).
 * p need not sum to 1 exactly. Returns -1 without drawing if p is NULL, n <= 0, an entry is
 * negative or NaN, or the sum is not positive and finite. */
RLC_API int64_t rlc_rng_choice_p(rlc_rng *r, const double *p, int64_t n);
/* Float32 helpers for network init and noise. uniformf uses NumPy's float32 uniform
 * ((u32 >> 8) * 2^-24 on the buffered 32-bit draws); normalf is (float)rlc_rng_normal, not
 * NumPy's float32 ziggurat. */
RLC_API float rlc_rng_uniformf(rlc_rng *r, float lo, float hi);
RLC_API float rlc_rng_normalf(rlc_rng *r);

/* Derives an independent child stream (e.g. one per vector-env worker or per network) from a
 * parent seed and a stream index: exactly NumPy's
 *   default_rng(SeedSequence(seed, spawn_key=(stream,)))
 * = default_rng(SeedSequence(seed).spawn(stream + 1)[stream]), i.e. the seed's 32-bit words
 * padded to 4, followed by the stream's words, mixed by SeedSequence. Streams differ from each
 * other and from rlc_rng_seed(seed). */
RLC_API void rlc_rng_seed_stream(rlc_rng *r, uint64_t seed, uint64_t stream);

#ifdef __cplusplus
}
#endif
#endif
