#include "../controllers/hb_room_ctl.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Silence after control: after failsafe_hold_s the level becomes the mean level that held the
 * room (here 40 %), not the fixed failsafe_level; on return the PID continues from it. */
static void test_failsafe_and_resume(void) {
    hb_room_ctl_config c = base();
    c.failsafe_level = 30;
    c.failsafe_hold_s = 0;
    c.initial_level = 40;
    c.pid.ki = 0;
    c.fusion.stale_s = 300;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    for (int t = 0; t <= 3600; t += 60) {
        feed(k, t, 22.0);
        hb_room_ctl_poll(k, t, &level);
    }
    CU_ASSERT_FALSE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 40);
    hb_room_ctl_poll(k, 5000, &level); /* silence for 1400 s */
    CU_ASSERT_TRUE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 40);
    feed(k, 5100, 22.0); /* back: continues from 40, no jump */
    hb_room_ctl_poll(k, 5100, &level);
    CU_ASSERT_FALSE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 40);
    hb_room_ctl_destroy(k);
}

/* With no history at all (the room never gathered readings) the fixed level is the fail-safe. */
static void test_failsafe_without_history(void) {
    hb_room_ctl_config c = base();
    c.failsafe_level = 30;
    c.initial_level = 12;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 0, &level));
    CU_ASSERT_TRUE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(level, 30);
    hb_room_ctl_destroy(k);
}

/* A short silence holds the last level; only after failsafe_hold_s does the fail-safe come. */
static void test_failsafe_hold(void) {
    hb_room_ctl_config c = base();
    c.failsafe_level = 30;
    c.failsafe_hold_s = 1800;
    c.initial_level = 12;
    c.fusion.stale_s = 300;
    c.heartbeat_s = 100000;
    c.deadband_pct = 0;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    feed(k, 0, 22.0);
    hb_room_ctl_poll(k, 0, &level);
    CU_ASSERT_EQUAL(level, 12);
    for (int t = 60; t <= 3600; t += 60) { /* an hour at 21.5 °C: the level climbs */
        feed(k, t, 21.5);
        hb_room_ctl_poll(k, t, &level);
    }
    int before = hb_room_ctl_level(k);
    CU_ASSERT(before > 25);
    hb_room_ctl_poll(k, 4200, &level); /* stale, held */
    CU_ASSERT_TRUE(hb_room_ctl_failsafe(k));
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), before);
    hb_room_ctl_poll(k, 4200 + 1800, &level); /* hold over: the mean of the last hour */
    int fs = hb_room_ctl_level(k);
    CU_ASSERT(fs > 12 && fs < before);
    CU_ASSERT(fs != 30);
    hb_room_ctl_destroy(k);
}

/* Two equal clusters 6 K apart: fusion's median fallback keeps everything finite, and once the
 * sensors agree again the controller controls again (the audit found the valve at 0 for ever). */
static void test_split_recovers(void) {
    hb_room_ctl_config c = base();
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    for (int t = 0; t < 600; t += 10) {
        feed(k, t, 22.0);
        hb_room_ctl_poll(k, t, &level);
    }
    for (int t = 600; t < 700; t += 10) {
        hb_room_ctl_reading(k, t, "sensor-1", 19.0);
        hb_room_ctl_reading(k, t, "sensor-2", 19.0);
        hb_room_ctl_reading(k, t, "sensor-3", 25.0);
        hb_room_ctl_reading(k, t, "sensor-4", 25.0);
        hb_room_ctl_poll(k, t, &level);
        CU_ASSERT(isfinite(hb_room_ctl_estimate(k)));
    }
    for (int t = 700; t < 700 + 3600; t += 10) {
        hb_room_ctl_reading(k, t, "sensor-1", 19.0);
        hb_room_ctl_reading(k, t, "sensor-2", 19.0);
        hb_room_ctl_reading(k, t, "sensor-3", 19.0);
        hb_room_ctl_reading(k, t, "sensor-4", 19.0);
        hb_room_ctl_poll(k, t, &level);
    }
    CU_ASSERT(isfinite(hb_room_ctl_estimate(k)));
    HB_ASSERT_NEAR(hb_room_ctl_estimate(k), 19.0, 0.01);
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 100); /* 3 K too cold for an hour: full heat */
    hb_room_ctl_destroy(k);
}

/* Start-up quorum: one sensor stuck at 30 °C reports first; the controller holds its start level
 * until three sensors agree, then starts from their estimate, not from the stuck one. */
static void test_quorum(void) {
    hb_room_ctl_config c = base();
    c.initial_level = 20;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    hb_room_ctl_reading(k, 0, "stuck", 30.0);
    CU_ASSERT_TRUE(hb_room_ctl_poll(k, 0, &level)); /* the first command: the start level */
    CU_ASSERT_EQUAL(level, 20);
    CU_ASSERT_FALSE(hb_room_ctl_started(k));
    hb_room_ctl_reading(k, 5, "sensor-1", 21.9);
    hb_room_ctl_reading(k, 6, "sensor-2", 22.1);
    hb_room_ctl_poll(k, 6, &level);
    CU_ASSERT_FALSE(hb_room_ctl_started(k)); /* 30, 21.9, 22.1: two agree, no quorum */
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 20);
    hb_room_ctl_reading(k, 7, "sensor-3", 22.0);
    hb_room_ctl_poll(k, 7, &level);
    CU_ASSERT_TRUE(hb_room_ctl_started(k));
    HB_ASSERT_NEAR(hb_room_ctl_estimate(k), 22.0, 1e-9);
    CU_ASSERT_EQUAL(hb_room_ctl_level(k), 20);
    hb_room_ctl_destroy(k);
}

/* A room with fewer working sensors than the quorum still starts, after quorum_wait_s. */
static void test_quorum_wait(void) {
    hb_room_ctl_config c = base();
    c.quorum_wait_s = 900;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    for (int t = 0; t < 900; t += 10) {
        hb_room_ctl_reading(k, t, "sensor-1", 20.0);
        hb_room_ctl_poll(k, t, &level);
        CU_ASSERT_FALSE(hb_room_ctl_started(k));
    }
    hb_room_ctl_reading(k, 900, "sensor-1", 20.0);
    hb_room_ctl_poll(k, 900, &level);
    CU_ASSERT_TRUE(hb_room_ctl_started(k));
    CU_ASSERT(hb_room_ctl_level(k) > 20);
    hb_room_ctl_destroy(k);
}

/* Forged ids beyond the expected five get no vote and take no slot while the real ones are
 * fresh: the estimate stays on the real sensors. */
static void test_forged_ids(void) {
    hb_room_ctl_config c = base();
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    for (int t = 0; t < 1200; t += 10) {
        for (int i = 1; i <= 5; i++) {
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", i);
            CU_ASSERT_EQUAL(hb_room_ctl_reading(k, t, id, 22.0), HB_OK);
        }
        for (int i = 0; i < 16; i++) {
            char id[16];
            snprintf(id, sizeof id, "forged-%d", i);
            CU_ASSERT_EQUAL(hb_room_ctl_reading(k, t + 1, id, 35.0), HB_ERR_FULL);
        }
        hb_room_ctl_poll(k, t + 1, &level);
    }
    HB_ASSERT_NEAR(hb_room_ctl_estimate(k), 22.0, 1e-9);
    hb_room_ctl_destroy(k);
}

/* SIGHUP's reconfiguration: new gains and setpoint weight without a bump; bad settings refused. */
static void test_reconfigure(void) {
    hb_room_ctl_config c = base();
    c.initial_level = 40;
    c.deadband_pct = 0;
    hb_room_ctl *k = hb_room_ctl_create(&c);
    int level;
    for (int t = 0; t <= 600; t += 60) {
        feed(k, t, 21.8);
        hb_room_ctl_poll(k, t, &level);
    }
    int before = hb_room_ctl_level(k);
    hb_room_ctl_config n = c;
    n.pid.kp = 60;
    n.pid.b = 0.5;
    CU_ASSERT_EQUAL(hb_room_ctl_reconfigure(k, &n), HB_OK);
    feed(k, 601, 21.8);
    hb_room_ctl_poll(k, 661, &level);
    CU_ASSERT(abs(hb_room_ctl_level(k) - before) <= 1);
    n.update_s = -1;
    CU_ASSERT_EQUAL(hb_room_ctl_reconfigure(k, &n), HB_ERR_INVAL);
    hb_room_ctl_destroy(k);
}

/* Runs C from T0 to T1 (s) with readings every 60 s following TEMP(t); returns the last level. */
static int hb__drive(hb_room_ctl *c, double t0, double t1, double (*temp)(double)) {
    int level = -1;
    for (int k = 0; t0 + 60.0 * k < t1; k++) {
        double t = t0 + 60.0 * k;
        feed(c, t, temp(t));
        int l;
        if (hb_room_ctl_poll(c, t, &l)) {
            level = l;
        }
    }
    return hb_room_ctl_level(c) >= 0 ? hb_room_ctl_level(c) : level;
}

/* 21 °C for an hour, then a fall of 1.5 K within 4 minutes (a window opened at 3600 s), the
 * air staying low while it is open. */
static double hb__airing(double t) {
    return t < 3600 ? 21.0 : (t < 3840 ? 21.0 - 1.5 * (t - 3600) / 240 : 19.5);
}
/* The same fall over two hours. */
static double hb__slow(double t) {
    return t < 3600 ? 21.0 : 21.0 - 1.5 * fmin(1.0, (t - 3600) / 7200);
}
/* 21 °C until 3 h, then the airing. */
static double hb__later(double t) {
    return hb__airing(t - 7200);
}
/* The airing, the window shut after 10 minutes: the air comes back at once. */
static double hb__shut(double t) {
    return t < 4200 ? hb__airing(t) : 20.8;
}

static void test_window(void) {
    hb_room_ctl_config cfg = base();
    cfg.window.detect = true;
    /* A fast fall closes the valve, for the closed time, once. */
    hb_room_ctl *c = hb_room_ctl_create(&cfg);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(hb__drive(c, 0, 3600, hb__airing) > 0);
    CU_ASSERT(!hb_room_ctl_window_open(c));
    CU_ASSERT_EQUAL(hb__drive(c, 3600, 4000, hb__airing), 0);
    CU_ASSERT(hb_room_ctl_window_open(c));
    CU_ASSERT_EQUAL(hb__drive(c, 4000, 3600 + cfg.window.close_s, hb__airing), 0);
    CU_ASSERT(hb__drive(c, 3600 + cfg.window.close_s + 120, 3600 + cfg.window.close_s + 600,
                        hb__airing) > 0); /* reopened, heating the cold room */
    CU_ASSERT(!hb_room_ctl_window_open(c));
    CU_ASSERT_EQUAL(hb_room_ctl_windows(c), 1);
    hb_room_ctl_destroy(c);
    /* A window shut early: the valve reopens when the air comes back, not at the closed time's
     * end. */
    c = hb_room_ctl_create(&cfg);
    CU_ASSERT_FATAL(c != NULL);
    hb__drive(c, 0, 4200, hb__shut);
    CU_ASSERT(hb_room_ctl_window_open(c));
    CU_ASSERT(hb__drive(c, 4200, 4500, hb__shut) > 0);
    CU_ASSERT(!hb_room_ctl_window_open(c));
    hb_room_ctl_destroy(c);
    /* The same fall over two hours is the weather, not a window. */
    c = hb_room_ctl_create(&cfg);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(hb__drive(c, 0, 3600 + 7200, hb__slow) > 0);
    CU_ASSERT_EQUAL(hb_room_ctl_windows(c), 0);
    hb_room_ctl_destroy(c);
    /* Off: the airing is heated like any shortfall. */
    cfg.window.detect = false;
    c = hb_room_ctl_create(&cfg);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(hb__drive(c, 0, 4000, hb__airing) > 0);
    CU_ASSERT(!hb_room_ctl_window_open(c));
    /* Switched on by a reconfigure: it detects from then on. */
    cfg.window.detect = true;
    CU_ASSERT_EQUAL(hb_room_ctl_reconfigure(c, &cfg), HB_OK);
    CU_ASSERT(hb__drive(c, 4000, 10800, hb__later) > 0);
    CU_ASSERT_EQUAL(hb__drive(c, 10800, 11200, hb__later), 0);
    CU_ASSERT_EQUAL(hb_room_ctl_windows(c), 1);
    /* Settings out of range are refused. */
    cfg.window.within_s = 0;
    CU_ASSERT_EQUAL(hb_room_ctl_check(&cfg), HB_ERR_INVAL);
    hb_room_ctl_destroy(c);
}

/* hb_room_ctl_next_poll: a controller polled only when it says it is due (and after each
 * reading, as the daemon's handler does) commands exactly what one polled every quarter second
 * commands, through start-up, a quorum wait, a silence with its fail-safe hold, and a return. */
static void test_next_poll_twin(void) {
    hb_room_ctl_config c = base();
    c.quorum = 2;
    c.quorum_wait_s = 290; /* times between the readings, a minute apart */
    c.failsafe_hold_s = 610;
    c.heartbeat_s = 900;
    c.deadband_pct = 1;
    c.min_interval_s = 120;
    hb_room_ctl *a = hb_room_ctl_create(&c);
    hb_room_ctl *b = hb_room_ctl_create(&c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    double due = -INFINITY;
    int same = 1;
    int commands = 0;
    long polls_b = 0;
    const long sweeps = 5L * 3600 * 4; /* five hours of quarter seconds */
    for (long i = 0; i < sweeps; i++) {
        double t = (double)i * 0.25;
        bool silent = t >= 5400 && t < 9000;
        bool alone = t >= 9000 && t < 10800; /* one sensor: no quorum of 2 */
        if (i % 240 == 0 && !silent) {
            double v = 19.0 + 3.0 * sin(t / 3000.0);
            const char *ids[] = {"sensor-1", "sensor-2", "sensor-3"};
            for (int k = 0; k < (alone ? 1 : 3); k++) {
                hb_room_ctl_reading(a, t, ids[k], v);
                hb_room_ctl_reading(b, t, ids[k], v);
            }
            int la = -1;
            int lb = -1;
            bool pa = hb_room_ctl_poll(a, t, &la);
            bool pb = hb_room_ctl_poll(b, t, &lb);
            same &= pa == pb && la == lb;
            commands += pa;
            due = -INFINITY;
        }
        int la = -1;
        int lb = -1;
        bool pa = hb_room_ctl_poll(a, t, &la);
        bool pb = false;
        if (t >= due) {
            pb = hb_room_ctl_poll(b, t, &lb);
            due = hb_room_ctl_next_poll(b, t);
            polls_b++;
        }
        same &= pa == pb && la == lb && hb_room_ctl_level(a) == hb_room_ctl_level(b) &&
                hb_room_ctl_failsafe(a) == hb_room_ctl_failsafe(b) &&
                hb_room_ctl_started(a) == hb_room_ctl_started(b);
        commands += pa;
    }
    CU_ASSERT_TRUE(same);
    CU_ASSERT_TRUE(commands > 10);
    CU_ASSERT_TRUE(polls_b < sweeps / 10); /* the point: far fewer polls */
    hb_room_ctl_destroy(a);
    hb_room_ctl_destroy(b);
}

int hb_test_room_ctl(void) {
    static const CU_TestInfo t[] = {
        {"first command, heartbeat, resend", test_publish_policy},
        {"deadband and minimum interval", test_deadband_and_min_interval},
        {"fail-safe when stale, bumpless resume", test_failsafe_and_resume},
        {"a short silence holds the last level", test_failsafe_hold},
        {"fail-safe without history: the fixed level", test_failsafe_without_history},
        {"a sensor split never stops control", test_split_recovers},
        {"start-up quorum", test_quorum},
        {"no quorum: start after quorum_wait_s", test_quorum_wait},
        {"forged ids get no vote", test_forged_ids},
        {"reconfigure without a bump", test_reconfigure},
        {"open-window detection", test_window},
        {"polled only when due, the same commands", test_next_poll_twin},
        CU_TEST_INFO_NULL};
    return hb_test_register("room_ctl", t);
}
