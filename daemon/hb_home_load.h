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
 */
#ifndef HB_CLI_HOME_LOAD_H
#define HB_CLI_HOME_LOAD_H

#include "../daemon/hb_thermostat.h"
#include "../scenario/hb_schema.h"

#include <stddef.h>

#define HB_HOME_MAX_ROOMS 4096

/* Loads PATH into HOME, over BASE (the command line's defaults). HB_OK, or HB_ERR_IO,
 * HB_ERR_PARSE, HB_ERR_RANGE with one message naming the file and the key in ERR; HOME is
 * untouched on failure. Free with hb_home_free. */
int hb_home_load_file(const char *path, const hb_room_prefs *base, hb_home *home, char *err,
                      size_t errlen);

/* The same for a document in memory; NAME is used in messages. */
int hb_home_load_string(const char *text, const char *name, const hb_room_prefs *base,
                        hb_home *home, char *err, size_t errlen);

/* The schema of a room's settings (the keys of "defaults" and of each "rooms" entry), for the
 * docs. */
const hb_schema *hb_home_room_schema(void);

#endif
