/*
 * The daemon's rooms: name -> room controller, in an open-addressing hash table with a hard cap.
 *
 * Memory is bounded whatever arrives on the wire: at most max_rooms rooms; when full, a new room
 * takes the place of the room idle the longest if that one has been silent for idle_s, and is
 * refused otherwise. Each room's sensors are capped by its fusion (expected_sensors).
 *
 * Rooms also sit on a list ordered by their last accepted reading (hb_rooms_touch), so the
 * longest-idle room is always its head: admitting or refusing a new room, and evicting idle
 * ones, costs O(1) per room whatever the size of the table. A flood of unknown rooms against a
 * full table of active rooms is refused at the cost of one hash lookup.
 */
#ifndef HB_ROOMS_H
#define HB_ROOMS_H

#include "../controllers/hb_room_ctl.h"
#include "hb_coalesce.h"
#include "hb_thermostat.h"

#include <stddef.h>
#include <stdint.h>

/* hb_room.flags */
enum {
    HB_ROOM_SHOWN = 1,     /* a state was published since the last (re)connection */
    HB_ROOM_ANNOUNCED = 2, /* its discovery documents are on the broker */
    HB_ROOM_CTL_DIRTY = 4  /* its controller state changed since last published */
};

typedef struct hb_room {
    hb_room_ctl *ctl;
    double last_seen;            /* controller time of the last accepted reading (read only) */
    const hb_room_prefs *prefs;  /* the room's settings (owned by the daemon's configuration) */
    struct hb_room *prev, *next; /* idle order, oldest first (private to hb_rooms) */
    hb_thermostat th;            /* the household's mode, preset and setpoint */
    hb_coalesce wishes;          /* the household's changes, at most two commands an interval */
    /* What the daemon last showed of the room, kept small: a daemon keeps thousands, and the
     * room with its name fits a 96-byte heap chunk for names up to 12 bytes. */
    uint32_t t_shown;    /* wall seconds since the daemon started, of the last state shown */
    unsigned shown_hash; /* of the level, setpoint, mode, preset, health and window shown */
    short shown_est;     /* estimate shown, 0.1 K (SHRT_MIN: none) */
    unsigned char flags; /* HB_ROOM_* */
    char name[];         /* the room's name, in the same allocation */
} hb_room;

typedef struct hb_rooms hb_rooms;

hb_rooms *hb_rooms_create(size_t max_rooms, double idle_s, const hb_room_ctl_config *cfg);
void hb_rooms_destroy(hb_rooms *r);

/* The room called NAME, created if needed at time T. NULL when the cap is reached and no room is
 * idle enough to evict (or memory is short). */
hb_room *hb_rooms_get(hb_rooms *r, const char *name, double t);

/* Records an accepted reading of ROOM at time T (non-decreasing): it becomes the most recent. */
void hb_rooms_touch(hb_rooms *r, hb_room *room, double t);

/* Removes rooms silent for longer than idle_s at time T; returns how many. */
size_t hb_rooms_evict_idle(hb_rooms *r, double t);

/* Rooms removed so far, by hb_rooms_evict_idle and to make room for a new one. */
unsigned long hb_rooms_evicted(const hb_rooms *r);

size_t hb_rooms_count(const hb_rooms *r);

/* Called with each room right after it is created (to set prefs, restore a state) and right
 * before it is removed (to withdraw its announcements). Either may be NULL. */
typedef struct hb_rooms_hooks {
    void (*created)(hb_room *room, void *ud);
    void (*removing)(hb_room *room, void *ud);
    void *ud;
} hb_rooms_hooks;

void hb_rooms_set_hooks(hb_rooms *r, const hb_rooms_hooks *hooks);

/* The room called NAME, or NULL (never creates one). */
hb_room *hb_rooms_find(hb_rooms *r, const char *name);

/* Applies CFG to every room (bumplessly, see hb_room_ctl_reconfigure) and to the rooms created
 * from now on. HB_ERR_INVAL, with nothing changed, when CFG is invalid. */
int hb_rooms_reconfigure(hb_rooms *r, const hb_room_ctl_config *cfg);

/* Calls FN for every room (order unspecified). FN must not add or remove rooms. */
void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud);

#endif
