#include "../controllers/hb_pid.h"
#include "hb_test.h"

#include <stdlib.h>

static hb_pid_config cfg(double kp, double ki, double kd) {
    return (hb_pid_config){.kp = kp,
                           .ki = ki,
                           .kd = kd,
                           .b = 1,
                           .d_filter_n = 10,
                           .tt_h = 0,
                           .out_min = 0,
                           .out_max = 100,
                           .max_dt_s = 900};
}

/* The start level is the integral the loop starts from; P acts on the first error at once. */
static void test_start_level_is_the_bias(void) {
    hb_pid_config c = cfg(20, 20, 0);
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 37);
    CU_ASSERT_EQUAL(hb_pid_update(p, 0, 22, 21.5), 37.0 + 20 * 0.5);
    HB_ASSERT_NEAR(hb_pid_integral(p), 37.0, 1e-12);
    double u = hb_pid_update(p, 60, 22, 21.5);
    HB_ASSERT_NEAR(u, 37 + 20 * 0.5 + 20 * 0.5 * (60 / 3600.0), 1e-9);
    hb_pid_destroy(p);
}

/* Issue 13 of the safety audit: one first reading 3 K too warm, then a room at its setpoint. The
 * old priming (first output = u0) baked +60 % into the integral and walked the valve to 78 %; now
 * the wrong reading moves one output and leaves nothing behind. */
static void test_wrong_first_reading_is_forgotten(void) {
    hb_pid_config c = cfg(20, 20, 0);
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 20);
    CU_ASSERT_EQUAL(hb_pid_update(p, 0, 22, 25), 0.0);
    double hi = 0;
    for (int i = 1; i <= 120; i++) {
        double u = hb_pid_update(p, 60.0 * i, 22, 22);
        hi = u > hi ? u : hi;
    }
    CU_ASSERT(hi <= 20.0 + 1e-9);
    hb_pid_destroy(p);
}

static void test_non_finite_refused(void) {
    hb_pid_config c = cfg(20, 20, 0);
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 30);
    CU_ASSERT_EQUAL(hb_pid_update(p, 0, 22, NAN), 30.0); /* before the first good update */
    double u = hb_pid_update(p, 10, 22, 21);
    double i = hb_pid_integral(p);
    CU_ASSERT_EQUAL(hb_pid_update(p, 70, 22, NAN), u);
    CU_ASSERT_EQUAL(hb_pid_update(p, 80, NAN, 21), u);
    CU_ASSERT_EQUAL(hb_pid_update(p, 90, 22, INFINITY), u);
    CU_ASSERT_EQUAL(hb_pid_update(p, NAN, 22, 21), u);
    CU_ASSERT_EQUAL(hb_pid_integral(p), i);
    CU_ASSERT(isfinite(hb_pid_update(p, 130, 22, 21)));
    CU_ASSERT(isfinite(hb_pid_integral(p)));
    hb_pid_destroy(p);
}

static void test_windup_recovery(void) {
    hb_pid_config c = cfg(10, 20, 0);
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 0);
    double t = 0;
    double u_cold = 0;
    for (int i = 0; i < 600; i++, t += 60) { /* 10 h at 2 K too cold */
        u_cold = hb_pid_update(p, t, 22, 20);
    }
    CU_ASSERT_EQUAL(u_cold, 100.0); /* saturated */
    /* Without anti-windup the integral would hold 20 * 2 * 10 = 400 %; it is tracked instead. */
    CU_ASSERT(hb_pid_integral(p) < 100.0 + 10 * 2 + 1);
    /* As soon as the room is too warm the output leaves saturation: the first update. */
    double u = hb_pid_update(p, t, 22, 22.5);
    CU_ASSERT(u < 100.0);
    CU_ASSERT(u > 50.0);
    hb_pid_destroy(p);
}

static void test_derivative_filter(void) {
    hb_pid_config c = cfg(10, 0, 10); /* Td = 1 h, N = 10 -> Tf = 0.1 h */
    c.out_min = -1000;
    c.out_max = 1000;
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 0);
    hb_pid_update(p, 0, 22, 22);
    double u0 = hb_pid_update(p, 60, 22, 22);
    double u1 = hb_pid_update(p, 120, 22, 23); /* 1 K step in the measurement */
    double dt = 60 / 3600.0;
    double tf = 0.1;
    double d1 = -10 / (tf + dt);
    HB_ASSERT_NEAR(u1 - u0, -10 * 1 + d1, 1e-9);
    CU_ASSERT(fabs(d1) < 10 / tf); /* filtered: far from the raw -kd/dt = -600 */
    double u2 = hb_pid_update(p, 180, 22, 23);
    HB_ASSERT_NEAR(u2 - (u0 - 10), d1 * tf / (tf + dt), 1e-9); /* decays with Tf */
    hb_pid_destroy(p);
}

static void test_irregular_dt(void) {
    hb_pid_config c = cfg(0, 10, 0);
    c.out_max = 1000;
    hb_pid *a = hb_pid_create(&c);
    hb_pid *b = hb_pid_create(&c);
    hb_pid_reset(a, 0);
    hb_pid_reset(b, 0);
    hb_pid_update(a, 0, 22, 21);
    hb_pid_update(b, 0, 22, 21);
    double ua = 0;
    for (int i = 1; i <= 60; i++) {
        ua = hb_pid_update(a, i * 60.0, 22, 21); /* regular 60 s */
    }
    srand(5);
    double t = 0;
    double ub = 0;
    while (t < 3600) { /* random 1..300 s gaps ending exactly at 1 h */
        t += 1 + rand() % 300;
        if (t > 3600) {
            t = 3600;
        }
        ub = hb_pid_update(b, t, 22, 21);
    }
    HB_ASSERT_NEAR(ua, 10.0, 1e-9); /* ki * e * 1 h */
    HB_ASSERT_NEAR(ub, ua, 1e-9);
    /* Time that does not advance changes nothing; a long gap is clamped to max_dt. */
    CU_ASSERT_EQUAL(hb_pid_update(b, 3600, 22, 0), ub);
    double uc = hb_pid_update(b, 3600 + 36000, 22, 21);
    HB_ASSERT_NEAR(uc - ub, 10 * 900 / 3600.0, 1e-9);
    hb_pid_destroy(a);
    hb_pid_destroy(b);
}

static void test_gain_change_bumpless(void) {
    hb_pid_config c = cfg(10, 10, 0);
    hb_pid *p = hb_pid_create(&c);
    hb_pid_reset(p, 40);
    hb_pid_update(p, 0, 22, 21);
    double u = hb_pid_update(p, 60, 22, 21);
    hb_pid_set_gains(p, 40, 10, 0);
    double u2 = hb_pid_update(p, 60.001, 22, 21);
    HB_ASSERT_NEAR(u2, u, 1e-3);
    hb_pid_destroy(p);
}

static void test_invalid(void) {
    hb_pid_config c = cfg(-1, 0, 0);
    CU_ASSERT_PTR_NULL(hb_pid_create(&c));
    c = cfg(1, 0, 0);
    c.out_max = c.out_min;
    CU_ASSERT_PTR_NULL(hb_pid_create(&c));
}

int hb_test_pid(void) {
    static const CU_TestInfo t[] = {
        {"start level is the bias", test_start_level_is_the_bias},
        {"a wrong first reading is forgotten", test_wrong_first_reading_is_forgotten},
        {"non-finite input refused", test_non_finite_refused},
        {"anti-windup: recovers at once", test_windup_recovery},
        {"derivative on measurement, filtered", test_derivative_filter},
        {"irregular dt integrates exactly", test_irregular_dt},
        {"gain change is bumpless", test_gain_change_bumpless},
        {"invalid settings refused", test_invalid},
        CU_TEST_INFO_NULL};
    return hb_test_register("pid", t);
}
