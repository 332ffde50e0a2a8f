/* Identification (field/hb_ident.h): a room unlike the default, simulated, then fitted from
 * its trace with the default as the base; and what a bad trace gets. */
#define _POSIX_C_SOURCE 200809L
#include "../sim/hb_sim.h"
#include "../field/hb_ident.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default day with the room of BASE changed as a different room would be. */
static void hb__other_room(hb_sim_config *c, double hours) {
    hb_sim_config_default(c);
    c->duration_h = hours;
    c->plant.room.ua_w_per_k = 55;
    c->plant.room.direct_share = 0.3;
    c->plant.room.air_capacity_j_per_k = 600e3;
    c->plant.room.mass_capacity_j_per_k = 7e6;
    c->plant.room.air_mass_w_per_k = 700;
    c->plant.radiator.q50_w = 2600;
    c->plant.radiator.capacity_j_per_k = 37.5 * 2600;
}

/* Runs C with a trace into a temporary file and reads it back into T. */
static void hb__trace_of(const hb_sim_config *c, hb_trace *t) {
    char path[] = "/tmp/hb-ident-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(c, &s), HB_OK);
    hb_sim_set_trace(s, f);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    hb_sim_destroy(s);
    fclose(f);
    char err[256];
    CU_ASSERT_EQUAL(hb_trace_read_any(path, t, err, sizeof err), HB_OK);
    unlink(path);
}

static void test_recovers_other_room(void) {
    hb_sim_config truth;
    hb__other_room(&truth, 30);
    hb_trace t;
    hb__trace_of(&truth, &t);
    hb_sim_config base;
    hb_sim_config_default(&base);
    hb_ident_options o;
    hb_ident_options_default(&o);
    o.starts = 3;
    o.holdout_h = 6;
    hb_ident_result r;
    hb_ident_result r2;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_OK);
    double ua = r.p[HB_IDENT_UA].value;
    double q50 = r.p[HB_IDENT_Q50].value;
    double cap = r.p[HB_IDENT_C_AIR].value + r.p[HB_IDENT_C_MASS].value;
    CU_ASSERT(fabs(ua / 55 - 1) < 0.05);
    CU_ASSERT(fabs(q50 / 2600 - 1) < 0.05);
    CU_ASSERT(fabs(cap / 7.6e6 - 1) < 0.1);
    /* The truth inside the reported interval, and the held-out part predicted. */
    CU_ASSERT(r.p[HB_IDENT_UA].lo <= 55 && 55 <= r.p[HB_IDENT_UA].hi);
    CU_ASSERT(r.p[HB_IDENT_UA].identified && r.p[HB_IDENT_Q50].identified);
    CU_ASSERT(r.p[HB_IDENT_LAG].fixed);
    CU_ASSERT(r.rmse_free_k < 0.1);
    CU_ASSERT(r.rmse_1h_k < 0.1);
    CU_ASSERT(r.rows_holdout > 300);
    /* The sensors' offsets (offset + bias of the default's five, which average zero). */
    CU_ASSERT_EQUAL(r.n_sensors, 5);
    HB_ASSERT_NEAR(r.offset_k[0], -0.5, 0.1);
    HB_ASSERT_NEAR(r.offset_k[1], 0.5, 0.1);
    /* The identified model is a scenario the simulator accepts. */
    char msg[256];
    CU_ASSERT_EQUAL(hb_sim_config_check(&r.model, msg, sizeof msg), HB_OK);
    /* Deterministic: the same trace and options give the same numbers. */
    CU_ASSERT_EQUAL_FATAL(hb_ident_fit(&base, &t, &o, &r2, err, sizeof err), HB_OK);
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        CU_ASSERT(r.p[k].value == r2.p[k].value && r.p[k].hi == r2.p[k].hi);
    }
    hb_ident_result_free(&r);
    hb_ident_result_free(&r2);
    hb_trace_free(&t);
}

/* Temperatures alone fix heat flows only up to a common factor: a room with no known watts
 * (no gain schedule, no sun) reports UA and q50 as not pinned down; holding q50 at its data
 * sheet value pins UA. */
static void test_scale_needs_known_watts(void) {
    hb_sim_config truth;
    hb__other_room(&truth, 24);
    truth.plant.room.n_gains = 0;
    truth.weather.solar_peak_w_m2 = 0;
    hb_trace t;
    hb__trace_of(&truth, &t);
    hb_sim_config base;
    hb_sim_config_default(&base);
    base.plant.room.n_gains = 0;
    base.weather.solar_peak_w_m2 = 0;
    base.plant.radiator.q50_w = 2600;
    base.plant.radiator.capacity_j_per_k = 37.5 * 2600;
    hb_ident_options o;
    hb_ident_options_default(&o);
    o.starts = 2;
    o.holdout_h = 4;
    hb_ident_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_OK);
    CU_ASSERT(r.p[HB_IDENT_APERTURE].fixed); /* no sun: nothing to see it by */
    CU_ASSERT_FALSE(r.p[HB_IDENT_UA].identified && r.p[HB_IDENT_Q50].identified);
    hb_ident_result_free(&r);
    o.fixed |= 1u << HB_IDENT_Q50;
    CU_ASSERT_EQUAL_FATAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_OK);
    CU_ASSERT(r.p[HB_IDENT_UA].identified);
    CU_ASSERT(fabs(r.p[HB_IDENT_UA].value / 55 - 1) < 0.05);
    hb_ident_result_free(&r);
    hb_trace_free(&t);
}

/* A trace of N rows with the given columns, every value V(row, col). */
static void hb__fake(hb_trace *t, const char *const *names, size_t ncol, size_t n,
                     double (*v)(size_t, size_t)) {
    t->ncol = ncol;
    t->nrow = n;
    t->names = calloc(ncol, sizeof *t->names);
    t->data = calloc(n * ncol, sizeof *t->data);
    for (size_t j = 0; j < ncol; j++) {
        t->names[j] = strdup(names[j]);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < ncol; j++) {
            t->data[i * ncol + j] = v(i, j);
        }
    }
}
static double hb__steady(size_t i, size_t j) {
    return j == 0 ? 60.0 * (double)i : (j == 1 ? 21.0 : 30.0);
}
static double hb__backwards(size_t i, size_t j) {
    return j == 0 ? (i == 100 ? 0.0 : 60.0 * (double)i) : (j == 1 ? 21.0 : 30.0);
}

static void test_bad_traces(void) {
    hb_sim_config base;
    hb_sim_config_default(&base);
    hb_ident_options o;
    hb_ident_options_default(&o);
    hb_ident_result r;
    char err[256];
    hb_trace t;
    static const char *const no_level[] = {"time_s", "sensor_1"};
    hb__fake(&t, no_level, 2, 2000, hb__steady);
    CU_ASSERT_EQUAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "level_cmd"));
    hb_trace_free(&t);
    static const char *const ok[] = {"time_s", "sensor_1", "level_cmd"};
    hb__fake(&t, ok, 3, 2000, hb__backwards);
    CU_ASSERT_EQUAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not follow"));
    hb_trace_free(&t);
    hb__fake(&t, ok, 3, 300, hb__steady); /* 5 h: too short to fit */
    CU_ASSERT_EQUAL(hb_ident_fit(&base, &t, &o, &r, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "6 h"));
    hb_trace_free(&t);
}

int hb_test_ident(void) {
    static const CU_TestInfo t[] = {
        {"a room unlike the default: UA, q50 within 5 %, capacity within 10 %, deterministic",
         test_recovers_other_room},
        {"no known watts: the scale is not pinned down; --fix q50_w pins it",
         test_scale_needs_known_watts},
        {"bad traces: no level_cmd, time going back, too short", test_bad_traces},
        CU_TEST_INFO_NULL};
    return hb_test_register("ident", t);
}
