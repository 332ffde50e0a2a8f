#include "hb_rooms.h"
#include "../util/hb_hash.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hb_rooms {
    hb_room_ctl_config cfg;
    size_t max_rooms;
    double idle_s;
    size_t n;
    size_t mask;     /* table size - 1 (a power of two, at least 4/3 of max_rooms) */
    hb_room **slots; /* NULL: empty */
    hb_room *oldest; /* head of the idle order */
    hb_room *newest; /* tail */
    unsigned long evicted;
    hb_rooms_hooks hooks;
};

void hb_rooms_set_hooks(hb_rooms *r, const hb_rooms_hooks *hooks) {
    r->hooks = *hooks;
}

hb_rooms *hb_rooms_create(size_t max_rooms, double idle_s, const hb_room_ctl_config *cfg) {
    if (max_rooms < 1 || max_rooms > (1u << 24) || !(idle_s > 0)) {
        return NULL;
    }
    hb_rooms *r = calloc(1, sizeof *r);
    if (!r) {
        return NULL;
    }
    /* Load factor at most 3/4 when full: short linear probes, and a table that costs little
     * next to the rooms themselves. */
    size_t size = 16;
    while (size * 3 < 4 * max_rooms) {
        size *= 2;
    }
    r->slots = calloc(size, sizeof(hb_room *)); // NOLINT(bugprone-sizeof-expression): pointers
    if (!r->slots) {
        free(r);
        return NULL;
    }
    r->cfg = *cfg;
    r->max_rooms = max_rooms;
    r->idle_s = idle_s;
    r->mask = size - 1;
    return r;
}

static void hb__unlink(hb_rooms *r, hb_room *room) {
    if (room->prev) {
        room->prev->next = room->next;
    } else {
        r->oldest = room->next;
    }
    if (room->next) {
        room->next->prev = room->prev;
    } else {
        r->newest = room->prev;
    }
    room->prev = room->next = NULL;
}

static void hb__append(hb_rooms *r, hb_room *room) {
    room->prev = r->newest;
    room->next = NULL;
    if (r->newest) {
        r->newest->next = room;
    } else {
        r->oldest = room;
    }
    r->newest = room;
}

static void hb__free_room(hb_room *room) {
    hb_room_ctl_destroy(room->ctl);
    free(room);
}

void hb_rooms_destroy(hb_rooms *r) {
    if (!r) {
        return;
    }
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            hb__free_room(r->slots[i]);
        }
    }
    free(r->slots);
    free(r);
}

static size_t hb__find(const hb_rooms *r, const char *name, int *found) {
    size_t i = hb_fnv1a64(name) & r->mask;
    while (r->slots[i]) {
        if (strcmp(r->slots[i]->name, name) == 0) {
            *found = 1;
            return i;
        }
        i = (i + 1) & r->mask;
    }
    *found = 0;
    return i;
}

/* Takes the longest-idle room off the head of the idle order. */
static hb_room *hb__take_oldest(hb_rooms *r) {
    hb_room *room = r->oldest;
    r->oldest = room->next;
    if (r->oldest) {
        r->oldest->prev = NULL;
    } else {
        r->newest = NULL;
    }
    room->next = NULL;
    return room;
}

/* Removes ROOM (already off the idle order) from the table and frees it. Linear-probing deletion
 * by backward shift: no tombstones, so lookups stay short forever. */
static void hb__remove(hb_rooms *r, hb_room *room) {
    int found;
    size_t i = hb__find(r, room->name, &found);
    assert(found && r->slots[i] == room);
    if (r->hooks.removing) {
        r->hooks.removing(room, r->hooks.ud);
    }
    hb__free_room(room);
    r->slots[i] = NULL;
    r->n--;
    r->evicted++;
    size_t j = i;
    for (;;) {
        j = (j + 1) & r->mask;
        if (!r->slots[j]) {
            break;
        }
        size_t home = hb_fnv1a64(r->slots[j]->name) & r->mask;
        /* Move slot j into the hole at i unless its home lies cyclically in (i, j]. */
        int in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            r->slots[i] = r->slots[j];
            r->slots[j] = NULL;
            i = j;
        }
    }
}

hb_room *hb_rooms_get(hb_rooms *r, const char *name, double t) {
    int found;
    size_t i = hb__find(r, name, &found);
    if (found) {
        return r->slots[i];
    }
    if (r->n >= r->max_rooms) {
        /* Full: the longest-idle room is the head of the idle order. */
        if (!r->oldest || !(t - r->oldest->last_seen > r->idle_s)) {
            return NULL;
        }
        hb__remove(r, hb__take_oldest(r));
        i = hb__find(r, name, &found);
    }
    size_t len = strlen(name);
    hb_room *room = calloc(1, offsetof(hb_room, name) + len + 1);
    hb_room_ctl *ctl = hb_room_ctl_create(&r->cfg);
    if (!room || !ctl) {
        free(room);
        hb_room_ctl_destroy(ctl);
        return NULL;
    }
    room->ctl = ctl;
    room->last_seen = t;
    memcpy(room->name, name, len + 1);
    hb_thermostat_init(&room->th);
    hb_coalesce_init(&room->wishes);
    r->slots[i] = room;
    r->n++;
    hb__append(r, room);
    assert(r->n <= r->max_rooms);
    if (r->hooks.created) {
        r->hooks.created(room, r->hooks.ud);
    }
    return room;
}

hb_room *hb_rooms_find(hb_rooms *r, const char *name) {
    int found;
    size_t i = hb__find(r, name, &found);
    return found ? r->slots[i] : NULL;
}

void hb_rooms_touch(hb_rooms *r, hb_room *room, double t) {
    room->last_seen = t;
    if (r->newest != room) {
        hb__unlink(r, room);
        hb__append(r, room);
    }
    assert(!room->prev || room->prev->last_seen <= room->last_seen);
}

size_t hb_rooms_evict_idle(hb_rooms *r, double t) {
    size_t evicted = 0;
    while (r->oldest && t - r->oldest->last_seen > r->idle_s) {
        hb__remove(r, hb__take_oldest(r));
        evicted++;
    }
    return evicted;
}

unsigned long hb_rooms_evicted(const hb_rooms *r) {
    return r->evicted;
}

size_t hb_rooms_count(const hb_rooms *r) {
    return r->n;
}

int hb_rooms_reconfigure(hb_rooms *r, const hb_room_ctl_config *cfg) {
    if (hb_room_ctl_check(cfg) != HB_OK) {
        return HB_ERR_INVAL;
    }
    r->cfg = *cfg;
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            hb_room_ctl_reconfigure(r->slots[i]->ctl, cfg);
        }
    }
    return HB_OK;
}

void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud) {
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            fn(r->slots[i], ud);
        }
    }
}
