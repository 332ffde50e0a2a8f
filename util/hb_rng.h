/*
 * Named, seeded random streams.
 *
 * Every source of randomness in a simulation (each sensor's noise, each sensor's report jitter,
 * each network link's loss and delay) draws from its own GSL generator, seeded from the scenario
 * seed and the stream's name. Adding a sixth sensor therefore adds streams without changing the
 * numbers the first five draw, and a trace never depends on the order in which streams are used.
 */
#ifndef HB_RNG_H
#define HB_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* The 64-bit seed of stream NAME under SEED (FNV-1a of the name, mixed by SplitMix64). */
uint64_t hb_rng_derive_seed(uint64_t seed, const char *name);

/* A new generator (gsl_rng_taus2: small, fast, well tested) for NAME; NULL when out of memory.
 * Free with gsl_rng_free(). */
gsl_rng *hb_rng_stream(uint64_t seed, const char *name);

#endif
