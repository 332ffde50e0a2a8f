#define _POSIX_C_SOURCE 200809L
#include "hb_control.h"
#include "../util/hb_error.h"
#include "../util/hb_log.h"
#include "../util/hb_sdnotify.h"
#include "../util/hb_strutil.h"
#include "hb_ha.h"
#include "hb_rooms.h"
#include "hb_statefile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* Set from signal handlers: the only mutable file-scope state, as signals require. */
static volatile sig_atomic_t hb__stop;
static volatile sig_atomic_t hb__stats;
static volatile sig_atomic_t hb__reload_requested;

void hb_control_request_stop(void) {
    hb__stop = 1;
}

void hb_control_request_stats(void) {
    hb__stats = 1;
}

void hb_control_request_reload(void) {
    hb__reload_requested = 1;
}

/* One instance's state. Grouped by size (the analyzer asks for it); the comments say what goes
 * together. */
typedef struct hb__ctl {
    const hb_control_config *cfg;
    struct mosquitto *m;
    hb_rooms *rooms;
    hb_control_stats st;
    hb_mqtt_retry retry;
    hb_home home; /* the settings in force */
    hb_ha_ctx ha;
    double t0;          /* monotonic start */
    double t_connected; /* monotonic time of the last CONNACK */
    double week0;       /* the schedule clock at start (seconds since Monday 00:00) */
    double week_s;      /* the schedule clock now */
    double next_save;   /* monotonic time of the next state-file write */
    /* rate-limited logging, per drop reason */
    double last_log[HB_DROP__COUNT];
    unsigned long logged[HB_DROP__COUNT];
    /* leadership (see the header) */
    double t_decide;      /* monotonic: the start-up look ends then (NaN before connecting) */
    double t_leader_seen; /* monotonic time of the last heartbeat of another leader */
    double t_heartbeat;   /* monotonic time of our next heartbeat */
    unsigned long term, max_term;
    int takeovers_in_row; /* consecutive take-overs: each doubles the wait before returning */
    int short_in_row;     /* connections in a row closed within seconds of the CONNACK */
    int fatal_connack;    /* CONNACK code that retrying cannot fix, or 0 */
    int offline_mid;
    int budget; /* announcements, states and controller states this sweep may still publish */
    bool connected;
    bool offline_sent;
    bool home_owned;  /* HOME is the daemon's (a default or a reload), freed at the end */
    bool active;      /* this instance commands */
    bool decided;     /* the start-up look for a live leader is over */
    bool leader_seen; /* another live leader was heard */
    char client_id[HB_MQTT_CLIENT_ID_MAX + 1];
    char leader_topic[300];
    char hub_status_topic[300]; /* <discovery prefix>/status: Home Assistant's birth and will */
    char ctl_sub[160];          /* <prefix>/+/ctl: the rooms' retained controller states */
    char cmd_sub[160];          /* <prefix>/+/+/set: the household's commands */
} hb__ctl;

#define HB__HEARTBEAT_S 1.0
#define HB__SHOW_PER_SWEEP 200 /* per 0.25 s sweep: 800 announcements or states a second */
#define HB__LOOK_S 0.5 /* how long an instance started without --standby looks for a leader */

static double hb__now(const hb__ctl *c) {
    return (hb_mono_now() - c->t0) * c->cfg->speed;
}

static void hb__log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hb_log_v(HB_LOG_INFO, "heatbench control", fmt, ap);
    va_end(ap);
}

/* Counts a dropped message and logs at most one line per reason and interval: a warning with
 * the reason, the latest offending payload (truncated, printable) and its topic. */
static void hb__drop(hb__ctl *c, int reason, const char *topic,
                     const struct mosquitto_message *msg) {
    c->st.dropped[reason]++;
    double now = hb_mono_now();
    if (now - c->last_log[reason] >= c->cfg->log_interval_s || c->last_log[reason] == 0) {
        unsigned long n = c->st.dropped[reason] - c->logged[reason];
        char safe[80];
        char value[48] = "";
        char raw[48] = "";
        hb_str_printable(topic, safe, sizeof safe);
        if (msg && msg->payloadlen > 0) {
            size_t k =
                (size_t)msg->payloadlen < sizeof raw - 1 ? (size_t)msg->payloadlen : sizeof raw - 1;
            memcpy(raw, msg->payload, k);
            raw[k] = '\0';
            hb_str_printable(raw, value, sizeof value);
        }
        hb_log(HB_LOG_WARNING, "heatbench control",
               "dropped %lu message%s (%s: %s), latest '%s%s' on topic '%s'", n, n == 1 ? "" : "s",
               hb_drop_name(reason), hb_drop_why(reason), value,
               msg && (size_t)msg->payloadlen >= sizeof raw ? "..." : "", safe);
        c->last_log[reason] = now;
        c->logged[reason] = c->st.dropped[reason];
    }
}

static void hb__publish_ctl(hb__ctl *c, hb_room *room);

static void hb__publish_level(hb__ctl *c, hb_room *r, int level) {
    const char *room = r->name;
    char topic[256];
    char payload[32];
    int tn = hb_topic_format(c->cfg->actuator_topic, room, topic, sizeof topic);
    int pn = hb_payload_format_level(payload, sizeof payload, level);
    if (tn < 0 || pn < 0) {
        c->st.publish_errors++;
        return;
    }
    /* QoS 1, not retained: a command is an absolute level, so a duplicate is harmless, and a
     * retained one would replay a stale level to a valve that reconnects hours later. */
    int rc = mosquitto_publish(c->m, NULL, topic, pn, payload, 1, false);
    if (rc == MOSQ_ERR_SUCCESS) {
        c->st.commands++;
        if (c->cfg->verbose) {
            hb__log("%s <- %s", topic, payload);
        }
        /* The controller state goes with the command, not a sweep later: a leader killed in
         * between would leave a standby the level before this one (a deadband's jump). Out of
         * the sweep's budget, so a burst (ten thousand rooms' first readings, the re-sends
         * after a reconnect) stays paced: what the budget leaves goes with the next sweeps. */
        r->flags |= HB_ROOM_CTL_DIRTY;
        if (c->budget > 0) {
            hb__publish_ctl(c, r);
            c->budget--;
        }
    } else {
        c->st.publish_errors++;
        hb_room_ctl_resend(r->ctl); /* try again at the next poll rather than at the heartbeat */
    }
}

/* The schedule clock: seconds since Monday 00:00, local time. At the wall clock's pace it is
 * read from the calendar each time (a daylight-saving change moves it, as it moves the
 * household's day); an accelerated or explicitly started clock runs from its start. */
/* Wall-clock seconds since the epoch: only to judge a retained heartbeat's age, never for
 * control. */
static double hb__epoch_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double hb__calendar_week_s(void) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return ((tm.tm_wday + 6) % 7) * 86400.0 + tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec;
}

/* Whether the schedule clock is the calendar's (else it runs from its start at speed). */
static bool hb__on_calendar(const hb__ctl *c) {
    return isnan(c->cfg->week_start_s) && c->cfg->speed == 1.0;
}

static double hb__week_now(const hb__ctl *c) {
    return hb__on_calendar(c) ? hb__calendar_week_s() : c->week0 + hb__now(c);
}

/* What the household asks of ROOM now, into its controller. */
static void hb__apply_wishes(hb__ctl *c, hb_room *room) {
    double sp = hb_thermostat_setpoint(&room->th, room->prefs, c->week_s);
    hb_room_ctl_set_setpoint(room->ctl, sp);
    hb_room_ctl_set_heating(room->ctl, room->th.mode == HB_MODE_HEAT);
}

/* A restored room's household wishes (a restart, a take-over): an override whose schedule
 * period ended while nobody watched is gone, and a setpoint by hand comes within the limits in
 * force. The time away is judged on the calendar's clock only: an accelerated clock starts
 * afresh at each start, so the time between two runs is not on it. */
static void hb__resume_wishes(hb__ctl *c, hb_room *room, const hb_saved_room *s) {
    room->th = s->th;
    hb_thermostat_fit(&room->th, room->prefs);
    if (isfinite(s->at) && hb__on_calendar(c)) {
        double away = fmax(0.0, hb__epoch_now() - s->at);
        hb_thermostat_resume(&room->th, room->prefs, c->week_s - away, c->week_s);
    }
    hb__apply_wishes(c, room);
}

/* A retained message (PAYLOAD NULL: an empty one, which clears the topic); false, counted,
 * when the client refuses it. */
static bool hb__publish_retained(hb__ctl *c, const char *topic, const char *payload, int qos) {
    size_t n = payload ? strlen(payload) : 0;
    if (mosquitto_publish(c->m, NULL, topic, (int)n, payload, qos, true) != MOSQ_ERR_SUCCESS) {
        c->st.publish_errors++;
        return false;
    }
    return true;
}

/* The room's controller state, retained on <prefix>/<room>/ctl: what a standby takes over from. */
static void hb__publish_ctl(hb__ctl *c, hb_room *room) {
    char topic[256];
    char payload[HB_STATEFILE_ROOM_MAX];
    if (!c->connected || hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "ctl") < 0 ||
        hb_statefile_format_room(payload, sizeof payload, room, hb__epoch_now()) < 0) {
        return;
    }
    room->flags &= (unsigned char)~HB_ROOM_CTL_DIRTY;
    /* QoS 0 like the state (see hb__show): on a live connection it arrives all the same, and
     * it is sent again with the room's next command. */
    hb__publish_retained(c, topic, payload, 0);
}

/* The room's retained state, when it changed enough (NOW: at once, after a command): a change
 * of level, setpoint, mode, preset, health or window at most once a second, the estimate alone
 * at most every 30 s, so a thousand noisy rooms do not flood the hub. QoS 0: the state is shown
 * again at its next change, and a message is freed as soon as it is written, so a burst of
 * thousands of states does not pile up in memory waiting for acknowledgements. Returns whether
 * it published. */
static bool hb__show(hb__ctl *c, hb_room *room, double t, bool now) {
    if (!c->connected) {
        return false;
    }
    hb_room_view v = {.estimate_c = hb_room_ctl_estimate(room->ctl),
                      .setpoint_c = hb_thermostat_setpoint(&room->th, room->prefs, c->week_s),
                      .mode = room->th.mode,
                      .preset = room->th.preset,
                      .level = hb_room_ctl_level(room->ctl),
                      .failsafe = hb_room_ctl_failsafe(room->ctl),
                      .window_open = hb_room_ctl_window_open(room->ctl)};
    hb_room_ctl_sensors(room->ctl, t, &v.sensors_healthy, &v.sensors_total);
    short est = isfinite(v.estimate_c) && fabs(v.estimate_c) < 1000
                    ? (short)lround(v.estimate_c * 10.0)
                    : SHRT_MIN;
    short sp = (short)lround(v.setpoint_c * 100.0); /* 5..35 °C */
    /* Everything but the estimate, in one word (FNV-1a): a change is a major one. */
    unsigned parts[] = {
        (unsigned)v.level,           (unsigned)(unsigned short)sp, (unsigned)v.mode,
        (unsigned)v.preset,          (unsigned)v.failsafe,         (unsigned)v.window_open,
        (unsigned)v.sensors_healthy, (unsigned)v.sensors_total};
    unsigned hash = 2166136261u;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        hash = (hash ^ parts[i]) * 16777619u;
    }
    bool major = !(room->flags & HB_ROOM_SHOWN) || hash != room->shown_hash;
    bool est_moved = est != room->shown_est;
    /* Whole seconds since the start: exact for 136 years, where a float's step would grow to
     * half a minute within ten. */
    uint32_t wall = (uint32_t)(hb_mono_now() - c->t0);
    bool due =
        now || (major && wall - room->t_shown >= 1u) || (est_moved && wall - room->t_shown >= 30u);
    if (!due) {
        return false;
    }
    char topic[256];
    char payload[512];
    if (hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "state") < 0 ||
        hb_ha_state(payload, sizeof payload, &v) < 0) {
        c->st.publish_errors++;
        return false;
    }
    if (!hb__publish_retained(c, topic, payload, 0)) {
        return false;
    }
    room->flags |= HB_ROOM_SHOWN;
    room->shown_hash = hash;
    room->shown_est = est;
    room->t_shown = wall;
    return true;
}

/* Home Assistant discovery of ROOM: its documents, or (REMOVE) empty ones that withdraw it. */
static void hb__announce(hb__ctl *c, hb_room *room, bool remove) {
    if (!c->cfg->discovery_prefix || !c->connected) {
        return;
    }
    for (int which = 0; which < 2; which++) {
        char topic[320];
        char *doc = hb_ha_discovery(&c->ha, room->name, room->prefs, which, topic, sizeof topic);
        if (!doc) {
            c->st.publish_errors++;
            return;
        }
        /* QoS 0 like the state: a lost one is sent again at the next (re)connection. */
        hb__publish_retained(c, topic, remove ? NULL : doc, 0);
        free(doc);
    }
    room->flags = (unsigned char)(remove ? room->flags & ~HB_ROOM_ANNOUNCED
                                         : room->flags | HB_ROOM_ANNOUNCED);
}

/* The room's settings from the configuration in force, into its controller (bumplessly). */
static void hb__bind(hb__ctl *c, hb_room *room) {
    room->prefs = hb_home_room(&c->home, room->name);
    (void)hb_room_ctl_reconfigure(room->ctl, &room->prefs->ctl); /* checked when loaded */
}

static void hb__room_created(hb_room *room, void *ud) {
    hb__ctl *c = ud;
    hb__bind(c, room);
    hb__apply_wishes(c, room); /* its announcement and state go out with the next sweep */
}

static void hb__room_removing(hb_room *room, void *ud) {
    hb__ctl *c = ud;
    hb__announce(c, room, true);
    char topic[256];
    if (c->connected &&
        hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "state") >= 0) {
        hb__publish_retained(c, topic, NULL, 1); /* no stale state for a room that is gone */
    }
    if (c->connected && hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "ctl") >= 0) {
        hb__publish_retained(c, topic, NULL, 1);
    }
}

/* After a (re)connection or a reload: announce the room and show its state again, paced by
 * the sweeps. */
static void hb__reannounce(hb_room *room, void *ud) {
    (void)ud;
    room->flags &= (unsigned char)~(HB_ROOM_ANNOUNCED | HB_ROOM_SHOWN);
    /* The retained controller state too: a broker restarted without persistence has lost it,
     * and a standby taking over before the room's next command would start it afresh. */
    room->flags |= HB_ROOM_CTL_DIRTY;
}

/* A household's command: <prefix>/<room>/{setpoint,mode,preset}/set. Returns a drop reason. */
static int hb__command(hb__ctl *c, const char *topic, const struct mosquitto_message *msg) {
    size_t plen = strlen(c->cfg->prefix);
    const char *rest = topic + plen + 1; /* the caller checked "<prefix>/" */
    const char *slash = strchr(rest, '/');
    char room_name[HB_ROOM_MAX];
    size_t rn = slash ? (size_t)(slash - rest) : 0;
    if (!slash || rn == 0 || rn >= sizeof room_name) {
        return HB_DROP_BAD_TOPIC;
    }
    memcpy(room_name, rest, rn);
    room_name[rn] = '\0';
    const char *kind = slash + 1;
    int which = strcmp(kind, "setpoint/set") == 0 ? 0
                : strcmp(kind, "mode/set") == 0   ? 1
                : strcmp(kind, "preset/set") == 0 ? 2
                                                  : -1;
    if (which < 0 || !hb_room_name_ok(room_name)) {
        return HB_DROP_BAD_TOPIC;
    }
    if (msg->retain) {
        return HB_DROP_RETAINED; /* a stale wish would undo every later one at each reconnect */
    }
    char word[32];
    if (msg->payloadlen <= 0 ||
        hb_payload_word(msg->payload, (size_t)msg->payloadlen, word, sizeof word) != 0) {
        return HB_DROP_COMMAND;
    }
    double t = hb__now(c);
    hb_room *room = hb_rooms_find(c->rooms, room_name);
    if (!room) {
        /* A wish for a room the daemon has not heard of (a typo in an automation, a room
         * silent for a day) would make a phantom: a new thermostat announced to the hub and
         * commands to a valve that may not exist. A command makes only a room the
         * configuration names; any other room is made by its first reading. */
        if (!hb_home_lists(&c->home, room_name)) {
            return HB_DROP_UNKNOWN_ROOM;
        }
        room = hb_rooms_get(c->rooms, room_name, t);
        if (!room) {
            return HB_DROP_ROOM_CAP;
        }
    }
    int rc;
    double v;
    if (which == 0) {
        rc = hb_parse_number(word, 0, &v) == 0
                 ? hb_thermostat_set_setpoint(&room->th, room->prefs, c->week_s, v)
                 : HB_ERR_PARSE;
    } else if (which == 1) {
        rc = hb_thermostat_set_mode(&room->th, hb_mode_parse(word));
    } else {
        rc = hb_thermostat_set_preset(&room->th, room->prefs, c->week_s, hb_preset_parse(word));
    }
    if (rc != HB_OK) {
        return HB_DROP_COMMAND;
    }
    c->st.requests++;
    room->flags |= HB_ROOM_CTL_DIRTY; /* the wish is part of the state a standby takes over */
    hb__apply_wishes(c, room);
    /* The wish acts now, not at the next update, and its command goes out now: the radio
     * budget (deadband, min interval) is for the control loop's small moves, not for a person
     * who just turned the heating off. */
    hb_room_ctl_resync(room->ctl);
    hb_room_ctl_resend(room->ctl);
    int level;
    if (hb_room_ctl_poll(room->ctl, t, &level)) {
        hb__publish_level(c, room, level);
    }
    hb__show(c, room, t, true);
    if (room->flags & HB_ROOM_CTL_DIRTY) {
        hb__publish_ctl(c, room); /* not gone with a command: now, whatever the budget */
    }
    if (c->cfg->verbose) {
        hb__log("%s <- %s", topic, word);
    }
    return HB_DROP_NONE;
}

static void hb__mark_resend(hb_room *room, void *ud) {
    (void)ud;
    hb_room_ctl_resend(room->ctl);
}

/* ---- leadership (a pair of instances, see the header) ---------------------------------------- */

static void hb__heartbeat(hb__ctl *c) {
    char payload[HB_MQTT_CLIENT_ID_MAX + 96];
    int n = snprintf(payload, sizeof payload, "{\"id\":\"%s\",\"term\":%lu,\"at\":%.3f}",
                     c->client_id, c->term, hb__epoch_now());
    if (n > 0 && (size_t)n < sizeof payload) {
        hb__publish_retained(c, c->leader_topic, payload, 1);
    }
}

/* What only the leader listens to and says: readings, household commands, the retained room
 * states (subscribed first, so a new leader restores each room before its first reading), the
 * status, every room's announcement. */
static int hb__subscribe_leader(hb__ctl *c) {
    int s = mosquitto_subscribe(c->m, NULL, c->ctl_sub, 1);
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(c->m, NULL, c->cfg->readings_topic, 0);
    }
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(c->m, NULL, c->cmd_sub, 1);
    }
    int p = mosquitto_publish(c->m, NULL, c->cfg->status_topic, 6, "online", 1, true);
    /* Announce every room again (a hub may have restarted with the broker) and show its state. */
    hb_rooms_each(c->rooms, hb__reannounce, c);
    return s != MOSQ_ERR_SUCCESS ? s : p;
}

static void hb__lead(hb__ctl *c, const char *why) {
    c->active = true;
    c->decided = true;
    c->term = c->max_term + 1;
    c->st.leads++;
    hb__log("leading (term %lu): %s", c->term, why);
    hb__heartbeat(c);
    c->t_heartbeat = hb_mono_now() + HB__HEARTBEAT_S;
    if (hb__subscribe_leader(c) != MOSQ_ERR_SUCCESS) {
        hb__log("subscribing as the leader failed; the next reconnect tries again");
    }
}

/* Stands down: stops listening to what the leader handles and forgets the rooms (the leader
 * has them, and they come back from their retained state at the next take-over). */
static void hb__stand_by(hb__ctl *c, const char *other) {
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
        hb_rooms_set_hooks(
            c->rooms,
            &(hb_rooms_hooks){.created = hb__room_created, .removing = hb__room_removing, .ud = c});
    }
    bool was = c->active;
    c->active = false;
    c->decided = true;
    if (was) {
        c->st.yields++;
    }
    char safe[80];
    hb_str_printable(other, safe, sizeof safe);
    hb__log("standing by: '%s' leads", safe);
}

/* A heartbeat on the leader topic. An empty one (not retained) is a leader that resigned. */
static void hb__on_leader(hb__ctl *c, const struct mosquitto_message *msg) {
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
        ok = fabs(hb__epoch_now() - at->valuedouble) < c->cfg->takeover_s;
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

/* A room's retained controller state, as the leader: restores a room that has not run yet (a
 * take-over, a restart); a running room (our own state coming back) is left alone. */
static void hb__on_ctl(hb__ctl *c, const struct mosquitto_message *msg) {
    hb_saved_room s;
    if (!c->active || msg->payloadlen <= 0 ||
        hb_statefile_parse_room(msg->payload, (size_t)msg->payloadlen, &s) != HB_OK) {
        return;
    }
    hb_room *room = hb_rooms_find(c->rooms, s.name);
    bool fresh = !room;
    if (!room) {
        room = hb_rooms_get(c->rooms, s.name, hb__now(c));
    }
    if (room && hb_room_ctl_restore(room->ctl, &s.ctl) == HB_OK) {
        hb__resume_wishes(c, room, &s);
        c->st.restored++;
    } else if (room && fresh) {
        hb__apply_wishes(c, room);
    }
}

/* Once per loop: the leader's heartbeat, or a standby's decision to lead. */
static void hb__leadership(hb__ctl *c, double now) {
    /* An instance that is stopping never takes the lead: both of a pair stopped together (a
     * shutdown) would otherwise see the leader resign and command for a moment on its way out. */
    if (!c->connected || hb__stop) {
        return;
    }
    if (c->active) {
        if (now >= c->t_heartbeat) {
            hb__heartbeat(c);
            c->t_heartbeat = now + HB__HEARTBEAT_S;
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

static void hb__ctl_on_connect(struct mosquitto *m, void *ud, int rc) {
    hb__ctl *c = ud;
    if (rc != 0) {
        hb__log("connection %s", hb_mqtt_connack_text(rc));
        if (hb_mqtt_connack_fatal(rc)) {
            c->fatal_connack = rc;
        }
        return;
    }
    c->connected = true;
    c->st.connects++;
    hb_mqtt_retry_reset(&c->retry);
    c->t_connected = hb_mono_now();
    /* Commands are not retained and QoS 1 state died with the broker: a valve may have missed
     * the last one, so every room re-sends its level at the next timer poll. */
    hb_rooms_each(c->rooms, hb__mark_resend, NULL);
    /* Subscribing here, not once at start, restores the subscriptions after every reconnect. */
    int s = mosquitto_subscribe(m, NULL, c->leader_topic, 1);
    if (s == MOSQ_ERR_SUCCESS) {
        s = mosquitto_subscribe(m, NULL, c->cfg->status_topic, 1);
    }
    if (isnan(c->t_decide)) {
        /* The first connection: a standby waits takeover_s for a leader, an instance without
         * --standby looks for one briefly. */
        c->t_decide = c->t_connected + (c->cfg->standby ? 0.0 : HB__LOOK_S);
        c->decided = c->cfg->standby;
    }
    if (!c->active) {
        c->t_leader_seen = c->t_connected; /* the leader reconnects too: give it its time */
    }
    if (c->active && s == MOSQ_ERR_SUCCESS) {
        s = hb__subscribe_leader(c);
    }
    if (s == MOSQ_ERR_SUCCESS && c->cfg->discovery_prefix) {
        s = mosquitto_subscribe(m, NULL, c->hub_status_topic, 1); /* Home Assistant's birth */
    }
    hb__log("connected to %s:%d%s%s", c->cfg->mqtt.host, c->cfg->mqtt.port,
            c->active ? ", leading, subscribed to " : ", ",
            c->active ? c->cfg->readings_topic : "looking for a leader");
    if (s != MOSQ_ERR_SUCCESS) {
        hb__log("subscribing failed (%s); the next reconnect tries again", mosquitto_strerror(s));
    }
    /* systemd's Type=notify: the service is up once the broker has it (repeats are harmless). */
    hb_sd_notify("READY=1\nSTATUS=connected to the broker");
}

static void hb__ctl_on_disconnect(struct mosquitto *m, void *ud, int rc,
                                  const mosquitto_property *p) {
    (void)m;
    (void)p;
    hb__ctl *c = ud;
    bool was = c->connected;
    c->connected = false;
    if (hb__stop) {
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
        hb_mqtt_retry_hold(&c->retry, hb_mono_now(), wait);
        hb__log("session taken over: the broker closed it %s; another client with id '%s' (a "
                "second instance with the same --client-id?) has it; trying again in %.0f s",
                rc == MQTT_RC_SESSION_TAKEN_OVER ? "for another client"
                                                 : "twice within seconds of connecting",
                c->client_id, wait);
        return;
    }
    if (rc != 0 && was) {
        hb__log("connection lost (%s); reconnecting",
                rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_strerror(rc));
    }
}

static void hb__on_publish(struct mosquitto *m, void *ud, int mid) {
    (void)m;
    hb__ctl *c = ud;
    if (mid == c->offline_mid) {
        c->offline_sent = true;
    }
}

static void hb__ctl_on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg) {
    (void)m;
    hb__ctl *c = ud;
    const char *topic = msg->topic ? msg->topic : "";
    if (strcmp(topic, c->leader_topic) == 0) {
        hb__on_leader(c, msg);
        return;
    }
    if (strcmp(topic, c->cfg->status_topic) == 0) {
        /* A dead instance's will says "offline" while we lead: the hub must see us online. */
        if (c->active && msg->payloadlen == 7 && memcmp(msg->payload, "offline", 7) == 0) {
            mosquitto_publish(c->m, NULL, c->cfg->status_topic, 6, "online", 1, true);
        }
        return;
    }
    if (strcmp(topic, c->hub_status_topic) == 0) {
        /* Home Assistant came (back) online: it may have lost every entity, announce them. */
        if (c->active && msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0) {
            hb_rooms_each(c->rooms, hb__reannounce, c);
        }
        return;
    }
    size_t plen = strlen(c->cfg->prefix);
    size_t tlen = strlen(topic);
    if (tlen > plen + 4 && strncmp(topic, c->cfg->prefix, plen) == 0 && topic[plen] == '/' &&
        strcmp(topic + tlen - 4, "/ctl") == 0) {
        hb__on_ctl(c, msg);
        return;
    }
    c->st.messages++;
    if (strncmp(topic, c->cfg->prefix, plen) == 0 && topic[plen] == '/') {
        int why = hb__command(c, topic, msg);
        if (why != HB_DROP_NONE) {
            hb__drop(c, why, topic, msg);
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
        hb__drop(c, reason, topic, msg);
        return;
    }
    double t = hb__now(c);
    hb_room *room = hb_rooms_get(c->rooms, room_name, t);
    if (!room) {
        hb__drop(c, HB_DROP_ROOM_CAP, topic, msg);
        return;
    }
    if (!hb_room_prefs_sensor_ok(room->prefs, sensor)) {
        hb__drop(c, HB_DROP_UNLISTED, topic, msg);
        return;
    }
    int rc = hb_room_ctl_reading(room->ctl, t, sensor, value);
    if (rc != HB_OK) {
        hb__drop(c, rc == HB_ERR_FULL ? HB_DROP_SENSOR_CAP : HB_DROP_BAD_SENSOR, topic, msg);
        return;
    }
    hb_rooms_touch(c->rooms, room, t);
    c->st.readings++;
    int level;
    if (hb_room_ctl_poll(room->ctl, t, &level)) {
        hb__publish_level(c, room, level);
    }
}

typedef struct {
    hb__ctl *c;
    double t;
} hb__sweep;

static void hb__poll_room(hb_room *room, void *ud) {
    hb__sweep *s = ud;
    hb__ctl *c = s->c;
    hb__apply_wishes(c, room); /* the schedule moves on */
    int level;
    if (hb_room_ctl_poll(room->ctl, s->t, &level)) {
        hb__publish_level(c, room, level);
    }
    /* Announcements and states within a budget per sweep: a thousand rooms after a reconnect
     * go out over seconds instead of all queued at once. */
    if (!(room->flags & HB_ROOM_ANNOUNCED) && c->cfg->discovery_prefix && c->connected &&
        c->budget >= 2) {
        hb__announce(c, room, false);
        c->budget -= 2;
    }
    if ((room->flags & HB_ROOM_CTL_DIRTY) && c->budget > 0) {
        hb__publish_ctl(c, room);
        c->budget--;
    }
    if (c->budget > 0 && hb__show(c, room, s->t, false)) {
        c->budget--;
    }
}

/* The room counters kept by the table, into the stats. */
static void hb__count_rooms(hb__ctl *c) {
    c->st.rooms = hb_rooms_count(c->rooms);
    c->st.rooms_evicted = hb_rooms_evicted(c->rooms);
}

/* Before a reload: an override whose period the old schedule has ended is gone (the sweep
 * would have ended it within a quarter second). */
static void hb__expire(hb_room *room, void *ud) {
    const hb__ctl *c = ud;
    (void)hb_thermostat_setpoint(&room->th, room->prefs, c->week_s);
}

/* A room onto the reloaded settings: its prefs and controller (bumplessly) as a new room gets
 * them, an override held until the new schedule's next period, then its discovery again. */
static void hb__rebind(hb_room *room, void *ud) {
    hb__ctl *c = ud;
    hb__bind(c, room);
    hb_thermostat_rebind(&room->th, room->prefs, c->week_s);
    hb__apply_wishes(c, room);
    hb__reannounce(room, ud);
}

/* SIGHUP: new controller settings for every room, without a bump; a bad file changes nothing. */
static void hb__do_reload(hb__ctl *c) {
    if (!c->cfg->reload) {
        hb__log("SIGHUP: no --scenario to reload; nothing changed");
        return;
    }
    hb_home home = {0};
    char msg[1024];
    if (c->cfg->reload(c->cfg->reload_ud, &home, msg, sizeof msg) != 0) {
        char safe[1024];
        hb_str_printable(msg, safe, sizeof safe);
        hb__log("SIGHUP: reload failed, the running settings stay: %s", safe);
        return;
    }
    hb_rooms_each(c->rooms, hb__expire, c);
    if (c->home_owned) {
        /* Every room points into the old settings until it is moved over below. */
        hb_home old = c->home;
        c->home = home;
        hb_rooms_each(c->rooms, hb__rebind, c);
        hb_home_free(&old);
    } else {
        c->home = home;
        hb_rooms_each(c->rooms, hb__rebind, c);
    }
    c->home_owned = true;
    c->st.reloads++;
    hb__log("SIGHUP: settings reloaded, %zu rooms reconfigured without a bump",
            hb_rooms_count(c->rooms));
}

void hb_control_config_default(hb_control_config *c) {
    memset(c, 0, sizeof *c);
    hb_mqtt_opts_init(&c->mqtt, "heatbench-control");
    c->readings_topic = "/readings/+/temperature";
    c->actuator_topic = "/actuators/+";
    c->status_topic = "heatbench/control/status";
    c->prefix = "heatbench";
    c->takeover_s = 10.0;
    c->discovery_prefix = "homeassistant";
    c->version = "";
    c->state_interval_s = 60.0;
    c->week_start_s = NAN;
    c->default_room = "room-1";
    c->max_rooms = 1000;
    c->room_idle_s = 86400.0;
    c->speed = 1.0;
    c->log_interval_s = 10.0;
}

void hb_control_print_stats(FILE *out, const hb_control_stats *s) {
    fprintf(out,
            "{\"messages\":%lu,\"readings\":%lu,\"commands\":%lu,\"requests\":%lu,"
            "\"rooms\":%zu,\"rooms_evicted\":%lu,\"restored\":%lu,\"connects\":%lu,"
            "\"takeovers\":%lu,\"leads\":%lu,\"yields\":%lu,\"reloads\":%lu,"
            "\"publish_errors\":%lu,\"dropped\":{",
            s->messages, s->readings, s->commands, s->requests, s->rooms, s->rooms_evicted,
            s->restored, s->connects, s->takeovers, s->leads, s->yields, s->reloads,
            s->publish_errors);
    for (int i = 1; i < HB_DROP__COUNT; i++) {
        fprintf(out, "%s\"%s\":%lu", i > 1 ? "," : "", hb_drop_name(i), s->dropped[i]);
    }
    fputs("}}\n", out);
    fflush(out);
}

static void hb__save(hb__ctl *c) {
    char msg[512];
    if (hb_statefile_write(c->cfg->state_file, c->rooms, hb__epoch_now(), msg, sizeof msg) !=
        HB_OK) {
        hb__log("state file not saved (the previous one stays): %s", msg);
    }
}

/* The rooms of the state file, back as they were: each level held (and sent first) until its
 * sensors agree, the integral and the household's wishes restored. A file that cannot be read
 * is moved aside, never overwritten: the daemon starts afresh and says so. */
static void hb__restore(hb__ctl *c) {
    hb_saved_room *saved = NULL;
    size_t n = 0;
    size_t skipped = 0;
    char msg[512];
    const char *path = c->cfg->state_file;
    int rc = hb_statefile_read(path, &saved, &n, &skipped, msg, sizeof msg);
    if (rc == HB_ERR_NOTFOUND) {
        hb__log("no state file %s yet: every room starts afresh", path);
        return;
    }
    if (rc != HB_OK) {
        char aside[4200];
        snprintf(aside, sizeof aside, "%s.bad", path);
        bool moved = rename(path, aside) == 0;
        hb__log("%s; every room starts afresh%s%s", msg, moved ? ", the file moved to " : "",
                moved ? aside : "");
        return;
    }
    double t = hb__now(c);
    for (size_t i = 0; i < n; i++) {
        hb_room *room = hb_rooms_get(c->rooms, saved[i].name, t);
        if (!room || hb_room_ctl_restore(room->ctl, &saved[i].ctl) != HB_OK) {
            skipped++;
            continue;
        }
        hb__resume_wishes(c, room, &saved[i]);
        c->st.restored++;
    }
    free(saved);
    hb__log("restored %lu room%s from %s%s", c->st.restored, c->st.restored == 1 ? "" : "s", path,
            skipped ? " (some entries skipped: invalid or over --max-rooms)" : "");
}

/* Sleeps up to SECONDS, waking early on a stop request. */
static void hb__nap(double seconds) {
    double end = hb_mono_now() + seconds;
    while (!hb__stop && hb_mono_now() < end) {
        struct timespec ts = {0, 50000000L}; /* 50 ms */
        nanosleep(&ts, NULL);
    }
}

int hb_control_run(const hb_control_config *cfg, hb_control_stats *stats, char *err,
                   size_t errlen) {
    hb__ctl c = {.cfg = cfg, .offline_mid = -1, .t_decide = NAN};
    snprintf(c.leader_topic, sizeof c.leader_topic, "%s/leader", cfg->status_topic);
    snprintf(c.hub_status_topic, sizeof c.hub_status_topic, "%s/status",
             cfg->discovery_prefix ? cfg->discovery_prefix : "homeassistant");
    snprintf(c.ctl_sub, sizeof c.ctl_sub, "%s/+/ctl", cfg->prefix);
    snprintf(c.cmd_sub, sizeof c.cmd_sub, "%s/+/+/set", cfg->prefix);
    hb__stop = 0;
    hb__stats = 0;
    hb__reload_requested = 0;
    int status = 0;
    if (cfg->home) {
        c.home = *cfg->home;
    } else {
        hb_room_prefs_default(&c.home.defaults, cfg->ctl.setpoint_c, &cfg->ctl);
        c.home_owned = true; /* nothing to free, but a reload may replace it freely */
        if (hb_room_prefs_finish(&c.home.defaults, err, errlen) != HB_OK) {
            return 1;
        }
    }
    c.ha = (hb_ha_ctx){.prefix = cfg->prefix,
                       .discovery_prefix = cfg->discovery_prefix,
                       .status_topic = cfg->status_topic,
                       .version = cfg->version};
    c.rooms = hb_rooms_create(cfg->max_rooms, cfg->room_idle_s, &c.home.defaults.ctl);
    if (!c.rooms) {
        snprintf(err, errlen, "invalid controller settings or out of memory");
        return 1;
    }
    c.t0 = hb_mono_now();
    /* An accelerated clock without a given start runs from the calendar's now. */
    c.week0 = isnan(cfg->week_start_s) ? hb__calendar_week_s() : cfg->week_start_s;
    c.week_s = hb__week_now(&c);
    hb_rooms_set_hooks(
        c.rooms,
        &(hb_rooms_hooks){.created = hb__room_created, .removing = hb__room_removing, .ud = &c});
    if (cfg->state_file) {
        hb__restore(&c);
    }
    c.next_save = hb_mono_now() + cfg->state_interval_s;
    c.m = hb_mqtt_client(&cfg->mqtt, &c, cfg->status_topic, "offline", err, errlen);
    if (!c.m) {
        hb_rooms_destroy(c.rooms);
        if (c.home_owned) {
            hb_home_free(&c.home);
        }
        return 1;
    }
    mosquitto_connect_callback_set(c.m, hb__ctl_on_connect);
    mosquitto_disconnect_v5_callback_set(c.m, hb__ctl_on_disconnect);
    mosquitto_message_callback_set(c.m, hb__ctl_on_message);
    mosquitto_publish_callback_set(c.m, hb__on_publish);
    hb_mqtt_client_id(&cfg->mqtt, c.client_id, sizeof c.client_id);

    /* One loop for the first connection and every later one: the broker may not be up yet
     * (containers start in any order) or may restart. Attempts back off from 0.5 s to 10 s;
     * the timers (fail-safe, heartbeats, eviction) keep running in between. */
    hb_mqtt_retry_init(&c.retry, 0.5, 10.0);
    bool socket_up = false;
    double next_sweep = hb_mono_now();
    double next_evict = hb_mono_now() + 60.0;
    while (!hb__stop) {
        int rc;
        if (!socket_up && hb_mqtt_retry_due(&c.retry, hb_mono_now())) {
            rc = hb_mqtt_connect(c.m, &cfg->mqtt);
            if (rc == MOSQ_ERR_SUCCESS) {
                socket_up = true;
            } else if (hb_mqtt_fatal(rc)) {
                snprintf(err, errlen, "cannot connect to %s:%d: %s", cfg->mqtt.host, cfg->mqtt.port,
                         mosquitto_strerror(rc));
                status = 1;
                break;
            } else {
                hb__log("broker %s:%d not reachable (%s); retrying in %.1f s", cfg->mqtt.host,
                        cfg->mqtt.port,
                        rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
                        c.retry.next - hb_mono_now());
            }
        }
        if (socket_up) {
            rc = mosquitto_loop(c.m, 100, 1);
            if (c.fatal_connack) {
                snprintf(err, errlen, "broker %s:%d %s", cfg->mqtt.host, cfg->mqtt.port,
                         hb_mqtt_connack_text(c.fatal_connack));
                status = 1;
                break;
            }
            if (rc != MOSQ_ERR_SUCCESS) {
                if (hb_mqtt_fatal(rc)) {
                    snprintf(err, errlen, "connection to %s:%d failed: %s", cfg->mqtt.host,
                             cfg->mqtt.port, mosquitto_strerror(rc));
                    status = 1;
                    break;
                }
                socket_up = false;
                c.connected = false;
            } else if (c.connected && hb_mono_now() - c.t_connected > 300.0) {
                c.takeovers_in_row = 0; /* five quiet minutes: the next take-over waits 30 s */
            }
        } else {
            hb__nap(0.05);
        }
        double now = hb_mono_now();
        c.week_s = hb__week_now(&c);
        hb__leadership(&c, now);
        if (!c.active) {
            next_sweep = next_evict = c.next_save = now; /* due as soon as it leads */
        }
        if (c.active && now >= next_sweep) {
            /* Timer poll: fail-safe and heartbeats happen even when no reading comes. */
            hb__sweep s = {.c = &c, .t = hb__now(&c)};
            c.budget = HB__SHOW_PER_SWEEP;
            hb_rooms_each(c.rooms, hb__poll_room, &s);
            next_sweep = now + 0.25;
        }
        if (c.active && now >= next_evict) {
            hb_rooms_evict_idle(c.rooms, hb__now(&c));
            next_evict = now + 60.0;
        }
        if (c.active && cfg->state_file && now >= c.next_save) {
            hb__save(&c);
            c.next_save = now + cfg->state_interval_s;
        }
        if (hb__reload_requested) {
            hb__reload_requested = 0;
            hb__do_reload(&c);
        }
        if (hb__stats) {
            hb__stats = 0;
            hb__count_rooms(&c);
            hb_control_print_stats(stderr, &c.st);
        }
        if (cfg->run_for_s > 0 && now - c.t0 >= cfg->run_for_s) {
            break;
        }
    }

    bool leading = c.active;
    if (c.connected && c.active) {
        /* Resign (a standby takes over at once) and say goodbye ourselves: the will only fires
         * on an unclean disconnect. */
        hb__publish_retained(&c, c.leader_topic, NULL, 1);
        c.active = false; /* our own "offline" comes back: not a dead peer's to answer */
        mosquitto_publish(c.m, &c.offline_mid, cfg->status_topic, 7, "offline", 1, true);
        double until = hb_mono_now() + 2.0;
        while (!c.offline_sent && hb_mono_now() < until &&
               mosquitto_loop(c.m, 50, 1) == MOSQ_ERR_SUCCESS) {
        }
        mosquitto_disconnect(c.m);
    } else if (c.connected) {
        mosquitto_disconnect(c.m); /* a standby leaves quietly: the leader owns the status */
    }
    if (cfg->state_file && leading) {
        hb__save(&c); /* the last word: a restart continues from here */
    }
    hb__count_rooms(&c);
    if (stats) {
        *stats = c.st;
    }
    mosquitto_destroy(c.m);
    hb_rooms_set_hooks(c.rooms, &(hb_rooms_hooks){0}); /* nothing to withdraw at exit */
    hb_rooms_destroy(c.rooms);
    if (c.home_owned) {
        hb_home_free(&c.home);
    }
    return status;
}
