#include "hb_ha.h"

#include <cjson/cJSON.h>
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

static bool hb__add_common(cJSON *o, const hb_ha_ctx *ctx, const char *room, const char *base,
                           const char *uid) {
    cJSON *dev = cJSON_AddObjectToObject(o, "device");
    cJSON *ids = dev ? cJSON_AddArrayToObject(dev, "identifiers") : NULL;
    char dev_id[2 * HB_ROOM_MAX + 24];
    snprintf(dev_id, sizeof dev_id, "heatbench_%s", base);
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

/* Whether ROOM keeps its name as its id: lower-case letters, digits, '-' and '_', never two
 * '_' in a row. */
static bool hb__plain_id(const char *room) {
    for (const char *c = room; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                  (*c == '_' && c[1] != '_');
        if (!ok) {
            return false;
        }
    }
    return true;
}

int hb_ha_id(char *buf, size_t len, const char *room) {
    /* Why this is injective, also where ids are compared without regard to case (Home
     * Assistant lower-cases entity ids): a plain name (hb__plain_id) is its own id, so two plain
     * names differ in their ids. Any other name becomes "x__" and its characters one by one:
     * lower-case letters, digits and '-' as themselves, '_' as "_1", '.' as "_2", an upper-case
     * letter as '_' and its lower-case. No code is a prefix of another ('_' only ever starts
     * one of two characters), so the id decodes to its one name. Its "__" is never in a plain
     * name's id. Every id is lower-case, so case cannot merge two of them. */
    if (hb__plain_id(room)) {
        int n = snprintf(buf, len, "%s", room);
        return (n < 0 || (size_t)n >= len) ? -1 : n;
    }
    size_t n = 0;
    const char *head = "x__";
    for (const char *c = head; *c; c++) {
        if (n + 1 >= len) {
            return -1;
        }
        buf[n++] = *c;
    }
    for (const char *c = room; *c; c++) {
        char code[2] = {*c, 0};
        if (*c == '_' || *c == '.') {
            code[0] = '_';
            code[1] = *c == '_' ? '1' : '2';
        } else if (*c >= 'A' && *c <= 'Z') {
            code[0] = '_';
            code[1] = (char)(*c - 'A' + 'a');
        }
        for (int k = 0; k < 2 && code[k]; k++) {
            if (n + 1 >= len) {
                return -1;
            }
            buf[n++] = code[k];
        }
    }
    buf[n] = '\0';
    return (int)n;
}

char *hb_ha_discovery(const hb_ha_ctx *ctx, const char *room, const hb_room_prefs *p, int which,
                      char *topic, size_t topic_len) {
    char base[2 * HB_ROOM_MAX + 8];
    if (hb_ha_id(base, sizeof base, room) < 0) {
        return NULL;
    }
    char uid[2 * HB_ROOM_MAX + 48];
    snprintf(uid, sizeof uid, "heatbench_%s%s", base, which ? "_valve" : "");
    int n = snprintf(topic, topic_len, "%s/%s/%s/config", ctx->discovery_prefix,
                     which ? "sensor" : "climate", uid);
    if (n < 0 || (size_t)n >= topic_len) {
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    bool ok = o && hb__add_common(o, ctx, room, base, uid) &&
              (which ? hb__valve(o, ctx, room) : hb__climate(o, ctx, room, p));
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}
