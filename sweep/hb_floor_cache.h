/*
 * A memo of the energy references (sim/hb_energy.h) shared by the threads of a sweep.
 *
 * The floor is a linear program that costs several times a day's simulation, and depends on the
 * scenario alone: the runs of one scenario point under every controller and seed share it. The
 * cache is keyed by the caller's hash of what the floor reads (hb_sweep_run.floor_key), solves
 * each key once even when threads ask for it at the same time (the later ones wait for the
 * first), and keeps at most a bounded number of unused plans, so its memory does not grow with
 * the sweep.
 */
#ifndef HB_FLOOR_CACHE_H
#define HB_FLOOR_CACHE_H

#include "../sim/hb_energy.h"

#include <stddef.h>

typedef struct hb_floor_cache hb_floor_cache;

/* CAPACITY: plans kept when nobody uses them (at least 1). */
int hb_floor_cache_create(size_t capacity, hb_floor_cache **out);
void hb_floor_cache_destroy(hb_floor_cache *c);

/* The plan for KEY, solved from CFG on the first request. Never NULL unless out of memory; a
 * plan that could not be solved holds NaN (as hb_energy_plan_solve leaves it). Hand it back
 * with hb_floor_cache_release when the run is over. */
const hb_energy_plan *hb_floor_cache_get(hb_floor_cache *c, const char *key,
                                         const hb_sim_config *cfg);
void hb_floor_cache_release(hb_floor_cache *c, const hb_energy_plan *plan);

/* How many plans were solved (for the sweep's summary and the tests). */
size_t hb_floor_cache_solved(const hb_floor_cache *c);

#endif
