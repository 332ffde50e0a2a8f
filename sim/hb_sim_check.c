/*
 * The checks a room-simulation configuration must pass before it runs, with messages that name
 * the scenario key to change. Shared by the scenario loader (`check`, `run FILE`, `tune`) and by
 * the CLI after its overrides (`--hours`), so nothing that passes here can hang a run.
 */
#include "../util/hb_error.h"
#include "hb_sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* Lower bounds below which a run does no useful work, only more of it. */
#define HB__MIN_PLANT_STEP_S 0.1
#define HB__MIN_UPDATE_S 1.0
/* The most events (plant steps, sensor samples, controller ticks, trace rows) one run may take:
 * about a minute of CPU; a century at the default settings is 1.8e9, so long studies need
 * longer periods. */
#define HB__MAX_WORK 2e9
/* One MPC plan costs about this many events per step of its horizon (measured: 1.5 ms for the
 * default 96 steps, an event about 30 ns), so a year of default plans is about 1.7e9. */
#define HB__EVENTS_PER_PLAN_STEP 500.0

static int hb__fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
        va_end(ap);
    }
    return HB_ERR_RANGE;
}

/* The work of the MPC's plans alone (0 for other controllers). */
static double hb__plan_work(const hb_sim_config *c) {
    const hb_mpc_config *m = &c->controller.mpc;
    if (c->controller.algo != HB_ALGO_MPC || !(m->step_s > 0)) {
        return 0.0;
    }
    double steps = ceil(m->horizon_h * 3600.0 / m->step_s);
    return c->duration_h * 3600.0 / m->step_s * steps * HB__EVENTS_PER_PLAN_STEP;
}

double hb_sim_config_work(const hb_sim_config *c) {
    double span = c->duration_h * 3600.0;
    double work = span / c->plant.step_s + span / c->controller.update_s + hb__plan_work(c);
    work += span / c->trace_interval_s;
    for (size_t i = 0; i < c->n_sensors; i++) {
        work += span / c->sensors[i].period_s;
    }
    return work;
}

int hb_sim_config_bounds(const hb_sim_config *c, char *err, size_t errlen) {
    if (!(c->plant.step_s >= HB__MIN_PLANT_STEP_S)) {
        return hb__fail(err, errlen, "plant_step_s: expected at least %g s, got %g s",
                        HB__MIN_PLANT_STEP_S, c->plant.step_s);
    }
    if (!(c->controller.update_s >= HB__MIN_UPDATE_S)) {
        return hb__fail(err, errlen, "controller.update_s: expected at least %g s, got %g s",
                        HB__MIN_UPDATE_S, c->controller.update_s);
    }
    for (size_t i = 0; i < c->n_sensors; i++) {
        if (!(c->sensors[i].period_s > 0)) {
            return hb__fail(err, errlen, "sensors[%zu].period_s: expected more than 0 s", i);
        }
    }
    if (!(c->duration_h > 0) || !(c->trace_interval_s > 0)) {
        return hb__fail(err, errlen, "duration_h and trace_interval_s: expected more than 0");
    }
    const hb_mpc_config *m = &c->controller.mpc;
    if (c->controller.algo == HB_ALGO_MPC && hb_mpc_check(m) != HB_OK) {
        double steps = m->step_s > 0 ? ceil(m->horizon_h * 3600.0 / m->step_s) : 0;
        return hb__fail(err, errlen,
                        "controller.mpc.horizon_h and controller.mpc.step_s: a plan of %g steps "
                        "(%g h in %g s steps); expected 1 to %d: lengthen step_s or shorten "
                        "horizon_h",
                        steps, m->horizon_h, m->step_s, HB_MPC_MAX_STEPS);
    }
    double work = hb_sim_config_work(c);
    double plans = hb__plan_work(c);
    if (!(work <= HB__MAX_WORK) && plans > 0.5 * work) {
        return hb__fail(err, errlen,
                        "controller.mpc: %g h of plans every %g s over %g h is about %.3g "
                        "simulation events of work, more than the %.0e one run may take; "
                        "lengthen controller.mpc.step_s, shorten controller.mpc.horizon_h or "
                        "duration_h",
                        c->duration_h, c->controller.mpc.step_s, c->controller.mpc.horizon_h, work,
                        HB__MAX_WORK);
    }
    if (!(work <= HB__MAX_WORK)) {
        return hb__fail(err, errlen,
                        "duration_h: %g h at these periods is %.3g simulation events, more than "
                        "the %.0e one run may take; shorten duration_h or lengthen plant_step_s, "
                        "sensors[].period_s or controller.update_s",
                        c->duration_h, work, HB__MAX_WORK);
    }
    return HB_OK;
}

int hb_sim_config_check(const hb_sim_config *c, char *err, size_t errlen) {
    int rc = hb_sim_config_bounds(c, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    /* The plant itself: its fastest mode (a tiny radiator or air capacity) may need more
     * integration sub-steps per plant step than the integrator allows. */
    hb_plant_config pc = c->plant;
    pc.weather = &c->weather;
    hb_plant *p = NULL;
    rc = hb_plant_create(&pc, &p);
    hb_plant_destroy(p);
    if (rc == HB_ERR_RANGE) {
        return hb__fail(err, errlen,
                        "radiator.capacity_kj_per_k, room.air_capacity_kj_per_k or plant_step_s: "
                        "the plant's fastest mode needs more integration sub-steps per "
                        "plant_step_s (%g s) than allowed; give the radiator or the air more "
                        "capacity, or shorten plant_step_s",
                        c->plant.step_s);
    }
    if (rc != HB_OK) {
        return hb__fail(err, errlen, "the plant cannot be set up: %s", hb_strerror(rc));
    }
    return HB_OK;
}
