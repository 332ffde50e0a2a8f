/* The server side of `heatbench serve` without HTTP: the time the router takes for one /advance of
 * 300 s on the default room (median of several days of advances), and the memory a test holds.
 * usage: bench_serve [RUNS] [SCENARIO|testcase1] [HOURS]  (defaults 5, scenarios/default.json,
 * the scenario's duration; 24 h for testcase1). HOURS longer than the scenario lengthens it, so
 * that the heap of a long test (two weeks: 336) can be measured on any room. */
#define _GNU_SOURCE /* mallinfo2 */
#include "../scenario/hb_scenario.h"
#include "../serve/hb_serve.h"
#include "../serve/hb_tc_room.h"
#include "../util/hb_error.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_room(const void *arg, hb_tcase **out) {
    return hb_tc_room_create(arg, NULL, out);
}

static int bench_tc1(const void *arg, hb_tcase **out) {
    (void)arg;
    return hb_tc1_create(out);
}

/* The heap in use: the arena's blocks and the large blocks glibc maps on their own (a test's
 * stored samples grow past its mmap threshold). */
static size_t bench_heap(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static int bench_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_call(hb_serve *s, const char *m, const char *path, const char *body) {
    hb_serve_response r;
    hb_serve_handle(s, m, path, body, strlen(body), bench_now(), &r);
    if (r.status != 200) {
        fprintf(stderr, "bench_serve: %s %s: %d %s\n", m, path, r.status, r.body);
        exit(1);
    }
    hb_serve_response_free(&r);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
    const char *file = argc > 2 ? argv[2] : "scenarios/default.json";
    double hours = argc > 3 ? strtod(argv[3], NULL) : 0.0;
    bool tc1 = strcmp(file, "testcase1") == 0;
    hb_sim_config cfg = {0};
    char err[512] = "RUNS or HOURS";
    if (runs < 1 || hours < 0.0 || hours > 8784.0 ||
        (!tc1 && hb_scenario_load_file(file, &cfg, err, sizeof err) != HB_OK)) {
        fprintf(stderr, "usage: bench_serve [RUNS] [SCENARIO|testcase1] [HOURS] (%s)\n", err);
        hb_sim_config_free(&cfg);
        return 2;
    }
    if (tc1) {
        hours = hours > 0.0 ? hours : 24.0;
    } else if (hours > cfg.duration_h) {
        cfg.duration_h = hours;
    } else if (hours <= 0.0) {
        hours = cfg.duration_h;
    }
    hb_serve_case c = {"room", bench_room, &cfg};
    if (tc1) {
        c.create = bench_tc1;
        c.arg = NULL;
    }
    hb_serve_config sc = {.cases = &c, .n_cases = 1, .max_tests = 2, .idle_s = 1e9};
    double per[64] = {0};
    size_t mem0 = 0, mem1 = 0;
    int n_adv = 0;
    runs = runs > 64 ? 64 : runs;
    for (int r = 0; r < runs; r++) {
        hb_serve *s;
        if (hb_serve_create(&sc, &s) != HB_OK) {
            return 1;
        }
        /* The heap the test takes (its simulation included), from the allocator itself. */
        size_t empty = bench_heap();
        bench_call(s, "POST", "/testcases/room/select", "");
        mem0 = bench_heap() - empty;
        const char *id = "/00000000-0000-4000-8000-000000000001";
        char path[96];
        snprintf(path, sizeof path, "/step%s", id);
        bench_call(s, "PUT", path, "{\"step\": 300}");
        snprintf(path, sizeof path, "/advance%s", id);
        n_adv = (int)(hours * 12.0);
        double t0 = bench_now();
        for (int i = 0; i < n_adv; i++) {
            bench_call(s, "POST", path,
                       tc1 ? "{\"oveAct_u\": 500, \"oveAct_activate\": 1}"
                           : "{\"valve_u\": 0.4, \"valve_activate\": 1}");
        }
        per[r] = (bench_now() - t0) / n_adv;
        mem1 = bench_heap() - empty;
        hb_serve_destroy(s);
    }
    qsort(per, (size_t)runs, sizeof per[0], bench_cmp);
    printf("router time per /advance of 300 s (median of %d x %d): %.4f ms\n", runs, n_adv,
           per[runs / 2] * 1e3);
    printf("memory of a test: at select %zu bytes, after %.0f h %zu bytes\n", mem0, hours, mem1);
    hb_sim_config_free(&cfg);
    return 0;
}
