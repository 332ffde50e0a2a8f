/*
 * Household changes coalesced per room: a looping automation that toggles a room's mode two
 * thousand times a second must not send two thousand valve commands (each a radio message and a
 * motor run of a battery-powered valve). The first change of a quiet room acts at once; changes
 * within the room's minimum command interval after it only record that a change is pending,
 * and the last wish (already in the room's thermostat) acts when the interval ends. So a room
 * sends at most two commands from household changes per interval, whatever arrives.
 */
#ifndef HB_COALESCE_H
#define HB_COALESCE_H

#include <stdbool.h>

typedef struct hb_coalesce {
    double last;  /* controller time of the last change that acted, s (-inf: none yet) */
    bool pending; /* a change arrived since, not acted on yet */
} hb_coalesce;

void hb_coalesce_init(hb_coalesce *c);

/* A household change at NOW (controller seconds, non-decreasing): true when it acts now; false
 * when it is coalesced (it will act at hb_coalesce_due). */
bool hb_coalesce_change(hb_coalesce *c, double now, double interval_s);

/* Whether a coalesced change acts at NOW (its interval ended); it then counts as acted. */
bool hb_coalesce_due(hb_coalesce *c, double now, double interval_s);

#endif
