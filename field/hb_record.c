/* The recording loop of hb_record.h: callbacks feed the recorder at the recording clock's time;
 * the loop rewrites the file every flush_s and once more at the end. The recording clock is an
 * hb_simclock: the room's own ticks with a clock topic, else the wall clock × speed from the
 * first message. */
#define _POSIX_C_SOURCE 200809L
#include "hb_record.h"
#include "hb_recorder.h"
#include "../mqtt/hb_session.h"
#include "../mqtt/hb_simclock.h"
#include "../util/hb_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t hb__record_stop;

void hb_record_request_stop(void) {
    hb__record_stop = 1;
}

typedef struct hb__rec {
    const hb_record_config *cfg;
    hb_recorder *rec;
    hb_record_stats *st;
    hb_session *sess;
    struct mosquitto *m; /* the session's client, for publishing */
    hb_simclock clk;     /* the recording clock */
    double t_begin;      /* the recording clock when it began, for --hours */
    double subscribed_at;
    double last_level; /* the last command seen on the actuator topic (NaN: none) */
    double center;     /* the excitation's centre, fixed when it starts */
    double next_bit;   /* recording time of the next PRBS bit */
    double sent;       /* the last level the excitation sent (NaN: none) */
    char readings[256], actuator[256];
    unsigned lfsr;  /* the PRBS-7 register */
    int last_mid;   /* the excitation's last command's message id */
    int failed;     /* an error of the recorder (out of memory) */
    bool recording; /* it has begun: the first message recorded, or the excitation's start */
    bool subscribed;
    bool controller_online;
} hb__rec;

/* The recording clock's time. Without a clock topic it starts at the first call (the first
 * message); with one it is the room's, known from its first tick (NaN before). */
static double hb__now(hb__rec *r) {
    double mono = hb_mono_now();
    if (!r->cfg->clock_topic && !hb_simclock_started(&r->clk)) {
        double t0 = r->cfg->start_s;
        if (isnan(t0)) {
            t0 = 0;
            if (r->cfg->speed == 1.0) { /* a real room: the time of day, so the sun lines up */
                time_t now = time(NULL);
                struct tm tm;
                localtime_r(&now, &tm);
                t0 = tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec;
            }
        }
        hb_simclock_start(&r->clk, t0, mono);
    }
    return hb_simclock_now(&r->clk, mono);
}

/* The recording begins now: --hours counts from here. */
static void hb__begin(hb__rec *r) {
    r->recording = true;
    r->t_begin = hb__now(r);
}

/* A message on the clock topic. The recording clock follows the room's ticks, running on at
 * their pace in between but never a tick past the last one: a room that stands still (a loaded
 * machine, back-pressure) holds the rows, which would otherwise run ahead on the wall clock and
 * be stamped back when the room's next tick came. */
static void hb__rec_clock(hb__rec *r, const struct mosquitto_message *msg) {
    double mono = hb_mono_now();
    double before = hb_simclock_now(&r->clk, mono);
    size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    /* Ticks that are no tick, or not of the room's run (behind it, far ahead of it: another
     * publisher) are counted by the clock, and ignored. */
    if (hb_simclock_tick(&r->clk, msg->payload, len, msg->retain, mono) == HB_SIMCLOCK_RESTART) {
        fprintf(stderr,
                "heatbench record: the room's clock on %s started again at %.0f s (a restarted "
                "heatbench live?): recording time carries on from %.0f s\n",
                r->cfg->clock_topic, r->clk.last, before);
    }
}

/* An outdoor temperature: a bare number or {"value": N}. */
static bool hb__outdoor_value(const char *buf, int len, double *v) {
    cJSON *j = len > 0 && len < 1024 ? cJSON_ParseWithLength(buf, (size_t)len) : NULL;
    const cJSON *n = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "value") : j;
    bool ok =
        n != NULL && cJSON_IsNumber(n) && isfinite(n->valuedouble) && fabs(n->valuedouble) < 100;
    if (ok) {
        *v = n->valuedouble;
    }
    cJSON_Delete(j);
    return ok;
}

static void hb__rec_on_message(void *ud, const struct mosquitto_message *msg) {
    hb__rec *r = ud;
    const char *topic = msg->topic ? msg->topic : "";
    if (r->cfg->status_topic && strcmp(topic, r->cfg->status_topic) == 0) {
        r->controller_online = msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0;
        return;
    }
    if (r->cfg->clock_topic && strcmp(topic, r->cfg->clock_topic) == 0) {
        hb__rec_clock(r, msg);
        return;
    }
    if (r->cfg->clock_topic && !hb_simclock_started(&r->clk)) {
        return; /* nothing before the room's first tick: its time is not known yet */
    }
    if (msg->retain) { /* of unknown age: never a sample of now */
        r->st->dropped[HB_DROP_RETAINED]++;
        return;
    }
    if (r->cfg->excite && !r->recording) {
        /* Before the excitation starts (and the check that no controller is online) nothing
         * is recorded; the level in force is remembered, to centre on and to restore. */
        int level;
        if (strcmp(topic, r->actuator) == 0 && msg->payloadlen >= 0 &&
            hb_payload_level(msg->payload, (size_t)msg->payloadlen, &level) == HB_DROP_NONE) {
            r->last_level = level;
        }
        return;
    }
    if (!r->recording) {
        hb__begin(r);
    }
    int rc = HB_OK;
    if (strcmp(topic, r->readings) == 0) {
        char id[HB_SENSOR_ID_LEN];
        double v;
        int reason = msg->payloadlen < 0
                         ? HB_DROP_JSON
                         : hb_payload_reading(msg->payload, (size_t)msg->payloadlen, id, &v);
        if (reason != HB_DROP_NONE) {
            r->st->dropped[reason]++;
            return;
        }
        rc = hb_recorder_reading(r->rec, hb__now(r), id, v);
        if (rc == HB_ERR_FULL) {
            r->st->sensor_cap++;
            return;
        }
        r->st->readings++;
    } else if (strcmp(topic, r->actuator) == 0) {
        int level;
        int reason = msg->payloadlen < 0
                         ? HB_DROP_JSON
                         : hb_payload_level(msg->payload, (size_t)msg->payloadlen, &level);
        if (reason != HB_DROP_NONE) {
            r->st->dropped[reason]++;
            return;
        }
        rc = hb_recorder_command(r->rec, hb__now(r), level);
        r->st->commands++;
        r->last_level = level;
    } else if (r->cfg->outdoor_topic && strcmp(topic, r->cfg->outdoor_topic) == 0) {
        double v;
        if (!hb__outdoor_value(msg->payload, msg->payloadlen, &v)) {
            r->st->dropped[HB_DROP_BAD_VALUE]++;
            return;
        }
        rc = hb_recorder_outdoor(r->rec, hb__now(r), v);
        r->st->outdoor++;
    } else {
        r->st->dropped[HB_DROP_BAD_TOPIC]++;
        return;
    }
    if (rc != HB_OK) {
        r->failed = rc;
    }
}

/* The recording's subscriptions, made again by the session on every reconnect. QoS 1: a
 * reading the broker has for us is not lost to a full socket buffer. */
static int hb__subscribe(hb__rec *r, hb_session *s) {
    const hb_record_config *c = r->cfg;
    int rc = hb_session_subscribe(s, r->readings, 1);
    if (rc == HB_OK) {
        rc = hb_session_subscribe(s, r->actuator, 1);
    }
    if (rc == HB_OK && c->outdoor_topic) {
        rc = hb_session_subscribe(s, c->outdoor_topic, 1);
    }
    if (rc == HB_OK && c->excite && c->status_topic) {
        rc = hb_session_subscribe(s, c->status_topic, 1);
    }
    if (rc == HB_OK && c->clock_topic) {
        rc = hb_session_subscribe(s, c->clock_topic, 0);
    }
    return rc;
}

/* Commands LEVEL (clamped to 0..100) on the room's actuator topic, QoS 1; 0 or -1. */
static int hb__command(hb__rec *r, double level) {
    int lv = (int)lround(fmin(fmax(level, 0.0), 100.0));
    char payload[32];
    int n = hb_payload_format_level(payload, sizeof payload, lv);
    if (n < 0 || mosquitto_publish(r->m, &r->last_mid, r->actuator, n, payload, 1, false) != 0) {
        return -1;
    }
    r->sent = lv;
    return 0;
}

/* The excitation at recording time T: a new PRBS-7 bit every period (x^7 + x^6 + 1, maximal
 * length 127, from a fixed seed: the same sequence every time). */
static int hb__excite(hb__rec *r, double t) {
    const hb_record_config *c = r->cfg;
    if (t < r->next_bit) {
        return 0;
    }
    r->next_bit = t + c->prbs_period_s;
    unsigned bit = ((r->lfsr >> 6) ^ (r->lfsr >> 5)) & 1u;
    r->lfsr = ((r->lfsr << 1) | bit) & 0x7fu;
    double lv = r->center + (bit ? c->prbs_amplitude : -c->prbs_amplitude);
    lv = fmin(fmax(lv, c->prbs_min), c->prbs_max);
    if (!isnan(r->sent) && lround(lv) == (long)r->sent) {
        return 0;
    }
    r->st->excitations++;
    return hb__command(r, lv);
}

int hb_record_run(const hb_record_config *cfg, hb_record_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    hb__record_stop = 0;
    hb__rec r = {.cfg = cfg,
                 .st = st,
                 .t_begin = NAN,
                 .last_level = NAN,
                 .sent = NAN,
                 .lfsr = 0x5bu,
                 .next_bit = -INFINITY};
    st->restored = NAN;
    /* A restarted room (its clock back by an hour or more) is followed on from where the
     * recording is: the rows never go back. */
    hb_simclock_init(&r.clk, cfg->speed, true);
    double restore = NAN;
    if (hb_topic_format(cfg->readings_topic, cfg->room, r.readings, sizeof r.readings) < 0 ||
        hb_topic_format(cfg->actuator_topic, cfg->room, r.actuator, sizeof r.actuator) < 0) {
        snprintf(err, errlen, "the topics are too long for room '%s'", cfg->room);
        return 1;
    }
    int status = 1;
    hb_session *sess = NULL;
    if (hb_recorder_create(cfg->interval_s, NAN, cfg->ids, cfg->n_ids, cfg->outdoor_topic != NULL,
                           &r.rec) != HB_OK) {
        snprintf(err, errlen, "cannot set up the recorder (sensor ids too long or too many)");
        return 1;
    }
    /* Retries from 0.5 s up to 5 s: a lost broker costs at most two attempts a second. */
    hb_session_config sc = {.mqtt = &cfg->mqtt,
                            .first_s = 0.5,
                            .max_s = 5.0,
                            .ud = &r,
                            .on_message = hb__rec_on_message,
                            .err = err,
                            .errlen = errlen};
    if (hb_session_create(&sc, &sess) != HB_OK) {
        goto out;
    }
    if (hb__subscribe(&r, sess) != HB_OK) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    r.sess = sess;
    r.m = hb_session_client(sess);
    double deadline = hb_mono_now() + cfg->connect_timeout_s;
    double next_flush = hb_mono_now() + cfg->flush_s;
    while (!hb__record_stop) {
        if (!r.subscribed && hb_mono_now() > deadline) {
            snprintf(err, errlen, "no connection to %s:%d within %.0f s", cfg->mqtt.host,
                     cfg->mqtt.port, cfg->connect_timeout_s);
            goto out;
        }
        /* The broker gone: keep what we have; the session reconnects with back-off. */
        if (hb_session_step(sess, 10) != HB_OK) {
            snprintf(err, errlen, "%s", hb_session_error(sess));
            goto out;
        }
        if (!r.subscribed && hb_session_ready(sess)) {
            r.subscribed = true;
            r.subscribed_at = hb_session_ready_since(sess);
        }
        if (r.failed) {
            snprintf(err, errlen, "recording failed: %s", hb_strerror(r.failed));
            goto out;
        }
        /* With a clock topic the excitation waits for the room's first tick, as the rows do. */
        if (cfg->excite && !r.recording && r.subscribed && hb_mono_now() > r.subscribed_at + 0.5 &&
            (!cfg->clock_topic || hb_simclock_started(&r.clk))) {
            /* Retained status has arrived by now: a controller online would fight the PRBS. */
            if (r.controller_online && !cfg->force) {
                snprintf(err, errlen,
                         "a heatbench control is online (%s): it would fight the excitation for "
                         "the valve; stop it first, or --force",
                         cfg->status_topic);
                goto out;
            }
            /* The centre and the level to restore are fixed now: the excitation's own
             * commands come back on the actuator topic and must not move them. */
            r.center = !isnan(cfg->center) ? cfg->center : !isnan(r.last_level) ? r.last_level : 30;
            restore = !isnan(r.last_level) ? r.last_level : r.center;
            hb__begin(&r); /* the recording starts with the excitation */
        }
        if (cfg->excite && r.recording && hb__excite(&r, hb__now(&r)) != 0) {
            snprintf(err, errlen, "cannot command %s", r.actuator);
            goto out;
        }
        if (r.recording) {
            double t = hb__now(&r);
            if (!isnan(cfg->hours) && t - r.t_begin >= cfg->hours * 3600.0) {
                break;
            }
            if (hb_recorder_advance(r.rec, t) != HB_OK) {
                snprintf(err, errlen, "out of memory after %zu rows", hb_recorder_rows(r.rec));
                goto out;
            }
        }
        if (hb_mono_now() >= next_flush && hb_recorder_rows(r.rec) > 0) {
            next_flush = hb_mono_now() + cfg->flush_s;
            if (hb_recorder_write(r.rec, cfg->output) != HB_OK) {
                snprintf(err, errlen, "cannot write %s: %s", cfg->output, strerror(errno));
                goto out;
            }
            st->writes++;
        }
    }
    status = 0;
out:
    if (sess && !isnan(r.sent)) {
        /* Leave the valve as the excitation found it. */
        double lv = !isnan(restore) ? restore : r.center;
        if (hb__command(&r, lv) == 0) {
            st->restored = r.sent;
            /* Not gone before the broker has it: the restore is the one command that must
             * land. */
            if (hb_session_wait_ack(sess, r.last_mid, 2.0) != HB_OK) {
                fprintf(stderr, "heatbench record: the broker did not acknowledge the restore "
                                "command within 2 s\n");
            }
        }
    }
    if (sess) {
        hb_session_stop(sess, false);
        hb_session_destroy(sess);
    }
    /* The file as it stands, whole, whatever ended the recording (unless nothing came). */
    if (hb_recorder_rows(r.rec) > 0) {
        if (hb_recorder_write(r.rec, cfg->output) != HB_OK) {
            if (status == 0) {
                snprintf(err, errlen, "cannot write %s: %s", cfg->output, strerror(errno));
            }
            status = 1;
        } else {
            st->writes++;
        }
    } else if (status == 0) {
        snprintf(err, errlen, "nothing was recorded: no reading or command arrived on %s or %s",
                 r.readings, r.actuator);
        status = 1;
    }
    st->rows = hb_recorder_rows(r.rec);
    st->sensors = hb_recorder_sensors(r.rec);
    st->hours = r.recording ? (double)st->rows * cfg->interval_s / 3600.0 : 0;
    st->clock_ticks = r.clk.ticks;
    st->clock_ignored = r.clk.bad + r.clk.back + r.clk.ahead;
    hb_recorder_destroy(r.rec);
    return status;
}
