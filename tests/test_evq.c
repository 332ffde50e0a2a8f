#include "../engine/hb_evq.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <stdint.h>

#include <stdlib.h>

static void nop(void *ctx, double t, intptr_t arg) {
    (void)ctx;
    (void)t;
    (void)arg;
}

static void test_order_and_ties(void) {
    hb_evq *q = hb_evq_create(4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    /* Same time scheduled in order 10, 11, 12 must come out 10, 11, 12 (FIFO on ties). */
    CU_ASSERT_EQUAL(hb_evq_push(q, 5.0, nop, NULL, 10, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_push(q, 1.0, nop, NULL, 1, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_push(q, 5.0, nop, NULL, 11, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_push(q, 3.0, nop, NULL, 3, NULL), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_push(q, 5.0, nop, NULL, 12, NULL), HB_OK);
    intptr_t expect[] = {1, 3, 10, 11, 12};
    hb_event_rec ev;
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_TRUE_FATAL(hb_evq_pop(q, &ev));
        CU_ASSERT_EQUAL(ev.arg, expect[i]);
    }
    CU_ASSERT_FALSE(hb_evq_pop(q, &ev));
    CU_ASSERT_TRUE(isinf(hb_evq_peek_time(q)));
    hb_evq_destroy(q);
}

static void test_many_random_sorted(void) {
    hb_evq *q = hb_evq_create(1);
    srand(7);
    for (int i = 0; i < 5000; i++) {
        /* Coarse times force many ties. */
        CU_ASSERT_EQUAL(hb_evq_push(q, (double)(rand() % 100), nop, NULL, i, NULL), HB_OK);
    }
    CU_ASSERT_EQUAL(hb_evq_size(q), 5000);
    hb_event_rec prev;
    hb_event_rec ev;
    CU_ASSERT_TRUE(hb_evq_pop(q, &prev));
    int ok = 1;
    while (hb_evq_pop(q, &ev)) {
        if (ev.t < prev.t || (ev.t == prev.t && ev.seq <= prev.seq)) {
            ok = 0;
        }
        prev = ev;
    }
    CU_ASSERT_TRUE(ok);
    hb_evq_destroy(q);
}

static void test_cancel(void) {
    hb_evq *q = hb_evq_create(2);
    hb_event_id ids[100];
    for (int i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL(hb_evq_push(q, 100.0 - i, nop, NULL, i, &ids[i]), HB_OK);
    }
    /* Cancel every third, including the minimum (i = 99) and the maximum (i = 0). */
    for (int i = 0; i < 100; i += 3) {
        CU_ASSERT_EQUAL(hb_evq_cancel(q, ids[i]), HB_OK);
    }
    CU_ASSERT_EQUAL(hb_evq_cancel(q, ids[98]), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_cancel(q, ids[98]), HB_ERR_NOTFOUND); /* twice */
    CU_ASSERT_EQUAL(hb_evq_cancel(q, 0), HB_ERR_NOTFOUND);
    hb_event_rec ev;
    double last = -1;
    int n = 0;
    int bad = 0;
    while (hb_evq_pop(q, &ev)) {
        if (ev.arg % 3 == 0 || ev.arg == 98 || ev.t < last) {
            bad++;
        }
        last = ev.t;
        n++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(n, 100 - 34 - 1);
    /* A fired event's handle is dead even after its slot is reused. */
    hb_event_id fresh;
    CU_ASSERT_EQUAL(hb_evq_push(q, 1.0, nop, NULL, 0, &fresh), HB_OK);
    CU_ASSERT_EQUAL(hb_evq_cancel(q, ids[1]), HB_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(hb_evq_cancel(q, fresh), HB_OK);
    hb_evq_destroy(q);
}

static void test_rejects_bad_time(void) {
    hb_evq *q = hb_evq_create(2);
    CU_ASSERT_EQUAL(hb_evq_push(q, NAN, nop, NULL, 0, NULL), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_evq_push(q, INFINITY, nop, NULL, 0, NULL), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_evq_push(q, 1.0, NULL, NULL, 0, NULL), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_evq_size(q), 0);
    hb_evq_destroy(q);
}

/* A capacity hint past what 32-bit slot indices address used to wrap to a tiny table and write
 * out of bounds on the first push; now it is refused. */
static void test_huge_hint_refused(void) {
    CU_ASSERT_PTR_NULL(hb_evq_create((size_t)1 << 32));
    CU_ASSERT_PTR_NULL(hb_evq_create(SIZE_MAX));
    hb_evq *q = hb_evq_create(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    hb_evq_destroy(q);
}

int hb_test_evq(void) {
    static const CU_TestInfo t[] = {{"order and ties", test_order_and_ties},
                                    {"5000 random events come out sorted", test_many_random_sorted},
                                    {"cancel", test_cancel},
                                    {"bad times rejected", test_rejects_bad_time},
                                    {"huge capacity hints refused", test_huge_hint_refused},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("evq", t);
}
