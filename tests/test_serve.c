/* heatbench serve without HTTP: BOPTEST's KPIs by hand, testcase1 against BOPTEST's reference
 * state, the router's idle expiry and its determinism (hb_serve_handle is a pure function of its
 * requests and the clock it is given), and a test's bounded memory: its samples spill to an
 * unlinked file that /results reads back byte for byte, and a spill that fails is an error. */
#define _POSIX_C_SOURCE 200809L
#include "../metrics/hb_bkpi.h"
#include "../scenario/hb_scenario.h"
#include "../serve/hb_serve.h"
#include "../serve/hb_tc_room.h"
#include "hb_test.h"

#include <CUnit/CUnit.h>
#include <dirent.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void test_bkpi_by_hand(void) {
    bool src[HB_BKPI_NSRC] = {false, true, false};
    hb_bkpi k;
    hb_bkpi_init(&k, 10.0, true, src);
    /* 1 K below the band for 2 h, 1000 W of gas at 0.1 $/kWh for 2 h, then 2000 W for 15 min. */
    for (int i = 0; i <= 120; i++) {
        hb_bkpi_sample s = {.t = i * 60.0,
                            .t_air = 19.0,
                            .t_lo = 20.0,
                            .t_hi = 23.0,
                            .co2 = 1000.0,
                            .co2_hi = 900.0};
        s.power[HB_BKPI_GAS] = 1000.0;
        s.price[HB_BKPI_GAS] = 0.1;
        s.emission[HB_BKPI_GAS] = 0.2;
        hb_bkpi_add(&k, &s);
    }
    hb_bkpi_out o;
    hb_bkpi_result(&k, &o);
    HB_ASSERT_NEAR(o.tdis_tot, 2.0, 1e-9);
    HB_ASSERT_NEAR(o.idis_tot, 200.0, 1e-9);
    HB_ASSERT_NEAR(o.ener_tot, 0.2, 1e-5); /* 2 kWh / 10 m² */
    HB_ASSERT_NEAR(o.cost_tot, 0.02, 1e-6);
    HB_ASSERT_NEAR(o.emis_tot, 0.04, 1e-6);
    HB_ASSERT_NEAR(o.pgas_tot, 0.1, 1e-12); /* 1 kW / 10 m² */
    CU_ASSERT(isnan(o.pele_tot) && isnan(o.pdih_tot) && isnan(o.time_rat));
    hb_bkpi_add_ratio(&k, 0.5);
    hb_bkpi_add_ratio(&k, 1.5);
    hb_bkpi_result(&k, &o);
    HB_ASSERT_NEAR(o.time_rat, 1.0, 1e-12);
}

static int tc1(const void *arg, hb_tcase **out) {
    (void)arg;
    return hb_tc1_create(out);
}

static char *call(hb_serve *s, const char *m, const char *path, const char *body, double now,
                  int *status) {
    hb_serve_response r;
    hb_serve_handle(s, m, path, body, strlen(body), now, &r);
    *status = r.status;
    return r.body;
}

static hb_serve *server(void) {
    static hb_serve_case cases[1] = {{"testcase1", tc1, NULL}};
    hb_serve_config cfg = {.cases = cases, .n_cases = 1, .max_tests = 2, .idle_s = 10.0};
    hb_serve *s = NULL;
    CU_ASSERT_EQUAL_FATAL(hb_serve_create(&cfg, &s), 0);
    return s;
}

#define ID "00000000-0000-4000-8000-000000000001"

/* BOPTEST's testing/references/testcase1/initial_values.csv: initialised to 12 h after a 12 h
 * warm-up under the baseline, the room is at 297.96991 K. */
static void test_tc1_reference_state(void) {
    hb_serve *s = server();
    int st;
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    char *b =
        call(s, "PUT", "/initialize/" ID, "{\"start_time\":43200,\"warmup_period\":43200}", 1, &st);
    CU_ASSERT_EQUAL(st, 200);
    const char *p = b ? strstr(b, "\"TRooAir_y\":") : NULL;
    CU_ASSERT_PTR_NOT_NULL(p);
    if (!p) { /* the analyzer does not know the FATAL assertions jump out */
        free(b);
        hb_serve_destroy(s);
        return;
    }
    HB_ASSERT_NEAR(strtod(p + 12, NULL), 297.96991459565413, 2e-3);
    free(b);
    hb_serve_destroy(s);
}

static void test_expiry_and_limit(void) {
    hb_serve *s = server();
    int st;
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    CU_ASSERT_EQUAL(st, 503); /* two at most */
    free(call(s, "GET", "/kpi/" ID, "", 9, &st));
    CU_ASSERT_EQUAL(st, 200); /* asked at 9 s: alive until 19 s */
    CU_ASSERT_EQUAL(hb_serve_count(s), 2);
    free(call(s, "GET", "/version", "", 15, &st)); /* the second, idle since 0, expires */
    CU_ASSERT_EQUAL(hb_serve_count(s), 1);
    free(call(s, "GET", "/kpi/" ID, "", 30, &st));
    CU_ASSERT_EQUAL(st, 404);
    CU_ASSERT_EQUAL(hb_serve_count(s), 0);
    hb_serve_destroy(s);
}

static void test_deterministic(void) {
    static const char *const req[][3] = {
        {"POST", "/testcases/testcase1/select", ""},
        {"PUT", "/step/" ID, "{\"step\": 450}"},
        {"POST", "/advance/" ID, "{\"oveAct_u\": 1500, \"oveAct_activate\": \"true\"}"},
        {"POST", "/advance/" ID, "{\"oveAct_u\": -20000, \"oveAct_activate\": 1}"},
        {"POST", "/advance/" ID, "{}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"TRooAir_y\",\"oveAct_u\"],\"start_time\":0,\"final_time\":1e9}"},
        {"PUT", "/forecast/" ID,
         "{\"point_names\":[\"TDryBul\"],\"horizon\":3600,\"interval\":600}"},
    };
    char *out[2][7];
    for (int r = 0; r < 2; r++) {
        hb_serve *s = server();
        for (int i = 0; i < 7; i++) {
            int st;
            out[r][i] = call(s, req[i][0], req[i][1], req[i][2], i, &st);
            CU_ASSERT_EQUAL(st, 200);
        }
        hb_serve_destroy(s);
    }
    for (int i = 0; i < 7; i++) {
        CU_ASSERT_STRING_EQUAL(out[0][i], out[1][i]);
        free(out[0][i]);
        free(out[1][i]);
    }
}

/* The heap in use (glibc's arena and its mmapped blocks; under ASan's allocator, which glibc does
 * not see, it stays put and only hb_serve_memory judges). */
static size_t heap(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static int room(const void *arg, hb_tcase **out) {
    return hb_tc_room_create(arg, NULL, out);
}

/* Two weeks of 300 s steps (BOPTEST's usual test) on testcase1 and on the default room, stretched
 * to two weeks: the test's heap stays under 1 MiB (it was 3 and 8.5 MiB with every sample in
 * memory). */
static void test_two_weeks_bounded(void) {
    hb_sim_config cfg;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/default.json", &cfg, err, sizeof err), 0);
    cfg.duration_h = 14 * 24;
    hb_serve_case cases[2] = {{"testcase1", tc1, NULL}, {"default", room, &cfg}};
    const char *adv[2] = {"{\"oveAct_u\": 500, \"oveAct_activate\": 1}",
                          "{\"valve_u\": 0.4, \"valve_activate\": 1}"};
    for (int c = 0; c < 2; c++) {
        hb_serve_config sc = {.cases = cases, .n_cases = 2, .max_tests = 1, .idle_s = 1e9};
        hb_serve *s = NULL;
        CU_ASSERT_EQUAL_FATAL(hb_serve_create(&sc, &s), 0);
        size_t h0 = heap();
        int st;
        char path[96];
        snprintf(path, sizeof path, "/testcases/%.63s/select", cases[c].name);
        free(call(s, "POST", path, "", 0, &st));
        free(call(s, "PUT", "/step/" ID, "{\"step\": 300}", 0, &st));
        for (int i = 0; i < 14 * 288 && st == 200; i++) {
            free(call(s, "POST", "/advance/" ID, adv[c], 0, &st));
        }
        CU_ASSERT_EQUAL(st, 200);
        size_t h1 = heap();
        CU_ASSERT(hb_serve_memory(s) < (size_t)1024 * 1024);
        CU_ASSERT(h1 < h0 + (size_t)1024 * 1024);
        char *b = call(s, "PUT", "/results/" ID,
                       "{\"point_names\":[],\"start_time\":1209300,\"final_time\":1e9}", 0, &st);
        CU_ASSERT_EQUAL(st, 200); /* the last 300 s of two weeks: 11 samples on the 30 s grid */
        CU_ASSERT_PTR_NOT_NULL(b && strstr(b, "[1209300,1209330,"));
        CU_ASSERT_PTR_NOT_NULL(b && strstr(b, ",1209570,1209600]"));
        free(b);
        hb_serve_destroy(s);
    }
    hb_sim_config_free(&cfg);
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    while (d && readdir(d)) {
        n++;
    }
    if (d) {
        closedir(d);
    }
    return n;
}

/* The same requests to a server holding every sample in memory and to one spilling every 20
 * samples (testcase1 stores 6 doubles a sample): the same bytes, for /results over ranges on
 * disk, in memory and across both, after warm-ups that spill and after /initialize. The spill
 * file has no name and its descriptor goes with the test. */
static void test_results_across_spill(void) {
    static hb_serve_case cases[1] = {{"testcase1", tc1, NULL}};
    char dir[] = "/tmp/hb-spill-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    hb_serve_config big = {.cases = cases,
                           .n_cases = 1,
                           .max_tests = 1,
                           .idle_s = 1e9,
                           .spill_dir = dir,
                           .spill_mem_bytes = (size_t)1 << 30};
    hb_serve_config small = big;
    small.spill_mem_bytes = (size_t)20 * 6 * sizeof(double);
    hb_serve *s[2] = {NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(hb_serve_create(&big, &s[0]), 0);
    CU_ASSERT_EQUAL_FATAL(hb_serve_create(&small, &s[1]), 0);
    size_t fds0 = count_entries("/proc/self/fd");
    static const char *const req[][3] = {
        {"POST", "/testcases/testcase1/select", ""},
        {"PUT", "/initialize/" ID, "{\"start_time\": 3600, \"warmup_period\": 1800}"},
        {"PUT", "/step/" ID, "{\"step\": 450}"},
        {"POST", "/advance/" ID, "{\"oveAct_u\": 1500, \"oveAct_activate\": 1}"},
        {"POST", "/advance/" ID, "{\"oveAct_u\": -2000, \"oveAct_activate\": 1}"},
        {"POST", "/advance/" ID, "{}"},
        {"PUT", "/step/" ID, "{\"step\": 20}"}, /* once a step, not on the 30 s grid */
        {"POST", "/advance/" ID, "{\"oveAct_u\": 300, \"oveAct_activate\": 1}"},
        {"PUT", "/step/" ID, "{\"step\": 3600}"},
        {"POST", "/advance/" ID, "{}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"TRooAir_y\",\"oveAct_u\",\"oveAct_activate\",\"TRooAir_y\"],"
         "\"start_time\":0,\"final_time\":1e9}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"PHeaCoo_y\"],\"start_time\":1800,\"final_time\":2400}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"CO2RooAir_y\"],\"start_time\":2390,\"final_time\":2420}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"TRooAir_y\"],\"start_time\":4000,\"final_time\":9000}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"oveAct_u\"],\"start_time\":8000,\"final_time\":1e9}"},
        {"PUT", "/results/" ID, "{\"point_names\":[],\"start_time\":9e8,\"final_time\":1e9}"},
        {"PUT", "/results/" ID, "{\"point_names\":[],\"start_time\":5000,\"final_time\":4000}"},
        {"PUT", "/scenario/" ID, "{\"time_period\": \"test_day\"}"}, /* a week of warm-up */
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"TRooAir_y\"],\"start_time\":1e6,\"final_time\":1.2e6}"},
        {"PUT", "/initialize/" ID, "{\"start_time\": 0, \"warmup_period\": 0}"},
        {"POST", "/advance/" ID, "{}"},
        {"PUT", "/results/" ID,
         "{\"point_names\":[\"TRooAir_y\"],\"start_time\":0,\"final_time\":1e9}"},
    };
    size_t n = sizeof req / sizeof req[0];
    for (size_t i = 0; i < n; i++) {
        int st[2];
        char *b[2];
        for (int k = 0; k < 2; k++) {
            b[k] = call(s[k], req[i][0], req[i][1], req[i][2], 0, &st[k]);
        }
        CU_ASSERT_EQUAL(st[0], 200);
        CU_ASSERT_EQUAL(st[1], 200);
        CU_ASSERT_PTR_NOT_NULL(b[0]);
        CU_ASSERT(b[0] && b[1] && strcmp(b[0], b[1]) == 0);
        free(b[0]);
        free(b[1]);
        if (i == 10) { /* spilled: in memory only the latest chunk, one descriptor, no name */
            CU_ASSERT(hb_serve_memory(s[1]) + 5000 < hb_serve_memory(s[0]));
            CU_ASSERT_EQUAL(count_entries("/proc/self/fd"), fds0 + 1);
            CU_ASSERT_EQUAL(count_entries(dir), 2); /* "." and ".." */
        }
    }
    int st;
    free(call(s[1], "PUT", "/stop/" ID, "", 0, &st));
    CU_ASSERT_EQUAL(count_entries("/proc/self/fd"), fds0);
    hb_serve_destroy(s[0]);
    hb_serve_destroy(s[1]);
    CU_ASSERT_EQUAL(rmdir(dir), 0); /* empty: nothing left behind */
}

/* A spill that cannot be written (the file size limit: EFBIG, as a full disk gives ENOSPC) or
 * opened: the test answers a clear 500 on /advance and /results until initialised again; the
 * server, its other tests and the test's KPIs go on. */
static void test_spill_failure(void) {
    static hb_serve_case cases[1] = {{"testcase1", tc1, NULL}};
    hb_serve_config cfg = {.cases = cases,
                           .n_cases = 1,
                           .max_tests = 2,
                           .idle_s = 1e9,
                           .spill_mem_bytes = (size_t)20 * 6 * sizeof(double)};
    hb_serve *s = NULL;
    CU_ASSERT_EQUAL_FATAL(hb_serve_create(&cfg, &s), 0);
    struct rlimit old;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
    struct rlimit lim = {4096, old.rlim_max};
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG, not a signal that kills */
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int st = 0;
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    free(call(s, "PUT", "/step/" ID, "{\"step\": 3600}", 0, &st));
    char *b = NULL;
    for (int i = 0; i < 10 && st == 200; i++) { /* 4096 bytes: 4 chunks of 960 */
        free(b);
        b = call(s, "POST", "/advance/" ID, "{}", 0, &st);
    }
    CU_ASSERT_EQUAL(st, 500);
    CU_ASSERT_PTR_NOT_NULL(b && strstr(b, "Failed to store the results of this test: File too "
                                          "large (spill file in "));
    free(b);
    free(call(s, "POST", "/advance/" ID, "{}", 0, &st));
    CU_ASSERT_EQUAL(st, 500); /* and it stays so */
    free(call(s, "PUT", "/results/" ID, "{\"point_names\":[],\"start_time\":0,\"final_time\":1e9}",
              0, &st));
    CU_ASSERT_EQUAL(st, 500);
    free(call(s, "GET", "/kpi/" ID, "", 0, &st));
    CU_ASSERT_EQUAL(st, 200);
    free(call(s, "POST", "/advance/00000000-0000-4000-8000-000000000002", "{}", 0, &st));
    CU_ASSERT_EQUAL(st, 200); /* the other test goes on */
    free(call(s, "GET", "/version", "", 0, &st));
    CU_ASSERT_EQUAL(st, 200);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_sig);
    free(call(s, "PUT", "/initialize/" ID, "{\"start_time\": 0, \"warmup_period\": 0}", 0, &st));
    CU_ASSERT_EQUAL(st, 200);
    for (int i = 0; i < 10; i++) {
        free(call(s, "POST", "/advance/" ID, "{}", 0, &st));
        CU_ASSERT_EQUAL(st, 200);
    }
    free(call(s, "PUT", "/results/" ID, "{\"point_names\":[],\"start_time\":0,\"final_time\":1e9}",
              0, &st));
    CU_ASSERT_EQUAL(st, 200);
    hb_serve_destroy(s);

    cfg.spill_dir = "/nonexistent/heatbench";
    CU_ASSERT_EQUAL_FATAL(hb_serve_create(&cfg, &s), 0);
    free(call(s, "POST", "/testcases/testcase1/select", "", 0, &st));
    b = call(s, "PUT", "/initialize/" ID, "{\"start_time\": 86400, \"warmup_period\": 86400}", 0,
             &st);
    CU_ASSERT_EQUAL(st, 500); /* the warm-up spills */
    CU_ASSERT_PTR_NOT_NULL(b && strstr(b, "No such file or directory (spill file in "
                                          "/nonexistent/heatbench)"));
    free(b);
    hb_serve_destroy(s);
}

int hb_test_serve(void) {
    static const CU_TestInfo t[] = {
        {"BOPTEST KPIs by hand", test_bkpi_by_hand},
        {"testcase1 at BOPTEST's reference state", test_tc1_reference_state},
        {"idle expiry and the test limit", test_expiry_and_limit},
        {"the same requests, the same bytes", test_deterministic},
        {"two weeks of a test in under 1 MiB", test_two_weeks_bounded},
        {"results across the spill, byte for byte", test_results_across_spill},
        {"a spill that fails is an error, not a crash", test_spill_failure},
        CU_TEST_INFO_NULL};
    return hb_test_register("serve", t);
}
