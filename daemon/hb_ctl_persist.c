#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "hb_ha.h"
#include "hb_statefile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* What outlives the process: each room's controller state retained on the broker (what a
 * standby takes over from) and the state file (what a restart continues from). */

/* The room's controller state, retained on <prefix>/<room>/ctl: what a standby takes over from. */
void hb_ctl_publish_ctl(hb_ctl *c, hb_room *room) {
    char topic[256];
    char payload[HB_STATEFILE_ROOM_MAX];
    if (!c->connected || hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "ctl") < 0 ||
        hb_statefile_format_room(payload, sizeof payload, room, hb_ctl_epoch_now()) < 0) {
        return;
    }
    room->flags &= (unsigned char)~HB_ROOM_CTL_DIRTY;
    /* QoS 0 like the state (see hb_ctl_show): on a live connection it arrives all the same, and
     * it is sent again with the room's next command. */
    hb_ctl_publish_retained(c, topic, payload, 0);
}

/* A room's retained controller state, as the leader: restores a room that has not run yet (a
 * take-over, a restart); a running room (our own state coming back) is left alone. */
void hb_ctl_on_ctl(hb_ctl *c, const struct mosquitto_message *msg) {
    hb_saved_room s;
    if (!c->active || msg->payloadlen <= 0 ||
        hb_statefile_parse_room(msg->payload, (size_t)msg->payloadlen, &s) != HB_OK) {
        return;
    }
    hb_room *room = hb_rooms_find(c->rooms, s.name);
    bool fresh = !room;
    if (!room) {
        room = hb_rooms_get(c->rooms, s.name, hb_ctl_now(c));
    }
    if (room && hb_room_ctl_restore(room->ctl, &s.ctl) == HB_OK) {
        hb_ctl_resume_wishes(c, room, &s);
        c->st.restored++;
    } else if (room && fresh) {
        hb_ctl_apply_wishes(c, room);
    }
}

void hb_ctl_save(hb_ctl *c) {
    char msg[512];
    if (hb_statefile_write(c->cfg->state_file, c->rooms, hb_ctl_epoch_now(), msg, sizeof msg) !=
        HB_OK) {
        hb_ctl_log("state file not saved (the previous one stays): %s", msg);
    }
}

/* The rooms of the state file, back as they were: each level held (and sent first) until its
 * sensors agree, the integral and the household's wishes restored. A file that cannot be read
 * is moved aside, never overwritten: the daemon starts afresh and says so. */
void hb_ctl_restore(hb_ctl *c) {
    hb_saved_room *saved = NULL;
    size_t n = 0;
    size_t skipped = 0;
    char msg[512];
    const char *path = c->cfg->state_file;
    int rc = hb_statefile_read(path, &saved, &n, &skipped, msg, sizeof msg);
    if (rc == HB_ERR_NOTFOUND) {
        hb_ctl_log("no state file %s yet: every room starts afresh", path);
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
    double t = hb_ctl_now(c);
    for (size_t i = 0; i < n; i++) {
        hb_room *room = hb_rooms_get(c->rooms, saved[i].name, t);
        if (!room || hb_room_ctl_restore(room->ctl, &saved[i].ctl) != HB_OK) {
            skipped++;
            continue;
        }
        hb_ctl_resume_wishes(c, room, &saved[i]);
        c->st.restored++;
    }
    free(saved);
    hb_ctl_log("restored %lu room%s from %s%s", c->st.restored, c->st.restored == 1 ? "" : "s",
               path, skipped ? " (some entries skipped: invalid or over --max-rooms)" : "");
}
