#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_hash.h"
#include "hb_ha.h"
#include "hb_statefile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What outlives the process: each room's controller state retained on the broker (what a
 * standby takes over from) and the state file (what a restart continues from).
 *
 * A saved state never makes a room: it waits in a table of its own (at most --max-rooms
 * entries, none of them a room) until the room's first reading (or a command for a room the
 * configuration lists) makes the room, which then continues from it. So a retained state for a
 * room nobody has, forged or left over, moves no valve, announces nothing and takes no place
 * a real room needs. */

/* The time of a saved state taken by its room (hb_ctl_pending_take). */
#define HB__SPENT (-1e300)

struct hb_ctl_pending {
    size_t n, cap; /* cap a power of two, at least twice n */
    hb_saved_room **slots;
};

void hb_ctl_pending_free(hb_ctl *c) {
    hb_ctl_pending *p = c->pending;
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->cap; i++) {
        free(p->slots[i]);
    }
    free(p->slots);
    free(p);
    c->pending = NULL;
}

int hb_ctl_pending_reset(hb_ctl *c) {
    hb_ctl_pending_free(c);
    hb_ctl_pending *p = calloc(1, sizeof *p);
    hb_saved_room **slots = calloc(64, sizeof *slots); // NOLINT(bugprone-sizeof-expression)
    if (!p || !slots) {
        free(p);
        free(slots);
        return HB_ERR_NOMEM;
    }
    p->cap = 64;
    p->slots = slots;
    c->pending = p;
    return HB_OK;
}

static size_t hb__pending_slot(const hb_ctl_pending *p, const char *name) {
    size_t i = hb_fnv1a64(name) & (p->cap - 1);
    while (p->slots[i] && strcmp(p->slots[i]->name, name) != 0) {
        i = (i + 1) & (p->cap - 1);
    }
    return i;
}

static bool hb__pending_grow(hb_ctl_pending *p) {
    size_t cap = p->cap * 2;
    hb_saved_room **slots = calloc(cap, sizeof *slots); // NOLINT(bugprone-sizeof-expression)
    if (!slots) {
        return false;
    }
    hb_ctl_pending old = *p;
    p->slots = slots;
    p->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i]) {
            p->slots[hb__pending_slot(p, old.slots[i]->name)] = old.slots[i];
        }
    }
    free(old.slots);
    return true;
}

/* Keeps S for its room (the newer of two for one room); false when the table is full. */
static bool hb__pending_put(hb_ctl *c, const hb_saved_room *s) {
    hb_ctl_pending *p = c->pending;
    if (!p) {
        return false;
    }
    size_t i = hb__pending_slot(p, s->name);
    if (p->slots[i]) {
        if (!(s->at < p->slots[i]->at)) {
            *p->slots[i] = *s;
        }
        return true;
    }
    if (p->n >= c->cfg->max_rooms) {
        return false;
    }
    if (2 * (p->n + 1) > p->cap) {
        if (!hb__pending_grow(p)) {
            return false;
        }
        i = hb__pending_slot(p, s->name);
    }
    hb_saved_room *e = malloc(sizeof *e);
    if (!e) {
        return false;
    }
    *e = *s;
    p->slots[i] = e;
    p->n++;
    return true;
}

void hb_ctl_pending_take(hb_ctl *c, hb_room *room) {
    hb_ctl_pending *p = c->pending;
    if (!p) {
        return;
    }
    size_t i = hb__pending_slot(p, room->name);
    hb_saved_room *s = p->slots[i];
    if (!s || s->at <= HB__SPENT) {
        return;
    }
    /* The room ran before (the previous leader's, or ours before a restart): its discovery,
     * state and controller state may be retained, and go with it when it is evicted, even if
     * this instance never publishes them. A stale state says so too, though it is not restored. */
    room->flags |= HB_ROOM_ON_BROKER;
    /* Judged again now: a state may have waited a day for its room. */
    if (hb_saved_room_fresh(s, hb_ctl_epoch_now(), c->cfg->state_max_age_s) &&
        hb_room_ctl_restore(room->ctl, &s->ctl) == HB_OK) {
        hb_ctl_resume_wishes(c, room, s);
        c->st.restored++;
    }
    /* The entry stays (a tombstone-free table), spent: the room runs from now on, and the same
     * room made again after its eviction (which withdrew what it had) starts afresh. */
    s->at = HB__SPENT;
}

/* The room's controller state, retained on <prefix>/<room>/ctl: what a standby takes over from. */
void hb_ctl_publish_ctl(hb_ctl *c, hb_room *room) {
    char topic[256];
    char body[HB_STATEFILE_ROOM_MAX];
    char payload[HB_STATEFILE_ROOM_MAX + HB_SIGN_EXTRA];
    if (!c->connected || !hb_ctl_commanding(c) ||
        hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "ctl") < 0 ||
        hb_statefile_format_room(body, sizeof body, room, hb_ctl_epoch_now()) < 0 ||
        hb_ctl_sign(c, topic, body, payload, sizeof payload) < 0) {
        return;
    }
    room->flags = (unsigned char)((room->flags & ~HB_ROOM_CTL_DIRTY) | HB_ROOM_ON_BROKER_CTL);
    /* QoS 0 like the state (see hb_ctl_show): on a live connection it arrives all the same, and
     * it is sent again with the room's next command. */
    hb_ctl_publish_retained(c, topic, payload, 0);
}

/* A room's retained controller state, as the leader. The room is the topic's, never the
 * payload's; a state that is not signed (with a key), too old, or for a room that runs already
 * (our own state coming back) changes nothing. One for a room not running yet waits for it. */
void hb_ctl_on_ctl(hb_ctl *c, const struct mosquitto_message *msg) {
    if (!c->active || msg->payloadlen <= 0) {
        return; /* an empty one: a room withdrawn */
    }
    size_t plen = strlen(c->cfg->prefix);
    const char *name = msg->topic + plen + 1; /* the caller checked <prefix>/.../ctl */
    size_t rn = strlen(name) - 4;
    char room[HB_ROOM_MAX];
    if (rn == 0 || rn >= sizeof room) {
        hb_ctl_drop(c, HB_DROP_BAD_TOPIC, msg);
        return;
    }
    memcpy(room, name, rn);
    room[rn] = '\0';
    uint64_t n;
    if (!hb_room_name_ok(room)) {
        hb_ctl_drop(c, HB_DROP_BAD_TOPIC, msg);
        return;
    }
    if (!hb_ctl_authentic(c, msg, &n)) {
        return;
    }
    hb_saved_room s;
    if (hb_statefile_parse_for(msg->payload, (size_t)msg->payloadlen, room, &s) != HB_OK) {
        hb_ctl_drop(c, HB_DROP_JSON, msg);
        return;
    }
    /* A retained state of the room's, even too old to restore: the instance that published it
     * may have announced the room and shown its state too, which the room's eviction withdraws.
     * A stale one waits like a fresh one (hb_ctl_pending_take judges it again), only for that.
     * A running room's own state coming back (not flagged retained: it was published while we
     * were subscribed) says nothing of its discovery or state. */
    bool fresh = hb_saved_room_fresh(&s, hb_ctl_epoch_now(), c->cfg->state_max_age_s);
    if (!fresh) {
        hb_ctl_drop(c, HB_DROP_STALE, msg);
    }
    hb_room *r = hb_rooms_find(c->rooms, room);
    if (r) {
        r->flags |= msg->retain ? HB_ROOM_ON_BROKER : HB_ROOM_ON_BROKER_CTL;
        if (fresh && hb_room_ctl_restore(r->ctl, &s.ctl) == HB_OK) {
            hb_ctl_resume_wishes(c, r, &s);
            c->st.restored++;
        }
        return;
    }
    (void)hb__pending_put(c, &s);
}

void hb_ctl_save(hb_ctl *c) {
    char msg[512];
    if (hb_statefile_write(c->cfg->state_file, c->rooms, hb_ctl_epoch_now(), msg, sizeof msg) !=
        HB_OK) {
        hb_ctl_log("state file not saved (the previous one stays): %s", msg);
    }
}

/* The rooms of the state file, back as they were when they come back: each level held (and
 * sent first) until its sensors agree, the integral and the household's wishes restored. A file
 * that cannot be read, or is far larger than --max-rooms entries could need, is moved aside,
 * never overwritten: the daemon starts afresh and says so. */
void hb_ctl_restore(hb_ctl *c) {
    hb_saved_room *saved = NULL;
    size_t n = 0;
    size_t skipped = 0;
    size_t over = 0;
    char msg[512];
    const char *path = c->cfg->state_file;
    int rc = hb_statefile_load(path, c->cfg->max_rooms, hb_ctl_stopping, &saved, &n, &skipped,
                               &over, msg, sizeof msg);
    if (rc == HB_ERR_NOTFOUND) {
        hb_ctl_log("no state file %s yet: every room starts afresh", path);
        return;
    }
    if (rc == HB_ERR_INVAL) {
        hb_ctl_log("%s", msg); /* stopping: the file stays as it is */
        return;
    }
    if (rc != HB_OK) {
        char aside[4200];
        snprintf(aside, sizeof aside, "%s.bad", path);
        bool moved = rename(path, aside) == 0;
        hb_ctl_log("%s; every room starts afresh%s%s", msg, moved ? ", the file moved to " : "",
                   moved ? aside : "");
        return;
    }
    if (over) {
        hb_ctl_log("%s: %zu entries over --max-rooms %zu ignored (the most recent kept)", path,
                   over, c->cfg->max_rooms);
    }
    double now = hb_ctl_epoch_now();
    size_t kept = 0;
    size_t stale = 0;
    for (size_t i = 0; i < n && !hb_ctl_stopping(); i++) {
        if (!hb_saved_room_fresh(&saved[i], now, c->cfg->state_max_age_s)) {
            stale++;
            /* Not restored, but its room's eviction withdraws what the last run published. */
            (void)hb__pending_put(c, &saved[i]);
        } else if (hb__pending_put(c, &saved[i])) {
            kept++;
        } else {
            skipped++;
        }
    }
    free(saved);
    hb_ctl_log("%zu room%s of %s wait%s for the room's first reading%s%s", kept,
               kept == 1 ? "" : "s", path, kept == 1 ? "s" : "",
               skipped ? " (some entries skipped: invalid)" : "",
               stale ? " (some older than --state-max-age, ignored)" : "");
}
