/*
 * Scenario files: JSON documents that describe a room, a day and a controller, loaded over the
 * built-in default so a file only needs the keys it changes. docs/scenarios.md is the reference.
 */
#ifndef HB_SCENARIO_H
#define HB_SCENARIO_H

#include "../sim/hb_sim.h"
#include "../util/hb_schema.h"

#include <stddef.h>

/* Loads PATH over the default configuration into CFG. On failure returns HB_ERR_IO (missing or
 * unreadable file), HB_ERR_PARSE (syntax, unknown key, wrong type) or HB_ERR_RANGE (a value out
 * of range or inconsistent with another), and writes one complete message, starting with the file
 * name, into ERR. CFG must be released with hb_sim_config_free() either way. */
int hb_scenario_load_file(const char *path, hb_sim_config *cfg, char *err, size_t errlen);

/* The same for a document in memory; NAME is used in messages, BASE_DIR resolves relative
 * file names inside the scenario (NULL = the current directory). */
int hb_scenario_load_string(const char *text, const char *name, const char *base_dir,
                            hb_sim_config *cfg, char *err, size_t errlen);

/* Checks the cross-field rules (after CLI overrides, too). NAME prefixes the message. */
int hb_scenario_validate(const hb_sim_config *cfg, const char *name, char *err, size_t errlen);

/* The schema of a scenario document, for the docs test and `heatbench scenario --keys`. */
const hb_schema *hb_scenario_schema(void);

/* The schema of one top-level section ("controller", "schedule"), or NULL: the daemon's
 * configuration reuses them, so a room's controller and schedule read as in a scenario. */
const hb_schema *hb_scenario_section(const char *key);

#endif
