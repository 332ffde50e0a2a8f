/* The MPC's cost: the time of one plan (a GLPK solve of the default 24 h horizon, warm-started
 * from the previous basis as in the loop) and of a whole simulated day with the MPC against the
 * same day with the PID. Medians, since the machine is shared.
 * usage: bench_mpc [REPEATS] [SCENARIO]   (default 5, the built-in night setback below) */
#define _POSIX_C_SOURCE 200809L
#include "../scenario/hb_scenario.h"
#include "../sim/hb_belief.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double hb__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int hb__cmp(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double hb__pct(double *v, size_t n, double p) {
    qsort(v, n, sizeof *v, hb__cmp);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* A day of plans on the model itself: every 15 minutes a plan, the model moved on by its first
 * step, each solve timed. */
static int hb__solves(const hb_sim_config *cfg, double *ms, size_t *n_ms, double *cold_ms) {
    hb_sim_config c = *cfg;
    hb_schedule sched = c.schedule;
    if (sched.n_periods > 0 && hb_schedule_prepare(&sched, NULL, 0) != HB_OK) {
        return HB_ERR_INVAL;
    }
    hb_belief b;
    int rc = hb_belief_init(&b, &c, &c.weather, sched.n_periods > 0 ? &sched : NULL);
    hb_mpc *m = rc == HB_OK ? hb_mpc_create(&c.controller.mpc, &b.model) : NULL;
    hb_room_disc d;
    if (!m || hb_room_model_disc(&b.model, c.controller.mpc.step_s, &d) != HB_OK) {
        hb_mpc_destroy(m);
        hb_belief_free(&b);
        return HB_ERR_NOMEM;
    }
    double x[HB_RM_N] = {c.plant.t_air0_c, c.plant.t_air0_c - 0.8, 0, 0};
    double q = 0;
    size_t n = 0;
    int steps = (int)(86400.0 / c.controller.mpc.step_s);
    for (int k = 0; k < steps; k++) {
        double t = c.plant.t_start_s + k * c.controller.mpc.step_s;
        double t0 = hb__now_ms();
        rc = hb_mpc_solve(m, t, x, q, &b.env);
        double dt = hb__now_ms() - t0;
        if (rc != HB_OK) {
            break;
        }
        if (n == 0) {
            *cold_ms = dt;
        } else {
            ms[n - 1] = dt;
        }
        n++;
        q = hb_mpc_heat_at(m, t);
        hb_room_inputs in;
        b.env.forecast.fn(b.env.forecast.ud, t + 0.5 * c.controller.mpc.step_s, &in);
        double w[HB_RM_W] = {q, in.t_out, in.q_air, in.q_mass};
        hb_room_disc_step(&d, x, w);
    }
    *n_ms = n > 0 ? n - 1 : 0;
    hb_mpc_destroy(m);
    hb_belief_free(&b);
    return rc;
}

static double hb__day_ms(const hb_sim_config *cfg, enum hb_algo algo) {
    hb_sim_config c = *cfg;
    c.controller.algo = algo;
    double t0 = hb__now_ms();
    hb_sim *s;
    if (hb_sim_create(&c, &s) != HB_OK) {
        return -1;
    }
    int rc = hb_sim_run(s);
    hb_sim_destroy(s);
    return rc == HB_OK ? hb__now_ms() - t0 : -1;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
    if (reps < 1 || reps > 1000) {
        fprintf(stderr, "usage: bench_mpc [REPEATS 1..1000] [SCENARIO]\n");
        return 2;
    }
    hb_sim_config cfg;
    char err[1024];
    if (argc > 2) {
        if (hb_scenario_load_file(argv[2], &cfg, err, sizeof err) != HB_OK) {
            fprintf(stderr, "bench_mpc: %s\n", err);
            return 2;
        }
    } else {
        hb_sim_config_default(&cfg);
    }
    enum { MAXS = 400 * 10 };
    static double solves[MAXS];
    size_t n_all = 0;
    double colds[64] = {0};
    for (int r = 0; r < reps && r < 64; r++) {
        size_t n = 0;
        double cold = 0;
        if (hb__solves(&cfg, solves + n_all, &n, &cold) != HB_OK) {
            fprintf(stderr, "bench_mpc: a plan failed\n");
            return 1;
        }
        n_all += n;
        colds[r] = cold;
        if (n_all + 400 > MAXS) {
            break;
        }
    }
    double days_mpc[64] = {0};
    double days_pid[64] = {0};
    int nd = reps < 64 ? reps : 64;
    for (int r = 0; r < nd; r++) {
        days_pid[r] = hb__day_ms(&cfg, HB_ALGO_PID);
        days_mpc[r] = hb__day_ms(&cfg, HB_ALGO_MPC);
    }
    double mp = hb__pct(days_mpc, (size_t)nd, 0.5);
    double pp = hb__pct(days_pid, (size_t)nd, 0.5);
    printf("scenario %s, horizon %.0f h in %.0f s steps, %d repeats\n", cfg.name,
           cfg.controller.mpc.horizon_h, cfg.controller.mpc.step_s, reps);
    printf("one MPC solve, warm start (median)      %8.3f ms\n", hb__pct(solves, n_all, 0.5));
    printf("one MPC solve, warm start (p90)         %8.3f ms\n", hb__pct(solves, n_all, 0.9));
    printf("one MPC solve, warm start (max)         %8.3f ms\n", hb__pct(solves, n_all, 1.0));
    printf("first MPC solve, cold start (median)    %8.3f ms\n",
           hb__pct(colds, (size_t)(reps < 64 ? reps : 64), 0.5));
    printf("one simulated day with the MPC (median) %8.1f ms\n", mp);
    printf("one simulated day with the PID (median) %8.1f ms\n", pp);
    printf("MPC day / PID day                       %8.1f x\n", pp > 0 ? mp / pp : 0);
    hb_sim_config_free(&cfg);
    return 0;
}
