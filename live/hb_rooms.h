/*
 * The daemon's rooms: name -> room controller, in an open-addressing hash table with a hard cap.
 *
 * Memory is bounded whatever arrives on the wire: at most max_rooms rooms; when full, a new room
 * takes the place of the room idle the longest if that one has been silent for idle_s, and is
 * refused otherwise. Each room's sensors are capped by its fusion (expected_sensors).
 */
#ifndef HB_ROOMS_H
#define HB_ROOMS_H

#include "../controllers/hb_room_ctl.h"

#include <stddef.h>

typedef struct hb_room {
    char *name;
    hb_room_ctl *ctl;
    double last_seen; /* controller time of the last accepted reading */
} hb_room;

typedef struct hb_rooms hb_rooms;

hb_rooms *hb_rooms_create(size_t max_rooms, double idle_s, const hb_room_ctl_config *cfg);
void hb_rooms_destroy(hb_rooms *r);

/* The room called NAME, created if needed at time T. NULL when the cap is reached and no room is
 * idle enough to evict (or memory is short). */
hb_room *hb_rooms_get(hb_rooms *r, const char *name, double t);

/* Removes rooms silent for longer than idle_s at time T; returns how many. */
size_t hb_rooms_evict_idle(hb_rooms *r, double t);

size_t hb_rooms_count(const hb_rooms *r);

/* Calls FN for every room (order unspecified). FN must not add or remove rooms. */
void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud);

#endif
