/* The energy floor alone, in process: hb_energy_plan_solve on the default day, the away week,
 * 337 h and a year (medians of REPEATS solves, and the floor each gives, so a faster build can
 * be checked to give the same figure). The whole-process times, startup included, are
 * bench/floor_bench.sh's.
 * usage: bench_floor [REPEATS]   (default 7; the year gets a third of them, at least 3) */
#define _POSIX_C_SOURCE 200809L
#include "../scenario/hb_scenario.h"
#include "../sim/hb_energy.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double hb__fb_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int hb__fb_cmp(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One case: REPEATS solves of CFG, their median in ms; the floor into *FLOOR. */
static int hb__fb_case(const hb_sim_config *cfg, int repeats, double *median_ms, double *floor,
                       size_t *n) {
    double ms[64] = {0};
    if (repeats > 64) {
        repeats = 64;
    }
    if (repeats < 1) {
        return HB_ERR_INVAL;
    }
    for (int r = 0; r < repeats; r++) {
        hb_energy_plan plan;
        double t0 = hb__fb_now_ms();
        int rc = hb_energy_plan_solve(cfg, &plan);
        ms[r] = hb__fb_now_ms() - t0;
        *floor = plan.floor_kwh;
        *n = plan.n;
        hb_energy_plan_free(&plan);
        if (rc != HB_OK) {
            return rc;
        }
    }
    qsort(ms, (size_t)repeats, sizeof *ms, hb__fb_cmp);
    *median_ms = ms[repeats / 2];
    return HB_OK;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long rl = argc > 1 ? strtol(argv[1], &end, 10) : 7;
    int repeats = (int)(rl > 0 && rl <= 64 ? rl : 0);
    if (repeats < 1 || (end && *end)) {
        fprintf(stderr, "usage: bench_floor [REPEATS]\n");
        return 2;
    }
    struct {
        const char *label, *file;
        double hours;
        int repeats;
    } cases[] = {{"default day", NULL, 0, repeats},
                 {"away-week (168 h)", "scenarios/away-week.json", 0, repeats},
                 {"default, 337 h", NULL, 337, repeats},
                 {"default, a year (8760 h)", NULL, 8760, repeats / 3 > 3 ? repeats / 3 : 3}};
    printf("| energy floor alone (hb_energy_plan_solve) | median | intervals | floor |\n");
    printf("|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hb_sim_config cfg;
        char err[256];
        if (cases[i].file) {
            if (hb_scenario_load_file(cases[i].file, &cfg, err, sizeof err) != HB_OK) {
                fprintf(stderr, "bench_floor: %s (run from the source tree)\n", err);
                return 1;
            }
        } else {
            hb_sim_config_default(&cfg);
        }
        if (cases[i].hours > 0) {
            cfg.duration_h = cases[i].hours;
        }
        double med = 0, floor = 0;
        size_t n = 0;
        int rc = hb__fb_case(&cfg, cases[i].repeats, &med, &floor, &n);
        hb_sim_config_free(&cfg);
        if (rc != HB_OK) {
            fprintf(stderr, "bench_floor: %s: the floor failed (%d)\n", cases[i].label, rc);
            return 1;
        }
        printf("| %s | %.2f ms | %zu | %.3f kWh |\n", cases[i].label, med, n, floor);
        fflush(stdout);
    }
    return 0;
}
