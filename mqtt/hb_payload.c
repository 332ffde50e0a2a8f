#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "hb_payload.h"
#include "../util/hb_strutil.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hb__drop_names[] = {
    "none",         "oversize",   "binary",     "json",      "not-object", "no-sensor",
    "bad-sensor",   "wrong-type", "no-value",   "bad-value", "non-finite", "implausible",
    "bad-topic",    "room-cap",   "sensor-cap", "retained",  "command",    "unlisted-sensor",
    "unknown-room", "forged",     "stale-state"};
/* A reason added to enum hb_drop without its name here fails the build, not the log. */
_Static_assert(sizeof hb__drop_names / sizeof hb__drop_names[0] == HB_DROP__COUNT,
               "one name per drop reason");

const char *hb_drop_name(int reason) {
    return (reason >= 0 && reason < HB_DROP__COUNT) ? hb__drop_names[reason] : "unknown";
}

/* What each reason means, for the log line of a drop (the names are for counters). */
static const char *const hb__drop_whys[] = {
    "accepted",
    "payload larger than the limit",
    "NUL or control bytes",
    "not valid JSON",
    "JSON but not an object",
    "no \"sensorID\"",
    "\"sensorID\" empty, too long or not a string",
    "\"type\" is not \"temperature\"",
    "no \"value\"",
    "value is not a number",
    "value is NaN or infinite",
    "value outside -40..80 degC",
    "topic does not match or names no plain room",
    "too many rooms and none idle",
    "the room's sensors are all fresh: an extra id gets no vote",
    "retained: of unknown age",
    "not understood or outside the room's limits",
    "a sensor id the room's --config entry does not list",
    "a household command for a room with no readings and no --config entry",
    "a pair message whose signature does not verify (wrong or no --pair-key-file?)",
    "a saved controller state older than --state-max-age or undated"};
_Static_assert(sizeof hb__drop_whys / sizeof hb__drop_whys[0] == HB_DROP__COUNT,
               "one explanation per drop reason");

const char *hb_drop_why(int reason) {
    return (reason >= 0 && reason < HB_DROP__COUNT) ? hb__drop_whys[reason] : "unknown";
}

int hb_payload_word(const char *buf, size_t len, char *out, size_t outlen) {
    while (len > 0 && (*buf == ' ' || *buf == '\t' || *buf == '\n' || *buf == '\r')) {
        buf++;
        len--;
    }
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\n' ||
                       buf[len - 1] == '\r')) {
        len--;
    }
    if (len == 0 || len >= outlen) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x21 || c > 0x7e) {
            return -1; /* a word or a number: printable ASCII, no blanks inside */
        }
    }
    memcpy(out, buf, len);
    out[len] = '\0';
    return 0;
}

/* Rejects NUL and control bytes other than JSON whitespace before handing text to cJSON. */
static int hb__precheck(const char *buf, size_t len) {
    if (len > HB_PAYLOAD_MAX) {
        return HB_DROP_OVERSIZE;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return HB_DROP_BINARY;
        }
        /* A \u0000 escape decodes to a NUL inside a string, and C strings end there:
         * "s1\u0000evil" would be read as sensor "s1". Such text is binary in disguise. */
        if (c == '\\' && i + 1 < len) {
            if (buf[i + 1] == 'u' && i + 5 < len && memcmp(buf + i + 2, "0000", 4) == 0) {
                return HB_DROP_BINARY;
            }
            i++; /* skip the escaped character, so "\\u0000" (a backslash, then text) passes */
        }
    }
    return HB_DROP_NONE;
}

static cJSON *hb__parse(const char *buf, size_t len, int *reason) {
    *reason = hb__precheck(buf, len);
    if (*reason != HB_DROP_NONE) {
        return NULL;
    }
    /* cJSON_ParseWithLengthOpts does not need a NUL-terminated buffer (MQTT payloads are not),
     * and passing return_parse_end keeps it off the global error pointer. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        *reason = HB_DROP_JSON;
        return NULL;
    }
    /* Only whitespace may follow the value. */
    for (const char *p = end; p < buf + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            *reason = HB_DROP_JSON;
            return NULL;
        }
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *reason = HB_DROP_NOT_OBJECT;
        return NULL;
    }
    return root;
}

/* A number, or a string that is entirely a number (surrounding blanks allowed). */
static int hb__payload_number(const cJSON *v, double *out) {
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
    } else if (cJSON_IsString(v) && v->valuestring) {
        const char *s = v->valuestring;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        /* Plain decimals only: strtod would read "0x15" as 21 and "nan" as a number. */
        if (hb_parse_number(s, 1, out) != 0) {
            return HB_DROP_BAD_VALUE;
        }
    } else {
        return HB_DROP_BAD_VALUE;
    }
    return isfinite(*out) ? HB_DROP_NONE : HB_DROP_NON_FINITE;
}

int hb_payload_reading(const char *buf, size_t len, char *sensor_id, double *value) {
    int reason;
    cJSON *root = hb__parse(buf, len, &reason);
    if (!root) {
        return reason;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "sensorID");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(root, "value");
    if (!id) {
        reason = HB_DROP_NO_SENSOR;
    } else if (cJSON_IsString(id) && id->valuestring) {
        size_t n = strlen(id->valuestring);
        /* No control characters (escaped ones decode to raw bytes): an id goes into logs. */
        if (n == 0 || n >= HB_SENSOR_ID_LEN || hb_str_has_control(id->valuestring)) {
            reason = HB_DROP_BAD_SENSOR;
        } else {
            memcpy(sensor_id, id->valuestring, n + 1);
        }
    } else if (cJSON_IsNumber(id) && isfinite(id->valuedouble)) {
        snprintf(sensor_id, HB_SENSOR_ID_LEN, "%.17g", id->valuedouble);
    } else {
        reason = HB_DROP_BAD_SENSOR;
    }
    if (reason == HB_DROP_NONE && type &&
        !(cJSON_IsString(type) && type->valuestring &&
          strcmp(type->valuestring, "temperature") == 0)) {
        reason = HB_DROP_WRONG_TYPE;
    }
    if (reason == HB_DROP_NONE) {
        if (!val) {
            reason = HB_DROP_NO_VALUE;
        } else if ((reason = hb__payload_number(val, value)) == HB_DROP_NONE &&
                   (*value < -40.0 || *value > 80.0)) {
            reason = HB_DROP_IMPLAUSIBLE;
        }
    }
    cJSON_Delete(root);
    return reason;
}

int hb_payload_level(const char *buf, size_t len, int *level) {
    int reason;
    cJSON *root = hb__parse(buf, len, &reason);
    if (!root) {
        return reason;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "level");
    double d = 0;
    if (!v) {
        reason = HB_DROP_NO_VALUE;
    } else if ((reason = hb__payload_number(v, &d)) == HB_DROP_NONE) {
        if (d < -1e6 || d > 1e6) {
            reason = HB_DROP_IMPLAUSIBLE;
        } else {
            long l = lround(d);
            *level = l < 0 ? 0 : (l > 100 ? 100 : (int)l);
        }
    }
    cJSON_Delete(root);
    return reason;
}

int hb_payload_clock(const char *buf, size_t len, double *t) {
    int reason;
    cJSON *root = hb__parse(buf, len, &reason);
    if (!root) {
        return reason;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "t");
    double d = 0;
    if (!v) {
        reason = HB_DROP_NO_VALUE;
    } else if ((reason = hb__payload_number(v, &d)) == HB_DROP_NONE) {
        /* Three centuries either way: beyond that a tick is a typo, and one such tick would
         * throw a followed clock past any time limit at once. */
        if (fabs(d) > 1e10) {
            reason = HB_DROP_IMPLAUSIBLE;
        } else {
            *t = d;
        }
    }
    cJSON_Delete(root);
    return reason;
}

int hb_payload_format_reading(char *buf, size_t len, const char *sensor_id, double value) {
    /* Compact number: at most 4 decimals, trailing zeros dropped ("21.9", not "21.900000002"). */
    char num[32];
    snprintf(num, sizeof num, "%.4f", value);
    char *dot = strchr(num, '.');
    if (dot) {
        char *e = num + strlen(num) - 1;
        while (e > dot && *e == '0') {
            *e-- = '\0';
        }
        if (e == dot) {
            *e = '\0';
        }
    }
    if (strcmp(num, "-0") == 0) {
        snprintf(num, sizeof num, "0");
    }
    /* Sensor ids are ours (scenario ids): plain text, but escape the two JSON specials anyway. */
    char id[2 * HB_SENSOR_ID_LEN];
    size_t j = 0;
    for (const char *p = sensor_id; *p && j + 2 < sizeof id; p++) {
        if (*p == '"' || *p == '\\') {
            id[j++] = '\\';
        }
        id[j++] = *p;
    }
    id[j] = '\0';
    int n =
        snprintf(buf, len, "{\"sensorID\":\"%s\",\"type\":\"temperature\",\"value\":%s}", id, num);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

int hb_payload_format_level(char *buf, size_t len, int level) {
    int n = snprintf(buf, len, "{\"level\":%d}", level);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

int hb_payload_format_clock(char *buf, size_t len, double t) {
    int n = snprintf(buf, len, "{\"t\":%.3f}", t);
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}

static int hb__plain_name(const char *s, size_t n) {
    if (n == 0 || n >= HB_ROOM_MAX || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.')) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

int hb_room_name_ok(const char *name) {
    return hb__plain_name(name, strnlen(name, HB_ROOM_MAX));
}

int hb_topic_pattern_ok(const char *pattern) {
    if (!pattern || !*pattern || strchr(pattern, '#')) {
        return 0;
    }
    int plus = 0;
    const char *p = pattern;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (memchr(p, '+', n)) {
            if (n != 1) {
                return 0; /* '+' must be a whole level */
            }
            plus++;
        }
        if (!slash) {
            break;
        }
        p = slash + 1;
    }
    return plus <= 1;
}

int hb_topic_room(const char *pattern, const char *topic, const char *default_room, char *room) {
    const char *p = pattern;
    const char *t = topic;
    int have_plus = 0;
    for (;;) {
        const char *ps = strchr(p, '/');
        const char *ts = strchr(t, '/');
        size_t pn = ps ? (size_t)(ps - p) : strlen(p);
        size_t tn = ts ? (size_t)(ts - t) : strlen(t);
        if (pn == 1 && p[0] == '+') {
            if (!hb__plain_name(t, tn)) {
                return HB_DROP_BAD_TOPIC;
            }
            memcpy(room, t, tn);
            room[tn] = '\0';
            have_plus = 1;
        } else if (pn != tn || memcmp(p, t, pn) != 0) {
            return HB_DROP_BAD_TOPIC;
        }
        if (!ps || !ts) {
            if (ps || ts) {
                return HB_DROP_BAD_TOPIC; /* different number of levels */
            }
            break;
        }
        p = ps + 1;
        t = ts + 1;
    }
    if (!have_plus) {
        size_t n = strlen(default_room);
        if (n >= HB_ROOM_MAX) {
            return HB_DROP_BAD_TOPIC;
        }
        memcpy(room, default_room, n + 1);
    }
    return HB_DROP_NONE;
}

int hb_topic_format(const char *pattern, const char *room, char *out, size_t len) {
    const char *plus = NULL;
    for (const char *p = pattern; *p; p++) {
        if (*p == '+' && (p == pattern || p[-1] == '/') && (p[1] == '/' || p[1] == '\0')) {
            plus = p;
            break;
        }
    }
    int n;
    if (plus) {
        n = snprintf(out, len, "%.*s%s%s", (int)(plus - pattern), pattern, room, plus + 1);
    } else {
        n = snprintf(out, len, "%s", pattern);
    }
    return (n < 0 || (size_t)n >= len) ? -1 : n;
}
