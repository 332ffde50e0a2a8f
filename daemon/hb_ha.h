/*
 * What the daemon tells a smart-home hub about a room: the retained state document on
 * <prefix>/<room>/state, and Home Assistant's MQTT discovery documents that announce the room
 * as a climate entity (and its valve level as a sensor) wired to exactly the daemon's topics.
 * Pure formatting, no I/O, so the documents are tested against Home Assistant's documented keys
 * without a broker.
 */
#ifndef HB_HA_H
#define HB_HA_H

#include "hb_thermostat.h"

#include <stdbool.h>
#include <stddef.h>

/* What the state document shows. */
typedef struct hb_room_view {
    double estimate_c; /* NaN before the first estimate: null */
    double setpoint_c;
    int mode, preset;
    int level;
    bool failsafe, window_open;
    int sensors_healthy, sensors_total;
} hb_room_view;

/* "heating", "idle" or "off": Home Assistant's hvac_action values. */
const char *hb_room_action(const hb_room_view *v);

/* The state document into BUF; its length, or -1 when it does not fit. */
int hb_ha_state(char *buf, size_t len, const hb_room_view *v);

/* The room's topic <PREFIX>/<ROOM>/<KIND>: KIND "state", "ctl" or a command ("setpoint/set",
 * "mode/set", "preset/set"). The length, or -1 when it does not fit. */
int hb_ha_topic(char *buf, size_t len, const char *prefix, const char *room, const char *kind);

/* What a discovery document refers to. */
typedef struct hb_ha_ctx {
    const char *prefix;           /* the daemon's topics, "heatbench" */
    const char *discovery_prefix; /* "homeassistant" */
    const char *status_topic;     /* availability */
    const char *version;
} hb_ha_ctx;

/* The room's id in Home Assistant (unique_id, discovery topic, device) into BUF: only
 * lower-case letters, digits, '_' and '-', and never one id for two names (see the proof in
 * hb_ha.c); a plain lower-case name is its own id. The length, or -1 when it does not fit. */
int hb_ha_id(char *buf, size_t len, const char *room);

/* Topic and document (malloc'd, the caller frees) of the room's climate entity (WHICH 0) or
 * valve sensor (WHICH 1). NULL when memory is short or a topic does not fit. */
char *hb_ha_discovery(const hb_ha_ctx *ctx, const char *room, const hb_room_prefs *p, int which,
                      char *topic, size_t topic_len);

#endif
