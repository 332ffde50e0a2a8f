/*
 * A test case as `heatbench serve` offers it: named points (BOPTEST's conventions: an input
 * "<name>_u" that acts only while "<name>_activate" is 1, measurements "<name>_y", SI units), and
 * a model that simulates an interval under given inputs, reporting a sample on BOPTEST's result
 * grid. The server (hb_test.h) stores the samples and integrates the KPIs; a test case only
 * simulates.
 */
#ifndef HB_TCASE_H
#define HB_TCASE_H

#include "../metrics/hb_bkpi.h"

#include <stdbool.h>
#include <stddef.h>

#define HB_TC_MAX_IN 4
#define HB_TC_MAX_OUT 24

typedef struct hb_tc_point {
    char name[48]; /* with its suffix: "oveAct_u", "TRooAir_y" */
    char unit[16]; /* "" for none (null in JSON) */
    char desc[96];
    double min, max; /* NaN: unbounded (null in JSON) */
} hb_tc_point;

/* Called for each sample: the measurements Y (n_out), the inputs as they acted U (n_in: the
 * overwritten value or the baseline's), their activation ACT (n_in), and what the KPIs need. */
typedef void (*hb_tc_sample_fn)(void *ud, double t, const double *y, const double *u,
                                const int *act, const hb_bkpi_sample *k);

struct cJSON;

typedef struct hb_tcase {
    char name[64];
    char description[256];
    size_t n_in;
    hb_tc_point in[HB_TC_MAX_IN];
    size_t n_out;
    hb_tc_point out[HB_TC_MAX_OUT];
    double area_m2;
    bool has_co2;
    bool has_src[HB_BKPI_NSRC];
    double default_step_s;
    double start_s, end_s; /* where select puts a test, and where every test ends (INFINITY) */
    double price_kwh;      /* the price of its energy, $/kWh (all scenarios: one constant) */
    size_t n_fc;           /* forecast points: name, unit, description (min/max unused) */
    hb_tc_point fc[HB_TC_MAX_OUT];
    /* Named time periods for /scenario: the day (of the year, from 0) each is centred on. */
    size_t n_periods;
    char period_name[4][32];
    double period_day[4];
    void *state;
    /* The value of forecast point I at time T (a perfect forecast of the test case's data). */
    double (*forecast)(const struct hb_tcase *tc, size_t i, double t);
    /* Puts the model in its initial state at time T0 (a fresh start, as an FMU reset). */
    int (*reset)(struct hb_tcase *tc, double t0);
    /* Simulates [T0, T1] with inputs U/ACT held; calls FN at the N sample times
     * T0 + k (T1 - T0) / N, k = 1..N (k = 0 too when WITH_FIRST). */
    int (*simulate)(struct hb_tcase *tc, double t0, double t1, const double *u, const int *act,
                    int n, bool with_first, hb_tc_sample_fn fn, void *ud);
    /* Adds the test case's own KPIs to OUT (a cJSON object), or NULL. */
    void (*extra_kpis)(struct hb_tcase *tc, struct cJSON *out);
    /* Starts the test case's own KPI integration afresh (at a test's start, after its warm-up), or
     * NULL. */
    void (*kpi_restart)(struct hb_tcase *tc);
    void (*destroy)(struct hb_tcase *tc);
} hb_tcase;

/* BOPTEST's testcase1 (see docs/serve.md for the model and where its facts come from). */
int hb_tc1_create(hb_tcase **out);

/* Frees TC (NULL is fine). */
void hb_tcase_destroy(hb_tcase *tc);

#endif
