/* The live relay experiment of hb_tune_live.h. Readings and the room's clock arrive in the
 * client's callback; the experiment steps every update_s of its clock in the loop, as the room
 * controller would. */
#define _POSIX_C_SOURCE 200809L
#include "hb_tune_live.h"
#include "../controllers/hb_fusion.h"
#include "../controllers/hb_pid.h"
#include "../mqtt/hb_payload.h"
#include "../mqtt/hb_session.h"
#include "../mqtt/hb_simclock.h"
#include "../util/hb_error.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t hb__tl_stop;

void hb_tune_live_request_stop(void) {
    hb__tl_stop = 1;
}

enum { HB__WAIT, HB__WARMUP, HB__RELAY, HB__SETTLE, HB__BASE, HB__STEP, HB__DONE };

typedef struct hb__tl {
    const hb_tune_live_config *cfg;
    hb_tune_live_result *res;
    hb_session *sess;
    struct mosquitto *m; /* the session's client, for publishing */
    char readings[256], actuator[256];
    hb_fusion *fusion;
    hb_pid *pid;
    hb_relay relay;
    int phase;
    hb_simclock clk;       /* the room's clock, or the wall clock × speed until it ticks */
    double t_origin;       /* the clock at the experiment's start (NaN before) */
    double t_update, est;  /* the last update and its filtered estimate (NaN before one) */
    double lvl_sum, lvl_t; /* the PI's level over the second half of a warm-up or settle */
    double t_phase_end;    /* the end of the warm-up, settle, base or step phase */
    double t_step;         /* when the step was applied */
    double *st, *sy;       /* the step test's samples: clock and filtered estimate */
    size_t sn, scap;
    double level; /* the last level sent (NaN: none) */
    bool controller_online;
    int last_mid;       /* the last command's message id */
    unsigned long msgs; /* messages delivered, of any topic */
    double pass;        /* the monotonic time of the loop's last pass */
    double resumed;     /* when this process last went on after standing still (-inf: never) */
} hb__tl;

/* The experiment's time: seconds of the room's clock since the experiment started. */
static double hb__clock(const hb__tl *s) {
    return hb_simclock_now(&s->clk, hb_mono_now()) - s->t_origin;
}

/* A message on the clock topic. A tick after a long silence (the room, or this process, stood
 * still) is said: the experiment's clock waited for it instead of running into a silence of
 * the room that the room never had. */
static void hb__tl_clock(hb__tl *s, const struct mosquitto_message *msg) {
    double mono = hb_mono_now();
    double quiet = hb_simclock_silence(&s->clk, mono);
    /* Three ticks' worth at the room's pace, and a second at least: jitter is not a stall. */
    double long_s = fmax(1.0, 3.0 * HB_SIMCLOCK_TICK_S / hb_simclock_rate(&s->clk));
    size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    int v = hb_simclock_tick(&s->clk, msg->payload, len, msg->retain, mono);
    if (v == HB_SIMCLOCK_FIRST) {
        fprintf(stderr, "heatbench tune --live: following the room's clock on %s (t = %.0f s)\n",
                s->cfg->clock_topic, s->clk.last);
    } else if (v == HB_SIMCLOCK_TICK && quiet > long_s && !isnan(s->t_origin)) {
        s->res->clock_stalls++;
        s->res->clock_stall_s = fmax(s->res->clock_stall_s, quiet);
        fprintf(stderr,
                "heatbench tune --live: %.0f s: no tick of the room's clock for %.1f wall s (the "
                "room or this process stood still); the experiment's clock waited for it\n",
                hb__clock(s), quiet);
    }
}

/* The room's clock's silence after a step of the loop that delivered messages up to SEEN, as the
 * experiment judges it: NaN before the first tick. A step reads a message or so: after a stall of
 * this process its backlog (readings, and the ticks among them) comes first, so the silence is
 * judged only once a step finds nothing left to read, and never counts this process's own stall:
 * a pass takes milliseconds, one that came a second late is this process that stood still
 * (stopped, or starved by a loaded machine), not the room. */
static double hb__tl_quiet(hb__tl *s, unsigned long seen) {
    double mono = hb_mono_now();
    if (mono - s->pass > 1.0) {
        s->resumed = mono;
    }
    s->pass = mono;
    double quiet = hb_simclock_silence(&s->clk, mono);
    if (s->msgs != seen) {
        return 0.0;
    }
    return quiet > mono - s->resumed ? mono - s->resumed : quiet;
}

static void hb__tl_on_message(void *ud, const struct mosquitto_message *msg) {
    hb__tl *s = ud;
    s->msgs++;
    const char *topic = msg->topic ? msg->topic : "";
    if (s->cfg->status_topic && strcmp(topic, s->cfg->status_topic) == 0) {
        s->controller_online = msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0;
        return;
    }
    if (s->cfg->clock_topic && strcmp(topic, s->cfg->clock_topic) == 0) {
        hb__tl_clock(s, msg);
        return;
    }
    char id[HB_SENSOR_ID_LEN];
    double v;
    if (msg->retain || strcmp(topic, s->readings) != 0 || msg->payloadlen < 0 ||
        hb_payload_reading(msg->payload, (size_t)msg->payloadlen, id, &v) != HB_DROP_NONE) {
        return;
    }
    s->res->readings++;
    if (!isnan(s->t_origin)) {
        hb_fusion_add(s->fusion, hb__clock(s), id, v);
    }
}

static int hb__send(hb__tl *s, double level) {
    int lv = (int)lround(fmin(fmax(level, 0.0), 100.0));
    if (!isnan(s->level) && lv == (int)s->level) {
        return 0;
    }
    char payload[32];
    int n = hb_payload_format_level(payload, sizeof payload, lv);
    if (n < 0 || mosquitto_publish(s->m, &s->last_mid, s->actuator, n, payload, 1, false) != 0) {
        return -1;
    }
    s->level = lv;
    s->res->commands++;
    if (s->cfg->verbose) {
        fprintf(stderr, "heatbench tune --live: %.0f s: %s <- %s\n", hb__clock(s), s->actuator,
                payload);
    }
    return 0;
}

/* One update under the PI in a phase of LEN_H hours (warm-up, settle): the level it holds is
 * averaged over the phase's second half, where the room has settled. */
static bool hb__pi_phase(hb__tl *s, double t, double dt, double len_h) {
    double u = hb_pid_update(s->pid, t, s->res->setpoint_c, s->est);
    if (t > s->t_phase_end - 0.5 * len_h * 3600.0) {
        s->lvl_sum += (isnan(s->level) ? u : s->level) * dt;
        s->lvl_t += dt;
    }
    return hb__send(s, u) == 0;
}

/* The step test's phases after the relay: SETTLE under the PI, BASE at the level it settled on,
 * STEP at that level + du. False with RES->aborted set when it must end. */
static bool hb__step_test(hb__tl *s, double t, double dt) {
    const hb_tune_live_config *c = s->cfg;
    hb_tune_live_result *r = s->res;
    if (s->phase == HB__SETTLE && t < s->t_phase_end) {
        return hb__pi_phase(s, t, dt, c->settle_h);
    }
    if (s->phase == HB__SETTLE) {
        double u0 = round(s->lvl_t > 0 ? s->lvl_sum / s->lvl_t : r->bias);
        double du = c->step_du;
        if (u0 + du > 100.0 || u0 + du < 0.0) {
            du = -du; /* the other way, where the valve has room */
        }
        if (u0 + du > 100.0 || u0 + du < 0.0) {
            r->fopdt_reason = "no room for the step between 0 and 100 %";
            s->phase = HB__DONE;
            return true;
        }
        r->step_u0 = u0;
        r->step_du = du;
        s->phase = HB__BASE;
        s->t_step = t + c->step_base_h * 3600.0;
    }
    if (s->sn < s->scap) {
        s->st[s->sn] = t;
        s->sy[s->sn] = s->est;
        s->sn++;
    }
    if (s->phase == HB__BASE && t < s->t_step) {
        return hb__send(s, r->step_u0) == 0;
    }
    if (s->phase == HB__BASE) {
        s->phase = HB__STEP;
        s->t_step = t;
        s->t_phase_end = t + c->step_h * 3600.0;
        r->step_ran = true;
    }
    /* Cut the step before the room gets near the limit it is heading for: the abort at the
     * limit itself is the last resort, not the plan. */
    double room = r->step_du > 0 ? c->max_c - r->setpoint_c : r->setpoint_c - c->min_c;
    double moved = r->step_du > 0 ? s->est - r->setpoint_c : r->setpoint_c - s->est;
    r->step_h = (t - s->t_step) / 3600.0;
    if (moved > 0.75 * room) {
        r->step_cut = true;
        s->phase = HB__DONE;
        return true;
    }
    if (t >= s->t_phase_end) {
        s->phase = HB__DONE;
        return true;
    }
    return hb__send(s, r->step_u0 + r->step_du) == 0;
}

/* The step's response against the drift before it: a straight line fitted to the BASE samples,
 * extrapolated; then the FOPDT fit of what is left. */
static void hb__step_analyse(const hb__tl *s, hb_tune_live_result *r) {
    if (!r->step_ran) {
        if (!r->fopdt_reason) {
            r->fopdt_reason = "the step test did not run";
        }
        return;
    }
    /* Half an update: the estimate's filter and the sensors' lag alone make more than that. */
    switch (hb_fopdt_fit_drifting(s->st, s->sy, s->sn, s->t_step, r->step_du,
                                  0.5 * s->cfg->ctl->update_s, &r->fopdt, &r->step_drift_kph)) {
    case HB_STEP_FIT_OK:
        r->fopdt_ok = true;
        r->fopdt_reason = "ok";
        break;
    case HB_STEP_FIT_SHORT:
        r->fopdt_reason = "too short a step test (a longer --step-h or --step-base-h)";
        break;
    case HB_STEP_FIT_NOMEM:
        r->fopdt_reason = "out of memory";
        break;
    case HB_STEP_FIT_NONE:
        r->fopdt_reason = "the step response could not be fitted (no response to the valve?)";
        break;
    case HB_STEP_FIT_NO_GAIN:
        r->fopdt_reason = "the room does not warm up when the valve opens";
        break;
    case HB_STEP_FIT_NO_DEADTIME:
        r->fopdt_reason = "the fit found no dead time (the drift or the noise hid the start of "
                          "the response): step again on a steadier day, or use the relay's rules";
        break;
    }
}

/* One update of the experiment at its clock T; false with RES->aborted set when it must end. */
static bool hb__update(hb__tl *s, double t) {
    const hb_tune_live_config *c = s->cfg;
    hb_tune_live_result *r = s->res;
    double raw;
    if (hb_fusion_estimate(s->fusion, t, &raw, NULL, NULL) != HB_OK) {
        if (t > 2.0 * c->ctl->fusion.stale_s) {
            snprintf(r->aborted, sizeof r->aborted, "no fresh reading on %s for %.0f s",
                     s->readings, c->ctl->fusion.stale_s);
            return false;
        }
        return true; /* still waiting for the first readings */
    }
    double dt = isnan(s->est) ? 0.0 : t - s->t_update;
    s->est = isnan(s->est) || c->ctl->filter_s <= 0
                 ? raw
                 : s->est + (1.0 - exp(-dt / c->ctl->filter_s)) * (raw - s->est);
    s->t_update = t;
    r->min_seen_c = fmin(r->min_seen_c, s->est);
    r->max_seen_c = fmax(r->max_seen_c, s->est);
    if (s->est < c->min_c || s->est > c->max_c) {
        snprintf(r->aborted, sizeof r->aborted,
                 "the room left its limits: %.2f °C outside %.1f .. %.1f °C", s->est, c->min_c,
                 c->max_c);
        return false;
    }
    if (s->phase == HB__WAIT) {
        r->setpoint_c = isnan(c->setpoint_c) ? s->est : c->setpoint_c;
        s->t_phase_end = t + c->warmup_h * 3600.0;
        s->phase = HB__WARMUP;
        hb_pid_reset(s->pid, isnan(c->bias) ? c->ctl->initial_level : c->bias);
    }
    if (s->phase == HB__WARMUP && t < s->t_phase_end) {
        return hb__pi_phase(s, t, dt, c->warmup_h);
    }
    if (s->phase == HB__WARMUP) {
        double b = !isnan(c->bias) ? c->bias
                   : s->lvl_t > 0  ? s->lvl_sum / s->lvl_t
                                   : c->ctl->initial_level;
        if (b >= 99.0) {
            snprintf(r->aborted, sizeof r->aborted,
                     "the radiator cannot hold %.1f °C: the valve stayed fully open",
                     r->setpoint_c);
            return false;
        }
        double d = isnan(c->amplitude) ? fmin(fmax(fmin(b, 100.0 - b), 5.0), 40.0) : c->amplitude;
        hb_relay_config rc = {.setpoint = r->setpoint_c,
                              .bias = b,
                              .d = d,
                              .hysteresis = c->hysteresis_k,
                              .cycles = c->cycles,
                              .timeout_s = c->max_h * 3600.0};
        hb_relay_init(&s->relay, &rc);
        r->bias = b;
        r->d = d;
        s->phase = HB__RELAY;
    }
    if (s->phase == HB__RELAY) {
        double u = hb_relay_update(&s->relay, t, s->est);
        if (!hb_relay_done(&s->relay)) {
            return hb__send(s, u) == 0;
        }
        if (c->step_du == 0) {
            s->phase = HB__DONE;
            return true;
        }
        /* The relay leaves the room swinging: the PI settles it again from the bias. */
        s->phase = HB__SETTLE;
        s->t_phase_end = t + c->settle_h * 3600.0;
        s->lvl_sum = s->lvl_t = 0;
        hb_pid_reset(s->pid, r->bias);
    }
    return hb__step_test(s, t, dt);
}

/* Connects and subscribes within the timeout, then waits half a second for the retained
 * status; 0, or 1 with ERR. */
static int hb__connect(hb__tl *s, char *err, size_t errlen) {
    const hb_tune_live_config *c = s->cfg;
    double deadline = hb_mono_now() + c->connect_timeout_s;
    while (!hb__tl_stop &&
           !(hb_session_ready(s->sess) && hb_mono_now() > hb_session_ready_since(s->sess) + 0.5)) {
        if (hb_mono_now() > deadline) {
            snprintf(err, errlen, "no connection to %s:%d within %g s", c->mqtt.host, c->mqtt.port,
                     c->connect_timeout_s);
            return 1;
        }
        if (hb_session_step(s->sess, 50) != HB_OK) {
            snprintf(err, errlen, "%s", hb_session_error(s->sess));
            return 1;
        }
    }
    if (!hb_session_ready(s->sess)) {
        snprintf(err, errlen, "interrupted before the broker answered");
        return 1;
    }
    return 0;
}

int hb_tune_live_run(const hb_tune_live_config *cfg, hb_tune_live_result *res, char *err,
                     size_t errlen) {
    memset(res, 0, sizeof *res);
    res->min_seen_c = INFINITY;
    res->max_seen_c = -INFINITY;
    res->restored = NAN;
    res->setpoint_c = NAN;
    hb__tl_stop = 0;
    hb__tl s = {.cfg = cfg, .res = res, .t_origin = NAN, .est = NAN, .level = NAN};
    int status = 1;
    if (hb_topic_format(cfg->readings_topic, cfg->room, s.readings, sizeof s.readings) < 0 ||
        hb_topic_format(cfg->actuator_topic, cfg->room, s.actuator, sizeof s.actuator) < 0) {
        snprintf(err, errlen, "the topics are too long for room '%s'", cfg->room);
        return 1;
    }
    /* One sample per update over the base and the step, and a few for the clock's jitter. */
    s.scap = (size_t)((cfg->step_base_h + cfg->step_h) * 3600.0 / cfg->ctl->update_s) + 16;
    s.st = cfg->step_du != 0 ? malloc(s.scap * sizeof *s.st) : NULL;
    s.sy = cfg->step_du != 0 ? malloc(s.scap * sizeof *s.sy) : NULL;
    if (!s.st || !s.sy) {
        s.scap = 0;
    }
    /* The wall clock × speed until the room's clock ticks; then the room's, without a jump.
     * Only the first run of ticks is followed: a restarted room (or a stray publisher) stops
     * the clock (and so the experiment, at clock_timeout_s), it never moves it. */
    hb_simclock_init(&s.clk, cfg->speed, false);
    hb_simclock_start(&s.clk, 0.0, hb_mono_now());
    s.fusion = hb_fusion_create(&cfg->ctl->fusion);
    s.pid = hb_pid_create(&cfg->ctl->pid);
    if (!s.fusion || !s.pid) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* Retries from 0.5 s up to 5 s: a lost broker costs at most two attempts a second. */
    hb_session_config sc = {.mqtt = &cfg->mqtt,
                            .first_s = 0.5,
                            .max_s = 5.0,
                            .ud = &s,
                            .on_message = hb__tl_on_message,
                            .err = err,
                            .errlen = errlen};
    if (hb_session_create(&sc, &s.sess) != HB_OK ||
        hb_session_subscribe(s.sess, s.readings, 0) != HB_OK ||
        (cfg->status_topic && hb_session_subscribe(s.sess, cfg->status_topic, 1) != HB_OK) ||
        (cfg->clock_topic && hb_session_subscribe(s.sess, cfg->clock_topic, 0) != HB_OK)) {
        if (s.sess) {
            snprintf(err, errlen, "out of memory");
        }
        goto out;
    }
    s.m = hb_session_client(s.sess);
    if (hb__connect(&s, err, errlen) != 0) {
        goto out;
    }
    if (s.controller_online && !cfg->force) {
        snprintf(err, errlen,
                 "a heatbench control is online (%s): it would fight the experiment for the "
                 "valve; stop it first, or --force",
                 cfg->status_topic);
        goto out;
    }
    s.t_origin = hb_simclock_now(&s.clk, hb_mono_now());
    double next = 0;
    bool ok = true;
    s.pass = hb_mono_now();
    s.resumed = -INFINITY;
    while (!hb__tl_stop && ok && s.phase != HB__DONE) {
        /* A lost connection is retried with back-off while the experiment's clock runs on. */
        unsigned long seen = s.msgs;
        if (hb_session_step(s.sess, 5) != HB_OK) {
            snprintf(res->aborted, sizeof res->aborted, "%s", hb_session_error(s.sess));
            break;
        }
        double t = hb__clock(&s);
        double quiet = hb__tl_quiet(&s, seen);
        if (quiet > cfg->clock_timeout_s) {
            snprintf(res->aborted, sizeof res->aborted,
                     "the room's clock on %s stopped: no tick for %.0f wall s (%lu ticks "
                     "ignored; a heatbench live ended or restarted?)",
                     cfg->clock_topic, quiet, s.clk.back + s.clk.ahead);
            ok = false;
        } else if (t >= cfg->max_h * 3600.0 && s.phase <= HB__RELAY) {
            snprintf(res->aborted, sizeof res->aborted,
                     "the time limit (%.1f h) passed before the relay's cycles", cfg->max_h);
            ok = false;
        } else if (t >= cfg->max_h * 3600.0) {
            /* The relay is done: the time limit ends the step test, not the experiment. A
             * step under way is fitted on what it has. */
            if (s.phase == HB__STEP) {
                res->step_cut = true;
            } else {
                res->fopdt_reason = "the time limit passed before the step";
            }
            s.phase = HB__DONE;
        } else if (t >= next) {
            next = t + cfg->ctl->update_s;
            ok = hb__update(&s, t);
        }
    }
    if (hb__tl_stop && !res->aborted[0]) {
        snprintf(res->aborted, sizeof res->aborted, "interrupted");
    }
    res->hours = hb__clock(&s) / 3600.0;
    res->clock_followed = hb_simclock_following(&s.clk);
    res->clock_ticks = s.clk.ticks;
    res->clock_ignored = s.clk.bad + s.clk.back + s.clk.ahead;
    if (s.phase >= HB__RELAY) {
        res->relay = hb_relay_analyse(&s.relay);
    }
    hb__step_analyse(&s, res);
    /* Leave the valve where it holds the room, whatever ended the experiment. */
    double restore = !isnan(cfg->restore) ? cfg->restore
                     : res->bias > 0      ? res->bias
                                          : cfg->ctl->initial_level;
    s.level = NAN;
    if (hb__send(&s, restore) == 0) {
        res->restored = s.level;
        /* Not gone before the broker has it: the restore is the one command that must land. */
        if (hb_session_wait_ack(s.sess, s.last_mid, 2.0) != HB_OK) {
            fprintf(stderr, "heatbench tune --live: the broker did not acknowledge the restore "
                            "command within 2 s\n");
        }
    }
    status = res->aborted[0] ? 1 : 0;
    if (status) {
        snprintf(err, errlen, "experiment ended early: %s", res->aborted);
    }
out:
    if (s.sess) {
        hb_session_stop(s.sess, false);
        hb_session_destroy(s.sess);
    }
    hb_fusion_destroy(s.fusion);
    hb_pid_destroy(s.pid);
    free(s.st);
    free(s.sy);
    return status;
}
