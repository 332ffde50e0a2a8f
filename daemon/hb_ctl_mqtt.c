#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_sdnotify.h"
#include "../util/hb_strutil.h"

#include <math.h>
#include <mqtt_protocol.h>
#include <string.h>

/* The MQTT client's callbacks: a (re)connection, a lost one, and each message routed to the
 * part of the daemon that handles it. */

static void hb__mark_resend(hb_room *room, void *ud) {
    (void)ud;
    hb_room_ctl_resend(room->ctl);
}

void hb_ctl_on_connect(void *ud, int rc) {
    hb_ctl *c = ud;
    if (rc != 0) {
        /* A fatal code also ends hb_session_step, and so the loop, with the session's message. */
        hb_ctl_log("connection %s", hb_mqtt_connack_text(rc));
        return;
    }
    c->connected = true;
    c->st.connects++;
    c->t_connected = hb_mono_now();
    /* Commands are not retained and QoS 1 state died with the broker: a valve may have missed
     * the last one, so every room re-sends its level at the next timer poll. */
    hb_rooms_each(c->rooms, hb__mark_resend, NULL);
    /* Subscribing here, not once at start, restores the subscriptions after every reconnect. */
    int s = mosquitto_subscribe(c->m, NULL, c->leader_topic, 1);
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(c->m, NULL, c->cfg->status_topic, 1);
    }
    if (s == MOSQ_ERR_SUCCESS && c->cfg->clock_topic) {
        s = mosquitto_subscribe(c->m, NULL, c->cfg->clock_topic, 0);
    }
    if (isnan(c->t_decide)) {
        /* The first connection: a standby waits takeover_s for a leader, an instance without
         * --standby looks for one briefly. */
        c->t_decide = c->t_connected + (c->cfg->standby ? 0.0 : HB_CTL_LOOK_S);
        c->decided = c->cfg->standby;
    }
    if (!c->active) {
        c->t_leader_seen = c->t_connected; /* the leader reconnects too: give it its time */
    }
    if (c->active && s == MOSQ_ERR_SUCCESS) {
        s = hb_ctl_subscribe_leader(c);
    }
    if (s == MOSQ_ERR_SUCCESS && c->cfg->discovery_prefix) {
        s = mosquitto_subscribe(c->m, NULL, c->hub_status_topic, 1); /* Home Assistant's birth */
    }
    hb_ctl_log("connected to %s:%d%s%s", c->cfg->mqtt.host, c->cfg->mqtt.port,
               c->active ? ", leading, subscribed to " : ", ",
               c->active ? c->cfg->readings_topic : "looking for a leader");
    if (s != MOSQ_ERR_SUCCESS) {
        hb_ctl_log("subscribing failed (%s); the next reconnect tries again",
                   mosquitto_strerror(s));
    }
    if (c->decided) {
        /* systemd's Type=notify: a --standby is ready once connected (an instance that looks
         * for a leader first is ready when it has decided: hb_ctl_leadership). */
        hb_sd_notify(c->active ? "READY=1\nSTATUS=connected, leading"
                               : "READY=1\nSTATUS=connected, standing by");
    }
}

void hb_ctl_on_disconnect(void *ud, int rc, const mosquitto_property *p) {
    (void)p;
    hb_ctl *c = ud;
    bool was = c->connected;
    c->connected = false;
    if (hb_ctl_stopping()) {
        return;
    }
    /* A broker closes a session when another client connects with the same id. MQTT 5 says so
     * (reason 142), but mosquitto 2.0 just closes the socket: a connection dropped within seconds
     * of being accepted, twice in a row, is taken for the same thing. Fighting back at once would
     * take the session over in turn, for ever, with every room's level re-sent each time. */
    double up = hb_mono_now() - c->t_connected;
    bool short_lived = was && rc != 0 && up < 10.0;
    c->short_in_row = short_lived ? c->short_in_row + 1 : (was ? 0 : c->short_in_row);
    if (rc == MQTT_RC_SESSION_TAKEN_OVER || c->short_in_row >= 2) {
        c->st.takeovers++;
        c->takeovers_in_row++;
        c->short_in_row = 0;
        int doublings = c->takeovers_in_row < 5 ? c->takeovers_in_row - 1 : 4;
        double wait = 30.0 * (double)(1u << doublings); /* 30 s, 1, 2, 4, then 8 min */
        hb_session_hold(c->sess, wait);
        hb_ctl_log("session taken over: the broker closed it %s; another client with id '%s' (a "
                   "second instance with the same --client-id?) has it; trying again in %.0f s",
                   rc == MQTT_RC_SESSION_TAKEN_OVER ? "for another client"
                                                    : "twice within seconds of connecting",
                   c->client_id, wait);
        return;
    }
    if (rc != 0 && was) {
        hb_ctl_log("connection lost (%s); reconnecting",
                   rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_strerror(rc));
    }
}

void hb_ctl_on_message(void *ud, const struct mosquitto_message *msg) {
    hb_ctl *c = ud;
    const char *topic = msg->topic ? msg->topic : "";
    if (strcmp(topic, c->leader_topic) == 0) {
        hb_ctl_on_leader(c, msg);
        return;
    }
    if (c->cfg->clock_topic && strcmp(topic, c->cfg->clock_topic) == 0) {
        hb_ctl_on_clock(c, msg); /* a standby keeps the same time as the leader */
        return;
    }
    /* A leader frozen past its lease finds the readings and commands of the freeze queued:
     * it stands down before it handles one, and drops them all. */
    hb_ctl_fence(c);
    if (strcmp(topic, c->cfg->status_topic) == 0) {
        /* A dead instance's will says "offline" while we lead: the hub must see us online. */
        if (hb_ctl_commanding(c) && msg->payloadlen == 7 &&
            memcmp(msg->payload, "offline", 7) == 0) {
            mosquitto_publish(c->m, NULL, c->cfg->status_topic, 6, "online", 1, true);
        }
        return;
    }
    if (!c->active) {
        return; /* queued before we stood down (or unsubscribed): the leader handles it */
    }
    if (strcmp(topic, c->hub_status_topic) == 0) {
        /* Home Assistant came (back) online: it may have lost every entity, announce them. */
        if (msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0) {
            hb_rooms_each(c->rooms, hb_ctl_reannounce, c);
        }
        return;
    }
    size_t plen = strlen(c->cfg->prefix);
    size_t tlen = strlen(topic);
    if (tlen > plen + 4 && strncmp(topic, c->cfg->prefix, plen) == 0 && topic[plen] == '/' &&
        strcmp(topic + tlen - 4, "/ctl") == 0) {
        hb_ctl_on_ctl(c, msg);
        return;
    }
    c->st.messages++;
    if (strncmp(topic, c->cfg->prefix, plen) == 0 && topic[plen] == '/') {
        int why = hb_ctl_command(c, topic, msg);
        if (why != HB_DROP_NONE) {
            hb_ctl_drop(c, why, msg);
        }
        return;
    }
    char room_name[HB_ROOM_MAX];
    int reason = hb_topic_room(c->cfg->readings_topic, topic, c->cfg->default_room, room_name);
    char sensor[HB_SENSOR_ID_LEN];
    double value = 0;
    if (reason == HB_DROP_NONE && msg->retain) {
        /* The broker replays a retained reading on every subscribe, however old it is. */
        reason = HB_DROP_RETAINED;
    }
    if (reason == HB_DROP_NONE) {
        if (msg->payloadlen < 0) {
            reason = HB_DROP_JSON;
        } else {
            reason = hb_payload_reading(msg->payload, (size_t)msg->payloadlen, sensor, &value);
        }
    }
    if (reason != HB_DROP_NONE) {
        hb_ctl_drop(c, reason, msg);
        return;
    }
    double t = hb_ctl_now(c);
    hb_ctl_count_reading(c, t);
    hb_room *room = hb_rooms_get(c->rooms, room_name, t);
    if (!room) {
        hb_ctl_drop(c, HB_DROP_ROOM_CAP, msg);
        return;
    }
    if (!hb_room_prefs_sensor_ok(room->prefs, sensor)) {
        hb_ctl_drop(c, HB_DROP_UNLISTED, msg);
        return;
    }
    int rc = hb_room_ctl_reading(room->ctl, t, sensor, value);
    if (rc != HB_OK) {
        hb_ctl_drop(c, rc == HB_ERR_FULL ? HB_DROP_SENSOR_CAP : HB_DROP_BAD_SENSOR, msg);
        return;
    }
    hb_rooms_touch(c->rooms, room, t);
    c->st.readings++;
    int level;
    if (hb_room_ctl_poll(room->ctl, t, &level)) {
        hb_ctl_publish_level(c, room, level);
    }
}
