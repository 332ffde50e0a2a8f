#include "../sim/hb_sim.h"
#include "../daemon/hb_rooms.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static hb_rooms *make(size_t cap, double idle) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    return hb_rooms_create(cap, idle, &d.controller);
}

static void test_cap_and_eviction(void) {
    hb_rooms *r = make(100, 600);
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "room-%d", i);
        CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, name, 0));
    }
    CU_ASSERT_EQUAL(hb_rooms_count(r), 100);
    CU_ASSERT_PTR_NULL(hb_rooms_get(r, "newcomer", 10)); /* full, nobody idle */
    hb_room *keep = hb_rooms_get(r, "room-5", 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(keep);
    hb_rooms_touch(r, keep, 700);
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, "newcomer", 700)); /* evicts an idle one */
    CU_ASSERT_EQUAL(hb_rooms_count(r), 100);
    CU_ASSERT_EQUAL(hb_rooms_evicted(r), 1); /* evictions to admit a room count too */
    /* 10,000 more names never grow it past the cap */
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, "flood-%d", i);
        hb_rooms_get(r, name, 700);
    }
    CU_ASSERT_EQUAL(hb_rooms_count(r), 100);
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, "room-5", 701)); /* the active room survived */
    CU_ASSERT_EQUAL(hb_rooms_evict_idle(r, 2000), 100);
    CU_ASSERT_EQUAL(hb_rooms_count(r), 0);
    CU_ASSERT_EQUAL(hb_rooms_evicted(r), 1 + 98 + 100); /* newcomer, flood, idle sweep */
    hb_rooms_destroy(r);
}

/* Removing entries keeps every other one reachable (backward-shift deletion). */
static void test_lookup_after_removal(void) {
    hb_rooms *r = make(64, 100);
    char name[32];
    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof name, "r%d", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, name, 0));
    }
    for (int i = 1; i < 64; i += 2) { /* odd rooms stay active */
        snprintf(name, sizeof name, "r%d", i);
        hb_room *room = hb_rooms_get(r, name, 1000);
        CU_ASSERT_PTR_NOT_NULL_FATAL(room);
        if (!room) { /* unreachable after the FATAL assert; tells the analyzer so */
            return;
        }
        hb_rooms_touch(r, room, 1000);
    }
    CU_ASSERT_EQUAL(hb_rooms_evict_idle(r, 500), 32);
    int ok = 1;
    for (int i = 1; i < 64; i += 2) {
        snprintf(name, sizeof name, "r%d", i);
        hb_room *room = hb_rooms_get(r, name, 1000);
        ok &= room != NULL && room->last_seen == 1000; /* found, not re-created */
    }
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_EQUAL(hb_rooms_count(r), 32);
    hb_rooms_destroy(r);
}

/* A full table of active rooms refuses unknown rooms at the cost of a lookup, and takes one in
 * as soon as the longest-idle room has been idle long enough: the idle order, not a scan. */
static void test_full_table_is_cheap(void) {
    hb_rooms *r = make(100000, 600);
    char name[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(name, sizeof name, "room-%d", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, name, (double)i / 1000.0));
    }
    hb_room *first = hb_rooms_get(r, "room-0", 100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    hb_rooms_touch(r, first, 100);     /* room-0 is active again: room-1 is now the oldest */
    for (int i = 0; i < 200000; i++) { /* a flood of unknown rooms: all refused */
        snprintf(name, sizeof name, "unknown-%d", i);
        if (hb_rooms_get(r, name, 100) != NULL) {
            CU_FAIL("an unknown room got in while every room is active");
            break;
        }
    }
    CU_ASSERT_EQUAL(hb_rooms_evicted(r), 0);
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, "late", 601.0015)); /* room-1 is idle 600.0005 s */
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, "room-0", 601.0015));
    CU_ASSERT_EQUAL(hb_rooms_count(r), 100000);
    CU_ASSERT_EQUAL(hb_rooms_evicted(r), 1);
    hb_rooms_destroy(r);
}

/* A visitor for the due tests: each room is next due PERIOD after the visit (its name's number
 * after "p", 0: at once), and the visits are counted and checked for their order. */
typedef struct {
    double t;
    double period_scale; /* a reconfiguration: every period times this */
    int visits;
    double last_due; /* of the previous visit: due times never go back within a sweep */
    bool ordered;
} visitor;

static double visit(hb_room *room, void *ud) {
    visitor *v = ud;
    v->visits++;
    double period = strtod(room->name + 1, NULL) * v->period_scale;
    double due = v->t + period;
    v->ordered &= room->last_seen <= v->t; /* rooms not yet seen are not visited */
    return period > 0 ? due : v->t;
}

static int sweep(hb_rooms *r, visitor *v, double t) {
    v->t = t;
    v->visits = 0;
    hb_rooms_visit_due(r, t, visit, v);
    return v->visits;
}

/* New rooms are due at once; rooms due at the same time are all visited, each once a sweep; a
 * room due again at once waits for the next sweep. */
static void test_due_same_time_and_once(void) {
    hb_rooms *r = make(16, 600);
    visitor v = {.period_scale = 1, .ordered = true};
    char name[32];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "p10-%d", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, name, 0));
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, "p0", 0));
    CU_ASSERT_EQUAL(sweep(r, &v, 0), 9);    /* all new: due at once; all due at 10 after */
    CU_ASSERT_EQUAL(sweep(r, &v, 0.25), 1); /* only the room due "at once", once a sweep */
    CU_ASSERT_EQUAL(sweep(r, &v, 9.99), 1);
    CU_ASSERT_EQUAL(sweep(r, &v, 10), 9); /* the eight due at the same time, together */
    CU_ASSERT_EQUAL(sweep(r, &v, nextafter(10, INFINITY)), 1); /* at once: the next sweep */
    CU_ASSERT_TRUE(v.ordered);
    hb_rooms_destroy(r);
}

/* A room handed out by name, or touched by a reading, is due at the next sweep; one only read
 * by hb_rooms_each_read is not. */
static void count_room(const hb_room *room, void *ud) {
    (void)room;
    (*(int *)ud)++;
}

static void test_due_wake(void) {
    hb_rooms *r = make(4, 600);
    visitor v = {.period_scale = 1, .ordered = true};
    hb_room *a = hb_rooms_get(r, "p100-a", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, "p100-b", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(sweep(r, &v, 1), 2);
    CU_ASSERT_EQUAL(sweep(r, &v, 2), 0);
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_find(r, "p100-b"));
    CU_ASSERT_EQUAL(sweep(r, &v, 3), 1);
    hb_rooms_touch(r, a, 3);
    CU_ASSERT_EQUAL(sweep(r, &v, 4), 1);
    int n = 0;
    hb_rooms_each_read(r, count_room, &n);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(sweep(r, &v, 5), 0);
    hb_rooms_wake(r, a, 50); /* earlier than its 104: due then */
    CU_ASSERT_EQUAL(sweep(r, &v, 49), 0);
    CU_ASSERT_EQUAL(sweep(r, &v, 50), 1);
    hb_rooms_wake(r, a, 500);              /* later than its 150: nothing changes */
    CU_ASSERT_EQUAL(sweep(r, &v, 150), 2); /* a, and b due since 103 */
    hb_rooms_destroy(r);
}

static int drain_done(hb_room *room, void *ud) {
    (void)room;
    (void)ud;
    return HB_ROOMS_DONE;
}

/* A room evicted while due is gone from the due times and the queue; the others stay due. */
static void test_due_evicted(void) {
    hb_rooms *r = make(8, 60);
    visitor v = {.period_scale = 1, .ordered = true};
    char name[32];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof name, "p5-%d", i);
        hb_room *room = hb_rooms_get(r, name, i < 4 ? 0 : 100);
        CU_ASSERT_PTR_NOT_NULL_FATAL(room);
        hb_rooms_queue(r, room);
    }
    CU_ASSERT_EQUAL(hb_rooms_evict_idle(r, 100), 4); /* the four seen at 0, all due */
    CU_ASSERT_EQUAL(sweep(r, &v, 100), 4);
    int n = 0;
    hb_rooms_each_read(r, count_room, &n);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(hb_rooms_drain(r, drain_done, NULL), 4);
    hb_rooms_destroy(r);
}

/* A reconfiguration makes every room due, and the visits then give the new periods. */
static void test_due_reconfigure(void) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_rooms *r = hb_rooms_create(8, 600, &d.controller);
    visitor v = {.period_scale = 1, .ordered = true};
    CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, "p100-a", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, "p100-b", 0));
    CU_ASSERT_EQUAL(sweep(r, &v, 0), 2);
    d.controller.update_s *= 2;
    CU_ASSERT_EQUAL(hb_rooms_reconfigure(r, &d.controller), HB_OK);
    v.period_scale = 0.1; /* the new settings: due every 10 s */
    CU_ASSERT_EQUAL(sweep(r, &v, 1), 2);
    CU_ASSERT_EQUAL(sweep(r, &v, 10.9), 0);
    CU_ASSERT_EQUAL(sweep(r, &v, 11), 2);
    hb_rooms_destroy(r);
}

/* One room: its visits follow its own due time, and the queue holds it once. */
static int drain_keep_once(hb_room *room, void *ud) {
    (void)room;
    int *calls = ud;
    return ++*calls == 1 ? HB_ROOMS_KEEP : HB_ROOMS_STOP;
}

static void test_due_one_room(void) {
    hb_rooms *r = make(1, 600);
    visitor v = {.period_scale = 1, .ordered = true};
    hb_room *a = hb_rooms_get(r, "p3", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    int visits = 0;
    for (int i = 0; i < 40; i++) { /* sweeps every 0.25 s for 10 s: at 0, 3, 6 and 9 */
        visits += sweep(r, &v, i * 0.25);
    }
    CU_ASSERT_EQUAL(visits, 4);
    hb_rooms_queue(r, a);
    hb_rooms_queue(r, a);
    int calls = 0;
    CU_ASSERT_EQUAL(hb_rooms_drain(r, drain_keep_once, &calls), 1); /* once per drain */
    CU_ASSERT_EQUAL(hb_rooms_drain(r, drain_keep_once, &calls), 1); /* STOP: stays queued */
    CU_ASSERT_EQUAL(hb_rooms_drain(r, drain_done, NULL), 1);
    CU_ASSERT_EQUAL(hb_rooms_drain(r, drain_done, NULL), 0);
    CU_ASSERT_PTR_NULL(hb_rooms_get(r, "other", 1));    /* full, nobody idle */
    CU_ASSERT_PTR_NOT_NULL(hb_rooms_get(r, "p1", 700)); /* takes its place, due at once */
    CU_ASSERT_EQUAL(sweep(r, &v, 700), 1);
    CU_ASSERT_EQUAL(sweep(r, &v, 700.99), 0);
    CU_ASSERT_EQUAL(sweep(r, &v, 701), 1);
    hb_rooms_destroy(r);
}

/* A full table of 100,000 rooms with spread due times: a sweep visits only the due ones, in
 * order, and admitting rooms in the place of idle ones keeps the due times whole. */
static void test_due_full_table(void) {
    hb_rooms *r = make(100000, 600);
    visitor v = {.period_scale = 1, .ordered = true};
    char name[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(name, sizeof name, "p%d-%d", 1 + i % 1000, i); /* due every 1..1000 s */
        CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, name, 0));
    }
    CU_ASSERT_EQUAL(sweep(r, &v, 0), 100000);
    CU_ASSERT_EQUAL(sweep(r, &v, 0.25), 0);
    CU_ASSERT_EQUAL(sweep(r, &v, 1), 100); /* the rooms with a period of 1 s */
    CU_ASSERT_EQUAL(sweep(r, &v, 2), 200); /* 1 s again, and 2 s */
    for (int i = 0; i < 1000; i++) {       /* idle long enough: each takes an old one's place */
        snprintf(name, sizeof name, "p5000-new-%d", i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hb_rooms_get(r, name, 700));
    }
    CU_ASSERT_EQUAL(hb_rooms_count(r), 100000);
    CU_ASSERT_EQUAL(hb_rooms_evicted(r), 1000);
    /* By 2000 every room is due: the old ones' periods are at most 1000 s, the new are new. */
    CU_ASSERT_EQUAL(sweep(r, &v, 2000), 100000);
    CU_ASSERT_EQUAL(sweep(r, &v, 2000.25), 0);
    CU_ASSERT_TRUE(v.ordered);
    hb_rooms_destroy(r);
}

int hb_test_rooms(void) {
    static const CU_TestInfo t[] = {{"cap and eviction of idle rooms", test_cap_and_eviction},
                                    {"lookups after removal", test_lookup_after_removal},
                                    {"a full table costs a lookup", test_full_table_is_cheap},
                                    {"due: same time, once a sweep", test_due_same_time_and_once},
                                    {"due: woken by use", test_due_wake},
                                    {"due: evicted while due", test_due_evicted},
                                    {"due: reconfigured periods", test_due_reconfigure},
                                    {"due: one room", test_due_one_room},
                                    {"due: a full table", test_due_full_table},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("rooms", t);
}
