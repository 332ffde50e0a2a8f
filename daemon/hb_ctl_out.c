#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_log.h"
#include "../util/hb_strutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the daemon says: its clocks, its log, and the publishes every part of it makes. */

/* Controller time: wall time × speed from the start, or the followed clock's (see hb_control.h
 * and mqtt/hb_simclock.h). Between two ticks (a simulated minute apart) it runs on at the clock's
 * recent pace, but never past a minute beyond the last tick, and never backwards: a room that
 * stands still (back-pressure, a pause) holds the controller's time too. */
double hb_ctl_now(const hb_ctl *c) {
    return hb_simclock_now(&c->clk, hb_mono_now());
}

void hb_ctl_on_clock(hb_ctl *c, const struct mosquitto_message *msg) {
    size_t n = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    /* A retained tick is old news, anything but {"t": s} no tick, and one behind the last or
     * far ahead of where the room should be (another publisher) not the room's: all ignored.
     * The first tick, or a new run of steady ticks once the followed one has gone silent (a new
     * `heatbench live`), is followed from here, controller time carrying on. */
    int v = hb_simclock_tick(&c->clk, msg->payload, n, msg->retain, hb_mono_now());
    if (v == HB_SIMCLOCK_FIRST || v == HB_SIMCLOCK_RESTART) {
        hb_ctl_log("%s simulated clock on %s (t = %.0f s)",
                   v == HB_SIMCLOCK_RESTART ? "following a restarted" : "following the",
                   c->cfg->clock_topic, c->clk.last);
    }
}

/* Sensors sample every few seconds: a room whose readings come tens of times per controller
 * second runs on a faster clock than the daemon (`heatbench live --speed X` next to a control at
 * wall pace), and is controlled as if time stood still. Said once, with what to do. */
void hb_ctl_count_reading(hb_ctl *c, double t) {
    if (c->fast_warned) {
        return;
    }
    if (c->fast_n++ == 0) {
        c->fast_t0 = t;
        return;
    }
    if (c->fast_n < 500) {
        return;
    }
    size_t rooms = hb_rooms_count(c->rooms);
    double per_s = (double)c->fast_n / fmax(t - c->fast_t0, 1e-3) / (double)(rooms ? rooms : 1);
    c->fast_n = 0;
    if (per_s > 20.0) {
        c->fast_warned = true;
        hb_ctl_log("warning: readings arrive %.0f times per controller second per room, far faster "
                   "than sensors sample: the rooms run on a faster clock than this daemon's "
                   "(speed %g%s%s); start control with --speed X of `heatbench live --speed X`, "
                   "or let live publish its clock (--clock-topic) where control follows it",
                   per_s, c->cfg->speed,
                   c->cfg->clock_topic && !hb_simclock_following(&c->clk) ? ", no ticks on " : "",
                   c->cfg->clock_topic && !hb_simclock_following(&c->clk) ? c->cfg->clock_topic
                                                                          : "");
    }
}

/* Wall-clock seconds since the epoch: only to judge a retained heartbeat's age, never for
 * control. */
double hb_ctl_epoch_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* An informational line; its form (time first, or a journal priority) is util/hb_log.c's. */
void hb_ctl_log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hb_log_v(HB_LOG_INFO, "heatbench control", fmt, ap);
    va_end(ap);
}

/* Counts a dropped message and logs at most one line per reason and interval: a warning with
 * the reason, the latest offending payload (truncated, printable) and its topic, so that a
 * rejected setpoint of 99 says so rather than "dropped 1 message". */
void hb_ctl_drop(hb_ctl *c, int reason, const struct mosquitto_message *msg) {
    c->st.dropped[reason]++;
    double now = hb_mono_now();
    if (now - c->last_log[reason] >= c->cfg->log_interval_s || c->last_log[reason] == 0) {
        unsigned long n = c->st.dropped[reason] - c->logged[reason];
        char safe[80];
        char value[48] = "";
        char raw[48] = "";
        hb_str_printable(msg->topic ? msg->topic : "", safe, sizeof safe);
        size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
        size_t k = len < sizeof raw - 1 ? len : sizeof raw - 1;
        if (k > 0) {
            memcpy(raw, msg->payload, k);
        }
        raw[k] = '\0';
        hb_str_printable(raw, value, sizeof value);
        hb_log(HB_LOG_WARNING, "heatbench control",
               "dropped %lu message%s (%s: %s), latest '%s%s' on topic '%s'", n, n == 1 ? "" : "s",
               hb_drop_name(reason), hb_drop_why(reason), value, len > k ? "..." : "", safe);
        c->last_log[reason] = now;
        c->logged[reason] = c->st.dropped[reason];
    }
}

/* A retained message (PAYLOAD NULL: an empty one, which clears the topic); false, counted,
 * when the client refuses it. */
bool hb_ctl_publish_retained(hb_ctl *c, const char *topic, const char *payload, int qos) {
    size_t n = payload ? strlen(payload) : 0;
    if (mosquitto_publish(c->m, NULL, topic, (int)n, payload, qos, true) != MOSQ_ERR_SUCCESS) {
        c->st.publish_errors++;
        return false;
    }
    return true;
}

void hb_ctl_publish_level(hb_ctl *c, hb_room *r, int level) {
    if (!hb_ctl_commanding(c)) {
        /* Not (or no longer provably) the leader: nothing goes out, and the level is sent
         * again at a poll when the lease holds (a new leader's before its first echo). */
        hb_room_ctl_resend(r->ctl);
        return;
    }
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
            hb_ctl_log("%s <- %s", topic, payload);
        }
        /* The controller state goes with the command, not a sweep later: a leader killed in
         * between would leave a standby the level before this one (a deadband's jump). Out of
         * the sweep's budget, so a burst (ten thousand rooms' first readings, the re-sends
         * after a reconnect) stays paced: what the budget leaves goes with the next sweeps. */
        r->flags |= HB_ROOM_CTL_DIRTY;
        if (c->budget > 0) {
            hb_ctl_publish_ctl(c, r);
            c->budget--;
        }
    } else {
        c->st.publish_errors++;
        hb_room_ctl_resend(r->ctl); /* try again at the next poll rather than at the heartbeat */
    }
}
