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
 *
 * The periodic work visits only the rooms that are due: each room has a due time (controller
 * seconds) in a binary min-heap, and a sweep (hb_rooms_visit_due) visits the rooms whose time
 * has come, each telling when it is next due. Any room handed out by name (hb_rooms_get,
 * hb_rooms_find) or to hb_rooms_each is due at the next sweep, since its caller may have changed
 * it; time alone changes a room only when its visit said so. A sweep thus costs O(log n) per due
 * room, whatever the size of the table. What the rooms would publish within a budget waits in a
 * queue in arrival order (hb_rooms_queue, hb_rooms_drain), so a backlog of unannounced rooms is
 * worked off a budget at a time instead of being looked at whole every sweep.
 */
#ifndef HB_ROOMS_H
#define HB_ROOMS_H

#include "../controllers/hb_room_ctl.h"
#include "hb_coalesce.h"
#include "hb_thermostat.h"

#include <stddef.h>
#include <stdint.h>

/* hb_room.flags. SHOWN, ANNOUNCED and CTL_DIRTY say what is still to publish (a reconnection
 * clears or sets them); the ON_BROKER ones what may be retained on the broker for the room, from
 * this instance or from before it (a restart, a take-over), so that its eviction withdraws that
 * and nothing else: a room evicted before anything of it was published costs no publish. */
enum {
    HB_ROOM_SHOWN = 1,               /* a state was published since the last (re)connection */
    HB_ROOM_ANNOUNCED = 2,           /* its discovery documents are on the broker */
    HB_ROOM_CTL_DIRTY = 4,           /* its controller state changed since last published */
    HB_ROOM_ON_BROKER_DISCOVERY = 8, /* discovery documents may be retained */
    HB_ROOM_ON_BROKER_STATE = 16,    /* a state may be retained */
    HB_ROOM_ON_BROKER_CTL = 32,      /* a controller state may be retained */
    HB_ROOM_ON_BROKER = 8 | 16 | 32
};

typedef struct hb_room {
    hb_room_ctl *ctl;
    double last_seen;              /* controller time of the last accepted reading (read only) */
    const hb_room_prefs *prefs;    /* the room's settings (owned by the daemon's configuration) */
    struct hb_room *prev, *next;   /* idle order, oldest first (private to hb_rooms) */
    struct hb_room *qprev, *qnext; /* the publishing queue (private to hb_rooms) */
    hb_thermostat th;              /* the household's mode, preset and setpoint */
    hb_coalesce wishes;            /* the household's changes, at most two commands an interval */
    /* What the daemon last showed of the room, kept small: a daemon keeps thousands, and the
     * room with its name fits a 96-byte heap chunk for names up to 12 bytes. */
    uint32_t t_shown;    /* wall seconds since the daemon started, of the last state shown */
    unsigned shown_hash; /* of the level, setpoint, mode, preset, health and window shown */
    short shown_est;     /* estimate shown, 0.1 K (SHRT_MIN: none) */
    uint32_t due_at;     /* 1 + its place in the due heap, 0: being visited (private) */
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

/* Calls FN for every room (order unspecified); every room is then due at the next sweep. FN must
 * not add or remove rooms. */
void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud);

/* The same for FN that only reads the rooms (the state file): no room becomes due. */
void hb_rooms_each_read(const hb_rooms *r, void (*fn)(const hb_room *room, void *ud), void *ud);

/* ROOM is due at DUE at the latest (an earlier due time stays). No effect on a room being
 * visited: its visit tells. */
void hb_rooms_wake(hb_rooms *r, hb_room *room, double due);

/* Every room is due at the next sweep (a schedule period began for all of them). */
void hb_rooms_wake_all(hb_rooms *r);

/* Visits every room due at or before T, in order of due time: FN returns when the room is next
 * due (a time not after T, or NaN, means the next sweep). FN must not add or remove rooms.
 * Returns the number of rooms visited. */
size_t hb_rooms_visit_due(hb_rooms *r, double t, double (*fn)(hb_room *room, void *ud), void *ud);

/* Puts ROOM at the end of the publishing queue, unless it is queued already. */
void hb_rooms_queue(hb_rooms *r, hb_room *room);

/* What FN tells hb_rooms_drain about the room it was given. */
enum { HB_ROOMS_DONE, HB_ROOMS_KEEP, HB_ROOMS_STOP };

/* Calls FN for the queued rooms from the head, each at most once: a room FN says DONE leaves the
 * queue, KEEP goes to the end, STOP stays at the head and ends the drain (the budget is spent).
 * FN must not add or remove rooms. Returns the number of rooms FN was called for. */
size_t hb_rooms_drain(hb_rooms *r, int (*fn)(hb_room *room, void *ud), void *ud);

#endif
