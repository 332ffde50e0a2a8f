/*
 * The daemon's state file (--state-file): what each room needs for a bumpless restart (the
 * controller's level, integral and fail-safe mean; the household's mode, preset and manual
 * setpoint), written atomically (a temporary file renamed into place, so a crash mid-write
 * leaves the previous good file) and read back at start.
 */
#ifndef HB_STATEFILE_H
#define HB_STATEFILE_H

#include "hb_rooms.h"

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

/* Parses one entry. HB_ERR_PARSE when it is not one a room can take. */
int hb_statefile_parse_room(const char *text, size_t len, hb_saved_room *out);

/* Writes every room of ROOMS to PATH, at AT (as hb_statefile_format_room). HB_OK, or HB_ERR_IO with
 * a message in ERR (the previous file stays). */
int hb_statefile_write(const char *path, hb_rooms *rooms, double at, char *err, size_t errlen);

/* Reads PATH into a malloc'd array *OUT of *N rooms (the caller frees). HB_ERR_NOTFOUND when
 * the file does not exist (a first start), HB_ERR_IO or HB_ERR_PARSE with a message in ERR.
 * Entries with an invalid room name or values out of range are skipped and counted in
 * *SKIPPED. */
int hb_statefile_read(const char *path, hb_saved_room **out, size_t *n, size_t *skipped, char *err,
                      size_t errlen);

#endif
