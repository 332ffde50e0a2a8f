#include "hb_rng.h"
#include "hb_hash.h"

static uint64_t hb__splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t hb_rng_derive_seed(uint64_t seed, const char *name) {
    return hb__splitmix64(hb_fnv1a64(name) ^ hb__splitmix64(seed));
}

gsl_rng *hb_rng_stream(uint64_t seed, const char *name) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r) {
        /* taus2 uses 32 bits of the seed; fold the high half in rather than dropping it. */
        uint64_t s = hb_rng_derive_seed(seed, name);
        gsl_rng_set(r, (unsigned long)((s ^ (s >> 32)) & 0xffffffffu));
    }
    return r;
}
