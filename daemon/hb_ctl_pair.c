#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_sdnotify.h"
#include "../util/hb_strutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Leadership of a pair of instances (see hb_control.h and docs/live.md, "The pair's lease"):
 * the heartbeat, the lease that fences the leader, taking the lead and standing down.
 *
 * The leader commands only while its lease holds: the lease is renewed when a heartbeat of ours
 * comes back from the broker, from the moment that heartbeat was SENT, and runs out lease_s
 * (half of takeover_s) later, on the boot clock (which also runs while the machine or the
 * process is frozen). A standby leads only after takeover_s on its own clock without a valid
 * heartbeat. So when a standby leads, the old leader's lease has run out for at least
 * takeover_s - lease_s, whatever its clock said when it froze. */

double hb_ctl_boot_now(void) {
    struct timespec ts;
#ifdef CLOCK_BOOTTIME
    if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0) {
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    }
#endif
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool hb_ctl_commanding(const hb_ctl *c) {
    return c->active && hb_ctl_boot_now() - c->t_lease < c->lease_s;
}

bool hb_ctl_lease_lost(const hb_ctl *c) {
    /* Taking the lead starts the clock as a renewal would: no echo within lease_s, no lead. */
    double since = fmax(c->t_lease, c->t_led);
    return c->active && hb_ctl_boot_now() - since >= c->lease_s;
}

/* Our messages' counter: microseconds of the boot clock over a base taken from the calendar at
 * start, so it grows across restarts too and tells when a message of ours was sent. */
static uint64_t hb__counter(const hb_ctl *c, double boot) {
    return c->n_base + (uint64_t)llround(boot * 1e6);
}

int hb_ctl_sign(hb_ctl *c, const char *topic, const char *body, char *out, size_t outlen) {
    size_t len = strlen(body);
    if (!c->cfg->pair_key) {
        int n = snprintf(out, outlen, "%s", body);
        return (n < 0 || (size_t)n >= outlen) ? -1 : n;
    }
    return hb_sign_message(c->cfg->pair_key, topic, body, len, hb__counter(c, hb_ctl_boot_now()),
                           out, outlen);
}

bool hb_ctl_authentic(hb_ctl *c, const struct mosquitto_message *msg, uint64_t *counter) {
    *counter = 0;
    if (!c->cfg->pair_key) {
        return true;
    }
    if (msg->payloadlen > 0 && hb_sign_verify(c->cfg->pair_key, msg->topic, msg->payload,
                                              (size_t)msg->payloadlen, counter)) {
        return true;
    }
    hb_ctl_drop(c, HB_DROP_FORGED, msg);
    return false;
}

static void hb__heartbeat(hb_ctl *c, bool resign) {
    char body[HB_MQTT_CLIENT_ID_MAX + 96];
    char payload[sizeof body + HB_SIGN_EXTRA];
    /* "sent": when, on our boot clock (as the counter): the lease runs from it, with or
     * without a key. */
    int n = snprintf(body, sizeof body, "{\"id\":\"%s\",\"term\":%lu,\"at\":%.3f,\"sent\":%llu%s}",
                     c->client_id, c->term, hb_ctl_epoch_now(),
                     (unsigned long long)hb__counter(c, hb_ctl_boot_now()),
                     resign ? ",\"resign\":true" : "");
    if (n > 0 && (size_t)n < sizeof body &&
        hb_ctl_sign(c, c->leader_topic, body, payload, sizeof payload) > 0) {
        hb_ctl_publish_retained(c, c->leader_topic, payload, 1);
    }
}

/* Resigning (a clean stop): a standby takes over at once. With a key the resignation is a
 * signed heartbeat that says so (an empty message anyone could send is refused); without one,
 * the empty retained message of before. */
void hb_ctl_resign(hb_ctl *c) {
    if (c->cfg->pair_key) {
        hb__heartbeat(c, true);
    } else {
        hb_ctl_publish_retained(c, c->leader_topic, NULL, 1);
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
    if (!c->pending && hb_ctl_pending_reset(c) != HB_OK) {
        return; /* out of memory: try again at the next loop */
    }
    c->active = true;
    c->decided = true;
    /* One over the highest term verified: a forged term cannot make it jump. */
    c->term = c->max_term + 1;
    c->max_term = c->term;
    c->t_led = hb_ctl_boot_now();
    c->t_lease = -INFINITY; /* commands wait for the first heartbeat to come back */
    c->st.leads++;
    hb_ctl_log("leading (term %lu): %s", c->term, why);
    hb__heartbeat(c, false);
    c->t_heartbeat = hb_mono_now() + HB_CTL_HEARTBEAT_S;
    if (hb_ctl_subscribe_leader(c) != MOSQ_ERR_SUCCESS) {
        hb_ctl_log("subscribing as the leader failed; the next reconnect tries again");
    }
}

/* Stands down: stops listening to what the leader handles and forgets the rooms (the leader
 * has them, and they come back from their retained state at the next take-over). Whatever the
 * rooms had queued goes with them: nothing more is published for any room. */
void hb_ctl_stand_down(hb_ctl *c, const char *why) {
    const char *const topics[] = {c->cfg->readings_topic, c->cmd_sub, c->ctl_sub};
    bool was = c->active;
    c->active = false; /* first: nothing below may publish for a room */
    c->decided = true;
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
    (void)hb_ctl_pending_reset(c);
    if (was) {
        c->st.yields++;
    }
    char safe[80];
    hb_str_printable(why, safe, sizeof safe);
    hb_ctl_log("standing by: %s", safe);
}

/* Our own heartbeat back from the broker: the lease runs from when it was sent. */
static void hb__echo(hb_ctl *c, unsigned long term, uint64_t n, bool retained) {
    if (!c->active || retained || term != c->term) {
        return;
    }
    double sent = (double)(n - c->n_base) * 1e-6;
    if (n >= c->n_base && sent <= hb_ctl_boot_now() && sent > c->t_lease && sent >= c->t_led) {
        c->t_lease = sent;
    }
}

/* A heartbeat on the leader topic. An empty one (not retained) is a leader that resigned (only
 * without a key: with one, a resignation is signed like any heartbeat). */
void hb_ctl_on_leader(hb_ctl *c, const struct mosquitto_message *msg) {
    double now = hb_mono_now();
    if (msg->payloadlen <= 0 && !c->cfg->pair_key) {
        if (!msg->retain && !c->active) {
            c->t_leader_seen = -INFINITY; /* resigned: take over at once */
        }
        return;
    }
    uint64_t n;
    if (!hb_ctl_authentic(c, msg, &n)) {
        return;
    }
    cJSON *o = msg->payloadlen < 1024 ? cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen)
                                      : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *term = cJSON_GetObjectItemCaseSensitive(o, "term");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
    bool resign = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "resign"));
    bool ok = cJSON_IsString(id) && cJSON_IsNumber(term) && cJSON_IsNumber(at) &&
              term->valuedouble >= 0 && term->valuedouble < 1e15;
    if (ok && strcmp(id->valuestring, c->client_id) == 0) {
        /* Without a key the counter is the message's "sent" (anyone could forge it: only as
         * safe as the broker's ACL); with one, the signed counter. */
        const cJSON *sent = cJSON_GetObjectItemCaseSensitive(o, "sent");
        if (!c->cfg->pair_key) {
            n = cJSON_IsNumber(sent) && sent->valuedouble >= 0 && sent->valuedouble < 1.8e19
                    ? (uint64_t)sent->valuedouble
                    : 0;
        }
        hb__echo(c, (unsigned long)term->valuedouble, n, msg->retain);
        cJSON_Delete(o);
        return;
    }
    /* A retained heartbeat may be a dead leader's last: alive only if recent. (Only at a
     * (re)subscription; live heartbeats are timed by our own clock at receipt.) */
    if (ok && msg->retain) {
        ok = fabs(hb_ctl_epoch_now() - at->valuedouble) < c->cfg->takeover_s;
    }
    /* A live heartbeat of the same sender that is not newer than the last is a replay. */
    if (ok && c->cfg->pair_key && !msg->retain) {
        bool same = strcmp(c->peer_id, id->valuestring) == 0;
        if (same && n <= c->peer_n) {
            hb_ctl_drop(c, HB_DROP_FORGED, msg);
            ok = false;
        } else {
            snprintf(c->peer_id, sizeof c->peer_id, "%s", id->valuestring);
            c->peer_n = n;
        }
    }
    if (ok) {
        unsigned long t = (unsigned long)term->valuedouble;
        if (t > c->max_term) {
            c->max_term = t;
        }
        if (resign) {
            if (!c->active && !msg->retain) {
                c->t_leader_seen = -INFINITY; /* resigned: take over at once */
            }
        } else {
            c->leader_seen = true;
            c->t_leader_seen = now;
            bool theirs =
                t > c->term || (t == c->term && strcmp(id->valuestring, c->client_id) < 0);
            if (c->active && theirs) {
                char why[HB_MQTT_CLIENT_ID_MAX + 16];
                snprintf(why, sizeof why, "'%s' leads", id->valuestring);
                hb_ctl_stand_down(c, why);
            }
        }
    }
    cJSON_Delete(o);
}

bool hb_ctl_fence(hb_ctl *c) {
    if (!hb_ctl_lease_lost(c)) {
        return false;
    }
    /* Frozen, or the broker slow or gone: a standby may be leading by now, or soon. */
    hb_ctl_stand_down(c, "our lease ran out (no heartbeat of ours came back in time)");
    c->t_leader_seen = hb_mono_now(); /* a standby from now: the full takeover time */
    if (!c->connected && !c->cfg->standby) {
        /* At the next connection, look for a leader (its retained heartbeat) as at start. */
        c->decided = false;
        c->leader_seen = false;
        c->t_decide = NAN;
    }
    return true;
}

/* Once per loop: the leader's heartbeat and lease, or a standby's decision to lead. */
void hb_ctl_leadership(hb_ctl *c, double now) {
    if (hb_ctl_fence(c)) {
        return;
    }
    /* An instance that is stopping never takes the lead: both of a pair stopped together (a
     * shutdown) would otherwise see the leader resign and command for a moment on its way out. */
    if (!c->connected || hb_ctl_stopping()) {
        return;
    }
    if (c->active) {
        if (now >= c->t_heartbeat) {
            hb__heartbeat(c, false);
            c->t_heartbeat = now + HB_CTL_HEARTBEAT_S;
        }
        return;
    }
    if (!c->decided) {
        if (isnan(c->t_decide) || now < c->t_decide) {
            return;
        }
        if (c->leader_seen) {
            hb_ctl_stand_down(c, "another instance leads");
        } else {
            hb__lead(c, "no other instance leads");
        }
        /* systemd's Type=notify: ready once connected and decided, since readings that come
         * while an instance looks for a leader are the leader's to handle (repeats are
         * harmless, after a reconnection too). */
        hb_sd_notify(c->active ? "READY=1\nSTATUS=connected, leading"
                               : "READY=1\nSTATUS=connected, standing by");
        return;
    }
    if (now - c->t_leader_seen >= c->cfg->takeover_s) {
        hb__lead(c, c->leader_seen ? "the leader fell silent" : "no leader");
    }
}
