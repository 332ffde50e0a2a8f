#include "hb_room_ctl.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

/* What a room controller keeps of its configuration: the fusion, PID and bang-bang settings live
 * in those objects, so a daemon with thousands of rooms does not store them twice. */
typedef struct hb__ctl_settings {
    enum hb_algo algo;
    double setpoint_c, update_s, filter_s, failsafe_level, failsafe_hold_s, failsafe_avg_s,
        deadband_pct, min_interval_s, heartbeat_s, quorum_wait_s;
    int quorum; /* already capped by the fusion's expected_sensors */
} hb__ctl_settings;

struct hb_room_ctl {
    hb__ctl_settings cfg;
    hb_fusion *fusion;
    hb_pid *pid;
    hb_bangbang bb;
    bool updated;    /* at least one update ran */
    double t_update; /* time of the last update */
    bool started;    /* the algorithm runs: a quorum was reached (see the header) */
    double t_wait;   /* since when readings come without a quorum, NaN when not waiting */
    double est;      /* filtered estimate, NaN before the first start */
    bool failsafe;
    double t_silent; /* when the readings went stale */
    double avg;      /* mean level while controlling, NaN before any control */
    int level;       /* latest computed level */
    bool sent;       /* at least one command published */
    int level_sent;
    double t_sent;
};

int hb_room_ctl_check(const hb_room_ctl_config *cfg) {
    bool ok = cfg && cfg->update_s > 0 && cfg->filter_s >= 0 && cfg->deadband_pct >= 0 &&
              cfg->min_interval_s >= 0 && cfg->heartbeat_s > 0 && isfinite(cfg->setpoint_c) &&
              cfg->failsafe_level >= 0 && cfg->failsafe_level <= 100 && cfg->failsafe_hold_s >= 0 &&
              cfg->failsafe_avg_s > 0 && cfg->quorum >= 1 && cfg->quorum_wait_s >= 0 &&
              cfg->initial_level >= 0 && cfg->initial_level <= 100 &&
              hb_fusion_check(&cfg->fusion) == HB_OK && hb_pid_check(&cfg->pid) == HB_OK;
    return ok ? HB_OK : HB_ERR_INVAL;
}

static hb__ctl_settings hb__settings(const hb_room_ctl_config *cfg) {
    int expected = (int)cfg->fusion.expected_sensors;
    return (hb__ctl_settings){.algo = cfg->algo,
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

hb_room_ctl *hb_room_ctl_create(const hb_room_ctl_config *cfg) {
    if (hb_room_ctl_check(cfg) != HB_OK) {
        return NULL;
    }
    hb_room_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->cfg = hb__settings(cfg);
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
    return c;
}

void hb_room_ctl_destroy(hb_room_ctl *c) {
    if (c) {
        hb_fusion_destroy(c->fusion);
        hb_pid_destroy(c->pid);
        free(c);
    }
}

int hb_room_ctl_reading(hb_room_ctl *c, double t, const char *sensor_id, double value) {
    return hb_fusion_add(c->fusion, t, sensor_id, value);
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
    if (t - c->t_silent >= c->cfg.failsafe_hold_s || isnan(c->est)) {
        c->level = hb__clamp_level(isnan(c->avg) ? c->cfg.failsafe_level : c->avg);
    }
}

static void hb__update(hb_room_ctl *c, double t) {
    double raw;
    int agree = 0;
    double dt = c->updated ? t - c->t_update : 0.0;
    c->updated = true;
    c->t_update = t;
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
        hb_pid_reset(c->pid, c->level);
    }
    if (c->cfg.filter_s > 0) {
        c->est += (1.0 - exp(-dt / c->cfg.filter_s)) * (raw - c->est);
    } else {
        c->est = raw;
    }
    assert(isfinite(c->est));
    double u;
    switch (c->cfg.algo) {
    case HB_ALGO_BANGBANG:
        u = hb_bangbang_update(&c->bb, c->cfg.setpoint_c, c->est);
        break;
    case HB_ALGO_PID:
    default:
        u = hb_pid_update(c->pid, t, c->cfg.setpoint_c, c->est);
        break;
    }
    c->level = hb__clamp_level(u);
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
    if (!c->updated || !c->started || t - c->t_update >= c->cfg.update_s - 1e-6) {
        hb__update(c, t);
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

void hb_room_ctl_resend(hb_room_ctl *c) {
    c->sent = false; /* "never sent": the first-command rule publishes at the next poll */
}

void hb_room_ctl_set_setpoint(hb_room_ctl *c, double setpoint_c) {
    c->cfg.setpoint_c = setpoint_c;
}

int hb_room_ctl_reconfigure(hb_room_ctl *c, const hb_room_ctl_config *cfg) {
    if (hb_room_ctl_check(cfg) != HB_OK) {
        return HB_ERR_INVAL;
    }
    enum hb_algo old = c->cfg.algo;
    c->cfg = hb__settings(cfg);
    hb_fusion_set_config(c->fusion, &cfg->fusion);
    hb_pid_set_config(c->pid, &cfg->pid);
    c->bb.cfg = cfg->bangbang;
    if (old != c->cfg.algo) {
        hb_pid_reset(c->pid, c->level); /* the new algorithm continues from the valve's level */
    }
    return HB_OK;
}
