#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_strutil.h"
#include "hb_ha.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The household's side of the daemon: the schedule clock, the wishes (setpoint, mode, preset)
 * into each room's controller, what the hub is shown (discovery, state), the commands it sends
 * and SIGHUP's reload of the settings. */

/* The schedule clock: seconds since Monday 00:00, local time. At the wall clock's pace it is
 * read from the calendar each time (a daylight-saving change moves it, as it moves the
 * household's day); an accelerated or explicitly started clock runs from its start. */
double hb_ctl_calendar_week_s(void) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return ((tm.tm_wday + 6) % 7) * 86400.0 + tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec;
}

/* Whether the schedule clock is the calendar's (else it runs from its start at speed). */
static bool hb__on_calendar(const hb_ctl *c) {
    return isnan(c->cfg->week_start_s) && c->cfg->speed == 1.0 && !hb_simclock_following(&c->clk);
}

double hb_ctl_week_now(const hb_ctl *c) {
    return hb__on_calendar(c) ? hb_ctl_calendar_week_s() : c->week0 + hb_ctl_now(c);
}

/* What the household asks of ROOM now, into its controller. */
void hb_ctl_apply_wishes(hb_ctl *c, hb_room *room) {
    double sp = hb_thermostat_setpoint(&room->th, room->prefs, c->week_s);
    hb_room_ctl_set_setpoint(room->ctl, sp);
    hb_room_ctl_set_heating(room->ctl, room->th.mode == HB_MODE_HEAT);
}

/* A restored room's household wishes (a restart, a take-over): an override whose schedule
 * period ended while nobody watched is gone, and a setpoint by hand comes within the limits in
 * force. The time away is judged on the calendar's clock only: an accelerated clock starts
 * afresh at each start, so the time between two runs is not on it. */
void hb_ctl_resume_wishes(hb_ctl *c, hb_room *room, const hb_saved_room *s) {
    room->th = s->th;
    hb_thermostat_fit(&room->th, room->prefs);
    if (isfinite(s->at) && hb__on_calendar(c)) {
        double away = fmax(0.0, hb_ctl_epoch_now() - s->at);
        hb_thermostat_resume(&room->th, room->prefs, c->week_s - away, c->week_s);
    }
    hb_ctl_apply_wishes(c, room);
}

/* The room's retained state, when it changed enough (NOW: at once, after a command): a change
 * of level, setpoint, mode, preset, health or window at most once a second, the estimate alone
 * at most every 30 s, so a thousand noisy rooms do not flood the hub. QoS 0: the state is shown
 * again at its next change, and a message is freed as soon as it is written, so a burst of
 * thousands of states does not pile up in memory waiting for acknowledgements. Returns whether
 * it published. */
bool hb_ctl_show(hb_ctl *c, hb_room *room, double t, bool now) {
    if (!c->connected || !hb_ctl_commanding(c)) {
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
    if (!hb_ctl_publish_retained(c, topic, payload, 0)) {
        return false;
    }
    room->flags |= HB_ROOM_SHOWN | HB_ROOM_ON_BROKER_STATE;
    room->shown_hash = hash;
    room->shown_est = est;
    room->t_shown = wall;
    return true;
}

/* Home Assistant discovery of ROOM: its documents, or (REMOVE) empty ones that withdraw it. */
void hb_ctl_announce(hb_ctl *c, hb_room *room, bool remove) {
    if (!c->cfg->discovery_prefix || !c->connected || !hb_ctl_commanding(c)) {
        return;
    }
    if (!remove) {
        room->flags |= HB_ROOM_ON_BROKER_DISCOVERY; /* before: one document may go out alone */
    }
    for (int which = 0; which < 2; which++) {
        char topic[320];
        char *doc = hb_ha_discovery(&c->ha, room->name, room->prefs, which, topic, sizeof topic);
        if (!doc) {
            c->st.publish_errors++;
            return;
        }
        /* QoS 0 like the state: a lost one is sent again at the next (re)connection. */
        hb_ctl_publish_retained(c, topic, remove ? NULL : doc, 0);
        free(doc);
    }
    if (remove) {
        room->flags &= (unsigned char)~(HB_ROOM_ANNOUNCED | HB_ROOM_ON_BROKER_DISCOVERY);
    } else {
        room->flags |= HB_ROOM_ANNOUNCED;
    }
}

/* The room's settings from the configuration in force, into its controller (bumplessly). */
static void hb__bind(hb_ctl *c, hb_room *room) {
    room->prefs = hb_home_room(&c->home, room->name);
    (void)hb_room_ctl_reconfigure(room->ctl, &room->prefs->ctl); /* checked when loaded */
}

void hb_ctl_room_created(hb_room *room, void *ud) {
    hb_ctl *c = ud;
    hb__bind(c, room);
    hb_ctl_apply_wishes(c, room); /* its announcement and state go out with the next sweep */
    hb_ctl_pending_take(c, room); /* a saved state waiting for it (a restart, a take-over) */
}

/* An evicted room's retained messages are withdrawn: its thermostat leaves the hub, and no
 * stale state or controller state outlives it. Only what may be on the broker (HB_ROOM_ON_BROKER:
 * published by this instance, or by the one before it when the room continued from a saved
 * state): in a flood of new rooms against a full table, most are evicted before the sweep
 * announced them, and four publishes each for nothing would be most of an admission's cost. */
void hb_ctl_room_removing(hb_room *room, void *ud) {
    hb_ctl *c = ud;
    if (!hb_ctl_commanding(c)) {
        return; /* the leader, whoever it is, withdraws it */
    }
    if (room->flags & HB_ROOM_ON_BROKER_DISCOVERY) {
        hb_ctl_announce(c, room, true);
    }
    char topic[256];
    if ((room->flags & HB_ROOM_ON_BROKER_STATE) && c->connected &&
        hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "state") >= 0) {
        hb_ctl_publish_retained(c, topic, NULL, 1); /* no stale state for a room that is gone */
    }
    if ((room->flags & HB_ROOM_ON_BROKER_CTL) && c->connected &&
        hb_ha_topic(topic, sizeof topic, c->cfg->prefix, room->name, "ctl") >= 0) {
        hb_ctl_publish_retained(c, topic, NULL, 1);
    }
}

/* After a (re)connection or a reload: announce the room and show its state again, paced by
 * the sweeps. */
void hb_ctl_reannounce(hb_room *room, void *ud) {
    (void)ud;
    room->flags &= (unsigned char)~(HB_ROOM_ANNOUNCED | HB_ROOM_SHOWN);
    /* The retained controller state too: a broker restarted without persistence has lost it,
     * and a standby taking over before the room's next command would start it afresh. */
    room->flags |= HB_ROOM_CTL_DIRTY;
}

static void hb__act(hb_ctl *c, hb_room *room, double t);

/* A household's command: <prefix>/<room>/{setpoint,mode,preset}/set. Returns a drop reason. */
int hb_ctl_command(hb_ctl *c, const char *topic, const struct mosquitto_message *msg) {
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
    double t = hb_ctl_now(c);
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
    if (c->cfg->verbose) {
        hb_ctl_log("%s <- %s", topic, word);
    }
    /* The wish is the room's now (the last one wins); it acts at once unless another acted
     * within the room's minimum command interval: then when that interval ends (the sweep),
     * so that a looping automation cannot wear out the valve or drain its battery. */
    if (!hb_coalesce_change(&room->wishes, t, room->prefs->ctl.min_interval_s)) {
        c->st.coalesced++;
        hb_rooms_queue(c->rooms, room); /* its state shows at the next sweep */
        return HB_DROP_NONE;
    }
    hb__act(c, room, t);
    return HB_DROP_NONE;
}

void hb_ctl_household_due(hb_ctl *c, hb_room *room, double t) {
    if (hb_coalesce_due(&room->wishes, t, room->prefs->ctl.min_interval_s)) {
        hb__act(c, room, t);
    }
}

/* The household's wish acts on ROOM now. */
static void hb__act(hb_ctl *c, hb_room *room, double t) {
    hb_ctl_apply_wishes(c, room);
    /* The wish acts now, not at the next update, and its command goes out now: the radio
     * budget (deadband, min interval) is for the control loop's small moves, not for a person
     * who just turned the heating off. */
    hb_room_ctl_resync(room->ctl);
    hb_room_ctl_resend(room->ctl);
    int level;
    if (hb_room_ctl_poll(room->ctl, t, &level)) {
        hb_ctl_publish_level(c, room, level);
    }
    hb_ctl_show(c, room, t, true);
    if (room->flags & HB_ROOM_CTL_DIRTY) {
        hb_ctl_publish_ctl(c, room); /* not gone with a command: now, whatever the budget */
    }
}

/* Before a reload: an override whose period the old schedule has ended is gone (the sweep
 * would have ended it within a quarter second). */
static void hb__expire(hb_room *room, void *ud) {
    const hb_ctl *c = ud;
    (void)hb_thermostat_setpoint(&room->th, room->prefs, c->week_s);
}

/* A room onto the reloaded settings: its prefs and controller (bumplessly) as a new room gets
 * them, an override held until the new schedule's next period, then its discovery again. */
static void hb__rebind(hb_room *room, void *ud) {
    hb_ctl *c = ud;
    hb__bind(c, room);
    hb_thermostat_rebind(&room->th, room->prefs, c->week_s);
    hb_ctl_apply_wishes(c, room);
    hb_ctl_reannounce(room, ud);
}

/* SIGHUP: new controller settings for every room, without a bump; a bad file changes nothing. */
void hb_ctl_reload(hb_ctl *c) {
    if (!c->cfg->reload) {
        hb_ctl_log("SIGHUP: no --scenario to reload; nothing changed");
        return;
    }
    hb_home home = {0};
    char msg[1024];
    if (c->cfg->reload(c->cfg->reload_ud, &home, msg, sizeof msg) != 0) {
        char safe[1024];
        hb_str_printable(msg, safe, sizeof safe);
        hb_ctl_log("SIGHUP: reload failed, the running settings stay: %s", safe);
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
    hb_ctl_log("SIGHUP: settings reloaded, %zu rooms reconfigured without a bump",
               hb_rooms_count(c->rooms));
}
