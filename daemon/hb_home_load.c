#include "hb_home_load.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "../util/hb_schema_def.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB__MAX_FILE (4u << 20)

// NOLINTBEGIN(bugprone-macro-parentheses)
static const hb_field preset_fields[] = {
    NUM("comfort_c", hb_room_prefs, comfort_c, 5, 35, "°C", "setpoint of the comfort preset"),
    NUM("eco_c", hb_room_prefs, eco_c, 5, 35, "°C", "setpoint of the eco preset"),
    NUM("away_c", hb_room_prefs, away_c, 5, 35, "°C", "setpoint of the away preset"),
};
static const hb_schema preset_schema = SCHEMA(preset_fields);
// NOLINTEND(bugprone-macro-parentheses)

/* The controller and schedule sections are the scenario's own: filled in from the caller's
 * SECTIONS at each load (always the same schemas: the scenario's). */
static hb_field room_fields[] = {
    STR("name", hb_room_prefs, name, 1, "the room (rooms[] only): its readings topic's level"),
    NUM("setpoint_c", hb_room_prefs, setpoint_c, 5, 35, "°C",
        "setpoint outside every schedule period"),
    NUM("min_c", hb_room_prefs, min_c, 5, 35, "°C", "lowest setpoint a command may set"),
    NUM("max_c", hb_room_prefs, max_c, 5, 35, "°C", "highest setpoint a command may set"),
    OBJ0("presets", preset_schema, "preset temperatures"),
    {.key = "schedule",
     .type = HB_F_OBJ,
     .offset = offsetof(hb_room_prefs, schedule),
     .doc = "setpoint periods, as a scenario's schedule (days follow the calendar)"},
    {.key = "controller",
     .type = HB_F_OBJ,
     .offset = offsetof(hb_room_prefs, ctl),
     .doc = "the room's controller, as a scenario's controller section"},
};
static const hb_schema room_schema = SCHEMA(room_fields);

static void hb__home_sections(hb_home_section_fn *sections) {
    for (size_t i = 0; i < room_schema.n; i++) {
        if (!room_fields[i].sub && room_fields[i].type == HB_F_OBJ) {
            room_fields[i].sub = sections(room_fields[i].key);
        }
    }
}

/* The room's "sensors": an array of distinct ids (NULL: the key is absent, P keeps its list). */
static int hb__sensors(const cJSON *a, hb_room_prefs *p, const char *path, const char *name,
                       char *err, size_t errlen) {
    if (!a) {
        return HB_OK;
    }
    int n = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || n > HB_ROOM_MAX_SENSORS) {
        snprintf(err, errlen, "%s: %s.sensors: expected an array of at most %d sensor ids", name,
                 path, HB_ROOM_MAX_SENSORS);
        return HB_ERR_PARSE;
    }
    p->n_sensors = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, a) {
        size_t len = cJSON_IsString(s) ? strlen(s->valuestring) : 0;
        bool ok = len > 0 && len < HB_SENSOR_ID_LEN;
        for (size_t i = 0; ok && i < p->n_sensors; i++) {
            ok = strcmp(p->sensors[i], s->valuestring) != 0;
        }
        if (!ok) {
            snprintf(err, errlen,
                     "%s: %s.sensors[%zu]: expected a distinct sensor id of 1 to %d bytes", name,
                     path, p->n_sensors, HB_SENSOR_ID_LEN - 1);
            return HB_ERR_RANGE;
        }
        memcpy(p->sensors[p->n_sensors++], s->valuestring, len + 1);
    }
    return HB_OK;
}

/* One room's (or the defaults') object onto P. */
static int hb__apply(const cJSON *obj, hb_room_prefs *p, const char *path, bool named,
                     const char *name, char *err, size_t errlen) {
    char msg[768];
    if (!cJSON_IsObject(obj)) {
        snprintf(err, errlen, "%s: %s: expected an object", name, path);
        return HB_ERR_PARSE;
    }
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, "name");
    if (named != (n != NULL)) {
        snprintf(err, errlen, "%s: %s.name: %s", name, path,
                 named ? "missing (each room names itself)" : "only rooms[] entries have a name");
        return HB_ERR_PARSE;
    }
    const cJSON *sched = cJSON_GetObjectItemCaseSensitive(obj, "schedule");
    if (sched && cJSON_GetObjectItemCaseSensitive(sched, "start_day")) {
        snprintf(err, errlen,
                 "%s: %s.schedule.start_day: the daemon's days follow the calendar; remove the "
                 "key",
                 name, path);
        return HB_ERR_PARSE;
    }
    /* "sensors" is a list of strings, which the schema binder does not do: read it here and
     * hand the rest over. */
    cJSON *rest = cJSON_Duplicate(obj, 1);
    cJSON *sensors = rest ? cJSON_DetachItemFromObjectCaseSensitive(rest, "sensors") : NULL;
    int rc = rest ? hb__sensors(sensors, p, path, name, err, errlen) : HB_ERR_NOMEM;
    if (rc == HB_OK) {
        rc = hb_schema_apply(&room_schema, rest, p, path, msg, sizeof msg);
        if (rc != HB_OK) {
            snprintf(err, errlen, "%s: %s", name, msg);
        }
    } else if (rc == HB_ERR_NOMEM) {
        snprintf(err, errlen, "%s: out of memory", name);
    }
    cJSON_Delete(sensors);
    cJSON_Delete(rest);
    if (rc != HB_OK) {
        return rc;
    }
    if (named && !hb_room_name_ok(p->name)) {
        snprintf(err, errlen,
                 "%s: %s.name: expected 1 to %d letters, digits, '-', '_' or '.', got \"%s\"", name,
                 path, HB_ROOM_MAX - 1, p->name);
        return HB_ERR_RANGE;
    }
    rc = hb_room_prefs_finish(p, msg, sizeof msg);
    if (rc != HB_OK) {
        snprintf(err, errlen, "%s: %s (%s)", name, msg, path);
    }
    return rc;
}

static int hb__load(const cJSON *doc, const char *name, const hb_room_prefs *base, hb_home *out,
                    char *err, size_t errlen) {
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "%s: expected a JSON object with \"defaults\" and \"rooms\"", name);
        return HB_ERR_PARSE;
    }
    for (const cJSON *k = doc->child; k; k = k->next) {
        if (strcmp(k->string, "defaults") != 0 && strcmp(k->string, "rooms") != 0) {
            snprintf(err, errlen, "%s: unknown key \"%s\" (expected \"defaults\" or \"rooms\")",
                     name, k->string);
            return HB_ERR_PARSE;
        }
    }
    hb_home h = {.defaults = *base};
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "defaults");
    int rc = d ? hb__apply(d, &h.defaults, "defaults", false, name, err, errlen) : HB_OK;
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(doc, "rooms");
    if (rc == HB_OK && rooms && !cJSON_IsArray(rooms)) {
        snprintf(err, errlen, "%s: rooms: expected an array of objects", name);
        rc = HB_ERR_PARSE;
    }
    size_t n = rooms ? (size_t)cJSON_GetArraySize(rooms) : 0;
    if (rc == HB_OK && n > HB_HOME_MAX_ROOMS) {
        snprintf(err, errlen, "%s: rooms: at most %d rooms, got %zu", name, HB_HOME_MAX_ROOMS, n);
        rc = HB_ERR_RANGE;
    }
    if (rc == HB_OK && n > 0) {
        h.rooms = calloc(n, sizeof *h.rooms);
        rc = h.rooms ? HB_OK : HB_ERR_NOMEM;
        if (rc != HB_OK) {
            snprintf(err, errlen, "%s: out of memory", name);
        }
    }
    size_t i = 0;
    for (const cJSON *r = rooms ? rooms->child : NULL; rc == HB_OK && r && h.rooms;
         r = r->next, i++) {
        char path[32];
        snprintf(path, sizeof path, "rooms[%zu]", i);
        h.rooms[i] = h.defaults;
        h.rooms[i].name[0] = '\0';
        rc = hb__apply(r, &h.rooms[i], path, true, name, err, errlen);
        for (size_t j = 0; rc == HB_OK && j < i; j++) {
            if (strcmp(h.rooms[j].name, h.rooms[i].name) == 0) {
                snprintf(err, errlen, "%s: %s.name: room \"%s\" is already rooms[%zu]", name, path,
                         h.rooms[i].name, j);
                rc = HB_ERR_RANGE;
            }
        }
        h.n_rooms = i + 1;
    }
    if (rc != HB_OK) {
        hb_home_free(&h);
        return rc;
    }
    *out = h;
    return HB_OK;
}

int hb_home_load_string(const char *text, const char *name, const hb_room_prefs *base,
                        hb_home_section_fn *sections, hb_home *home, char *err, size_t errlen) {
    hb__home_sections(sections);
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithOpts(text, &end, 1);
    if (!doc) {
        int line = 1;
        for (const char *p = text; end && p < end; p++) {
            line += *p == '\n';
        }
        snprintf(err, errlen, "%s: line %d: not valid JSON", name, line);
        return HB_ERR_PARSE;
    }
    int rc = hb__load(doc, name, base, home, err, errlen);
    cJSON_Delete(doc);
    return rc;
}

int hb_home_load_file(const char *path, const hb_room_prefs *base, hb_home_section_fn *sections,
                      hb_home *home, char *err, size_t errlen) {
    size_t len;
    char *text = hb_file_read(path, "configuration", HB__MAX_FILE, err, errlen, &len);
    if (!text) {
        return HB_ERR_IO;
    }
    int rc = hb_home_load_string(text, path, base, sections, home, err, errlen);
    free(text);
    return rc;
}
