#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_strutil.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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

bool hb_ctl_stopping(void) {
    return hb__stop != 0;
}

typedef struct {
    hb_ctl *c;
    double t;
} hb__sweep;

/* A room's timers: a household wish whose interval ended, the schedule into its controller,
 * the controller's poll (fail-safe, heartbeat, the algorithm's update). Returns when the room is
 * next due without anything happening to it meanwhile (a reading, a command, a reconnection
 * make it due at once: hb_rooms.h). */
static double hb__poll_room(hb_room *room, void *ud) {
    hb__sweep *s = ud;
    hb_ctl *c = s->c;
    hb_ctl_household_due(c, room, s->t); /* a coalesced household wish whose interval ended */
    if (!room->wishes.pending) {
        hb_ctl_apply_wishes(c, room); /* the schedule moves on (a waiting wish, when it acts) */
    }
    int level;
    if (hb_room_ctl_poll(room->ctl, s->t, &level)) {
        hb_ctl_publish_level(c, room, level);
    }
    hb_rooms_queue(c->rooms, room); /* what it shows may have changed */
    double next = hb_room_ctl_next_poll(room->ctl, s->t);
    if (room->wishes.pending) {
        next = fmin(next, room->wishes.last + room->prefs->ctl.min_interval_s);
    }
    return next;
}

/* A state that hb_ctl_show held back because one was shown within the last second (or, for
 * the estimate alone, 30 s): the room is due again when that time is up. The limit is on the
 * wall clock, the due times on the controller's: the wall time left is converted at --speed,
 * which a followed simulated clock only outruns (the room is then looked at early, not late). */
static void hb__show_later(hb_ctl *c, hb_room *room, double t) {
    double wall = hb_mono_now() - c->t0;
    uint32_t age = (uint32_t)wall - room->t_shown;
    if (age < 30u) {
        uint32_t at = room->t_shown + (age < 1u ? 1u : 30u); /* wall seconds since the start */
        hb_rooms_wake(c->rooms, room, t + fmax(0.0, (double)at - wall) * c->cfg->speed);
    }
}

/* Announcements and states within a budget per sweep: a thousand rooms after a reconnect go
 * out over seconds instead of all queued at once. The saved controller state of a wish waiting
 * for its interval goes out with its command, not before (a standby takes over what was
 * commanded); the room state shows the wish at once, within its own rate limit: a hub that does
 * not see its change for a minute shows the old one again, and its user sets it twice. */
static int hb__publish_room(hb_room *room, void *ud) {
    hb__sweep *s = ud;
    hb_ctl *c = s->c;
    if (c->budget <= 0) {
        return HB_ROOMS_STOP;
    }
    if (!(room->flags & HB_ROOM_ANNOUNCED) && c->cfg->discovery_prefix && c->budget >= 2) {
        hb_ctl_announce(c, room, false);
        c->budget -= 2;
    }
    bool unannounced = !(room->flags & HB_ROOM_ANNOUNCED) && c->cfg->discovery_prefix;
    bool waiting = room->wishes.pending;
    if ((room->flags & HB_ROOM_CTL_DIRTY) && c->budget > 0 && !waiting) {
        hb_ctl_publish_ctl(c, room);
        c->budget--;
    }
    if (c->budget <= 0) {
        return HB_ROOMS_STOP; /* its state is still to be looked at */
    }
    if (hb_ctl_show(c, room, s->t, false)) {
        c->budget--;
    } else {
        hb__show_later(c, room, s->t);
    }
    bool left = unannounced || (!waiting && (room->flags & HB_ROOM_CTL_DIRTY)) ||
                !(room->flags & HB_ROOM_SHOWN);
    if (!left) {
        return HB_ROOMS_DONE;
    }
    return c->budget > 0 ? HB_ROOMS_KEEP : HB_ROOMS_STOP;
}

/* Whether a schedule period began or ended since the last sweep, for any room's settings: the
 * setpoint of every room on that schedule moves (and an override made in the period ends). */
static bool hb__schedule_moved(hb_ctl *c) {
    double was = c->week_swept;
    double now = c->week_s;
    c->week_swept = now;
    if (!(now >= was)) {
        return true; /* the first sweep, a new week, a clock set back */
    }
    for (size_t i = 0; i <= c->home.n_rooms; i++) {
        const hb_room_prefs *p = i == 0 ? &c->home.defaults : &c->home.rooms[i - 1];
        if (p->schedule.n_periods == 0) {
            continue;
        }
        hb_setpoint a;
        hb_setpoint b;
        hb_schedule_at(&p->schedule, p->setpoint_c, p->band_k, was, &a);
        hb_schedule_at(&p->schedule, p->setpoint_c, p->band_k, now, &b);
        if (a.period != b.period || a.setpoint_c != b.setpoint_c ||
            hb_schedule_changes(&p->schedule, was, now)) {
            return true;
        }
    }
    return false;
}

void hb_ctl_sweep(hb_ctl *c, bool every) {
    hb__sweep s = {.c = c, .t = hb_ctl_now(c)};
    c->budget = HB_CTL_SHOW_PER_SWEEP;
    if (hb__schedule_moved(c) || every) {
        hb_rooms_wake_all(c->rooms);
    }
    hb_rooms_visit_due(c->rooms, s.t, hb__poll_room, &s);
    if (c->connected) {
        hb_rooms_drain(c->rooms, hb__publish_room, &s);
    }
}

/* The room counters kept by the table, into the stats. */
static void hb__count_rooms(hb_ctl *c) {
    c->st.rooms = hb_rooms_count(c->rooms);
    c->st.rooms_evicted = hb_rooms_evicted(c->rooms);
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
    c->state_max_age_s = 86400.0;
    c->default_room = "room-1";
    c->max_rooms = 1000;
    c->room_idle_s = 86400.0;
    c->speed = 1.0;
    c->clock_topic = "heatbench/live/clock"; /* where `heatbench live` publishes its clock */
    c->log_interval_s = 10.0;
}

void hb_control_print_stats(FILE *out, const hb_control_stats *s) {
    fprintf(out,
            "{\"messages\":%lu,\"readings\":%lu,\"commands\":%lu,\"requests\":%lu,"
            "\"rooms\":%zu,\"rooms_evicted\":%lu,\"restored\":%lu,\"connects\":%lu,"
            "\"takeovers\":%lu,\"leads\":%lu,\"yields\":%lu,\"reloads\":%lu,"
            "\"publish_errors\":%lu,\"coalesced\":%lu,\"dropped\":{",
            s->messages, s->readings, s->commands, s->requests, s->rooms, s->rooms_evicted,
            s->restored, s->connects, s->takeovers, s->leads, s->yields, s->reloads,
            s->publish_errors, s->coalesced);
    for (int i = 1; i < HB_DROP__COUNT; i++) {
        fprintf(out, "%s\"%s\":%lu", i > 1 ? "," : "", hb_drop_name(i), s->dropped[i]);
    }
    fputs("}}\n", out);
    fflush(out);
}

/* A connection attempt failed; the session tries again after its back-off. */
static void hb__ctl_unreachable(void *ud, const char *why, double retry_in_s) {
    const hb_ctl *c = ud;
    hb_ctl_log("broker %s:%d not reachable (%s); retrying in %.1f s", c->cfg->mqtt.host,
               c->cfg->mqtt.port, why, retry_in_s);
}

/* One session for the first connection and every later one: the broker may not be up yet
 * (containers start in any order) or may restart. Attempts back off from 0.5 s to 10 s with
 * jitter; the timers (fail-safe, heartbeats, eviction) keep running in between. The last will
 * says "offline" for an instance that dies. */
static int hb__ctl_session(hb_ctl *c, char *err, size_t errlen) {
    snprintf(err, errlen, "cannot set up the MQTT session"); /* the create's reason replaces it */
    hb_session_config sc = {.mqtt = &c->cfg->mqtt,
                            .will_topic = c->cfg->status_topic,
                            .will_payload = "offline",
                            .first_s = 0.5,
                            .max_s = 10.0,
                            .ud = c,
                            .on_connect = hb_ctl_on_connect,
                            .on_message = hb_ctl_on_message,
                            .on_disconnect = hb_ctl_on_disconnect,
                            .on_retry = hb__ctl_unreachable,
                            .err = err,
                            .errlen = errlen};
    int rc = hb_session_create(&sc, &c->sess);
    if (rc == HB_OK) {
        c->m = hb_session_client(c->sess);
        hb_mqtt_client_id(&c->cfg->mqtt, c->client_id, sizeof c->client_id);
    }
    return rc;
}

/* The topics the instance listens to besides the readings. */
static void hb__topics(hb_ctl *c) {
    const hb_control_config *cfg = c->cfg;
    snprintf(c->leader_topic, sizeof c->leader_topic, "%s/leader", cfg->status_topic);
    snprintf(c->hub_status_topic, sizeof c->hub_status_topic, "%s/status",
             cfg->discovery_prefix ? cfg->discovery_prefix : "homeassistant");
    snprintf(c->ctl_sub, sizeof c->ctl_sub, "%s/+/ctl", cfg->prefix);
    snprintf(c->cmd_sub, sizeof c->cmd_sub, "%s/+/+/set", cfg->prefix);
}

/* Leaving the broker. A leader resigns (a standby takes over at once) and says goodbye itself:
 * the will only fires on an unclean disconnect. A standby leaves quietly: the leader owns the
 * status. */
static void hb__goodbye(hb_ctl *c) {
    if (c->connected && c->active) {
        hb_ctl_resign(c);
        c->active = false; /* our own "offline" comes back: not a dead peer's to answer */
        hb_session_stop(c->sess, true); /* publishes the will's "offline", acknowledged */
    } else if (c->connected) {
        hb_session_stop(c->sess, false);
    }
}

int hb_control_run(const hb_control_config *cfg, hb_control_stats *stats, char *err,
                   size_t errlen) {
    hb_ctl c = {.cfg = cfg, .t_decide = NAN, .week_swept = NAN};
    hb__topics(&c);
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
    /* Controller time starts at 0 and runs at speed until the room's clock ticks. */
    hb_simclock_init(&c.clk, cfg->speed, true);
    hb_simclock_start(&c.clk, 0.0, c.t0);
    /* An accelerated clock without a given start runs from the calendar's now. */
    c.week0 = isnan(cfg->week_start_s) ? hb_ctl_calendar_week_s() : cfg->week_start_s;
    c.week_s = hb_ctl_week_now(&c);
    hb_rooms_set_hooks(c.rooms, &(hb_rooms_hooks){.created = hb_ctl_room_created,
                                                  .removing = hb_ctl_room_removing,
                                                  .ud = &c});
    /* The lease: half the takeover time, so that a leader cut off stops commanding long
     * before a standby starts (docs/live.md, "The pair's lease"). */
    c.lease_s = cfg->takeover_s / 2;
    c.t_lease = c.t_led = -INFINITY;
    double boot = hb_ctl_boot_now();
    c.n_base = (uint64_t)llround((hb_ctl_epoch_now() - boot) * 1e6);
    if (!cfg->pair_key) {
        hb_ctl_log("no --pair-key-file: the pair's heartbeats and the saved controller states "
                   "are only as safe as the broker's ACL (any client that may publish there can "
                   "stop control or set a valve)");
    }
    if (hb_ctl_pending_reset(&c) != HB_OK) {
        snprintf(err, errlen, "out of memory");
        hb_rooms_destroy(c.rooms);
        return 1;
    }
    if (cfg->state_file) {
        hb_ctl_restore(&c);
    }
    c.next_save = hb_mono_now() + cfg->state_interval_s;
    if (hb__ctl_session(&c, err, errlen) != HB_OK) {
        hb_rooms_destroy(c.rooms);
        hb_ctl_pending_free(&c);
        if (c.home_owned) {
            hb_home_free(&c.home);
        }
        return 1;
    }

    double next_sweep = hb_mono_now();
    double next_evict = hb_mono_now() + 60.0;
    while (!hb__stop) {
        /* The network for up to 100 ms, or (the broker away) a wait for the next attempt. */
        if (hb_session_step(c.sess, 100) != HB_OK) {
            snprintf(err, errlen, "%s", hb_session_error(c.sess));
            status = 1;
            break;
        }
        c.connected = c.connected && hb_session_connected(c.sess);
        if (c.connected && hb_mono_now() - c.t_connected > 300.0) {
            c.takeovers_in_row = 0; /* five quiet minutes: the next take-over waits 30 s */
        }
        double now = hb_mono_now();
        c.week_s = hb_ctl_week_now(&c);
        hb_ctl_leadership(&c, now);
        if (!c.active) {
            next_sweep = next_evict = c.next_save = now; /* due as soon as it leads */
        }
        if (c.active && now >= next_sweep) {
            /* Timer poll: fail-safe and heartbeats happen even when no reading comes. */
            hb_ctl_sweep(&c, false);
            next_sweep = now + 0.25;
        }
        if (c.active && now >= next_evict) {
            hb_rooms_evict_idle(c.rooms, hb_ctl_now(&c));
            next_evict = now + 60.0;
        }
        if (c.active && cfg->state_file && now >= c.next_save) {
            hb_ctl_save(&c);
            c.next_save = now + cfg->state_interval_s;
        }
        if (hb__reload_requested) {
            hb__reload_requested = 0;
            hb_ctl_reload(&c);
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
    hb__goodbye(&c);
    if (cfg->state_file && leading) {
        hb_ctl_save(&c); /* the last word: a restart continues from here */
    }
    hb__count_rooms(&c);
    if (stats) {
        *stats = c.st;
    }
    hb_session_destroy(c.sess);
    hb_rooms_set_hooks(c.rooms, &(hb_rooms_hooks){0}); /* nothing to withdraw at exit */
    hb_rooms_destroy(c.rooms);
    hb_ctl_pending_free(&c);
    if (c.home_owned) {
        hb_home_free(&c.home);
    }
    return status;
}
