/* Internals of the RNG shared between rng.c, its generated ziggurat tables and the tests:
 * NumPy's 256-level ziggurat tables and the SeedSequence steps. */
#ifndef RLC_CORE_RNG_IMPL_H
#define RLC_CORE_RNG_IMPL_H

#include "rlc/rng.h"

/* Ziggurat for float64 standard normals (tools/gen_ziggurat.py writes rng_ziggurat.c). */
extern const uint64_t rlc__zig_ki[256];
extern const double rlc__zig_wi[256];
extern const double rlc__zig_fi[256];
extern const double rlc__zig_r;     /* right edge of the base strip, 3.6541528853610088 */
extern const double rlc__zig_inv_r; /* 1 / rlc__zig_r */

/* SeedSequence(pool_size=4) on the entropy words `words[n]` (already assembled: integer words
 * least significant first, followed by any spawn-key words): fills pool[4] and the 4 uint64
 * of generate_state(4, uint64). n >= 1. */
void rlc__seedseq(const uint32_t *words, int n, uint32_t pool[4], uint64_t state[4]);

#endif
