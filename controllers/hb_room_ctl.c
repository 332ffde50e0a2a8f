#include "hb_room_ctl.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

/* What a room controller keeps of its configuration: the fusion, PID and bang-bang settings live
 * in those objects, so a daemon with thousands of rooms does not store them twice. */
typedef struct hb__ctl_settings {
    enum hb_algo algo;
    int quorum; /* already capped by the fusion's expected_sensors */
    double setpoint_c, update_s, filter_s, failsafe_level, failsafe_hold_s, failsafe_avg_s,
        deadband_pct, min_interval_s, heartbeat_s, quorum_wait_s;
    bool feed_forward, optimal_start;
} hb__ctl_settings;

/* The open-window detector, allocated only for a room that detects (see hb_window_config). */
typedef struct hb__window_state {
    hb_window_config cfg;
    double bucket;    /* index of the current half window, NaN when starting afresh */
    double cur, prev; /* the highest estimate of this half window and of the last */
    double until;     /* the valve is held closed until then */
    double low;       /* the lowest estimate while closed */
    long count;       /* openings detected */
} hb__window_state;

typedef struct hb__model_state {
    const hb_ctl_env *env; /* NULL until hb_room_ctl_set_env */
    hb_mpc_config mpc_cfg;
    hb_room_kf kf;
    hb_room_disc os_disc; /* the model over one optimal-start step */
    hb_mpc *mpc;          /* for HB_ALGO_MPC with an environment */
    double q_target;      /* W: the emission the level in force aims at */
    double t_solve;       /* next MPC solve */
    double t_os_check;    /* next optimal-start look-ahead */
    double os_until;      /* optimal start: the warmer period's setpoint holds until then */
    double os_sp;
    double stop_until; /* optimal stop: the cooler period's setpoint holds until then */
    double stop_sp;
    double sp;       /* setpoint in force (the schedule's, or earlier by optimal start or stop) */
    bool kf_on;      /* the filter runs (since the last start) */
    bool in_window;  /* the detector held the valve closed at the last update */
    bool os_warming; /* an optimal-start warm-up has not reached its setpoint yet */
    bool rebias;     /* an optimal stop was undone: the PID restarts from the steady heat */
} hb__model_state;

/* Doubles, then pointers, then the small fields: a daemon keeps thousands of these. */
struct hb_room_ctl {
    hb__ctl_settings cfg;
    double t_update; /* time of the last update */
    double t_wait;   /* since when readings come without a quorum, NaN when not waiting */
    double est;      /* filtered estimate, NaN before the first start */
    double t_silent; /* when the readings went stale */
    double avg;      /* mean level while controlling, NaN before any control */
    double t_sent;
    hb_fusion *fusion;
    hb_pid *pid;
    /* What model-based control keeps (about 800 bytes): allocated only for a controller that
     * is model-based or has an environment, so the daemon's thousands of PID rooms do not
     * carry it. */
    struct hb__model_state *ms;
    hb__window_state *ws; /* NULL unless the room detects open windows */
    hb_bangbang bb;
    int level; /* latest computed level */
    int agree; /* fresh readings that agreed at the latest update (hb_fusion_estimate) */
    int level_sent;
    bool updated; /* at least one update ran */
    bool started; /* the algorithm runs: a quorum was reached (see the header) */
    bool failsafe;
    bool sent;    /* at least one command published */
    bool off;     /* heating off: the valve closed, the algorithm frozen */
    bool resumed; /* the next start keeps the restored integral */
    bool refresh; /* the next poll updates whatever update_s says */
};

int hb_room_ctl_check(const hb_room_ctl_config *cfg) {
    bool ok = cfg && cfg->update_s > 0 && cfg->filter_s >= 0 && cfg->deadband_pct >= 0 &&
              cfg->min_interval_s >= 0 && cfg->heartbeat_s > 0 && isfinite(cfg->setpoint_c) &&
              cfg->failsafe_level >= 0 && cfg->failsafe_level <= 100 && cfg->failsafe_hold_s >= 0 &&
              cfg->failsafe_avg_s > 0 && cfg->quorum >= 1 && cfg->quorum_wait_s >= 0 &&
              cfg->initial_level >= 0 && cfg->initial_level <= 100 &&
              hb_fusion_check(&cfg->fusion) == HB_OK && hb_pid_check(&cfg->pid) == HB_OK &&
              (cfg->algo != HB_ALGO_MPC || hb_mpc_check(&cfg->mpc) == HB_OK) &&
              (!cfg->window.detect ||
               (cfg->window.drop_k > 0 && cfg->window.within_s > 0 && cfg->window.close_s >= 0));
    return ok ? HB_OK : HB_ERR_INVAL;
}

static hb__ctl_settings hb__room_ctl_settings(const hb_room_ctl_config *cfg) {
    int expected = (int)cfg->fusion.expected_sensors;
    return (hb__ctl_settings){.algo = cfg->algo,
                              .feed_forward = cfg->feed_forward,
                              .optimal_start = cfg->optimal_start,
                              .setpoint_c = cfg->setpoint_c,
                              .update_s = cfg->update_s,
                              .filter_s = cfg->filter_s,
                              .failsafe_level = cfg->failsafe_level,
                              .failsafe_hold_s = cfg->failsafe_hold_s,
                              .failsafe_avg_s = cfg->failsafe_avg_s,
                              .deadband_pct = cfg->deadband_pct,
                              .min_interval_s = cfg->min_interval_s,
                              .heartbeat_s = cfg->heartbeat_s,
                              .quorum_wait_s = cfg->quorum_wait_s,
                              .quorum = cfg->quorum < expected ? cfg->quorum : expected};
}

/* Whether CFG asks for something that needs a model. */
static bool hb__model_based(const hb_room_ctl_config *cfg) {
    return cfg->algo == HB_ALGO_MPC || cfg->feed_forward || cfg->optimal_start;
}

static int hb__ms_alloc(hb_room_ctl *c) {
    c->ms = calloc(1, sizeof *c->ms);
    if (!c->ms) {
        return HB_ERR_NOMEM;
    }
    c->ms->os_until = NAN;
    c->ms->stop_until = NAN;
    c->ms->t_os_check = -INFINITY;
    return HB_OK;
}

static int hb__ws_alloc(hb_room_ctl *c, const hb_window_config *w) {
    c->ws = malloc(sizeof *c->ws);
    if (!c->ws) {
        return HB_ERR_NOMEM;
    }
    *c->ws = (hb__window_state){.cfg = *w, .bucket = NAN, .until = -INFINITY};
    return HB_OK;
}

static const hb_ctl_env *hb__ctl_env(const hb_room_ctl *c) {
    return c->ms ? c->ms->env : NULL;
}

hb_room_ctl *hb_room_ctl_create(const hb_room_ctl_config *cfg) {
    if (hb_room_ctl_check(cfg) != HB_OK) {
        return NULL;
    }
    hb_room_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->cfg = hb__room_ctl_settings(cfg);
    c->fusion = hb_fusion_create(&cfg->fusion);
    c->pid = hb_pid_create(&cfg->pid);
    if (!c->fusion || !c->pid) {
        hb_room_ctl_destroy(c);
        return NULL;
    }
    hb_pid_reset(c->pid, cfg->initial_level);
    hb_bangbang_init(&c->bb, &cfg->bangbang);
    c->est = NAN;
    c->t_wait = NAN;
    c->avg = NAN;
    c->level = (int)lround(cfg->initial_level);
    if (hb__model_based(cfg)) {
        if (hb__ms_alloc(c) != HB_OK) {
            hb_room_ctl_destroy(c);
            return NULL;
        }
        c->ms->mpc_cfg = cfg->mpc;
    }
    if (cfg->window.detect && hb__ws_alloc(c, &cfg->window) != HB_OK) {
        hb_room_ctl_destroy(c);
        return NULL;
    }
    return c;
}

void hb_room_ctl_destroy(hb_room_ctl *c) {
    if (c) {
        hb_fusion_destroy(c->fusion);
        hb_pid_destroy(c->pid);
        if (c->ms) {
            hb_mpc_destroy(c->ms->mpc);
            free(c->ms);
        }
        free(c->ws);
        free(c);
    }
}

int hb_room_ctl_reading(hb_room_ctl *c, double t, const char *sensor_id, double value) {
    return hb_fusion_add(c->fusion, t, sensor_id, value);
}

int hb_room_ctl_reading_ref(hb_room_ctl *c, double t, const char *sensor_id, double value,
                            hb_fusion_ref *ref) {
    return hb_fusion_add_ref(c->fusion, t, sensor_id, value, ref);
}

static int hb__clamp_level(double u) {
    long l = lround(u);
    return l < 0 ? 0 : (l > 100 ? 100 : (int)l);
}

/* No fresh reading: hold the last level for failsafe_hold_s (a gateway reboot, a radio hiccup),
 * then fall back to the level that held the room before the silence. */
static void hb__silence(hb_room_ctl *c, double t) {
    if (!c->failsafe) {
        c->failsafe = true;
        c->t_silent = t;
    }
    c->started = false; /* a quorum must agree again before the algorithm resumes */
    c->t_wait = NAN;
    /* A restored controller holds its level like a running one: the valve was at it a moment
     * ago, before the restart. */
    if (t - c->t_silent >= c->cfg.failsafe_hold_s || (isnan(c->est) && !c->resumed)) {
        c->level = hb__clamp_level(isnan(c->avg) ? c->cfg.failsafe_level : c->avg);
    }
}

/* ---- the model-based parts (with an environment) ------------------------------------------ */

/* Optimal start looks this far ahead, in steps of this length. */
#define HB__OS_STEP_S 300.0
#define HB__OS_AHEAD_S (12.0 * 3600.0)
#define HB__OS_ARRIVED_K 0.1 /* a warm-up has arrived this close to its setpoint */

static double hb__ff(const hb_room_ctl *c, const hb_room_inputs *in) {
    if (!hb__ctl_env(c) || !c->cfg.feed_forward) {
        return 0.0;
    }
    const hb_room_model *m = c->ms->env->model;
    double sp = c->ms->sp;
    return hb_room_model_level(m, hb_room_model_steady_heat(m, sp, in), in->t_supply, sp);
}

static void hb__kf_step(hb_room_ctl *c, double t, double raw, const hb_room_inputs *in) {
    if (c->ms->kf_on && hb_room_kf_predict(&c->ms->kf, t, c->ms->q_target, in) == HB_OK) {
        hb_room_kf_update(&c->ms->kf, raw);
    }
}

/* The filter around an open window: while it is open a reading corrects only the air and the
 * disturbance d, so the window's heat loss goes to d alone (not to the emission, the mass or the
 * parameters, which the filter would otherwise keep for hours), and once it is shut d is
 * forgotten, by the plain filter too. That state drifts only as fast as a slow disturbance may
 * (a sun, a neighbour), so kept, the plans would heat at full output for hours against a loss
 * that ended (window-open: the room at 25 C). Measured on window-open with detection, seeds
 * 1..10, median / worst K·h: the learning MPC 7.24 / 7.27 before, 2.88 / 2.92 with the hold and
 * the forgetting; the plain MPC 2.84 / 2.86 before, 2.73 / 2.76 (2.66 / 2.70 and 2.65 / 2.70
 * with hb__mpc_level's full output and replanning). */
static void hb__kf_window(hb_room_ctl *c, bool open) {
    if (open) {
        hb_room_kf_hold(&c->ms->kf);
    } else if (c->ms->in_window) {
        hb_room_kf_forget_disturbance(&c->ms->kf);
    }
    c->ms->in_window = open;
}

/* Whether, heating at full output from the filter's state, the room would reach the middle of
 * the lower half of a warmer band NEXT by T_RISE when starting only after one more look. */
static bool hb__must_start(const hb_room_ctl *c, double t, double t_rise, const hb_setpoint *next) {
    const hb_room_model *m = c->ms->env->model;
    double x[HB_RM_N];
    for (int i = 0; i < HB_RM_N; i++) {
        x[i] = c->ms->kf.x[i];
    }
    double target = 0.5 * (next->lo_c + next->setpoint_c);
    /* One look's delay: the room idles (no heat) for a step first. */
    int steps = (int)ceil((t_rise - t) / HB__OS_STEP_S);
    for (int k = 0; k < steps; k++) {
        hb_room_inputs in;
        c->ms->env->forecast.fn(c->ms->env->forecast.ud, t + (k + 0.5) * HB__OS_STEP_S, &in);
        double q = k == 0 ? 0.0 : hb_room_model_heat(m, 100.0, in.t_supply, x[0]);
        double w[HB_RM_W] = {q, in.t_out, in.q_air, in.q_mass};
        hb_room_disc_step(&c->ms->os_disc, x, w);
    }
    return x[0] < target;
}

/* The first change of the setpoint in (T, T + the look-ahead] after NOW: +1 a rise, -1 a fall,
 * 0 none; then AT is its time to the second and NEXT what holds from then. */
static int hb__next_change(const hb_room_ctl *c, double t, const hb_setpoint *now, double *at,
                           hb_setpoint *next) {
    const hb_ctl_env *e = c->ms->env;
    double lo = t;
    for (int i = 1; i <= (int)(HB__OS_AHEAD_S / HB__OS_STEP_S); i++) {
        double a = i * HB__OS_STEP_S;
        hb_schedule_at(e->schedule, e->base_c, e->band_k, t + a, next);
        int dir = next->setpoint_c > now->setpoint_c + 1e-9   ? 1
                  : next->setpoint_c < now->setpoint_c - 1e-9 ? -1
                                                              : 0;
        if (dir != 0) {
            /* The change lies in (lo, t + a]: to the second by bisection. */
            double hi = t + a;
            while (hi - lo > 1.0) {
                double mid = 0.5 * (lo + hi);
                hb_setpoint sm;
                hb_schedule_at(e->schedule, e->base_c, e->band_k, mid, &sm);
                if (dir * (sm.setpoint_c - now->setpoint_c) > 1e-9) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            *at = hi;
            return dir;
        }
        lo = t + a;
    }
    return 0;
}

/* Optimal stop keeps the predicted air this far above the band's lower edge. The filter starts
 * its prediction from what the sensors read, and they lag a room that cools: at the end of a
 * coast (about 1.2 K/h) their two minutes put the reading some 0.04 K above the air, and the
 * controller's estimate, two minutes of filter later, read 0.07 to 0.10 K above it at the fall
 * (night-setback, seeds 1..10). 0.1 K covers that, and it is the MPC's default margin: both
 * coast to the same air. A model that is off is not what this is for: each look asks again. */
#define HB__STOP_MARGIN_K 0.1
/* A stop begins only when the prediction clears the margin by this much more, and holds while it
 * clears the margin alone: from one look to the next the prediction moves by a few hundredths
 * with the readings' noise, and without the difference a stop that just cleared the margin was
 * undone and taken again a look later (away-week, pid-os, seeds 1 and 2, the Sunday's fall). */
#define HB__STOP_HYST_K 0.05

/* Whether, with the valve closed from now, the filter's model keeps the air at or above the
 * lower edge of the band in force plus MARGIN until T_FALL, where the cooler period NEXT begins,
 * and at or above NEXT's lower edge plus MARGIN there: a fall of the setpoint can raise the lower
 * edge (22 °C with 0.5 K below, then 21.9 °C with 0.1 K), and a coast to 21.6 °C would leave the
 * room below its band at the fall (the review's smallfall2: 0.072 against 0.063 K·h). The
 * prediction runs past the fall to the end of its step: a little more caution. */
static bool hb__may_stop(const hb_room_ctl *c, double t, double t_fall, const hb_setpoint *next,
                         double margin) {
    const hb_ctl_env *e = c->ms->env;
    double x[HB_RM_N];
    for (int i = 0; i < HB_RM_N; i++) {
        x[i] = c->ms->kf.x[i];
    }
    int steps = (int)ceil((t_fall - t) / HB__OS_STEP_S);
    for (int k = 0; k < steps; k++) {
        hb_room_inputs in;
        e->forecast.fn(e->forecast.ud, t + (k + 0.5) * HB__OS_STEP_S, &in);
        double w[HB_RM_W] = {0.0, in.t_out, in.q_air, in.q_mass};
        hb_room_disc_step(&c->ms->os_disc, x, w);
        hb_setpoint sp;
        double tk = fmin(t + (k + 1) * HB__OS_STEP_S, t_fall - 1.0);
        hb_schedule_at(e->schedule, e->base_c, e->band_k, tk, &sp);
        if (x[0] < sp.lo_c + margin) {
            return false;
        }
    }
    return x[0] >= next->lo_c + margin;
}

/* Optimal start and stop: every few minutes, find the next change of the setpoint within the
 * look-ahead. Before a rise, when waiting one more look would leave the room short at the rise,
 * work to the warmer setpoint from now until the rise. Before a fall, when the room would stay
 * in its band with the valve closed from now until the fall, work to the cooler setpoint from
 * now; each look asks again, and the moment the answer is no (a model that is off, a window, a
 * forecast that was wrong) the band's setpoint is back, with the PID restarted from the steady
 * heat that holds it (hb__pid_rebias). */
static void hb__optimal_start(hb_room_ctl *c, double t, const hb_setpoint *now) {
    if (!c->ms->kf_on || t < c->ms->t_os_check) {
        return;
    }
    c->ms->t_os_check = t + HB__OS_STEP_S;
    hb_setpoint next;
    double at = NAN;
    int dir = hb__next_change(c, t, now, &at, &next);
    if (dir > 0 && hb__must_start(c, t, at, &next)) {
        c->ms->os_until = at;
        c->ms->os_sp = next.setpoint_c;
        c->ms->os_warming = true;
    }
    bool stopped = !isnan(c->ms->stop_until);
    bool stop = dir < 0 && hb__may_stop(c, t, at, &next,
                                        HB__STOP_MARGIN_K + (stopped ? 0.0 : HB__STOP_HYST_K));
    if (stop) {
        c->ms->stop_until = at;
        c->ms->stop_sp = next.setpoint_c;
        /* A warm-up that ends in a stop has arrived as far as needed; like one that arrives, it
         * leaves the PID's integral wound up by the full output, which after a small fall opens
         * the valve too far (a quarter hour at 22 °C from 12:00 after 17 °C, then 21.5 °C: 0.03
         * to 0.09 K·h and 0.03 to 0.05 kWh more without the rebias, seeds 1..3). */
        c->ms->rebias = c->ms->rebias || c->ms->os_warming;
        c->ms->os_warming = false;
    } else if (stopped) {
        c->ms->stop_until = NAN;
        c->ms->rebias = true;
    }
}

/* The PID's integral restarted at the level of the model's steady heat at the setpoint in force
 * (the disturbance taken off): after an optimal-start warm-up, and when an optimal stop is undone
 * (the integral, held or wound towards the closed valve while the room cooled, is then no measure
 * of what holds the room). */
static void hb__pid_rebias(hb_room_ctl *c, const hb_room_inputs *in, double ff) {
    const hb_ctl_env *e = hb__ctl_env(c);
    if (!e) {
        return;
    }
    const hb_room_model *m = e->model;
    double q = hb_room_model_steady_heat(m, c->ms->sp, in) - c->ms->kf.x[3];
    double l = hb_room_model_level(m, q, in->t_supply, c->ms->sp);
    hb_pid_reset(c->pid, l - ff);
}

/* The end of an optimal-start warm-up: hours at full output have wound the PID's integral far
 * above what holds the room. It restarts from the level of the model's steady heat at the
 * setpoint (the disturbance taken off), not from the heat that holds the air against a mass
 * still cold: that one is right for a moment and then wrong for hours (the mass warms within
 * about two), and the PID, slow to unwind it, overshoots by a kelvin (measured on night-setback:
 * 2.1 K·h of discomfort with it, none with the steady level). */
static void hb__os_arrived(hb_room_ctl *c, const hb_room_inputs *in, double ff) {
    c->ms->os_warming = false;
    hb__pid_rebias(c, in, ff);
}

static double hb__setpoint_at(hb_room_ctl *c, double t) {
    const hb_ctl_env *e = c->ms->env;
    hb_setpoint now;
    hb_schedule_at(e->schedule, e->base_c, e->band_k, t, &now);
    if (!isnan(c->ms->os_until) && t >= c->ms->os_until) {
        c->ms->os_until = NAN; /* the warmer period has begun */
    }
    if (!isnan(c->ms->stop_until) && t >= c->ms->stop_until) {
        c->ms->stop_until = NAN; /* the cooler period has begun */
    }
    bool os = c->cfg.optimal_start && c->cfg.algo == HB_ALGO_PID;
    if (!os && !isnan(c->ms->stop_until)) {
        c->ms->stop_until = NAN; /* reconfigured without it: nothing looks again */
        c->ms->rebias = true;
    }
    if (os && isnan(c->ms->os_until)) {
        hb__optimal_start(c, t, &now);
    }
    if (!isnan(c->ms->os_until)) {
        return fmax(now.setpoint_c, c->ms->os_sp);
    }
    return isnan(c->ms->stop_until) ? now.setpoint_c : fmin(now.setpoint_c, c->ms->stop_sp);
}

/* A (re)start of the algorithm from the level the valve is at: the PID's integral is what the
 * feed-forward does not give, the filter starts from the agreed reading, the MPC plans now. The
 * optimal-start look comes after the filter's start, so that after a silence it predicts from
 * the room as the readings show it now, not as it was before. A rebias pending (a stop this look
 * or an earlier one undid) stays so: the update that restarts applies it after this reset, for
 * the valve's level, 0 in a stop or the fail-safe's mean after a long silence, is then no measure
 * of what holds the room. */
static void hb__restart(hb_room_ctl *c, double t, double raw) {
    double ff = 0.0;
    if (c->ws) {
        c->ws->bucket = NAN; /* the window detector starts afresh too */
    }
    if (hb__ctl_env(c)) {
        hb_room_inputs in;
        c->ms->env->forecast.fn(c->ms->env->forecast.ud, t, &in);
        c->ms->q_target = hb_room_model_heat(c->ms->env->model, c->level, in.t_supply, raw);
        hb_room_kf_init(&c->ms->kf, c->ms->env->model, t, raw, c->ms->q_target, &in);
        if (c->cfg.algo == HB_ALGO_MPC && c->ms->mpc_cfg.learn) {
            /* Learning starts afresh, with the confidence of a new room: what the filter had
             * learnt rode on readings that went silent, and the plan is cautious until it
             * learns again (carrying it over overshot more on 41 of 100 lossy-network seeds). */
            hb_room_kf_learn(&c->ms->kf);
        }
        c->ms->sp = hb__setpoint_at(c, t);
        ff = hb__ff(c, &in);
        c->ms->kf_on = true;
        c->ms->t_solve = t;
    }
    if (c->resumed) {
        c->resumed = false; /* a restored state: the integral is the one saved, not the level */
        return;
    }
    hb_pid_reset(c->pid, c->level - ff);
}

#define HB__ETA_CAUTION 0.5 /* standard deviations of eta the plan's radiator is weaker by */
/* The filter's air this far from the plan's for now (K) plans again at once: the plan began
 * from a state that no longer holds (a window shut, a door), and the next scheduled solve may
 * be a step away. */
#define HB__REPLAN_K 0.5

/* The MPC's level: a new plan every step (or sooner when the room left the plan), then the
 * plan's heat through the inverse output curve, corrected by the distance from the planned air
 * temperature; a step planned at full output opens the valve fully. */
static double hb__mpc_level(hb_room_ctl *c, double t, const hb_room_inputs *in) {
    hb__model_state *ms = c->ms;
    const hb_ctl_env *e = hb__ctl_env(c);
    assert(e && ms->mpc); /* the caller checked */
    if (!e) {
        return c->level;
    }
    /* What the filter learnt: the radiator's heat over the model's (eta, 1 without learning)
     * and the gains' scale. The plan takes the radiator as weak as eta less half its standard
     * deviation: while the filter is unsure, a warm-up starts early enough for a weaker room,
     * and the caution fades as the data fix eta. */
    double eta = ms->kf.x[HB_KF_ETA];
    double eta_plan = fmax(eta - HB__ETA_CAUTION * sqrt(ms->kf.p[HB_KF_ETA][HB_KF_ETA]), 0.3);
    bool off_plan =
        hb_mpc_planned(ms->mpc) && fabs(ms->kf.x[0] - hb_mpc_air_at(ms->mpc, t)) > HB__REPLAN_K;
    bool due = t >= ms->t_solve - 1e-6;
    if (due || off_plan) {
        /* A replan between solves leaves the next one at its time: moved, every later plan's
         * steps would leave the schedule's quarter hours and the warm-ups arrive early (the
         * night setback: 17.17 against 17.13 kWh, median of seeds 1..10). */
        if (due) {
            ms->t_solve = t + ms->mpc_cfg.step_s;
        }
        hb_mpc_set_scales(ms->mpc, eta_plan, ms->kf.x[HB_KF_GAMMA]);
        (void)hb_mpc_solve(ms->mpc, t, ms->kf.x, ms->q_target, e);
    }
    double q;
    double ta_plan;
    if (hb_mpc_planned(ms->mpc)) {
        q = hb_mpc_heat_at(ms->mpc, t);
        ta_plan = hb_mpc_air_at(ms->mpc, t);
    } else { /* no plan yet: the steady heat of the setpoint, the disturbance taken off */
        q = hb_room_model_steady_heat(e->model, ms->sp, in) - ms->kf.x[3];
        ta_plan = ms->sp;
    }
    /* A step at full output wants all the radiator has. The plan's bound is the radiator's in
     * the air of the plan before; the inverse curve at the room's air can make far less of it
     * (after an airing on window-open: 21 to 33 % for 25 minutes). Only on an estimate a quorum
     * agrees on: fewer readings carry their sensors' calibration errors unaveraged, and a plan
     * at full output against a shortfall one sensor alone reports overheats the room (on
     * lossy-network, a restart after the silence on sensor-4 alone, 0.4 K low, opened the valve
     * fully for 11 minutes: the air at 23.0 C, discomfort on seeds 1, 14 and 88 of 1..100 from
     * 0.12 to 0.17-0.19 K·h). The inverse curve then applies, as it did before this rule. */
    if (c->agree >= c->cfg.quorum && hb_mpc_full_at(ms->mpc, t)) {
        return 100.0;
    }
    /* The plan's heat is what the room gets; the model's emission that gives it is 1/eta of it.
     * A plan at its cautious bound wants all the radiator has. */
    double full = hb_room_model_heat(e->model, 100.0, in->t_supply, ms->kf.x[0]);
    if (eta_plan < eta && q >= 0.99 * eta_plan * full) {
        return 100.0 + ms->mpc_cfg.inner_kp * fmax(ta_plan - ms->kf.x[0], 0.0);
    }
    double l = hb_room_model_level(e->model, q / eta, in->t_supply, ms->kf.x[0]);
    return l + ms->mpc_cfg.inner_kp * (ta_plan - ms->kf.x[0]);
}

int hb_room_ctl_set_env(hb_room_ctl *c, const hb_ctl_env *env) {
    if (!env || !env->forecast.fn || hb_room_model_check(env->model) != HB_OK) {
        return HB_ERR_INVAL;
    }
    if (!c->ms && hb__ms_alloc(c) != HB_OK) {
        return HB_ERR_NOMEM;
    }
    int rc = hb_room_model_disc(env->model, HB__OS_STEP_S, &c->ms->os_disc);
    if (rc != HB_OK) {
        return rc;
    }
    hb_mpc_destroy(c->ms->mpc);
    c->ms->mpc = NULL;
    if (c->cfg.algo == HB_ALGO_MPC) {
        c->ms->mpc = hb_mpc_create(&c->ms->mpc_cfg, env->model);
        if (!c->ms->mpc) {
            return HB_ERR_NOMEM;
        }
    }
    c->ms->env = env;
    c->ms->kf_on = false; /* from the next start, with a state of the new model */
    c->started = false;
    return HB_OK;
}

bool hb_room_ctl_window_open(const hb_room_ctl *c) {
    return c->ws && c->ws->cfg.detect && c->ws->until > c->t_update;
}

long hb_room_ctl_windows(const hb_room_ctl *c) {
    return c->ws ? c->ws->count : 0;
}

const hb_mpc *hb_room_ctl_mpc(const hb_room_ctl *c) {
    return c->ms ? c->ms->mpc : NULL;
}

/* The open-window detector (see hb_window_config): true while the valve is to stay closed. */
static bool hb__window(hb_room_ctl *c, double t, double raw) {
    hb__window_state *w = c->ws;
    if (!w || !w->cfg.detect) {
        return false;
    }
    if (t < w->until) {
        /* A window shut again shows as the air rising from its low: the valve reopens then
         * rather than at the end of the closed time (the walls warm the air back at once). */
        w->low = fmin(w->low, raw);
        if (raw - w->low < 0.5 * w->cfg.drop_k) {
            return true;
        }
        w->until = t;
    }
    double b = floor(t / (0.5 * w->cfg.within_s));
    if (isnan(w->bucket) || b > w->bucket + 1.0) {
        w->prev = raw; /* afresh, or after a gap of more than a half window */
        w->cur = raw;
    } else if (b > w->bucket) {
        w->prev = w->cur;
        w->cur = raw;
    } else {
        w->cur = fmax(w->cur, raw);
    }
    w->bucket = b;
    if (fmax(w->prev, w->cur) - raw >= w->cfg.drop_k) {
        w->until = t + w->cfg.close_s;
        w->low = raw;
        w->bucket = NAN; /* after the closed time, start afresh */
        w->count++;
        return true;
    }
    return false;
}

static void hb__ctl_update(hb_room_ctl *c, double t) {
    double raw;
    int agree = 0;
    double dt = c->updated ? t - c->t_update : 0.0;
    c->updated = true;
    c->t_update = t;
    if (c->off) {
        c->level = 0; /* before the fail-safe: "off" is the household's word, not a fault */
        return;
    }
    if (hb_fusion_estimate(c->fusion, t, &raw, &agree, NULL) != HB_OK || !isfinite(raw)) {
        hb__silence(c, t);
        return;
    }
    if (!c->started) {
        if (isnan(c->t_wait)) {
            c->t_wait = t;
        }
        bool waited = t - c->t_wait >= c->cfg.quorum_wait_s && agree >= 1;
        if (agree < c->cfg.quorum && !waited) {
            return; /* hold the level until enough sensors agree */
        }
        /* (Re)start from the level the valve is at, with the agreed estimate. */
        c->started = true;
        c->failsafe = false;
        c->t_wait = NAN;
        c->est = raw;
        dt = 0.0;
        hb__restart(c, t, raw);
    }
    c->agree = agree;
    if (c->cfg.filter_s > 0) {
        c->est += (1.0 - exp(-dt / c->cfg.filter_s)) * (raw - c->est);
    } else {
        c->est = raw;
    }
    assert(isfinite(c->est));
    hb_room_inputs in = {0};
    double sp = c->cfg.setpoint_c;
    /* The detector first: the reading that shows the window open corrects the filter as held,
     * and the first after it is shut finds the window's loss forgotten. */
    bool window = hb__window(c, t, raw);
    if (hb__ctl_env(c)) {
        c->ms->env->forecast.fn(c->ms->env->forecast.ud, t, &in);
        hb__kf_window(c, window);
        hb__kf_step(c, t, raw, &in);
        sp = c->ms->sp = hb__setpoint_at(c, t);
    }
    if (window) {
        /* An open window: the valve closed, the algorithm frozen where it was (its integral
         * must not learn that a closed valve cannot hold the room), the fail-safe mean kept. */
        c->level = 0;
        if (hb__ctl_env(c)) {
            c->ms->q_target = 0;
        }
        return;
    }
    double u;
    if (c->cfg.algo == HB_ALGO_BANGBANG) {
        u = hb_bangbang_update(&c->bb, sp, c->est);
    } else if (c->cfg.algo == HB_ALGO_MPC && c->ms && c->ms->mpc) {
        u = hb__mpc_level(c, t, &in);
    } else { /* the PID; also the MPC's without a model, which cannot plan */
        double ff = hb__ff(c, &in);
        if (c->ms && c->ms->os_warming && c->est >= sp - HB__OS_ARRIVED_K) {
            hb__os_arrived(c, &in, ff);
        }
        if (c->ms && c->ms->rebias) {
            c->ms->rebias = false;
            hb__pid_rebias(c, &in, ff);
        }
        u = hb_pid_update_ff(c->pid, t, sp, c->est, ff);
        if (c->ms && c->ms->os_warming) {
            /* The warm-up runs at the full output the start time was computed for; the PID's
             * integral band would otherwise hold it at the night's bias plus P, a warm-up that
             * falls behind its own plan. The PID takes over on arrival (hb__os_arrived). */
            u = 100.0;
        }
        if (c->ms && !isnan(c->ms->stop_until)) {
            /* An optimal stop closes the valve, the coast its look predicted: after a small fall
             * the PID, its integral near the day's level and its P small, would keep it a little
             * open (22 to 21.5 °C: about 8 %). */
            u = 0.0;
        }
    }
    c->level = hb__clamp_level(u);
    if (hb__ctl_env(c)) {
        c->ms->q_target =
            hb_room_model_heat(c->ms->env->model, c->level, in.t_supply, c->ms->kf.x[0]);
    }
    if (isnan(c->avg)) {
        c->avg = c->level;
    } else {
        c->avg += (1.0 - exp(-dt / c->cfg.failsafe_avg_s)) * (c->level - c->avg);
    }
    assert(c->level >= 0 && c->level <= 100 && isfinite(c->avg));
}

bool hb_room_ctl_poll(hb_room_ctl *c, double t, int *level) {
    /* A small tolerance so a timer that fires a hair early still counts as on time. While the
     * controller waits for a quorum it looks at every poll: the start is not an update. */
    if (!c->updated || !c->started || c->refresh || t - c->t_update >= c->cfg.update_s - 1e-6) {
        c->refresh = false;
        hb__ctl_update(c, t);
    }
    bool due;
    if (!c->sent) {
        due = true;
    } else {
        double since = t - c->t_sent;
        int diff = abs(c->level - c->level_sent);
        bool end = (c->level == 0 || c->level == 100) && diff > 0;
        due = (diff > 0 && (diff >= c->cfg.deadband_pct || end) &&
               since >= c->cfg.min_interval_s - 1e-6) ||
              since >= c->cfg.heartbeat_s - 1e-6;
    }
    if (due) {
        c->sent = true;
        c->level_sent = c->level;
        c->t_sent = t;
        *level = c->level;
    }
    return due;
}

/* The mirror of hb_room_ctl_poll and hb__ctl_update: when the conditions that make them act
 * become true with time alone. Each time is taken a little early (polling early changes
 * nothing), so that rounding never makes a caller late. */
double hb_room_ctl_next_poll(const hb_room_ctl *c, double t) {
    if (!c->updated || c->refresh || !c->sent) {
        return -INFINITY;
    }
    /* Readings going stale end a quorum, start a silence, and change the sensors shown. */
    double next = hb_fusion_next_stale(c->fusion, t);
    next = fmin(next, c->t_sent + c->cfg.heartbeat_s - 1e-6);
    int diff = abs(c->level - c->level_sent);
    bool end = (c->level == 0 || c->level == 100) && diff > 0;
    if (diff > 0 && (diff >= c->cfg.deadband_pct || end)) {
        next = fmin(next, c->t_sent + c->cfg.min_interval_s - 1e-6);
    }
    if (c->off) {
        /* Off: updates only hold the valve closed. */
    } else if (c->started) {
        next = fmin(next, c->t_update + c->cfg.update_s - 1e-6);
    } else if (!isnan(c->t_wait)) {
        next = fmin(next, c->t_wait + c->cfg.quorum_wait_s); /* starting with what agrees */
    } else if (c->failsafe) {
        /* Silent: the held level gives way to the fallback once, then nothing changes. */
        if (c->t_update < c->t_silent + c->cfg.failsafe_hold_s) {
            next = fmin(next, c->t_silent + c->cfg.failsafe_hold_s);
        }
    } else {
        next = t; /* no state this knows of: poll again at the next tick */
    }
    return next - 1e-7 - fabs(next) * 1e-12;
}

double hb_room_ctl_estimate(const hb_room_ctl *c) {
    return c->est;
}

int hb_room_ctl_level(const hb_room_ctl *c) {
    return c->level;
}

bool hb_room_ctl_failsafe(const hb_room_ctl *c) {
    return c->failsafe;
}

bool hb_room_ctl_started(const hb_room_ctl *c) {
    return c->started;
}

void hb_room_ctl_sensors(const hb_room_ctl *c, double t, int *healthy, int *total) {
    double e;
    int used = 0;
    if (hb_fusion_estimate(c->fusion, t, &e, &used, NULL) != HB_OK) {
        used = 0;
    }
    *healthy = used;
    *total = (int)hb_fusion_count(c->fusion);
}

void hb_room_ctl_resync(hb_room_ctl *c) {
    c->refresh = true;
}

void hb_room_ctl_resend(hb_room_ctl *c) {
    c->sent = false; /* "never sent": the first-command rule publishes at the next poll */
}

void hb_room_ctl_set_setpoint(hb_room_ctl *c, double setpoint_c) {
    c->cfg.setpoint_c = setpoint_c;
}

void hb_room_ctl_set_heating(hb_room_ctl *c, bool on) {
    c->off = !on;
}

bool hb_room_ctl_heating(const hb_room_ctl *c) {
    return !c->off;
}

void hb_room_ctl_save(const hb_room_ctl *c, hb_room_ctl_state *s) {
    /* The level the valve was last told: the one a restart sends first. */
    s->level = c->sent ? c->level_sent : c->level;
    s->integral = hb_pid_integral(c->pid);
    s->avg = c->avg;
}

int hb_room_ctl_restore(hb_room_ctl *c, const hb_room_ctl_state *s) {
    bool ok = !c->updated && s->level >= 0 && s->level <= 100 && isfinite(s->integral) &&
              (isnan(s->avg) || (s->avg >= 0 && s->avg <= 100));
    if (!ok) {
        return HB_ERR_INVAL;
    }
    c->level = hb__clamp_level(s->level);
    c->avg = s->avg;
    hb_pid_reset(c->pid, s->integral);
    c->resumed = true;
    return HB_OK;
}

int hb_room_ctl_reconfigure(hb_room_ctl *c, const hb_room_ctl_config *cfg) {
    if (hb_room_ctl_check(cfg) != HB_OK) {
        return HB_ERR_INVAL;
    }
    if (!c->ms && hb__model_based(cfg) && hb__ms_alloc(c) != HB_OK) {
        return HB_ERR_NOMEM; /* nothing changed */
    }
    if (!c->ws && cfg->window.detect && hb__ws_alloc(c, &cfg->window) != HB_OK) {
        return HB_ERR_NOMEM; /* nothing changed (a model part may be there, unused) */
    }
    if (c->ws) {
        c->ws->cfg = cfg->window;
    }
    enum hb_algo old = c->cfg.algo;
    c->cfg = hb__room_ctl_settings(cfg);
    hb_fusion_set_config(c->fusion, &cfg->fusion);
    hb_pid_set_config(c->pid, &cfg->pid);
    c->bb.cfg = cfg->bangbang;
    if (old != c->cfg.algo) {
        hb_pid_reset(c->pid, c->level); /* the new algorithm continues from the valve's level */
    }
    if (c->ms) {
        c->ms->mpc_cfg = cfg->mpc;
    }
    if (hb__ctl_env(c)) {
        /* A new MPC (its weights and horizon may have changed) plans at the next update. */
        hb_mpc_destroy(c->ms->mpc);
        c->ms->mpc =
            c->cfg.algo == HB_ALGO_MPC ? hb_mpc_create(&c->ms->mpc_cfg, c->ms->env->model) : NULL;
        c->ms->t_solve = -INFINITY;
    }
    return HB_OK;
}
