#include "hb_rooms.h"
#include "../util/hb_hash.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
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
    /* The due heap: the earliest at [0]; each room knows its place (due_at). */
    struct hb__due {
        double due;
        hb_room *room;
    } * heap;
    size_t heap_n;
    hb_room *q_head, *q_tail; /* the publishing queue */
    size_t q_n;
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
    /* The due heap at its full size at once: its pages are touched only as rooms come, so a
     * table of 10,000 rooms costs 16 bytes a room for it, not the 26 of a doubling array. */
    r->heap = malloc(max_rooms * sizeof *r->heap);
    if (!r->slots || !r->heap) {
        free(r->slots);
        free(r->heap);
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
    free(r->heap);
    free(r);
}

/* ---- the due heap ---------------------------------------------------------------------------- */

static void hb__heap_put(hb_rooms *r, size_t i, struct hb__due e) {
    r->heap[i] = e;
    e.room->due_at = (uint32_t)(i + 1);
}

static void hb__due_up(hb_rooms *r, size_t i) {
    struct hb__due e = r->heap[i];
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!(e.due < r->heap[up].due)) {
            break;
        }
        hb__heap_put(r, i, r->heap[up]);
        i = up;
    }
    hb__heap_put(r, i, e);
}

static void hb__due_down(hb_rooms *r, size_t i) {
    struct hb__due e = r->heap[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= r->heap_n) {
            break;
        }
        if (k + 1 < r->heap_n && r->heap[k + 1].due < r->heap[k].due) {
            k++;
        }
        if (!(r->heap[k].due < e.due)) {
            break;
        }
        hb__heap_put(r, i, r->heap[k]);
        i = k;
    }
    hb__heap_put(r, i, e);
}

/* Adds ROOM (not in the heap) due at DUE: there is a place for every room the table holds. */
static void hb__heap_push(hb_rooms *r, hb_room *room, double due) {
    assert(r->heap_n < r->max_rooms);
    r->heap[r->heap_n] = (struct hb__due){.due = due, .room = room};
    hb__due_up(r, r->heap_n++);
}

/* Takes ROOM out of the heap (when it is in). */
static void hb__heap_remove(hb_rooms *r, hb_room *room) {
    if (room->due_at == 0) {
        return;
    }
    size_t i = room->due_at - 1;
    room->due_at = 0;
    if (i == --r->heap_n) {
        return;
    }
    double was = r->heap[i].due;
    hb__heap_put(r, i, r->heap[r->heap_n]);
    if (r->heap[i].due < was) {
        hb__due_up(r, i);
    } else {
        hb__due_down(r, i);
    }
}

void hb_rooms_wake(hb_rooms *r, hb_room *room, double due) {
    if (room->due_at == 0) {
        return;
    }
    size_t i = room->due_at - 1;
    if (due < r->heap[i].due) {
        r->heap[i].due = due;
        hb__due_up(r, i);
    }
}

void hb_rooms_wake_all(hb_rooms *r) {
    /* All equal is a heap. */
    for (size_t i = 0; i < r->heap_n; i++) {
        r->heap[i].due = -INFINITY;
    }
}

size_t hb_rooms_visit_due(hb_rooms *r, double t, double (*fn)(hb_room *room, void *ud), void *ud) {
    /* Rooms due again at once come back at the next sweep: the first time after T. */
    double later = nextafter(t, INFINITY);
    size_t n = 0;
    while (r->heap_n && r->heap[0].due <= t) {
        hb_room *room = r->heap[0].room;
        hb__heap_remove(r, room);
        double next = fn(room, ud);
        hb__heap_push(r, room, next > t ? next : later);
        n++;
    }
    return n;
}

/* ---- the publishing queue -------------------------------------------------------------------- */

static bool hb__queued(const hb_rooms *r, const hb_room *room) {
    return room->qprev || r->q_head == room;
}

static void hb__dequeue(hb_rooms *r, hb_room *room) {
    if (!hb__queued(r, room)) {
        return;
    }
    if (room->qprev) {
        room->qprev->qnext = room->qnext;
    } else {
        r->q_head = room->qnext;
    }
    if (room->qnext) {
        room->qnext->qprev = room->qprev;
    } else {
        r->q_tail = room->qprev;
    }
    room->qprev = room->qnext = NULL;
    r->q_n--;
}

void hb_rooms_queue(hb_rooms *r, hb_room *room) {
    if (hb__queued(r, room)) {
        return;
    }
    room->qprev = r->q_tail;
    room->qnext = NULL;
    if (r->q_tail) {
        r->q_tail->qnext = room;
    } else {
        r->q_head = room;
    }
    r->q_tail = room;
    r->q_n++;
}

size_t hb_rooms_drain(hb_rooms *r, int (*fn)(hb_room *room, void *ud), void *ud) {
    size_t todo = r->q_n;
    size_t n = 0;
    while (n < todo && r->q_head) {
        hb_room *room = r->q_head;
        n++;
        int rc = fn(room, ud);
        if (rc == HB_ROOMS_STOP) {
            break;
        }
        hb__dequeue(r, room);
        if (rc == HB_ROOMS_KEEP) {
            hb_rooms_queue(r, room);
        }
    }
    return n;
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
    hb__heap_remove(r, room);
    hb__dequeue(r, room);
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
        hb_rooms_wake(r, r->slots[i], -INFINITY); /* the caller may change it */
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
    hb__heap_push(r, room, -INFINITY); /* new: due at the next sweep */
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
    if (!found) {
        return NULL;
    }
    hb_rooms_wake(r, r->slots[i], -INFINITY); /* the caller may change it */
    return r->slots[i];
}

void hb_rooms_touch(hb_rooms *r, hb_room *room, double t) {
    room->last_seen = t;
    hb_rooms_wake(r, room, -INFINITY); /* a reading: its controller looks at it */
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
    hb_rooms_wake_all(r); /* new periods: every room's due time is computed again */
    return HB_OK;
}

void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud) {
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            fn(r->slots[i], ud);
        }
    }
    hb_rooms_wake_all(r);
}

void hb_rooms_each_read(const hb_rooms *r, void (*fn)(const hb_room *room, void *ud), void *ud) {
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i]) {
            fn(r->slots[i], ud);
        }
    }
}
