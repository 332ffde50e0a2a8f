#define _POSIX_C_SOURCE 200809L
/* The KPI and trace-format module: figures on intervals whose integrals are known by hand, the
 * writer and the reader agreeing on every column, and the simulator's KPIs (plant grid) against
 * the same KPIs recomputed from its own trace. */
#include "../metrics/hb_cost.h"
#include "../metrics/hb_kpi.h"
#include "../field/hb_recorder.h"
#include "../metrics/hb_trace.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"
#include "hb_test.h"

#include <gsl/gsl_rng.h>
#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_comfort_by_hand(void) {
    hb_kpi_comfort c;
    hb_kpi_comfort_init(&c, 3600.0);
    /* Inside the warm-up: not counted at all. */
    hb_kpi_comfort_step(&c, 0, 10.0, 3600, 10.0, 22, 21.5, 22.5);
    /* One hour rising linearly from 21 to 23 °C against 22 ± 0.5: outside the band for the first
     * and last quarter, mean distance 0.25 K over that half hour each side. */
    hb_kpi_comfort_step(&c, 3600, 21.0, 7200, 23.0, 22, 21.5, 22.5);
    hb_kpis k;
    hb_kpi_comfort_finish(&c, &k);
    /* The trapezoid sees the end points only, each 0.5 K outside: 0.5 K·h where the exact
     * integral is 0.125 K·h. That is the rule's figure on a one-hour grid; the simulator's 10 s
     * grid makes the difference negligible. */
    HB_ASSERT_NEAR(k.discomfort_kh, 0.5, 1e-12);
    HB_ASSERT_NEAR(k.iae_kh, 1.0, 1e-12);
    HB_ASSERT_NEAR(k.rmse_k, 1.0, 1e-12);
    HB_ASSERT_NEAR(k.mean_t_air_c, 22.0, 1e-12);
    HB_ASSERT_NEAR(k.max_overshoot_k, 1.0, 1e-12);
    HB_ASSERT_NEAR(k.max_undershoot_k, 0.0, 1e-12);
    CU_ASSERT_EQUAL(k.in_band_pct, 0.0); /* the end sample is outside */
    /* Finishing twice gives the same figures. */
    hb_kpis k2;
    hb_kpi_comfort_finish(&c, &k2);
    CU_ASSERT_EQUAL(k2.discomfort_kh, k.discomfort_kh);
}

static void test_comfort_warmup_only(void) {
    hb_kpi_comfort c;
    hb_kpi_comfort_init(&c, 7200.0);
    hb_kpi_comfort_step(&c, 0, 20.0, 3600, 21.0, 22, 21.5, 22.5);
    hb_kpis k;
    hb_kpi_comfort_finish(&c, &k);
    CU_ASSERT(isnan(k.discomfort_kh) && isnan(k.rmse_k) && isnan(k.in_band_pct));
}

static void test_cost(void) {
    hb_cost_weights w;
    hb_cost_weights_default(&w);
    hb_kpis k = {.discomfort_kh = 1,
                 .iae_kh = 2,
                 .energy_ratio = 1.1,
                 .valve_travel_pct = 100,
                 .actuator_msgs = 100};
    HB_ASSERT_NEAR(hb_cost(&k, &w), 1 + 0.4 + 0.5 + 0.3 + 0.1, 1e-12);
    k.energy_ratio = 0.9; /* below the reference costs nothing */
    HB_ASSERT_NEAR(hb_cost(&k, &w), 1 + 0.4 + 0.3 + 0.1, 1e-12);
    k.discomfort_kh = NAN;
    CU_ASSERT_EQUAL(hb_cost(&k, &w), HB_COST_FAILED);
}

/* A temporary file name that the test removes. */
static FILE *hb__tmp(char *path, size_t len) {
    snprintf(path, len, "%s/hb_metrics_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    return fd < 0 ? NULL : fdopen(fd, "w");
}

static void test_trace_round_trip(void) {
    char path[256];
    FILE *f = hb__tmp(path, sizeof path);
    CU_ASSERT_FATAL(f != NULL);
    double sensors[2] = {21.5, NAN};
    CU_ASSERT_EQUAL(hb_trace_write_header(f, 2), HB_OK);
    for (int i = 0; i < 3; i++) {
        hb_trace_row r = {.time_s = 60.0 * i,
                          .t_out = -5,
                          .t_air = 21 + i,
                          .t_mass = 20,
                          .t_rad = 40,
                          .sensors = sensors,
                          .n_sensors = 2,
                          .t_est = 21.25,
                          .setpoint = 22,
                          .level_cmd = i ? 40 : NAN,
                          .valve_pos = 39.5,
                          .q_rad_w = 812.3,
                          .energy_kwh = 0.1 * i,
                          .floor_kwh = 0.2 * i,
                          .band_lo = 21.5,
                          .band_hi = 22.5};
        CU_ASSERT_EQUAL(hb_trace_write_row(f, &r), HB_OK);
    }
    fclose(f);
    hb_trace t;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_trace_read(path, &t, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(t.nrow, 3);
    CU_ASSERT_EQUAL(hb_trace_sensors(&t), 2);
    CU_ASSERT_EQUAL(t.data[hb_trace_col(&t, "sensor_1")], 21.5);
    CU_ASSERT(isnan(t.data[hb_trace_col(&t, "sensor_2")]));
    CU_ASSERT(isnan(t.data[hb_trace_col(&t, "level_cmd")])); /* empty before the first command */
    HB_ASSERT_NEAR(t.data[2 * t.ncol + hb_trace_col(&t, "t_air")], 23.0, 1e-12);
    HB_ASSERT_NEAR(t.data[2 * t.ncol + hb_trace_col(&t, "floor_kwh")], 0.4, 1e-12);
    hb_trace_free(&t);
    unlink(path);

    /* A file without a required column is refused with its name. */
    f = hb__tmp(path, sizeof path);
    CU_ASSERT_FATAL(f != NULL);
    fputs("time_s,t_air\n0,21\n60,21\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(hb_trace_read(path, &t, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT(strstr(err, "missing column 't_out'") != NULL);
    unlink(path);
    CU_ASSERT_EQUAL(hb_trace_read("/nonexistent/trace.csv", &t, err, sizeof err), HB_ERR_IO);
}

/* The simulator's KPIs and the ones recomputed from its one-minute trace are the same figures on
 * two grids (10 s and 60 s): they must agree to within what the coarser grid misses. */
/* The trace writer formats without printf: every field must still be printf's "%.*f", byte
 * for byte, for ordinary values, ties, negatives that round to zero, -0, and huge values (the
 * time: "%.0f" when whole, else "%.3f" without trailing zeros, for a recording's times). */
static void hb__row_of(double v, hb_trace_row *r, double *sensors) {
    for (int i = 0; i < 3; i++) {
        sensors[i] = v;
    }
    *r = (hb_trace_row){v, v, v, v, v, sensors, 3, v, v, v, v, v, v, v, v, v};
}

static void test_trace_format(void) {
    static const int dec[] = {0, 3, 4, 4, 3, 2, 2, 2, 4, 2, 2, 2, 0, 2, 1, 5, 5};
    gsl_rng *rng = hb_rng_stream(3, "test/format");
    CU_ASSERT_FATAL(rng != NULL);
    int mismatches = 0;
    for (int k = 0; k < 20000; k++) {
        double v;
        static const double edge[] = {0.125, 0.5,       2.5,      -0.004,  -0.0,     0.0,
                                      1e9,   1e9 - 0.5, 123456.5, 0.00005, 0.000015, -2.675,
                                      1e300, -1e300,    0.045,    1.005,   22.00005, 9.9999995,
                                      1.5,   3.5,       -1.5,     0.625,   0.875,    4.5e-5};
        if (k < (int)(sizeof edge / sizeof edge[0])) {
            v = edge[k];
        } else {
            /* Values as a trace holds them, some on exact ties of the decimals written. */
            double mag = pow(10.0, gsl_rng_uniform(rng) * 8 - 3);
            v = (gsl_rng_uniform(rng) < 0.5 ? -1 : 1) * mag;
            if (k % 7 == 0) {
                v = floor(v * 1000) / 1000 + 0.0005;
            }
        }
        hb_trace_row r;
        double sensors[3];
        hb__row_of(v, &r, sensors);
        char *got = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&got, &len);
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT_EQUAL(hb_trace_write_row(f, &r), HB_OK);
        fclose(f);
        char want[8192];
        size_t n = 0;
        /* The time: whole seconds as "%.0f", fractions as "%.3f" without trailing zeros. */
        n = (size_t)snprintf(want, sizeof want, "%.*f", v == floor(v) ? 0 : 3, v);
        while (v != floor(v) && (want[n - 1] == '0' || want[n - 1] == '.')) {
            bool dot = want[--n] == '.';
            want[n] = '\0';
            if (dot) {
                break;
            }
        }
        for (size_t i = 1; i < sizeof dec / sizeof dec[0]; i++) {
            n += (size_t)snprintf(want + n, sizeof want - n, ",%.*f", dec[i], v);
        }
        snprintf(want + n, sizeof want - n, "\n");
        if (strcmp(got, want) != 0 && mismatches++ < 3) {
            printf("\n  %.17g: got %s  want %s", v, got, want);
        }
        free(got);
    }
    gsl_rng_free(rng);
    CU_ASSERT_EQUAL(mismatches, 0);
}

static void test_sim_and_trace_agree(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    char path[256];
    FILE *f = hb__tmp(path, sizeof path);
    CU_ASSERT_FATAL(f != NULL);
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    hb_sim_set_trace(s, f);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    hb_kpis ks = *hb_sim_kpis(s);
    hb_sim_destroy(s);
    fclose(f);
    hb_trace t;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_trace_read(path, &t, err, sizeof err), HB_OK);
    hb_kpis kt;
    hb_trace_kpis(&t, c.comfort_band_k, c.warmup_h, &kt);
    hb_trace_free(&t);
    unlink(path);
    HB_ASSERT_NEAR(kt.rmse_k, ks.rmse_k, 0.01);
    HB_ASSERT_NEAR(kt.iae_kh, ks.iae_kh, 0.05 * ks.iae_kh);
    HB_ASSERT_NEAR(kt.mean_t_air_c, ks.mean_t_air_c, 0.01);
    HB_ASSERT_NEAR(kt.energy_kwh, ks.energy_kwh, 1e-4);
    HB_ASSERT_NEAR(kt.discomfort_kh, ks.discomfort_kh, 0.01);
    hb_sim_config_free(&c);
}

/* The recorder: rows at whole intervals from the first event, the latest value of each sensor
 * (none before its first), columns in natural id order, a 17th id refused, and a file the trace
 * reader takes. */
static void test_recorder(void) {
    hb_recorder *r;
    CU_ASSERT_EQUAL(hb_recorder_create(0, NAN, NULL, 0, false, &r), HB_ERR_INVAL);
    CU_ASSERT_EQUAL_FATAL(hb_recorder_create(60, NAN, NULL, 0, true, &r), HB_OK);
    CU_ASSERT_EQUAL(hb_recorder_reading(r, 5, "sensor-10", 21.0), HB_OK); /* row at 5 s */
    CU_ASSERT_EQUAL(hb_recorder_reading(r, 30, "sensor-2", 22.0), HB_OK);
    CU_ASSERT_EQUAL(hb_recorder_command(r, 40, 35), HB_OK);
    CU_ASSERT_EQUAL(hb_recorder_outdoor(r, 50, -3.5), HB_OK);
    CU_ASSERT_EQUAL(hb_recorder_advance(r, 185), HB_OK); /* rows at 5, 65, 125, 185 */
    CU_ASSERT_EQUAL(hb_recorder_rows(r), 4);
    char id[8];
    for (int k = 0; k < 14; k++) {
        snprintf(id, sizeof id, "x%d", k);
        CU_ASSERT_EQUAL(hb_recorder_reading(r, 190, id, 20.0), HB_OK);
    }
    CU_ASSERT_EQUAL(hb_recorder_sensors(r), 16);
    CU_ASSERT_EQUAL(hb_recorder_reading(r, 190, "one-too-many", 20.0), HB_ERR_FULL);
    size_t col[HB_RECORDER_MAX_SENSORS];
    hb_recorder_order(r, col);
    CU_ASSERT_STRING_EQUAL(hb_recorder_sensor_id(r, col[0]), "sensor-2"); /* before sensor-10 */
    CU_ASSERT_STRING_EQUAL(hb_recorder_sensor_id(r, col[1]), "sensor-10");
    char path[] = "/tmp/hb-recorder-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    CU_ASSERT_EQUAL(hb_recorder_write(r, path), HB_OK);
    hb_trace t;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_trace_read_any(path, &t, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(t.nrow, 4);
    int c1 = hb_trace_col(&t, "sensor_1");
    int c2 = hb_trace_col(&t, "sensor_2");
    int cl = hb_trace_col(&t, "level_cmd");
    int co = hb_trace_col(&t, "t_out");
    CU_ASSERT(c1 > 0 && c2 > 0 && cl > 0 && co > 0);
    const double *row0 = t.data;
    const double *row1 = t.data + t.ncol;
    HB_ASSERT_NEAR(row0[0], 5, 1e-9);
    HB_ASSERT_NEAR(row0[c2], 21.0, 1e-9); /* sensor-10, the second column */
    CU_ASSERT(isnan(row0[c1]) && isnan(row0[cl]) && isnan(row0[co]));
    HB_ASSERT_NEAR(row1[0], 65, 1e-9);
    HB_ASSERT_NEAR(row1[c1], 22.0, 1e-9);
    HB_ASSERT_NEAR(row1[cl], 35, 1e-9);
    HB_ASSERT_NEAR(row1[co], -3.5, 1e-9);
    HB_ASSERT_NEAR(t.data[3 * t.ncol], 185, 1e-9);
    hb_trace_free(&t);
    unlink(path);
    hb_recorder_destroy(r);
}

int hb_test_metrics(void) {
    static const CU_TestInfo t[] = {{"comfort KPIs by hand", test_comfort_by_hand},
                                    {"trace fields are printf's", test_trace_format},
                                    {"comfort inside the warm-up", test_comfort_warmup_only},
                                    {"cost", test_cost},
                                    {"trace write/read round trip", test_trace_round_trip},
                                    {"simulator and trace KPIs agree", test_sim_and_trace_agree},
                                    {"recorder rows, columns and file", test_recorder},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("metrics", t);
}
