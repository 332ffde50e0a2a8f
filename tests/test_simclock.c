#include "../mqtt/hb_simclock.h"
#include "hb_test.h"

#include <stdio.h>
#include <string.h>

/* A tick of room time T at monotonic time MONO. */
static int tick(hb_simclock *c, double t, double mono) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "{\"t\":%.3f}", t);
    return hb_simclock_tick(c, buf, (size_t)n, false, mono);
}

static int raw(hb_simclock *c, const char *payload, double mono) {
    return hb_simclock_tick(c, payload, strlen(payload), false, mono);
}

static void test_wall_paced_before_ticks(void) {
    hb_simclock c;
    hb_simclock_init(&c, 10.0, false);
    CU_ASSERT_FALSE(hb_simclock_started(&c));
    CU_ASSERT(isnan(hb_simclock_now(&c, 5.0)));
    hb_simclock_start(&c, 100.0, 50.0);
    CU_ASSERT(hb_simclock_started(&c));
    CU_ASSERT_FALSE(hb_simclock_following(&c));
    HB_ASSERT_NEAR(hb_simclock_now(&c, 50.0), 100.0, 1e-9);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 52.5), 125.0, 1e-9);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 40.0), 100.0, 1e-9); /* before the start: not earlier */
    CU_ASSERT(isnan(hb_simclock_silence(&c, 60.0)));
    HB_ASSERT_NEAR(hb_simclock_rate(&c), 10.0, 1e-12);
}

static void test_first_tick(void) {
    /* Not started: the room's own time (record stamps rows with it). */
    hb_simclock c;
    hb_simclock_init(&c, 1.0, false);
    CU_ASSERT_EQUAL(tick(&c, 36000.0, 7.0), HB_SIMCLOCK_FIRST);
    CU_ASSERT(hb_simclock_following(&c));
    HB_ASSERT_NEAR(hb_simclock_now(&c, 7.0), 36000.0, 1e-9);
    /* Started: no jump, the clock carries on from its own time at the room's pace. */
    hb_simclock_init(&c, 60.0, false);
    hb_simclock_start(&c, 0.0, 0.0);
    CU_ASSERT_EQUAL(tick(&c, 50000.0, 2.0), HB_SIMCLOCK_FIRST);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 2.0), 120.0, 1e-9);
    CU_ASSERT_EQUAL(tick(&c, 50060.0, 3.0), HB_SIMCLOCK_TICK);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 3.0), 180.0, 1e-9);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 3.5), 210.0, 1e-9); /* half a tick on, at the speed */
    /* a later start does not move a followed clock */
    hb_simclock_start(&c, 9999.0, 3.5);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 3.5), 210.0, 1e-9);
    CU_ASSERT_EQUAL(c.ticks, 2);
}

/* At 1440 times the wall clock (a tick every 1/24 s): the pace is the ticks' once they span half
 * a second, and a room that stops holds the clock a minute past its last tick. */
static void test_pace_and_stall(void) {
    hb_simclock c;
    hb_simclock_init(&c, 1.0, false); /* a wrong speed: the ticks correct it */
    hb_simclock_start(&c, 0.0, 0.0);
    double dt = 60.0 / 1440.0;
    int k = 0;
    for (; k <= 24; k++) {
        CU_ASSERT(tick(&c, 60.0 * k, k * dt) != HB_SIMCLOCK_BAD);
    }
    double m = (k - 1) * dt; /* the last tick: 1440 s of room time after one wall second */
    HB_ASSERT_NEAR(hb_simclock_rate(&c), 1440.0, 1e-6);
    HB_ASSERT_NEAR(hb_simclock_now(&c, m), 1440.0, 1e-6);
    HB_ASSERT_NEAR(hb_simclock_now(&c, m + dt / 2), 1470.0, 1e-6);
    /* live stopped for five wall seconds: the clock waits a minute past the last tick */
    HB_ASSERT_NEAR(hb_simclock_now(&c, m + 5.0), 1500.0, 1e-6);
    HB_ASSERT_NEAR(hb_simclock_silence(&c, m + 5.0), 5.0, 1e-9);
    /* and when the room catches up (its ticks in a burst), follows it minute by minute */
    double prev = hb_simclock_now(&c, m + 5.0);
    for (int j = 1; j <= 120; j++) {
        CU_ASSERT_EQUAL(tick(&c, 1440.0 + 60.0 * j, m + 5.0 + j * 1e-3), HB_SIMCLOCK_TICK);
        double now = hb_simclock_now(&c, m + 5.0 + j * 1e-3);
        CU_ASSERT(now >= prev);
        CU_ASSERT(now <= 1440.0 + 60.0 * j + HB_SIMCLOCK_TICK_S + 1e-9);
        prev = now;
    }
    HB_ASSERT_NEAR(hb_simclock_silence(&c, m + 5.12), 0.0, 1e-9);
}

/* Ticks closer together than the clock ran on, and calls in any order: it never shows less than
 * it has shown. */
static void test_never_backwards(void) {
    static const double ticks[][2] = {
        /* room time, wall time */
        {0, 0.0},     {10, 0.2},    {15, 0.21},  {200, 0.3},  {205, 0.9},
        {206, 0.95},  {900, 1.0},   {901, 3.0},  {960, 3.01}, {1000, 3.02},
        {1001, 3.03}, {5000, 3.04}, {5001, 9.0}, {5002, 9.5}, {5003, 9.6},
    };
    hb_simclock c;
    hb_simclock_init(&c, 600.0, false);
    hb_simclock_start(&c, 0.0, 0.0);
    double shown = hb_simclock_now(&c, 0.0);
    double m = 0.0;
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
        /* a look at the clock just before the tick, one at it, one later */
        for (int k = 0; m + 0.01 * k < ticks[i][1]; k++) {
            double now = hb_simclock_now(&c, m + 0.01 * k);
            CU_ASSERT(now >= shown);
            shown = now;
        }
        m = ticks[i][1];
        tick(&c, ticks[i][0], m);
        double now = hb_simclock_now(&c, m);
        CU_ASSERT(now >= shown);
        shown = now;
    }
}

static void test_bad_payloads_ignored(void) {
    hb_simclock c;
    hb_simclock_init(&c, 100.0, false);
    hb_simclock_start(&c, 0.0, 0.0);
    CU_ASSERT_EQUAL(tick(&c, 1000.0, 1.0), HB_SIMCLOCK_FIRST);
    double before = hb_simclock_now(&c, 1.0);
    static const char *const bad[] = {
        "",
        "{",
        "not json",
        "[1,2]",
        "{\"t\":\"soon\"}",
        "{\"x\":1}",
        "{\"t\":null}",
        "{\"t\":1e400}",
        "{\"t\":1e11}",
        "{\"t\":5} trailing",
        "\"t\"",
        "{\"t\":[1]}",
        "{\"t\":{\"t\":2000}}",
        "{\"t\":2000,}",
    };
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(raw(&c, bad[i], 1.0), HB_SIMCLOCK_BAD);
    }
    /* NUL bytes inside the payload's length, and a retained tick (of unknown age) */
    CU_ASSERT_EQUAL(hb_simclock_tick(&c, "{\"t\":2000}\0x", 12, false, 1.0), HB_SIMCLOCK_BAD);
    CU_ASSERT_EQUAL(hb_simclock_tick(&c, "{\"t\":2000}", 10, true, 1.0), HB_SIMCLOCK_BAD);
    CU_ASSERT_EQUAL(c.bad, n + 2);
    CU_ASSERT_EQUAL(c.ticks, 1);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 1.0), before, 1e-9);
    /* a bad payload before the first tick does not start anything */
    hb_simclock_init(&c, 1.0, false);
    CU_ASSERT_EQUAL(raw(&c, "{}", 1.0), HB_SIMCLOCK_BAD);
    CU_ASSERT_FALSE(hb_simclock_started(&c));
    /* a numeric string and blanks are a tick, as in the readings */
    CU_ASSERT_EQUAL(raw(&c, " { \"t\" : \"12.5\" }\n", 1.0), HB_SIMCLOCK_FIRST);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 1.0), 12.5, 1e-12);
}

static void test_backwards_ignored_or_restart(void) {
    hb_simclock c;
    hb_simclock_init(&c, 60.0, false);
    hb_simclock_start(&c, 0.0, 0.0);
    tick(&c, 7200.0, 0.0);
    tick(&c, 7260.0, 1.0);
    double now = hb_simclock_now(&c, 1.0);
    CU_ASSERT_EQUAL(tick(&c, 7260.0, 1.0), HB_SIMCLOCK_BACK); /* a repeat */
    CU_ASSERT_EQUAL(tick(&c, 7000.0, 1.0), HB_SIMCLOCK_BACK); /* out of order */
    CU_ASSERT_EQUAL(tick(&c, 0.0, 1.0), HB_SIMCLOCK_BACK);    /* no restarts: ignored */
    CU_ASSERT_EQUAL(c.back, 3);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 1.0), now, 1e-9);
    CU_ASSERT_EQUAL(tick(&c, 7320.0, 2.0), HB_SIMCLOCK_TICK); /* and the room goes on */
    /* ... and a room started again is never followed: the clock stops with the old one */
    for (int k = 0; k < 20; k++) {
        CU_ASSERT_EQUAL(tick(&c, 60.0 * k, 3.0 + k), HB_SIMCLOCK_BACK);
    }
    HB_ASSERT_NEAR(hb_simclock_now(&c, 22.0), 7320.0 - 7200.0 + HB_SIMCLOCK_TICK_S, 1e-9);
    /* With restarts: a lone tick behind is out of order, whatever the distance; steady ticks
     * behind once the run has been silent three ticks (3 s at 60x) are a new room, followed
     * from the clock's own time (it does not go back). */
    hb_simclock_init(&c, 60.0, true);
    hb_simclock_start(&c, 0.0, 0.0);
    tick(&c, 7200.0, 0.0);
    tick(&c, 7260.0, 1.0);
    CU_ASSERT_EQUAL(tick(&c, 7000.0, 1.0), HB_SIMCLOCK_BACK);
    CU_ASSERT_EQUAL(tick(&c, 60.0, 1.5), HB_SIMCLOCK_BACK);
    CU_ASSERT_EQUAL(tick(&c, 120.0, 2.0), HB_SIMCLOCK_BACK);
    CU_ASSERT_EQUAL(tick(&c, 180.0, 3.0), HB_SIMCLOCK_BACK); /* steady, but the run silent 2 s */
    CU_ASSERT_EQUAL(c.restarts, 0);
    CU_ASSERT_EQUAL(tick(&c, 240.0, 4.0), HB_SIMCLOCK_RESTART);
    CU_ASSERT_EQUAL(c.restarts, 1);
    CU_ASSERT_EQUAL(c.back, 4);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 4.0), 60.0 + 60.0, 1e-9); /* where it was: no jump */
    CU_ASSERT_EQUAL(tick(&c, 300.0, 5.0), HB_SIMCLOCK_TICK);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 5.0), 180.0, 1e-9);
    /* the old room's late tick is now behind the new run's... */
    CU_ASSERT_EQUAL(tick(&c, 7320.0, 5.1), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(c.ahead, 1);
}

/* A new run ahead of the old one (a room started again later in its day) takes over as one
 * behind does; a lone tick ahead, or ticks too far apart to be a room's, never do. */
static void test_new_run_ahead(void) {
    hb_simclock c;
    hb_simclock_init(&c, 60.0, true);
    hb_simclock_start(&c, 0.0, 0.0);
    for (int k = 0; k <= 10; k++) {
        tick(&c, 60.0 * k, k);
    }
    /* the old room ends at 600 s; ticks an hour apart a second apart are no room */
    CU_ASSERT_EQUAL(tick(&c, 1e5, 11.0), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(tick(&c, 1e5 + 3600, 12.0), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(tick(&c, 1e5 + 7200, 13.0), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(tick(&c, 1e5 + 10800, 14.0), HB_SIMCLOCK_AHEAD);
    /* a room a day on, a minute a second */
    CU_ASSERT_EQUAL(tick(&c, 86400.0, 15.0), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(tick(&c, 86460.0, 16.0), HB_SIMCLOCK_AHEAD);
    CU_ASSERT_EQUAL(tick(&c, 86520.0, 17.0), HB_SIMCLOCK_RESTART);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 17.0), 660.0, 1e-9); /* no jump */
    CU_ASSERT_EQUAL(tick(&c, 86580.0, 18.0), HB_SIMCLOCK_TICK);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 18.0), 720.0, 1e-9);
    CU_ASSERT_EQUAL(c.ahead, 6);
}

/* Two `heatbench live` on one broker, both ticking every wall second at 60x: A (followed) from
 * 0, B from 50,000 s, half a second apart. The clock stays with A for 100 wall seconds and
 * counts every tick of B as ignored; the two never trade places. */
static void test_two_publishers(void) {
    for (int restarts = 0; restarts <= 1; restarts++) {
        hb_simclock c;
        hb_simclock_init(&c, 60.0, restarts != 0);
        hb_simclock_start(&c, 0.0, 0.0);
        unsigned long followed = 0, ignored = 0;
        for (int k = 0; k < 100; k++) {
            int va = tick(&c, 60.0 * k, k);
            int vb = tick(&c, 50000.0 + 60.0 * k, k + 0.5);
            followed += va == HB_SIMCLOCK_FIRST || va == HB_SIMCLOCK_TICK;
            ignored += vb != HB_SIMCLOCK_TICK && vb != HB_SIMCLOCK_RESTART;
        }
        CU_ASSERT_EQUAL(followed, 100);
        CU_ASSERT_EQUAL(ignored, 100);
        CU_ASSERT_EQUAL(c.restarts, 0);
        HB_ASSERT_NEAR(hb_simclock_now(&c, 99.5), 99.5 * 60.0, 1.0);
        HB_ASSERT_NEAR(hb_simclock_rate(&c), 60.0, 1e-6);
    }
}

/* tune --live (no restarts): one stray tick a day ahead is ignored, the room's ticks after it
 * are followed. */
static void test_stray_tick_ahead(void) {
    hb_simclock c;
    hb_simclock_init(&c, 60.0, false);
    hb_simclock_start(&c, 0.0, 0.0);
    for (int k = 0; k <= 10; k++) {
        tick(&c, 60.0 * k, k);
    }
    CU_ASSERT_NOT_EQUAL(tick(&c, 600.0 + 86400.0, 10.5), HB_SIMCLOCK_TICK);
    HB_ASSERT_NEAR(hb_simclock_now(&c, 10.5), 630.0, 1e-6);
    for (int k = 11; k <= 20; k++) {
        CU_ASSERT_EQUAL(tick(&c, 60.0 * k, k), HB_SIMCLOCK_TICK);
    }
    HB_ASSERT_NEAR(hb_simclock_now(&c, 20.0), 1200.0, 1e-6);
    CU_ASSERT_EQUAL(c.ticks, 21);
}

/* A room restarted within its first hour (control, record): 1800 s of it at 60x, then a new
 * `live` from 0 a fifth of a second later. Once the old run has been silent for three ticks and
 * the new one has ticked steadily, the clock follows the new one from its own time: it stands
 * for a few wall seconds at most (not the ~30 s until the new room passes the old one's time)
 * and never jumps. */
static void test_restart_in_first_hour(void) {
    hb_simclock c;
    hb_simclock_init(&c, 60.0, true);
    hb_simclock_start(&c, 0.0, 0.0);
    for (int k = 0; k <= 30; k++) {
        tick(&c, 60.0 * k, k);
    }
    double shown = hb_simclock_now(&c, 30.0), since = 30.0, frozen = 0, jump = 0, at_79 = NAN;
    int restart_at = -1;
    for (int k = 0; k < 60; k++) {
        double mono = 30.2 + k;
        /* the clock looked at every tenth of a second before the tick */
        for (int j = 9; j >= 0; j--) {
            double m = mono - 0.1 * j;
            double now = hb_simclock_now(&c, m);
            CU_ASSERT(now >= shown - 1e-9);
            if (now > shown + 1e-9) {
                frozen = fmax(frozen, m - since);
                since = m;
            }
            shown = now;
        }
        if (tick(&c, 60.0 * k, mono) == HB_SIMCLOCK_RESTART) {
            restart_at = k;
        }
        double now = hb_simclock_now(&c, mono);
        jump = fmax(jump, now - shown);
        if (now > shown + 1e-9) {
            frozen = fmax(frozen, mono - since);
            since = mono;
        }
        shown = now;
        at_79 = k == 49 ? now : at_79; /* at wall 79.2 s */
    }
    CU_ASSERT(restart_at >= 2 && restart_at <= 4);
    /* and at the new room's pace: a minute a wall second */
    CU_ASSERT(shown - at_79 > 600.0 - 1e-6 && shown - at_79 < 600.0 + 1e-6);
    CU_ASSERT_EQUAL(c.restarts, 1);
    CU_ASSERT(frozen < 5.0);
    CU_ASSERT(jump <= HB_SIMCLOCK_TICK_S + 1e-9);
}

/* The pace is the recent ticks': one 30 s stall of the room among 40 ticks at 60x does not pull
 * it down, nor does a burst of ticks that queued up while the follower stood still. */
static void test_pace_after_stall(void) {
    hb_simclock c;
    hb_simclock_init(&c, 60.0, true);
    hb_simclock_start(&c, 0.0, 0.0);
    double mono = 0;
    for (int k = 0; k < 40; k++) {
        mono += k == 20 ? 30.0 : 1.0; /* the room stood still for 30 s before its 21st tick */
        tick(&c, 60.0 * k, mono);
    }
    HB_ASSERT_NEAR(hb_simclock_rate(&c), 60.0, 1e-6);
    /* the follower stopped for 30 s: the room's 30 ticks come in a burst */
    mono += 30.0;
    for (int k = 40; k < 70; k++) {
        tick(&c, 60.0 * k, mono + (k - 40) * 1e-4);
        CU_ASSERT(hb_simclock_rate(&c) > 30.0 && hb_simclock_rate(&c) < 120.0);
    }
    for (int k = 70; k < 80; k++) {
        tick(&c, 60.0 * k, mono + (k - 69));
    }
    HB_ASSERT_NEAR(hb_simclock_rate(&c), 60.0, 0.5);
}

int hb_test_simclock(void) {
    static const CU_TestInfo tests[] = {
        {"wall-paced before ticks", test_wall_paced_before_ticks},
        {"first tick: the room's time or no jump", test_first_tick},
        {"the ticks' pace; a stopped room holds the clock", test_pace_and_stall},
        {"never backwards", test_never_backwards},
        {"bad payloads are counted and ignored", test_bad_payloads_ignored},
        {"backwards ticks ignored, or a restart followed", test_backwards_ignored_or_restart},
        {"a new run ahead takes over like a restart", test_new_run_ahead},
        {"two publishers: the clock stays with one", test_two_publishers},
        {"a stray tick far ahead is ignored", test_stray_tick_ahead},
        {"a restart within the first hour", test_restart_in_first_hour},
        {"the pace of recent ticks, past a stall", test_pace_after_stall},
        CU_TEST_INFO_NULL,
    };
    return hb_test_register("simclock", tests);
}
