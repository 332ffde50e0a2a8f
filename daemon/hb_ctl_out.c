#define _POSIX_C_SOURCE 200809L
#include "hb_ctl.h"
#include "../util/hb_strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What the daemon says: its clocks, its log, and the publishes every part of it makes. */

double hb_ctl_now(const hb_ctl *c) {
    return (hb_mono_now() - c->t0) * c->cfg->speed;
}

/* Wall-clock seconds since the epoch: only to judge a retained heartbeat's age, never for
 * control. */
double hb_ctl_epoch_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void hb_ctl_log(const char *fmt, ...) {
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s heatbench control: ", ts);
    va_list ap;
    va_start(ap, fmt);
    /* clang-tidy 14's analyzer does not see va_start initialise ap here (a known false
     * positive); the call is the textbook one. */
    vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    fputc('\n', stderr);
}

/* Counts a dropped message and logs at most one line per reason and interval. */
void hb_ctl_drop(hb_ctl *c, int reason, const char *topic) {
    c->st.dropped[reason]++;
    double now = hb_mono_now();
    if (now - c->last_log[reason] >= c->cfg->log_interval_s || c->last_log[reason] == 0) {
        unsigned long n = c->st.dropped[reason] - c->logged[reason];
        char safe[80];
        hb_str_printable(topic, safe, sizeof safe);
        hb_ctl_log("dropped %lu message%s (%s), latest on topic '%s'", n, n == 1 ? "" : "s",
                   hb_drop_name(reason), safe);
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
