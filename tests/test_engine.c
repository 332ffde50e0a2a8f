#include "../engine/hb_engine.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <math.h>

typedef struct {
    hb_engine *e;
    double seen[16];
    int n;
    double last_advance;
    int advances;
    int monotone;
} ctx_t;

static int on_advance(void *p, double t) {
    ctx_t *c = p;
    if (t < c->last_advance) {
        c->monotone = 0;
    }
    c->last_advance = t;
    c->advances++;
    return HB_OK;
}

static void on_event(void *p, double t, intptr_t arg) {
    ctx_t *c = p;
    CU_ASSERT_EQUAL(hb_engine_now(c->e), t);
    if (c->n < 16) {
        c->seen[c->n++] = t;
    }
    if (arg > 0) {
        /* reschedule itself arg-1 more times, 1 s apart */
        hb_engine_after(c->e, 1.0, on_event, c, arg - 1, NULL);
    }
}

static void test_run_loop(void) {
    ctx_t c = {.monotone = 1};
    c.e = hb_engine_create(0.0);
    hb_engine_set_advance(c.e, on_advance, &c);
    CU_ASSERT_EQUAL(hb_engine_at(c.e, 2.5, on_event, &c, 3, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_engine_at(c.e, 100.0, on_event, &c, 0, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_engine_run(c.e, 10.0), HB_OK);
    CU_ASSERT_EQUAL(c.n, 4); /* 2.5, 3.5, 4.5, 5.5; the one at 100 waits */
    HB_ASSERT_NEAR(c.seen[3], 5.5, 1e-12);
    CU_ASSERT_EQUAL(hb_engine_now(c.e), 10.0);
    CU_ASSERT_EQUAL(c.last_advance, 10.0);
    CU_ASSERT_TRUE(c.monotone);
    CU_ASSERT_EQUAL(hb_engine_next_time(c.e), 100.0); /* what waits */
    /* Scheduling in the past is refused. */
    CU_ASSERT_EQUAL(hb_engine_at(c.e, 9.0, on_event, &c, 0, NULL), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_engine_after(c.e, -1.0, on_event, &c, 0, NULL), HB_ERR_INVAL);
    /* A run can continue. */
    CU_ASSERT_EQUAL(hb_engine_run(c.e, 200.0), HB_OK);
    CU_ASSERT_EQUAL(c.n, 5);
    CU_ASSERT_EQUAL(hb_engine_dispatched(c.e), 5);
    CU_ASSERT_TRUE(isinf(hb_engine_next_time(c.e))); /* nothing queued */
    hb_engine_destroy(c.e);
}

static void failing(void *p, double t, intptr_t arg) {
    (void)t;
    (void)arg;
    hb_engine_fail(p, HB_ERR_NUMERIC);
}

static void test_fail_stops(void) {
    hb_engine *e = hb_engine_create(0.0);
    hb_engine_at(e, 1.0, failing, e, 0, NULL);
    hb_engine_at(e, 2.0, failing, e, 0, NULL);
    CU_ASSERT_EQUAL(hb_engine_run(e, 10.0), HB_ERR_NUMERIC);
    CU_ASSERT_EQUAL(hb_engine_dispatched(e), 1);
    hb_engine_destroy(e);
}

int hb_test_engine(void) {
    static const CU_TestInfo t[] = {{"run loop, advance hook, continuation", test_run_loop},
                                    {"a failing handler stops the run", test_fail_stops},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("engine", t);
}
