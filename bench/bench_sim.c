/*
 * Benchmark of the simulation core: one simulated default day (5 sensors every 10 s, PID,
 * 10 s plant grid), repeated, reported as medians. The share of the plant is measured by
 * stepping the same plant alone over the same day; the rest is the engine (queue, sensors,
 * network, controller, KPIs).
 *
 * usage: bench_sim [RUNS]   (default 21)
 */
#define _POSIX_C_SOURCE 200809L
#include "../sim/hb_energy.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "../util/hb_numeric.h"

#include <gsl/gsl_rng.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wall time of one simulated day, or a negative value on failure. */
static double time_day(const hb_sim_config *c, FILE *trace, unsigned long long *events) {
    hb_sim *s;
    double t0 = now_s();
    if (hb_sim_create(c, &s) != HB_OK) {
        return -1;
    }
    hb_sim_set_trace(s, trace);
    int rc = hb_sim_run(s);
    double dt = now_s() - t0;
    *events = hb_sim_kpis(s)->events;
    hb_sim_destroy(s);
    return rc == HB_OK ? dt : -1;
}

/* Wall time of the plant alone stepping over the same day. */
static double time_plant(const hb_sim_config *c) {
    hb_plant_config pc = c->plant;
    pc.weather = &c->weather;
    pc.valve0_pct = 30;
    hb_plant *p;
    double t0 = now_s();
    if (hb_plant_create(&pc, &p) != HB_OK) {
        return -1;
    }
    long steps = (long)(c->duration_h * 3600 / pc.step_s);
    for (long i = 0; i < steps; i++) {
        hb_plant_step(p);
    }
    double dt = now_s() - t0;
    hb_plant_destroy(p);
    return dt;
}

/* The bare loop (issue 16): the same plant arithmetic and the same sensor samples as a day,
 * with no engine at all: the plant stepped in a loop, each sensor sampled at its own times
 * (the earliest of five found by a scan), no network, no fusion, no controller. What the
 * simulator costs beyond this is the price of its generality; bench/run.sh reports the ratio. */
static volatile double hb__sink;

static double time_bare(const hb_sim_config *c) {
    hb_plant_config pc = c->plant;
    pc.weather = &c->weather;
    pc.valve0_pct = 30;
    hb_plant *p;
    hb_sensor sn[HB_MAX_SENSORS];
    double next[HB_MAX_SENSORS];
    double t0 = now_s();
    if (hb_plant_create(&pc, &p) != HB_OK) {
        return -1;
    }
    size_t ns = c->n_sensors;
    for (size_t i = 0; i < ns; i++) {
        if (hb_sensor_init(&sn[i], &c->sensors[i], c->seed) != HB_OK) {
            return -1;
        }
        next[i] = pc.t_start_s + gsl_rng_uniform(sn[i].jitter) * c->sensors[i].period_s;
    }
    double end = pc.t_start_s + c->duration_h * 3600;
    double sum = 0; /* keeps the samples alive */
    while (hb_plant_time(p) < end) {
        hb_plant_step(p);
        double tp = hb_plant_time(p);
        for (;;) {
            size_t k = 0;
            for (size_t i = 1; i < ns; i++) {
                k = next[i] < next[k] ? i : k;
            }
            if (ns == 0 || next[k] > tp) {
                break;
            }
            double v;
            if (hb_sensor_sample(&sn[k], next[k], hb_plant_air_at(p, next[k]), &v)) {
                sum += v;
            }
            next[k] += hb_sensor_next_delay(&sn[k]);
        }
    }
    double dt = now_s() - t0;
    for (size_t i = 0; i < ns; i++) {
        hb_sensor_free(&sn[i]);
    }
    hb_plant_destroy(p);
    hb__sink = sum; /* the samples are used: the loop cannot be optimised away */
    return dt;
}

int main(int argc, char **argv) {
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 21;
    if (runs < 1 || runs > 10000) {
        fputs("usage: bench_sim [RUNS 1..10000]\n", stderr);
        return 2;
    }
    hb_energy_plan plan = {0};
    double *all = malloc(4 * sizeof(double) * (size_t)runs);
    FILE *devnull = fopen("/dev/null", "w");
    int status = 1;
    if (!all || !devnull) {
        goto out;
    }
    double *day = all;
    double *day_trace = all + runs;
    double *plant = all + 2 * runs;
    double *bare = all + 3 * runs;
    hb_sim_config c;
    hb_sim_config_default(&c);
    /* The energy floor is solved once before the runs, as tuning does: the figures are the
     * simulation's; the solve is timed on its own. */
    struct timespec t0;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    (void)hb_energy_plan_solve(&c, &plan);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double lp_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    c.plan = &plan;
    unsigned long long events = 0;
    for (long r = 0; r < runs; r++) {
        day[r] = time_day(&c, NULL, &events);
        day_trace[r] = time_day(&c, devnull, &events);
        plant[r] = time_plant(&c);
        bare[r] = time_bare(&c);
        if (day[r] < 0 || day_trace[r] < 0 || plant[r] < 0 || bare[r] < 0) {
            fputs("bench_sim: the default scenario failed to run\n", stderr);
            goto out;
        }
    }
    double m_day = hb_median(day, (size_t)runs);
    double best = day[0]; /* sorted by hb_median() */
    double m_trace = hb_median(day_trace, (size_t)runs);
    double m_plant = hb_median(plant, (size_t)runs);
    double m_bare = hb_median(bare, (size_t)runs);
    double best_bare = bare[0]; /* sorted too */
    printf("bench_sim: default scenario, %ld runs, medians\n", runs);
    printf("  %-36s %10.3f ms\n", "one simulated day (no trace)", m_day * 1e3);
    printf("  %-36s %10.3f ms\n", "fastest run (no trace)", best * 1e3);
    printf("  %-36s %10.3f ms\n", "one simulated day (trace, 1440 rows)", m_trace * 1e3);
    printf("  %-36s %10.0f x\n", "simulated time / wall time", c.duration_h * 3600 / m_day);
    printf("  %-36s %10llu\n", "events dispatched per day", events);
    printf("  %-36s %10.1f ns\n", "wall time per event", m_day / (double)events * 1e9);
    printf("  %-36s %10.1f %%\n", "plant share", 100 * m_plant / m_day);
    printf("  %-36s %10.1f %%\n", "engine, sensors, network, controller",
           100 * (1 - m_plant / m_day));
    printf("  %-36s %10.3f ms\n", "bare loop (plant + samples, no engine)", m_bare * 1e3);
    printf("  %-36s %10.2f x\n", "one simulated day / bare loop", m_day / m_bare);
    /* On a shared machine the fastest run of each is the least disturbed: their ratio moves
     * least from one invocation to the next. */
    printf("  %-36s %10.2f x\n", "fastest day / fastest bare loop", best / best_bare);
    printf("  %-36s %10s\n", "target", "<= 5 ms per day");
    printf("  %-36s %10.3f ms\n", "energy floor LP (once per scenario)", lp_s * 1e3);
    status = 0;
out:
    if (devnull) {
        fclose(devnull);
    }
    hb_energy_plan_free(&plan);
    free(all);
    return status;
}
