#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_strutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Leadership of a pair of instances (see hb_control.h): the heartbeat, taking the lead and
 * standing down. */

static void hb__heartbeat(hb_ctl *c) {
    char payload[HB_MQTT_CLIENT_ID_MAX + 96];
    int n = snprintf(payload, sizeof payload, "{\"id\":\"%s\",\"term\":%lu,\"at\":%.3f}",
                     c->client_id, c->term, hb_ctl_epoch_now());
    if (n > 0 && (size_t)n < sizeof payload) {
        hb_ctl_publish_retained(c, c->leader_topic, payload, 1);
    }
}

/* What only the leader listens to and says: readings, household commands, the retained room
 * states (subscribed first, so a new leader restores each room before its first reading), the
 * status, every room's announcement. */
int hb_ctl_subscribe_leader(hb_ctl *c) {
    int s = mosquitto_subscribe(c->m, NULL, c->ctl_sub, 1);
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(c->m, NULL, c->cfg->readings_topic, 0);
    }
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(c->m, NULL, c->cmd_sub, 1);
    }
    int p = mosquitto_publish(c->m, NULL, c->cfg->status_topic, 6, "online", 1, true);
    /* Announce every room again (a hub may have restarted with the broker) and show its state. */
    hb_rooms_each(c->rooms, hb_ctl_reannounce, c);
    return s != MOSQ_ERR_SUCCESS ? s : p;
}

static void hb__lead(hb_ctl *c, const char *why) {
    c->active = true;
    c->decided = true;
    c->term = c->max_term + 1;
    c->st.leads++;
    hb_ctl_log("leading (term %lu): %s", c->term, why);
    hb__heartbeat(c);
    c->t_heartbeat = hb_mono_now() + HB_CTL_HEARTBEAT_S;
    if (hb_ctl_subscribe_leader(c) != MOSQ_ERR_SUCCESS) {
        hb_ctl_log("subscribing as the leader failed; the next reconnect tries again");
    }
}

/* Stands down: stops listening to what the leader handles and forgets the rooms (the leader
 * has them, and they come back from their retained state at the next take-over). */
static void hb__stand_by(hb_ctl *c, const char *other) {
    const char *const topics[] = {c->cfg->readings_topic, c->cmd_sub, c->ctl_sub};
    for (int i = 0; i < 3; i++) {
        mosquitto_unsubscribe(c->m, NULL, topics[i]);
    }
    hb_rooms *fresh =
        hb_rooms_create(c->cfg->max_rooms, c->cfg->room_idle_s, &c->home.defaults.ctl);
    if (fresh) {
        hb_rooms_set_hooks(c->rooms, &(hb_rooms_hooks){0}); /* the leader keeps them announced */
        hb_rooms_destroy(c->rooms);
        c->rooms = fresh;
        hb_rooms_set_hooks(c->rooms, &(hb_rooms_hooks){.created = hb_ctl_room_created,
                                                       .removing = hb_ctl_room_removing,
                                                       .ud = c});
    }
    bool was = c->active;
    c->active = false;
    c->decided = true;
    if (was) {
        c->st.yields++;
    }
    char safe[80];
    hb_str_printable(other, safe, sizeof safe);
    hb_ctl_log("standing by: '%s' leads", safe);
}

/* A heartbeat on the leader topic. An empty one (not retained) is a leader that resigned. */
void hb_ctl_on_leader(hb_ctl *c, const struct mosquitto_message *msg) {
    double now = hb_mono_now();
    if (msg->payloadlen <= 0) {
        if (!msg->retain && !c->active) {
            c->t_leader_seen = -INFINITY; /* resigned: take over at once */
        }
        return;
    }
    cJSON *o = msg->payloadlen < 1024 ? cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen)
                                      : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *term = cJSON_GetObjectItemCaseSensitive(o, "term");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
    bool ok = cJSON_IsString(id) && cJSON_IsNumber(term) && cJSON_IsNumber(at) &&
              term->valuedouble >= 0 && term->valuedouble < 1e15 &&
              strcmp(id->valuestring, c->client_id) != 0;
    /* A retained heartbeat may be a dead leader's last: alive only if recent (clocks of one
     * home's machines agree far better than takeover_s). */
    if (ok && msg->retain) {
        ok = fabs(hb_ctl_epoch_now() - at->valuedouble) < c->cfg->takeover_s;
    }
    if (ok) {
        unsigned long t = (unsigned long)term->valuedouble;
        c->leader_seen = true;
        c->t_leader_seen = now;
        if (t > c->max_term) {
            c->max_term = t;
        }
        bool theirs = t > c->term || (t == c->term && strcmp(id->valuestring, c->client_id) < 0);
        if (c->active && theirs) {
            hb__stand_by(c, id->valuestring);
        }
    }
    cJSON_Delete(o);
}

/* Once per loop: the leader's heartbeat, or a standby's decision to lead. */
void hb_ctl_leadership(hb_ctl *c, double now) {
    /* An instance that is stopping never takes the lead: both of a pair stopped together (a
     * shutdown) would otherwise see the leader resign and command for a moment on its way out. */
    if (!c->connected || hb_ctl_stopping()) {
        return;
    }
    if (c->active) {
        if (now >= c->t_heartbeat) {
            hb__heartbeat(c);
            c->t_heartbeat = now + HB_CTL_HEARTBEAT_S;
        }
        return;
    }
    if (!c->decided) {
        if (now < c->t_decide) {
            return;
        }
        if (c->leader_seen) {
            hb__stand_by(c, "another instance");
        } else {
            hb__lead(c, "no other instance leads");
        }
        return;
    }
    if (now - c->t_leader_seen >= c->cfg->takeover_s) {
        hb__lead(c, c->leader_seen ? "the leader fell silent" : "no leader");
    }
}
