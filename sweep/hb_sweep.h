/*
 * Sweep files: a study of many runs described in one JSON document (docs/sweep.md).
 *
 * A sweep expands to runs: base scenarios x grid points x random samples x controllers x seeds.
 * Run I of the plan is computed on demand from I (a mixed-radix number, seeds fastest), so a
 * plan of a million runs costs no memory, and any machine that reads the same file numbers the
 * runs alike. Each run has a stable id: the SHA-256 of its fully resolved scenario (the base
 * document with the overrides applied, keys sorted), the controller, the seed and the heatbench
 * version, so the same run has the same id on any machine and in any shard.
 */
#ifndef HB_SWEEP_H
#define HB_SWEEP_H

#include "../sim/hb_sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* Sets a controller configuration from a controller name ("pid", "mpc", "pid-ff", ...);
 * 0, or -1 for an unknown name. The command line owns the names and passes its resolver. */
typedef int (*hb_sweep_ctl_fn)(const char *name, hb_room_ctl_config *cfg);

typedef struct hb_sweep_options {
    hb_sweep_ctl_fn controller;   /* required */
    const char *const *ctl_names; /* the accepted names, NULL-terminated, for did-you-mean */
    const char *version;          /* heatbench version: part of every run id */
} hb_sweep_options;

typedef struct hb_sweep hb_sweep;

/* Loads and checks the sweep file PATH. HB_ERR_IO (unreadable), HB_ERR_PARSE (syntax, unknown
 * key, wrong type) or HB_ERR_RANGE (empty list, empty range, bad value), with one message
 * "PATH:LINE:COL: key: what" in ERR. */
int hb_sweep_load(const char *path, const hb_sweep_options *o, hb_sweep **out, char *err,
                  size_t errlen);
void hb_sweep_destroy(hb_sweep *s);

/* True when the JSON file PATH looks like a sweep (it has "scenarios" or "controllers" at its
 * top level), so `heatbench check` can tell sweeps from scenarios. */
bool hb_sweep_is_sweep_file(const char *path);

size_t hb_sweep_count(const hb_sweep *s);
const char *hb_sweep_path(const hb_sweep *s);

/* Distinct scenario points (scenarios x grid x samples): runs differing only in controller and
 * seed share one. */
size_t hb_sweep_points(const hb_sweep *s);

#define HB_SWEEP_ID_LEN 16 /* hex characters: the first 64 bits of the SHA-256 */

/* One resolved run. */
typedef struct hb_sweep_run {
    size_t index;
    char id[HB_SWEEP_ID_LEN + 1];
    char floor_key[HB_SWEEP_ID_LEN + 1]; /* the same over what the energy floor reads */
    const char *scenario;                /* as named in the sweep file */
    const char *controller;
    uint64_t seed;
    struct cJSON *doc;       /* the resolved scenario document (owned) */
    struct cJSON *overrides; /* {"room.ua_w_per_k": 80, ...} (owned) */
    const char *base_dir;    /* resolves relative file names inside the scenario */
} hb_sweep_run;

/* Resolves run INDEX (< hb_sweep_count). HB_OK or HB_ERR_NOMEM. Free with hb_sweep_run_free. */
int hb_sweep_resolve(const hb_sweep *s, size_t index, hb_sweep_run *r);
void hb_sweep_run_free(hb_sweep_run *r);

/* The simulation configuration of R into CFG (free it with hb_sim_config_free either way).
 * HB_OK, or an error with the reason in ERR (an override value the scenario rejects). */
int hb_sweep_run_config(const hb_sweep *s, const hb_sweep_run *r, hb_sim_config *cfg, char *err,
                        size_t errlen);

/* Checks that every scenario point of the plan loads (at most LIMIT of them; 0: all). HB_OK,
 * or the first failure with its message in ERR. */
int hb_sweep_validate(const hb_sweep *s, size_t limit, char *err, size_t errlen);

/* The first 64 bits of SHA-256(DATA) as 16 lower-case hex characters into OUT (17 bytes). */
void hb_sweep_hash_hex(const void *data, size_t len, char *out);

#endif
