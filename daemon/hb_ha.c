#include "hb_ha.h"
#include "../util/hb_hash.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const char *hb_room_action(const hb_room_view *v) {
    if (v->mode == HB_MODE_OFF) {
        return "off";
    }
    return v->level > 0 ? "heating" : "idle";
}

int hb_ha_state(char *buf, size_t len, const hb_room_view *v) {
    char est[32];
    if (isfinite(v->estimate_c)) {
        snprintf(est, sizeof est, "%.2f", v->estimate_c);
    } else {
        memcpy(est, "null", 5);
    }
    int n = snprintf(buf, len,
                     "{\"estimate_c\":%s,\"setpoint_c\":%.2f,\"mode\":\"%s\",\"preset\":\"%s\","
                     "\"action\":\"%s\",\"level\":%d,\"failsafe\":%s,\"window_open\":%s,"
                     "\"sensors_healthy\":%d,\"sensors_total\":%d}",
                     est, v->setpoint_c, hb_mode_name(v->mode), hb_preset_name(v->preset),
                     hb_room_action(v), v->level, v->failsafe ? "true" : "false",
                     v->window_open ? "true" : "false", v->sensors_healthy, v->sensors_total);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

int hb_ha_topic(char *buf, size_t len, const char *prefix, const char *room, const char *kind) {
    int n = snprintf(buf, len, "%s/%s/%s", prefix, room, kind);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

/* Adds KEY: <prefix>/<room>/<kind>. */
static bool hb__add_topic(cJSON *o, const char *key, const hb_ha_ctx *ctx, const char *room,
                          const char *kind) {
    char t[256];
    return hb_ha_topic(t, sizeof t, ctx->prefix, room, kind) >= 0 &&
           cJSON_AddStringToObject(o, key, t) != NULL;
}

static bool hb__add_common(cJSON *o, const hb_ha_ctx *ctx, const char *room, const char *uid) {
    cJSON *dev = cJSON_AddObjectToObject(o, "device");
    cJSON *ids = dev ? cJSON_AddArrayToObject(dev, "identifiers") : NULL;
    char dev_id[128];
    snprintf(dev_id, sizeof dev_id, "heatbench_%s", room);
    bool ok = ids && cJSON_AddStringToObject(o, "unique_id", uid) &&
              cJSON_AddStringToObject(o, "availability_topic", ctx->status_topic) &&
              cJSON_AddStringToObject(o, "payload_available", "online") &&
              cJSON_AddStringToObject(o, "payload_not_available", "offline") &&
              cJSON_AddStringToObject(dev, "name", room) &&
              cJSON_AddStringToObject(dev, "manufacturer", "heatbench") &&
              cJSON_AddStringToObject(dev, "model", "heatbench control") &&
              cJSON_AddStringToObject(dev, "sw_version", ctx->version);
    cJSON *id = ok ? cJSON_CreateString(dev_id) : NULL;
    if (!id) {
        return false;
    }
    cJSON_AddItemToArray(ids, id);
    return hb__add_topic(o, "json_attributes_topic", ctx, room, "state");
}

static bool hb__climate(cJSON *o, const hb_ha_ctx *ctx, const char *room, const hb_room_prefs *p) {
    const char *const modes[] = {"heat", "off"};
    const char *const presets[] = {"comfort", "eco", "away"};
    cJSON *m = cJSON_CreateStringArray(modes, 2);
    cJSON *pr = cJSON_CreateStringArray(presets, 3);
    if (!m || !pr) {
        cJSON_Delete(m);
        cJSON_Delete(pr);
        return false;
    }
    cJSON_AddItemToObject(o, "modes", m);
    cJSON_AddItemToObject(o, "preset_modes", pr);
    /* A string, not null: Home Assistant before 2023.8 refuses a null name; the entity shows
     * as "<room> Thermostat" in every version since has_entity_name. */
    return cJSON_AddStringToObject(o, "name", "Thermostat") &&
           hb__add_topic(o, "current_temperature_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "current_temperature_template",
                                   "{{ value_json.estimate_c }}") &&
           hb__add_topic(o, "temperature_command_topic", ctx, room, "setpoint/set") &&
           hb__add_topic(o, "temperature_state_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "temperature_state_template",
                                   "{{ value_json.setpoint_c }}") &&
           hb__add_topic(o, "mode_command_topic", ctx, room, "mode/set") &&
           hb__add_topic(o, "mode_state_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "mode_state_template", "{{ value_json.mode }}") &&
           hb__add_topic(o, "preset_mode_command_topic", ctx, room, "preset/set") &&
           hb__add_topic(o, "preset_mode_state_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "preset_mode_value_template", "{{ value_json.preset }}") &&
           hb__add_topic(o, "action_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "action_template", "{{ value_json.action }}") &&
           cJSON_AddNumberToObject(o, "min_temp", p->min_c) &&
           cJSON_AddNumberToObject(o, "max_temp", p->max_c) &&
           cJSON_AddNumberToObject(o, "temp_step", 0.5) &&
           cJSON_AddNumberToObject(o, "precision", 0.1) &&
           cJSON_AddStringToObject(o, "temperature_unit", "C") &&
           cJSON_AddNumberToObject(o, "qos", 1);
}

static bool hb__valve(cJSON *o, const hb_ha_ctx *ctx, const char *room) {
    return cJSON_AddStringToObject(o, "name", "Valve") &&
           hb__add_topic(o, "state_topic", ctx, room, "state") &&
           cJSON_AddStringToObject(o, "value_template", "{{ value_json.level }}") &&
           cJSON_AddStringToObject(o, "unit_of_measurement", "%") &&
           cJSON_AddStringToObject(o, "state_class", "measurement") &&
           cJSON_AddStringToObject(o, "icon", "mdi:valve");
}

char *hb_ha_discovery(const hb_ha_ctx *ctx, const char *room, const hb_room_prefs *p, int which,
                      char *topic, size_t topic_len) {
    /* Discovery ids allow letters, digits, '_' and '-'; room names also '.'. A name with a '.'
     * gets it as '_' and a hash of the whole name, so "bed.1" and "bed_1" stay two thermostats
     * (one id for both would let the eviction of one withdraw the other). Names without a '.'
     * keep the plain id. */
    char base[HB_ROOM_MAX + 16];
    int bn = snprintf(base, sizeof base, "%s", room);
    if (strchr(room, '.') && bn >= 0 && (size_t)bn < sizeof base) {
        snprintf(base + bn, sizeof base - (size_t)bn, "_%08" PRIx32, hb_fnv1a32(room));
        for (char *c = base; *c; c++) {
            *c = *c == '.' ? '_' : *c;
        }
    }
    char uid[HB_ROOM_MAX + 48];
    snprintf(uid, sizeof uid, "heatbench_%s%s", base, which ? "_valve" : "");
    int n = snprintf(topic, topic_len, "%s/%s/%s/config", ctx->discovery_prefix,
                     which ? "sensor" : "climate", uid);
    if (n < 0 || (size_t)n >= topic_len) {
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    bool ok = o && hb__add_common(o, ctx, room, uid) &&
              (which ? hb__valve(o, ctx, room) : hb__climate(o, ctx, room, p));
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}
