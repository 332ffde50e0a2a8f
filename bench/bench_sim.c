/*
 * Benchmark of the simulation core: one simulated default day (5 sensors every 10 s, PID,
 * 10 s plant grid), repeated, reported as medians. The share of the plant is measured by
 * stepping the same plant alone over the same day; the rest is the engine (queue, sensors,
 * network, controller, KPIs).
 *
 * usage: bench_sim [RUNS]   (default 21)
 */
#define _POSIX_C_SOURCE 200809L
#include "../engine/hb_sim.h"
#include "../util/hb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 21;
    if (runs < 1 || runs > 10000) {
        fprintf(stderr, "usage: bench_sim [RUNS 1..10000]\n");
        return 2;
    }
    double *day = malloc(sizeof(double) * (size_t)runs);
    double *day_trace = malloc(sizeof(double) * (size_t)runs);
    double *plant = malloc(sizeof(double) * (size_t)runs);
    FILE *devnull = fopen("/dev/null", "w");
    if (!day || !day_trace || !plant || !devnull) {
        return 1;
    }
    hb_sim_config c;
    hb_sim_config_default(&c);
    unsigned long long events = 0;
    for (int r = 0; r < runs; r++) {
        for (int with_trace = 0; with_trace < 2; with_trace++) {
            hb_sim *s;
            double t0 = now_s();
            if (hb_sim_create(&c, &s) != HB_OK) {
                return 1;
            }
            if (with_trace) {
                hb_sim_set_trace(s, devnull);
            }
            if (hb_sim_run(s) != HB_OK) {
                return 1;
            }
            double dt = now_s() - t0;
            events = hb_sim_kpis(s)->events;
            hb_sim_destroy(s);
            (with_trace ? day_trace : day)[r] = dt;
        }
        /* The plant alone over the same day. */
        hb_plant_config pc = c.plant;
        pc.weather = &c.weather;
        pc.valve0_pct = 30;
        hb_plant *p;
        double t0 = now_s();
        if (hb_plant_create(&pc, &p) != HB_OK) {
            return 1;
        }
        long steps = (long)(c.duration_h * 3600 / pc.step_s);
        for (long i = 0; i < steps; i++) {
            hb_plant_step(p);
        }
        plant[r] = now_s() - t0;
        hb_plant_destroy(p);
    }
    double m_day = median(day, runs);
    double m_trace = median(day_trace, runs);
    double m_plant = median(plant, runs);
    printf("bench_sim: default scenario, %d runs, medians\n", runs);
    printf("  %-34s %10.3f ms\n", "one simulated day (no trace)", m_day * 1e3);
    printf("  %-34s %10.3f ms\n", "one simulated day (trace, 1440 rows)", m_trace * 1e3);
    printf("  %-34s %10.0f x\n", "simulated time / wall time", c.duration_h * 3600 / m_day);
    printf("  %-34s %10llu\n", "events dispatched per day", events);
    printf("  %-34s %10.1f ns\n", "wall time per event", m_day / (double)events * 1e9);
    printf("  %-34s %10.1f %%\n", "plant share (8640 RK4 steps)", 100 * m_plant / m_day);
    printf("  %-34s %10.1f %%\n", "engine, sensors, controller share", 100 * (1 - m_plant / m_day));
    printf("  %-34s %10s\n", "target", "<= 5 ms per day");
    fclose(devnull);
    free(day);
    free(day_trace);
    free(plant);
    return m_day <= 0.005 ? 0 : 3;
}
