#include "../controllers/hb_room_ctl.h"
#include "../engine/hb_sim.h"
#include "hb_test.h"

static hb_room_ctl_config base(void) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_room_ctl_config c = d.controller;
    c.filter_s = 0;
    return c;
}

static void feed(hb_room_ctl *c, double t, double v) {
    hb_room_ctl_reading(c, t, "sensor-1", v);
    hb_room_ctl_reading(c, t, "sensor-2", v);
    hb_room_ctl_reading(c, t, "sensor-3", v);
}

static void test_publish_policy(void) {
    hb_room_ctl_config c = base();
    c.algo = HB_ALGO_BANGBANG;
    c.min_interval_s = 60;
    c.heartbeat_s = 600;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level = -1;
    feed(k, 0, 20.0);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 0, &level)); /* the first command always goes out */
    CU_ASSERT_EQUAL(level, 100);
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 30, &level)); /* nothing changed */
    feed(k, 61, 23.0);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 61, &level)); /* changed, interval passed */
    CU_ASSERT_EQUAL(level, 0);
    feed(k, 100, 23.0);
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 100, &level));
    feed(k, 661, 23.0);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 661, &level)); /* heartbeat */
    CU_ASSERT_EQUAL(level, 0);
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 670, &level));
    hb_room_ctl_resend(k); /* e.g. after a reconnect: send again now, whatever the policy */
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 671, &level));
    CU_ASSERT_EQUAL(level, 0);
    hb_room_ctl_destroy(k);
}

static void test_deadband_and_min_interval(void) {
    hb_room_ctl_config c = base();
    c.pid.kp = 10;
    c.pid.ki = 0;
    c.initial_level = 50;
    c.deadband_pct = 5;
    c.min_interval_s = 120;
    c.update_s = 10;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    feed(k, 0, 22.0);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 0, &level));
    CU_ASSERT_EQUAL(level, 50);
    feed(k, 150, 21.8); /* +2 %: inside the deadband */
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 150, &level));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 52);
    feed(k, 160, 21.0); /* +10 %, interval passed */
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 160, &level));
    CU_ASSERT_EQUAL(level, 60);
    feed(k, 170, 20.0); /* +10 % again, but only 10 s later */
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 170, &level));
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 290, &level));
    CU_ASSERT_EQUAL(level, 70);
    hb_room_ctl_destroy(k);
}

static void test_failsafe_and_resume(void) {
    hb_room_ctl_config c = base();
    c.failsafe_level = 30;
    c.failsafe_hold_s = 0;
    c.initial_level = 10;
    c.fusion.stale_s = 300;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    feed(k, 0, 22.0);
    hb_room_ctl_poll(k, 0, &level);
    CU_ASSERT_FALSE(hb_room_ctl_failsafe(k));
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 1000, &level)); /* silence for 1000 s */
    CU_ASSERT_TRUE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(level, 30);
    feed(k, 1100, 22.0); /* back: continues from 30, no jump */
    hb_room_ctl_poll(k, 1100, &level);
    CU_ASSERT_FALSE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 30);
    hb_room_ctl_destroy(k);
}

/* A short silence holds the last level; only after failsafe_hold_s does the fixed level come. */
static void test_failsafe_hold(void) {
    hb_room_ctl_config c = base();
    c.failsafe_level = 30;
    c.failsafe_hold_s = 1800;
    c.initial_level = 12;
    c.fusion.stale_s = 300;
    c.heartbeat_s = 100000;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    feed(k, 0, 22.0);
    hb_room_ctl_poll(k, 0, &level);
    CU_ASSERT_EQUAL(level, 12);
    CU_ASSERT_FALSE(hb_room_ctl_poll(k, 600, &level)); /* stale, held: nothing to send */
    CU_ASSERT_TRUE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 12);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 600 + 1800, &level)); /* hold over: the safe level */
    CU_ASSERT_EQUAL(level, 30);
    hb_room_ctl_destroy(k);
}

int hb_test_room_ctl(void) {
    static const CU_TestInfo t[] = {
        {"first command, heartbeat, resend", test_publish_policy},
        {"deadband and minimum interval", test_deadband_and_min_interval},
        {"fail-safe when stale, bumpless resume", test_failsafe_and_resume},
        {"a short silence holds the last level", test_failsafe_hold},
        CU_TEST_INFO_NULL};
    return hb_test_register("room_ctl", t);
}
