#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "../sim/hb_sim.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *csv;
    size_t len;
    hb_kpis k;
} run_out;

/* Runs C in advances of STEP seconds (0: one run) and keeps the trace and KPIs. */
static int run_chunked(const hb_sim_config *c, double step, run_out *o) {
    hb_sim *s;
    int rc = hb_sim_create(c, &s);
    if (rc != HB_OK) {
        return rc;
    }
    FILE *f = open_memstream(&o->csv, &o->len);
    if (!f) {
        hb_sim_destroy(s);
        return HB_ERR_NOMEM;
    }
    hb_sim_set_trace(s, f);
    double end = hb_sim_end_time(s);
    for (double t = c->plant.t_start_s + step; step > 0 && rc == HB_OK && t < end; t += step) {
        rc = hb_sim_advance(s, t);
    }
    if (rc == HB_OK) {
        rc = hb_sim_run(s);
    }
    fclose(f);
    o->k = *hb_sim_kpis(s);
    hb_sim_destroy(s);
    return o->csv ? rc : HB_ERR_NOMEM;
}

static int run(const hb_sim_config *c, run_out *o) {
    return run_chunked(c, 0.0, o);
}

static void test_determinism(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    run_out a = {0};
    run_out b = {0};
    run_out d = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &a), HB_OK);
    CU_ASSERT_EQUAL_FATAL(run(&c, &b), HB_OK);
    c.seed = 2;
    CU_ASSERT_EQUAL_FATAL(run(&c, &d), HB_OK);
    CU_ASSERT(a.len > 100000);
    CU_ASSERT_EQUAL(a.len, b.len);
    CU_ASSERT(a.len == b.len && a.csv && b.csv &&
              memcmp(a.csv, b.csv, a.len) == 0); /* byte-identical */
    CU_ASSERT(a.len != d.len || !a.csv || !d.csv ||
              memcmp(a.csv, d.csv, a.len) != 0); /* other noise */
    free(a.csv);
    free(b.csv);
    free(d.csv);
}

static void test_default_file_is_builtin(void) {
    hb_sim_config c;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/default.json", &c, msg, sizeof msg), HB_OK);
    hb_sim_config d;
    hb_sim_config_default(&d);
    run_out a = {0};
    run_out b = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &a), HB_OK);
    CU_ASSERT_EQUAL_FATAL(run(&d, &b), HB_OK);
    CU_ASSERT(a.len == b.len && a.csv && b.csv && memcmp(a.csv, b.csv, a.len) == 0);
    free(a.csv);
    free(b.csv);
    hb_sim_config_free(&c);
}

/* The acceptance figure of the core: the default day holds 22 ± 0.5 °C after warm-up. */
static void test_default_day_holds_band(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    run_out o = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &o), HB_OK);
    CU_ASSERT(o.k.max_overshoot_k < 0.5);
    CU_ASSERT(o.k.max_undershoot_k < 0.5);
    CU_ASSERT_EQUAL(o.k.discomfort_kh, 0.0);
    CU_ASSERT(o.k.energy_ratio <= 1.15);
    CU_ASSERT(o.k.energy_ratio > 0.8);
    CU_ASSERT(o.k.readings_published == 5L * 24 * 360);
    free(o.csv);
}

static void test_energy_balance_closes(void) {
    static const char *files[] = {"default.json", "window-open.json", "mild-sunny.json",
                                  "cold-snap.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        char msg[512];
        snprintf(path, sizeof path, "%s/scenarios/%s", HB_SOURCE_DIR, files[i]);
        hb_sim_config c;
        CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, msg, sizeof msg), HB_OK);
        run_out o = {0};
        CU_ASSERT_EQUAL_FATAL(run(&c, &o), HB_OK);
        CU_ASSERT(o.k.balance_error < 0.005);
        CU_ASSERT(o.k.energy_kwh > 1.0);
        free(o.csv);
        hb_sim_config_free(&c);
    }
}

/* The noise of sensor-1 comes from its own stream: adding a sixth sensor leaves its readings
 * unchanged (the controller is frozen so the room itself is the same in both runs). */
static void test_added_sensor_keeps_noise(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    c.duration_h = 2;
    c.controller.update_s = 86400;
    c.controller.heartbeat_s = 86400;
    c.controller.pid.kp = 0; /* the level stays at the start level whenever the PID starts */
    c.controller.pid.ki = 0;
    run_out a = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &a), HB_OK);
    c.sensors[5] = c.sensors[0];
    snprintf(c.sensors[5].id, sizeof c.sensors[5].id, "sensor-6");
    c.n_sensors = 6;
    c.controller.fusion.expected_sensors = 6;
    run_out b = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &b), HB_OK);
    /* Compare the sensor_1 column (6th field) row by row. */
    char *sa = NULL;
    char *sb = NULL;
    char *la = strtok_r(a.csv, "\n", &sa);
    char *lb = strtok_r(b.csv, "\n", &sb);
    int rows = 0;
    int same = 1;
    while (la && lb) {
        char fa[32] = "";
        char fb[32] = "";
        sscanf(la, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%31[^,]", fa);
        sscanf(lb, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%31[^,]", fb);
        same &= strcmp(fa, fb) == 0;
        rows++;
        la = strtok_r(NULL, "\n", &sa);
        lb = strtok_r(NULL, "\n", &sb);
    }
    CU_ASSERT(rows > 100);
    CU_ASSERT_TRUE(same);
    free(a.csv);
    free(b.csv);
}

static void test_stuck_sensor_day(void) {
    hb_sim_config c;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/stuck-sensor.json", &c, msg, sizeof msg),
        HB_OK);
    run_out o = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &o), HB_OK);
    CU_ASSERT_EQUAL(o.k.discomfort_kh, 0.0); /* a sensor at 30 °C does not freeze the room */
    CU_ASSERT(o.k.max_undershoot_k < 0.5);
    free(o.csv);
    hb_sim_config_free(&c);
}

static void test_pid_beats_bangbang(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    run_out pid = {0};
    run_out bb = {0};
    CU_ASSERT_EQUAL_FATAL(run(&c, &pid), HB_OK);
    c.controller.algo = HB_ALGO_BANGBANG;
    CU_ASSERT_EQUAL_FATAL(run(&c, &bb), HB_OK);
    CU_ASSERT(pid.k.rmse_k < bb.k.rmse_k);
    CU_ASSERT(pid.k.valve_travel_pct < bb.k.valve_travel_pct);
    free(pid.csv);
    free(bb.csv);
}

/* hb_sim_finish may be called again (heatbench live finishes on SIGINT): the KPIs stay the same;
 * the fail-safe hours used to be added twice. */
static void test_finish_twice(void) {
    hb_sim_config c;
    char msg[512];
    CU_ASSERT_EQUAL_FATAL(
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/lossy-network.json", &c, msg, sizeof msg),
        HB_OK);
    c.duration_h = 14.0; /* ends inside the silence: the fail-safe interval is still open */
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    hb_kpis once = *hb_sim_kpis(s);
    CU_ASSERT_EQUAL(hb_sim_finish(s), HB_OK);
    CU_ASSERT(once.failsafe_h > 0);
    CU_ASSERT_EQUAL(hb_sim_kpis(s)->failsafe_h, once.failsafe_h);
    CU_ASSERT_EQUAL(hb_sim_kpis(s)->discomfort_kh, once.discomfort_kh);
    hb_sim_destroy(s);
    hb_sim_config_free(&c);
}

/* A reading that arrives before anything else can happen goes to the controller without the
 * queue (issue 16). Advancing in 50 ms steps sends most of them through the queue instead (their
 * arrival lies beyond the step's end), and nothing may tell the two apart: same trace, same KPIs,
 * the events counted alike. Lost readings and commands on the lossy link included. */
static void test_direct_readings_as_queued(void) {
    static const char *files[] = {"default.json", "lossy-network.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        char msg[512];
        hb_sim_config c;
        snprintf(path, sizeof path, "%s/scenarios/%s", HB_SOURCE_DIR, files[i]);
        CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, msg, sizeof msg), HB_OK);
        c.duration_h = 4.0;
        run_out once = {0};
        run_out chunked = {0};
        CU_ASSERT_EQUAL(run(&c, &once), HB_OK);
        CU_ASSERT_EQUAL(run_chunked(&c, 0.05, &chunked), HB_OK);
        CU_ASSERT(once.len > 10000);
        CU_ASSERT(once.csv && chunked.csv && once.len == chunked.len &&
                  memcmp(once.csv, chunked.csv, once.len) == 0);
        CU_ASSERT_EQUAL(once.k.events, chunked.k.events);
        CU_ASSERT_EQUAL(once.k.actuator_msgs, chunked.k.actuator_msgs);
        CU_ASSERT_EQUAL(once.k.readings_lost, chunked.k.readings_lost);
        CU_ASSERT_EQUAL(once.k.rmse_k, chunked.k.rmse_k);
        CU_ASSERT_EQUAL(once.k.energy_kwh, chunked.k.energy_kwh);
        free(once.csv);
        free(chunked.csv);
        hb_sim_config_free(&c);
    }
}

int hb_test_sim(void) {
    static const CU_TestInfo t[] = {
        {"same seed: byte-identical trace; other seed: different", test_determinism},
        {"scenarios/default.json runs exactly like the built-in default",
         test_default_file_is_builtin},
        {"default day holds 22 +- 0.5 after warm-up, energy ratio <= 1.15",
         test_default_day_holds_band},
        {"energy balance closes within 0.5 %", test_energy_balance_closes},
        {"an added sensor leaves the others' noise alone", test_added_sensor_keeps_noise},
        {"a sensor stuck at 30 C does not disturb control", test_stuck_sensor_day},
        {"PID beats bang-bang on RMSE and valve travel", test_pid_beats_bangbang},
        {"finishing twice changes no KPI", test_finish_twice},
        {"readings delivered without the queue: as through it", test_direct_readings_as_queued},
        CU_TEST_INFO_NULL};
    return hb_test_register("sim", t);
}
