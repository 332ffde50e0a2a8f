/* Schedules and the honest energy references: day lists and wrapping periods, the floor on a
 * steady day against its closed form, and the property that no controller on any shipped
 * scenario keeps the band with less heat than the floor. */
#include "../controllers/hb_schedule.h"
#include "../scenario/hb_scenario.h"
#include "../sim/hb_energy.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "../util/hb_rng.h"
#include "hb_test.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_schedule(void) {
    hb_schedule s = {.start_day = "fri"};
    s.periods[0] = (hb_schedule_period){.days = "sat,sun",
                                        .from_h = 8,
                                        .to_h = 23,
                                        .setpoint_c = 21,
                                        .below_k = NAN,
                                        .above_k = NAN};
    s.periods[1] = (hb_schedule_period){
        .days = "mon-fri", .from_h = 22, .to_h = 6, .setpoint_c = 17, .below_k = 0.5, .above_k = 5};
    s.n_periods = 2;
    char err[200];
    CU_ASSERT_EQUAL_FATAL(hb_schedule_prepare(&s, err, sizeof err), HB_OK);
    hb_setpoint sp;
    /* Day 0 is a Friday: 10:00 is the base. */
    hb_schedule_at(&s, 22, 0.5, 10 * 3600.0, &sp);
    CU_ASSERT(sp.period == -1 && sp.setpoint_c == 22 && sp.lo_c == 21.5 && sp.hi_c == 22.5);
    /* Friday 23:00 and Saturday 03:00 are Friday night's setback (it wraps from its day). */
    hb_schedule_at(&s, 22, 0.5, 23 * 3600.0, &sp);
    CU_ASSERT(sp.period == 1 && sp.lo_c == 16.5 && sp.hi_c == 22.0);
    hb_schedule_at(&s, 22, 0.5, 27 * 3600.0, &sp);
    CU_ASSERT_EQUAL(sp.period, 1);
    /* Saturday night is not a setback (Saturday is not in mon-fri); Saturday 09:00 is 21 °C. */
    hb_schedule_at(&s, 22, 0.5, (24 + 23.5) * 3600.0, &sp);
    CU_ASSERT_EQUAL(sp.period, -1);
    hb_schedule_at(&s, 22, 0.5, (24 + 9) * 3600.0, &sp);
    CU_ASSERT(sp.period == 0 && sp.setpoint_c == 21 && sp.lo_c == 20.5);
    /* Sunday night (into Monday) is not a setback either; Monday night is (day 3 = Monday). */
    hb_schedule_at(&s, 22, 0.5, (2 * 24 + 23) * 3600.0, &sp);
    CU_ASSERT_EQUAL(sp.period, -1);
    hb_schedule_at(&s, 22, 0.5, (3 * 24 + 23) * 3600.0, &sp);
    CU_ASSERT_EQUAL(sp.period, 1);
    /* A week later the same. */
    hb_schedule_at(&s, 22, 0.5, (7 * 24 + 24 + 9) * 3600.0, &sp);
    CU_ASSERT_EQUAL(sp.period, 0);
    /* Bad day lists and start days are refused with the period named. */
    strcpy(s.periods[1].days, "mon-fry");
    CU_ASSERT_EQUAL(hb_schedule_prepare(&s, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT(strstr(err, "periods[1].days") != NULL);
    strcpy(s.periods[1].days, "fri-mon"); /* a range may wrap the week */
    CU_ASSERT_EQUAL(hb_schedule_prepare(&s, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(s.periods[1].day_mask, (1u << 4) | (1u << 5) | (1u << 6) | 1u);
    strcpy(s.start_day, "xyz");
    CU_ASSERT_EQUAL(hb_schedule_prepare(&s, err, sizeof err), HB_ERR_PARSE);
}

/* A steady week (constant outdoor temperature, no sun, no gains, the room starting at its steady
 * state at the band's lower edge): the floor is UA·(lo − T_out)·t and the heat left in the
 * radiator. */
static void test_floor_steady(void) {
    hb_sim_config c;
    hb_sim_config_default(&c);
    c.weather = (hb_weather_config){.kind = HB_WEATHER_CONSTANT, .constant_c = 0.0};
    c.plant.room.n_gains = 0;
    c.plant.room.base_gains_w = 0;
    c.plant.room.n_windows = 0;
    c.setpoint_c = 20.5;
    c.comfort_band_k = 0.5; /* lower edge 20 °C */
    c.plant.t_air0_c = 20.0;
    c.plant.valve0_pct = 0;
    c.warmup_h = 0;
    c.duration_h = 7 * 24;
    hb_energy_plan p;
    CU_ASSERT_EQUAL_FATAL(hb_energy_plan_solve(&c, &p), HB_OK);
    double expect = c.plant.room.ua_w_per_k * 20.0 * c.duration_h / 1000.0;
    /* More by at most the heat it takes to warm the radiator enough to emit the loss (it
     * starts at the room's temperature, and no radiator emits without being warmer than the
     * air: the chord bound of the emission), which stays in it at the end; the ideal holds
     * 20.5 °C: more. */
    double c_rad = c.plant.radiator.capacity_j_per_k;
    double supply = c.plant.radiator.supply_c;
    HB_ASSERT_NEAR(p.floor_kwh, expect, 0.01 * expect);
    /* On a week's grid (about 40 minutes) the chord no longer binds (docs/model.md) and the
     * program may drain the radiator to 5 K below the air. */
    CU_ASSERT(p.floor_kwh >= expect - c_rad * 5.0 / 3.6e6 - 1e-6);
    CU_ASSERT(p.floor_kwh <= expect + c_rad * (supply - 20.0) / 3.6e6);
    CU_ASSERT(p.ideal_kwh > p.floor_kwh);
    CU_ASSERT(p.violation_kh < 1e-6);
    /* The series ends at the floor and starts at 0. */
    HB_ASSERT_NEAR(hb_energy_floor_at(&p, c.plant.t_start_s + c.duration_h * 3600) / 3.6e6,
                   p.floor_kwh, 1e-9);
    CU_ASSERT_EQUAL(hb_energy_floor_at(&p, c.plant.t_start_s), 0.0);
    hb_energy_plan_free(&p);
    /* Past two weeks (no floor before issue 28) a run still gets one, on a coarser grid:
     * still under the steady heat, and within a few per cent of it. */
    c.duration_h = 337;
    CU_ASSERT_EQUAL_FATAL(hb_energy_plan_solve(&c, &p), HB_OK);
    double expect2 = c.plant.room.ua_w_per_k * 20.0 * c.duration_h / 1000.0;
    CU_ASSERT(p.floor_kwh <= expect2 + c_rad * (supply - 20.0) / 3.6e6);
    CU_ASSERT(p.floor_kwh >= 0.97 * expect2);
    hb_energy_plan_free(&p);
    /* Too long a run has no floor, and says so. */
    c.duration_h = HB_ENERGY_MAX_DAYS * 24 + 1;
    CU_ASSERT_EQUAL(hb_energy_plan_solve(&c, &p), HB_ERR_RANGE);
    CU_ASSERT(isnan(p.floor_kwh));
    hb_energy_plan_free(&p);
    hb_sim_config_free(&c);
}

/* A plan solved from a configuration as the loader leaves it (its schedule not yet prepared), as
 * tune, live and the controller comparison do, is the plan a run solves for itself. */
static void test_floor_shared_plan(void) {
    hb_sim_config c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/night-setback.json", &c, err, sizeof err),
        HB_OK);
    hb_energy_plan plan;
    CU_ASSERT_EQUAL_FATAL(hb_energy_plan_solve(&c, &plan), HB_OK);
    hb_sim *s;
    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
    CU_ASSERT_EQUAL(hb_sim_kpis(s)->energy_floor_kwh, plan.floor_kwh);
    hb_sim_destroy(s);
    hb_energy_plan_free(&plan);
    hb_sim_config_free(&c);
}

/* The property the floor exists for: on every shipped scenario, every controller, two seeds and
 * three band widths, a run that keeps the band (discomfort 0) uses at least the floor. */
static void test_floor_never_beaten(void) {
    DIR *d = opendir(HB_SOURCE_DIR "/scenarios");
    CU_ASSERT_FATAL(d != NULL);
    if (!d) {
        return; /* CU_ASSERT_FATAL has ended the test; this tells the analyser */
    }
    struct dirent *e;
    int kept = 0;
    int runs = 0;
    double closest = INFINITY;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", HB_SOURCE_DIR, e->d_name);
        for (int bw = 0; bw < 3; bw++) {
            hb_sim_config c;
            char err[512];
            CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
            c.comfort_band_k = (const double[]){0.3, 0.5, 1.0}[bw];
            hb_energy_plan plan;
            if (hb_energy_plan_solve(&c, &plan) != HB_OK) {
                hb_energy_plan_free(&plan);
                hb_sim_config_free(&c);
                continue;
            }
            c.plan = &plan;
            /* The MPC, which plans heat with a model of the room, is the controller most likely
             * to find a way under a floor that is not one: it runs too (one seed, for time), as
             * shipped and, on the middle band, economic (no tracking, a small margin, no early
             * arrival: it rides the band's lower edge and warms up at the last moment). */
            hb_mpc_config shipped = c.controller.mpc;
            for (int algo = 0; algo < (bw == 1 ? 4 : 3); algo++) { /* economy on one band */
                for (uint64_t seed = 1; seed <= (algo >= 2 ? 1u : 2u); seed++) {
                    c.controller.algo = (const enum hb_algo[]){HB_ALGO_PID, HB_ALGO_BANGBANG,
                                                               HB_ALGO_MPC, HB_ALGO_MPC}[algo];
                    c.controller.mpc = shipped;
                    if (algo == 3) {
                        c.controller.mpc.w_track = 0;
                        c.controller.mpc.margin_k = 0.05;
                        c.controller.mpc.arrive_early_s = 0;
                    }
                    c.seed = seed;
                    hb_sim *s;
                    CU_ASSERT_EQUAL_FATAL(hb_sim_create(&c, &s), HB_OK);
                    CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
                    const hb_kpis *k = hb_sim_kpis(s);
                    runs++;
                    if (k->discomfort_kh < 1e-9) {
                        kept++;
                        if (!(k->energy_kwh >= k->energy_floor_kwh)) {
                            printf("\n  %s band %.1f algo %d seed %llu: %.4f kWh < floor %.4f\n",
                                   e->d_name, c.comfort_band_k, algo, (unsigned long long)seed,
                                   k->energy_kwh, k->energy_floor_kwh);
                        }
                        CU_ASSERT(k->energy_kwh >= k->energy_floor_kwh);
                        closest = fmin(closest, k->energy_kwh / k->energy_floor_kwh);
                    }
                    hb_sim_destroy(s);
                }
            }
            hb_energy_plan_free(&plan);
            hb_sim_config_free(&c);
        }
    }
    closedir(d);
    /* The property must have been put to the test, not passed vacuously. */
    CU_ASSERT(kept >= 20);
    printf(" (%d runs, %d kept the band, the closest %.4f × the floor) ", runs, kept, closest);
}

/* Every controller heatbench ships, by what sets it apart. */
static const struct {
    const char *name;
    enum hb_algo algo;
    bool ff, os;
} hb__ctls[] = {{"pid", HB_ALGO_PID, false, false},   {"bangbang", HB_ALGO_BANGBANG, false, false},
                {"mpc", HB_ALGO_MPC, false, false},   {"pid-ff", HB_ALGO_PID, true, false},
                {"pid-os", HB_ALGO_PID, false, true}, {"pid-ff-os", HB_ALGO_PID, true, true}};

typedef struct hb__tally {
    int runs, kept, beaten;
    double closest;
} hb__tally;

/* Solves C's floor once and runs every controller on it; a run that keeps the band must not
 * use less heat. */
static void hb__every_controller(hb_sim_config *c, const char *what, hb__tally *t) {
    hb_energy_plan plan;
    CU_ASSERT_EQUAL_FATAL(hb_energy_plan_solve(c, &plan), HB_OK);
    c->plan = &plan;
    for (size_t i = 0; i < sizeof hb__ctls / sizeof hb__ctls[0]; i++) {
        c->controller.algo = hb__ctls[i].algo;
        c->controller.feed_forward = hb__ctls[i].ff;
        c->controller.optimal_start = hb__ctls[i].os;
        hb_sim *s;
        CU_ASSERT_EQUAL_FATAL(hb_sim_create(c, &s), HB_OK);
        CU_ASSERT_EQUAL(hb_sim_run(s), HB_OK);
        const hb_kpis *k = hb_sim_kpis(s);
        t->runs++;
        if (k->discomfort_kh < 1e-9) {
            t->kept++;
            if (!(k->energy_kwh >= k->energy_floor_kwh)) {
                t->beaten++;
                printf("\n  %s %s: %.4f kWh < floor %.4f\n", what, hb__ctls[i].name, k->energy_kwh,
                       k->energy_floor_kwh);
            }
            CU_ASSERT(k->energy_kwh >= k->energy_floor_kwh);
            t->closest = fmin(t->closest, k->energy_kwh / k->energy_floor_kwh);
        }
        hb_sim_destroy(s);
    }
    c->plan = NULL;
    hb_energy_plan_free(&plan);
}

/* The audit's scenario (issue 28): 24 internal-gain pulses of -700 W for 60 s and 16 window
 * openings of 40 W/K for a minute, each over the middle of one of the program's 300 s
 * intervals, which a program that samples its inputs at the middles counted for 300 s (the PID
 * kept the band on 16.464 kWh against a "floor" of 17.507). */
static void hb__audit_pulses(hb_sim_config *c) {
    c->plant.room.n_gains = 0;
    for (int i = 0; i < 24; i++) {
        double m = 12 + 11 * i; /* intervals from the second hour on */
        double from = (120.0 + 300.0 * m) / 3600.0;
        c->plant.room.gains[c->plant.room.n_gains++] =
            (hb_gain_period){.from_h = from, .to_h = from + 60.0 / 3600.0, .watts = -700};
    }
    c->plant.room.n_windows = 0;
    for (int j = 0; j < 16; j++) {
        double m = 15 + 17 * j;
        c->plant.room.windows[c->plant.room.n_windows++] = (hb_window_event){
            .at_h = (120.0 + 300.0 * m) / 3600.0, .duration_min = 1, .ua_w_per_k = 40};
    }
}

static void test_floor_audit_pulses(void) {
    hb__tally t = {.closest = INFINITY};
    const char *files[] = {"default", "night-setback"};
    for (int f = 0; f < 2; f++) {
        hb_sim_config c;
        char err[512];
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s.json", HB_SOURCE_DIR, files[f]);
        CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
        hb__audit_pulses(&c);
        hb__every_controller(&c, files[f], &t);
        hb_sim_config_free(&c);
    }
    CU_ASSERT(t.kept >= 6);
    printf(" (%d runs, %d kept the band, the closest %.4f × the floor) ", t.runs, t.kept,
           t.closest);
}

/* Random adversarial days: gains pulses (down to -700 W, 20 s to 2 min), window openings (up
 * to 60 W/K, 20 s to 90 s) and a sun of random strength, at random phases (not on any grid),
 * on the default day or the night setback; every controller. Six scenarios in ctest, for time;
 * HB_ADVERSARIAL_N=200 in the environment runs more (bench/floor_adversarial.sh). */
static void hb__adversarial_scenario(gsl_rng *r, hb_sim_config *c) {
    hb_room_config *room = &c->plant.room;
    room->n_gains = 1 + gsl_rng_uniform_int(r, 16);
    for (size_t i = 0; i < room->n_gains; i++) {
        double from = 24.0 * gsl_rng_uniform(r);
        double w = (20.0 + 100.0 * gsl_rng_uniform(r)) / 3600.0;
        double to = from + w >= 24.0 ? from + w - 24.0 : from + w;
        double watts =
            gsl_rng_uniform(r) < 0.7 ? -700.0 * gsl_rng_uniform(r) : 400.0 * gsl_rng_uniform(r);
        room->gains[i] = (hb_gain_period){.from_h = from, .to_h = to, .watts = watts};
    }
    room->n_windows = gsl_rng_uniform_int(r, 17);
    for (size_t j = 0; j < room->n_windows; j++) {
        room->windows[j] =
            (hb_window_event){.at_h = 23.0 * gsl_rng_uniform(r),
                              .duration_min = (20.0 + 70.0 * gsl_rng_uniform(r)) / 60.0,
                              .ua_w_per_k = 60.0 * gsl_rng_uniform(r)};
    }
    if (c->weather.kind == HB_WEATHER_DESIGN_DAY) {
        c->weather.solar_peak_w_m2 = 600.0 * gsl_rng_uniform(r);
    }
    /* A band a good controller can keep through such pulses: the property needs runs that
     * keep it. */
    c->comfort_band_k = 1.0;
    c->seed = 1 + gsl_rng_uniform_int(r, 1000);
}

static void test_floor_adversarial(void) {
    hb__tally t = {.closest = INFINITY};
    const char *env = getenv("HB_ADVERSARIAL_N");
    int n = env ? (int)strtol(env, NULL, 10) : 6;
    gsl_rng *r = hb_rng_stream(28, "test/adversarial");
    CU_ASSERT_FATAL(r != NULL);
    for (int i = 0; i < n; i++) {
        hb_sim_config c;
        char err[512];
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s.json", HB_SOURCE_DIR,
                 i % 2 ? "night-setback" : "default");
        CU_ASSERT_EQUAL_FATAL(hb_scenario_load_file(path, &c, err, sizeof err), HB_OK);
        hb__adversarial_scenario(r, &c);
        char what[64];
        snprintf(what, sizeof what, "adversarial %d", i);
        hb__every_controller(&c, what, &t);
        hb_sim_config_free(&c);
    }
    gsl_rng_free(r);
    CU_ASSERT(t.kept >= n);
    printf(" (%d runs, %d kept the band, the closest %.4f × the floor) ", t.runs, t.kept,
           t.closest);
}

int hb_test_energy(void) {
    static const CU_TestInfo t[] = {{"schedule periods and weekdays", test_schedule},
                                    {"floor of a steady week", test_floor_steady},
                                    {"a shared plan is a run's own", test_floor_shared_plan},
                                    {"no controller beats the floor", test_floor_never_beaten},
                                    {"the audit's pulses beat no floor", test_floor_audit_pulses},
                                    {"adversarial pulses beat no floor", test_floor_adversarial},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("energy", t);
}
