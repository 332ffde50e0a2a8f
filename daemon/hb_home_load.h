/*
 * The daemon's configuration file (`heatbench control --config FILE`): defaults for every room
 * and the rooms that differ, each with a schedule and a controller in exactly the format of a
 * scenario's "schedule" and "controller" sections. docs/live.md is the reference:
 *
 *   {"defaults": {"setpoint_c": 21, "min_c": 5, "max_c": 28,
 *                 "presets": {"comfort_c": 22, "eco_c": 17, "away_c": 12},
 *                 "schedule": {"periods": [...]}, "controller": {...}},
 *    "rooms": [{"name": "room-1", "schedule": {...}, "controller": {"pid": {"kp": 30}}}]}
 *
 * A room starts from the defaults and changes only the keys it names.
 *
 * The "schedule" and "controller" sections are the scenario's: their schemas come from the
 * caller (cli passes scenario/'s hb_scenario_section), so the daemon links no scenario loader
 * and, behind it, no simulator.
 */
#ifndef HB_HOME_LOAD_H
#define HB_HOME_LOAD_H

#include "../util/hb_schema.h"
#include "hb_thermostat.h"

#include <stddef.h>

#define HB_HOME_MAX_ROOMS 4096

/* The schema of a scenario section by its key ("schedule", "controller"). */
typedef const hb_schema *hb_home_section_fn(const char *key);

/* Loads PATH into HOME, over BASE (the command line's defaults), with the sections' schemas
 * from SECTIONS. HB_OK, or HB_ERR_IO, HB_ERR_PARSE, HB_ERR_RANGE with one message naming the
 * file and the key in ERR; HOME is untouched on failure. Free with hb_home_free. */
int hb_home_load_file(const char *path, const hb_room_prefs *base, hb_home_section_fn *sections,
                      hb_home *home, char *err, size_t errlen);

/* The same for a document in memory; NAME is used in messages. */
int hb_home_load_string(const char *text, const char *name, const hb_room_prefs *base,
                        hb_home_section_fn *sections, hb_home *home, char *err, size_t errlen);

#endif
