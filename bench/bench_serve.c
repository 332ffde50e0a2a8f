/* The server side of `heatbench serve` without HTTP: the time the router takes for one /advance of
 * 300 s on the default room (median of several days of advances), and the memory a test holds.
 * usage: bench_serve [RUNS] [SCENARIO]  (defaults 5, scenarios/default.json) */
#define _GNU_SOURCE /* mallinfo2 */
#include "../scenario/hb_scenario.h"
#include "../serve/hb_serve.h"
#include "../serve/hb_tc_room.h"
#include "../util/hb_error.h"

#include <malloc.h>
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
    hb_sim_config cfg;
    char err[512];
    if (runs < 1 || hb_scenario_load_file(file, &cfg, err, sizeof err) != HB_OK) {
        fprintf(stderr, "usage: bench_serve [RUNS] [SCENARIO] (%s)\n", runs < 1 ? "RUNS" : err);
        return 2;
    }
    hb_serve_case c = {"room", bench_room, &cfg};
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
        size_t empty = mallinfo2().uordblks;
        bench_call(s, "POST", "/testcases/room/select", "");
        mem0 = mallinfo2().uordblks - empty;
        const char *id = "/00000000-0000-4000-8000-000000000001";
        char path[96];
        snprintf(path, sizeof path, "/step%s", id);
        bench_call(s, "PUT", path, "{\"step\": 300}");
        snprintf(path, sizeof path, "/advance%s", id);
        n_adv = (int)(cfg.duration_h * 12.0);
        double t0 = bench_now();
        for (int i = 0; i < n_adv; i++) {
            bench_call(s, "POST", path, "{\"valve_u\": 0.4, \"valve_activate\": 1}");
        }
        per[r] = (bench_now() - t0) / n_adv;
        mem1 = mallinfo2().uordblks - empty;
        hb_serve_destroy(s);
    }
    qsort(per, (size_t)runs, sizeof per[0], bench_cmp);
    printf("router time per /advance of 300 s (median of %d x %d): %.4f ms\n", runs, n_adv,
           per[runs / 2] * 1e3);
    printf("memory of a test: at select %zu bytes, after %.0f h %zu bytes\n", mem0, cfg.duration_h,
           mem1);
    hb_sim_config_free(&cfg);
    return 0;
}
