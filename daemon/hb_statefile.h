/*
 * The daemon's state file (--state-file): what each room needs for a bumpless restart (the
 * controller's level, integral and fail-safe mean; the household's mode, preset and manual
 * setpoint), written atomically (a temporary file renamed into place, so a crash mid-write
 * leaves the previous good file) and read back at start.
 */
#ifndef HB_STATEFILE_H
#define HB_STATEFILE_H

#include "hb_rooms.h"

#include <stdbool.h>
#include <stddef.h>

#define HB_STATEFILE_MAX_ROOMS (1u << 24)
#define HB_STATEFILE_ROOM_MAX 512 /* bytes of one room's entry, NUL included */

typedef struct hb_saved_room {
    char name[HB_ROOM_MAX];
    hb_room_ctl_state ctl;
    hb_thermostat th;
    double at; /* when it was written, seconds since the epoch (NaN: not said) */
} hb_saved_room;

/* One room's entry (a JSON object, also the retained <prefix>/<room>/ctl a standby takes over
 * from) into BUF, written at AT (seconds since the epoch: how old an override is when it comes
 * back); its length, or -1 when it does not fit. */
int hb_statefile_format_room(char *buf, size_t len, const hb_room *room, double at);

/* Parses one entry. HB_ERR_PARSE when it is not one a room can take. ROOM, when not NULL, is the
 * room the entry is for (the topic's, <prefix>/<ROOM>/ctl): the entry is then that room's whatever
 * it says, and one that names another room is refused (a message on one room's topic must never
 * change another room). The integral is clamped to the valve's range [0, 100] %. */
int hb_statefile_parse_for(const char *text, size_t len, const char *room, hb_saved_room *out);
int hb_statefile_parse_room(const char *text, size_t len, hb_saved_room *out); /* ROOM NULL */

/* Whether S, written at S->at (seconds since the epoch), is fresh enough to restore at NOW: not
 * older than MAX_AGE_S and not from more than five minutes in the future (a clock step). An entry
 * that does not say when it was written is not. */
bool hb_saved_room_fresh(const hb_saved_room *s, double now, double max_age_s);

/* The largest state file MAX_ROOMS rooms could need: a larger one is not read at all. */
size_t hb_statefile_max_bytes(size_t max_rooms);

/* Writes every room of ROOMS to PATH, at AT (as hb_statefile_format_room). HB_OK, or HB_ERR_IO with
 * a message in ERR (the previous file stays). */
int hb_statefile_write(const char *path, hb_rooms *rooms, double at, char *err, size_t errlen);

/* Reads PATH into a malloc'd array *OUT of *N rooms (the caller frees). HB_ERR_NOTFOUND when
 * the file does not exist (a first start), HB_ERR_IO or HB_ERR_PARSE with a message in ERR, and
 * HB_ERR_FULL, unparsed, when the file is larger than MAX_ROOMS entries could need
 * (hb_statefile_max_bytes): a file that size is not one the daemon wrote, and parsing it would
 * cost memory and time out of all proportion. Entries with an invalid room name or values out
 * of range are skipped and counted in *SKIPPED; of more than MAX_ROOMS valid ones the most
 * recently written are kept, the others counted in *OVER. The file is read one entry at a time
 * (memory: the file and MAX_ROOMS entries); STOP (may be NULL) is asked every thousand entries,
 * and when it says so, reading ends with HB_ERR_INVAL. */
int hb_statefile_load(const char *path, size_t max_rooms, bool (*stop)(void), hb_saved_room **out,
                      size_t *n, size_t *skipped, size_t *over, char *err, size_t errlen);
/* hb_statefile_load with a bound of HB_STATEFILE_MAX_ROOMS rooms. */
int hb_statefile_read(const char *path, hb_saved_room **out, size_t *n, size_t *skipped, char *err,
                      size_t errlen);

#endif
