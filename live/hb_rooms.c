#define _POSIX_C_SOURCE 200809L /* strdup */
#include "hb_rooms.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hb_rooms {
    hb_room_ctl_config cfg;
    size_t max_rooms;
    double idle_s;
    size_t n;
    size_t mask;    /* table size - 1 (a power of two, at least 4/3 of max_rooms) */
    hb_room *slots; /* name == NULL: empty */
};

static uint64_t hb__hash(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    return h;
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
    r->slots = calloc(size, sizeof *r->slots);
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

static void hb__free_room(hb_room *room) {
    hb_room_ctl_destroy(room->ctl);
    free(room->name);
    room->name = NULL;
    room->ctl = NULL;
}

void hb_rooms_destroy(hb_rooms *r) {
    if (!r) {
        return;
    }
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i].name) {
            hb__free_room(&r->slots[i]);
        }
    }
    free(r->slots);
    free(r);
}

/* Linear-probing deletion by backward shift: no tombstones, so lookups stay short forever. */
static void hb__remove_at(hb_rooms *r, size_t i) {
    hb__free_room(&r->slots[i]);
    r->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & r->mask;
        if (!r->slots[j].name) {
            break;
        }
        size_t home = hb__hash(r->slots[j].name) & r->mask;
        /* Move slot j into the hole at i unless its home lies cyclically in (i, j]. */
        int in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            r->slots[i] = r->slots[j];
            r->slots[j].name = NULL;
            r->slots[j].ctl = NULL;
            i = j;
        }
    }
}

static size_t hb__find(const hb_rooms *r, const char *name, int *found) {
    size_t i = hb__hash(name) & r->mask;
    while (r->slots[i].name) {
        if (strcmp(r->slots[i].name, name) == 0) {
            *found = 1;
            return i;
        }
        i = (i + 1) & r->mask;
    }
    *found = 0;
    return i;
}

hb_room *hb_rooms_get(hb_rooms *r, const char *name, double t) {
    int found;
    size_t i = hb__find(r, name, &found);
    if (found) {
        return &r->slots[i];
    }
    if (r->n >= r->max_rooms) {
        /* Full: evict the longest-idle room if it is idle enough. O(table) but only when full. */
        size_t victim = SIZE_MAX;
        for (size_t k = 0; k <= r->mask; k++) {
            if (r->slots[k].name && t - r->slots[k].last_seen > r->idle_s &&
                (victim == SIZE_MAX || r->slots[k].last_seen < r->slots[victim].last_seen)) {
                victim = k;
            }
        }
        if (victim == SIZE_MAX) {
            return NULL;
        }
        hb__remove_at(r, victim);
        i = hb__find(r, name, &found);
    }
    hb_room_ctl *ctl = hb_room_ctl_create(&r->cfg);
    char *copy = strdup(name);
    if (!ctl || !copy) {
        hb_room_ctl_destroy(ctl);
        free(copy);
        return NULL;
    }
    r->slots[i] = (hb_room){.name = copy, .ctl = ctl, .last_seen = t};
    r->n++;
    return &r->slots[i];
}

size_t hb_rooms_evict_idle(hb_rooms *r, double t) {
    size_t evicted = 0;
    size_t i = 0;
    while (i <= r->mask) {
        if (r->slots[i].name && t - r->slots[i].last_seen > r->idle_s) {
            hb__remove_at(r, i); /* may pull a later entry into i: look at i again */
            evicted++;
        } else {
            i++;
        }
    }
    return evicted;
}

size_t hb_rooms_count(const hb_rooms *r) {
    return r->n;
}

void hb_rooms_each(hb_rooms *r, void (*fn)(hb_room *room, void *ud), void *ud) {
    for (size_t i = 0; i <= r->mask; i++) {
        if (r->slots[i].name) {
            fn(&r->slots[i], ud);
        }
    }
}
