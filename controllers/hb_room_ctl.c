#include "hb_room_ctl.h"
#include "../util/hb_error.h"

#include <math.h>
#include <stdlib.h>

/* What a room controller keeps of its configuration: the fusion, PID and bang-bang settings live
 * in those objects, so a daemon with thousands of rooms does not store them twice. */
typedef struct hb__ctl_settings {
    enum hb_algo algo;
    double setpoint_c, update_s, filter_s, failsafe_level, failsafe_hold_s, deadband_pct,
        min_interval_s, heartbeat_s;
} hb__ctl_settings;

struct hb_room_ctl {
    hb__ctl_settings cfg;
    hb_fusion *fusion;
    hb_pid *pid;
    hb_bangbang bb;
    bool updated;    /* at least one update ran */
    double t_update; /* time of the last update */
    double est;      /* filtered estimate, NaN before the first fresh reading */
    bool failsafe;
    double t_silent; /* when the readings went stale */
    int level;       /* latest computed level */
    bool sent;       /* at least one command published */
    int level_sent;
    double t_sent;
};

hb_room_ctl *hb_room_ctl_create(const hb_room_ctl_config *cfg) {
    if (!cfg || !(cfg->update_s > 0) || !(cfg->filter_s >= 0) || !(cfg->deadband_pct >= 0) ||
        !(cfg->min_interval_s >= 0) || !(cfg->heartbeat_s > 0) || !isfinite(cfg->setpoint_c) ||
        !(cfg->failsafe_level >= 0 && cfg->failsafe_level <= 100) || !(cfg->failsafe_hold_s >= 0)) {
        return NULL;
    }
    hb_room_ctl *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->cfg = (hb__ctl_settings){.algo = cfg->algo,
                                .setpoint_c = cfg->setpoint_c,
                                .update_s = cfg->update_s,
                                .filter_s = cfg->filter_s,
                                .failsafe_level = cfg->failsafe_level,
                                .failsafe_hold_s = cfg->failsafe_hold_s,
                                .deadband_pct = cfg->deadband_pct,
                                .min_interval_s = cfg->min_interval_s,
                                .heartbeat_s = cfg->heartbeat_s};
    c->fusion = hb_fusion_create(&cfg->fusion);
    c->pid = hb_pid_create(&cfg->pid);
    if (!c->fusion || !c->pid) {
        hb_room_ctl_destroy(c);
        return NULL;
    }
    hb_pid_reset(c->pid, cfg->initial_level);
    hb_bangbang_init(&c->bb, &cfg->bangbang);
    c->est = NAN;
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

static void hb__update(hb_room_ctl *c, double t) {
    double raw;
    double dt = c->updated ? t - c->t_update : 0.0;
    c->updated = true;
    c->t_update = t;
    if (hb_fusion_estimate(c->fusion, t, &raw, NULL, NULL) != HB_OK) {
        if (!c->failsafe) {
            c->failsafe = true;
            c->t_silent = t;
        }
        /* A short silence (a gateway reboot, a radio hiccup) keeps the last level, which was
         * right a moment ago; only a long one falls back to the fixed safe level. */
        if (t - c->t_silent >= c->cfg.failsafe_hold_s || isnan(c->est)) {
            c->level = (int)lround(c->cfg.failsafe_level);
        }
        return;
    }
    if (c->failsafe) {
        /* Back from fail-safe: continue from the fail-safe level, not from a stale integral. */
        c->failsafe = false;
        hb_pid_reset(c->pid, c->level);
    }
    if (isnan(c->est) || c->cfg.filter_s <= 0) {
        c->est = raw;
    } else {
        c->est += (1.0 - exp(-dt / c->cfg.filter_s)) * (raw - c->est);
    }
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
    long l = lround(u);
    c->level = l < 0 ? 0 : (l > 100 ? 100 : (int)l);
}

bool hb_room_ctl_poll(hb_room_ctl *c, double t, int *level) {
    /* A small tolerance so a timer that fires a hair early still counts as on time. */
    if (!c->updated || t - c->t_update >= c->cfg.update_s - 1e-6) {
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

void hb_room_ctl_resend(hb_room_ctl *c) {
    c->sent = false; /* "never sent": the first-command rule publishes at the next poll */
}

void hb_room_ctl_set_setpoint(hb_room_ctl *c, double setpoint_c) {
    c->cfg.setpoint_c = setpoint_c;
}
