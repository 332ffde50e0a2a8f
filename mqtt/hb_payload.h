/*
 * The MQTT contract of the seed, parsed defensively.
 *
 * Readings: {"sensorID":"sensor-1","type":"temperature","value":25.3} on
 * /readings/<room>/temperature. Accepted as real peers send them: pretty-printed or compact JSON,
 * integer or fractional numbers, numeric strings ("25.3"), any sensor-ID shape (a string, or a
 * number taken as its text), "type" optional but, when present, "temperature". Everything else is
 * rejected with a reason that the daemon counts.
 *
 * Commands: {"level":N} on /actuators/<room>; N an integer 0..100 when we send it, and when we
 * receive it (heatbench live) an integer or a float, clamped and rounded.
 */
#ifndef HB_PAYLOAD_H
#define HB_PAYLOAD_H

#include <stddef.h>

#define HB_PAYLOAD_MAX 1024 /* bytes; larger payloads are dropped unparsed */
#define HB_ROOM_MAX 64      /* bytes including NUL */
#define HB_SENSOR_ID_LEN 40 /* bytes including NUL; the same limit as the fusion's */

/* Why an incoming message was dropped. HB_DROP_NONE means it was accepted. */
enum hb_drop {
    HB_DROP_NONE = 0,
    HB_DROP_OVERSIZE,     /* payload larger than HB_PAYLOAD_MAX */
    HB_DROP_BINARY,       /* contains NUL or control bytes */
    HB_DROP_JSON,         /* not valid JSON */
    HB_DROP_NOT_OBJECT,   /* valid JSON but not an object */
    HB_DROP_NO_SENSOR,    /* "sensorID" missing */
    HB_DROP_BAD_SENSOR,   /* "sensorID" empty, too long or of a wrong type */
    HB_DROP_WRONG_TYPE,   /* "type" present and not "temperature" */
    HB_DROP_NO_VALUE,     /* "value" (or "level") missing */
    HB_DROP_BAD_VALUE,    /* value not a number or a numeric string */
    HB_DROP_NON_FINITE,   /* NaN or infinite */
    HB_DROP_IMPLAUSIBLE,  /* outside -40..80 °C (or a level outside -1e6..1e6) */
    HB_DROP_BAD_TOPIC,    /* topic does not match, or its room level is not a plain name */
    HB_DROP_ROOM_CAP,     /* too many rooms and none idle to evict */
    HB_DROP_SENSOR_CAP,   /* the room's expected sensors are all fresh: an extra id gets no vote */
    HB_DROP_RETAINED,     /* a retained message: of unknown age, never a fresh reading */
    HB_DROP_COMMAND,      /* a setpoint, mode or preset command not understood or out of limits */
    HB_DROP_UNLISTED,     /* a sensor id the room's configuration does not list */
    HB_DROP_UNKNOWN_ROOM, /* a household command for a room with no readings and no config entry */
    HB_DROP_FORGED, /* a pair message (heartbeat, saved state) whose signature does not verify */
    HB_DROP_STALE,  /* a saved controller state older than --state-max-age or undated */
    HB_DROP__COUNT
};

/* Short name of a reason ("oversize", "json", ...). */
const char *hb_drop_name(int reason);
/* What REASON means, in a few words, for log lines. */
const char *hb_drop_why(int reason);

/* Parses a reading. SENSOR_ID receives the id (HB_SENSOR_ID_LEN bytes). */
int hb_payload_reading(const char *buf, size_t len, char *sensor_id, double *value);

/* Parses a command {"level":N}: a number (or numeric string), clamped to 0..100 and rounded. */
int hb_payload_level(const char *buf, size_t len, int *level);

/* Parses a simulated clock's tick {"t": seconds} (`heatbench live --clock-topic`, see
 * hb_simclock.h): a finite number (or numeric string) within +-1e10 s. */
int hb_payload_clock(const char *buf, size_t len, double *t);

/* A household's command payload: a bare word ("heat", "eco") or number ("21.5"), as Home
 * Assistant sends them, with blanks around it allowed. The word (at most LEN - 1 bytes) into
 * OUT; -1 for an empty, oversized or binary payload. */
int hb_payload_word(const char *buf, size_t len, char *out, size_t outlen);

/* Writes a reading in the seed's exact format; returns its length or -1. */
int hb_payload_format_reading(char *buf, size_t len, const char *sensor_id, double value);

/* Writes {"level":N}; returns its length or -1. */
int hb_payload_format_level(char *buf, size_t len, int level);

/* Writes a tick {"t":T} (to the millisecond); returns its length or -1. */
int hb_payload_format_clock(char *buf, size_t len, double t);

/* Matches TOPIC against PATTERN, where one level of PATTERN may be "+" (the room). With a "+",
 * the matching level is copied to ROOM (HB_ROOM_MAX bytes) if it is a plain name (letters,
 * digits, '-', '_', '.'; not "." or ".."); without one, ROOM gets DEFAULT_ROOM. Returns a drop
 * reason (HB_DROP_BAD_TOPIC) or HB_DROP_NONE. */
int hb_topic_room(const char *pattern, const char *topic, const char *default_room, char *room);

/* Whether NAME can be a room: 1 to HB_ROOM_MAX - 1 letters, digits, '-', '_' or '.', not "." or
 * "..". The rule the room level of a readings topic must follow. */
int hb_room_name_ok(const char *name);

/* Builds a topic from PATTERN by putting ROOM in place of its "+" level; a pattern without one is
 * copied as is. Returns the length or -1 when it does not fit. */
int hb_topic_format(const char *pattern, const char *room, char *out, size_t len);

/* Checks a topic pattern: at most one level that is exactly "+", no '#', non-empty. */
int hb_topic_pattern_ok(const char *pattern);

#endif
