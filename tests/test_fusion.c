#include "../controllers/hb_fusion.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <stdio.h>

static hb_fusion *make(size_t cap) {
    hb_fusion_config c = {.stale_s = 300, .outlier_k = 1.5, .expected_sensors = cap};
    return hb_fusion_create(&c);
}

static void test_stuck_sensor_ignored(void) {
    static const double good[4] = {21.6, 22.7, 22.1, 21.8};
    hb_fusion *with = make(16);
    hb_fusion *without = make(16);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "sensor-%d", i + 1);
        hb_fusion_add(with, 0, id, good[i]);
        hb_fusion_add(without, 0, id, good[i]);
    }
    hb_fusion_add(with, 0, "sensor-5", 30.0); /* stuck high */
    double a;
    double b;
    int used;
    int rejected;
    CU_ASSERT_EQUAL(hb_fusion_estimate(with, 10, &a, &used, &rejected), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_estimate(without, 10, &b, NULL, NULL), HB_OK);
    CU_ASSERT_EQUAL(a, b); /* the broken sensor does not move the estimate at all */
    CU_ASSERT_EQUAL(used, 4);
    CU_ASSERT_EQUAL(rejected, 1);
    HB_ASSERT_NEAR(a, (21.6 + 22.7 + 22.1 + 21.8) / 4, 1e-12);
    hb_fusion_destroy(with);
    hb_fusion_destroy(without);
}

static void test_staleness(void) {
    hb_fusion *f = make(16);
    double e;
    CU_ASSERT_EQUAL(hb_fusion_estimate(f, 0, &e, NULL, NULL), HB_ERR_NOTFOUND);
    hb_fusion_add(f, 0, "a", 20.0);
    hb_fusion_add(f, 200, "b", 22.0);
    CU_ASSERT_EQUAL(hb_fusion_estimate(f, 250, &e, NULL, NULL), HB_OK);
    HB_ASSERT_NEAR(e, 21.0, 1e-12); /* two readings: averaged */
    CU_ASSERT_EQUAL(hb_fusion_estimate(f, 400, &e, NULL, NULL), HB_OK);
    HB_ASSERT_NEAR(e, 22.0, 1e-12); /* "a" is stale */
    CU_ASSERT_EQUAL(hb_fusion_estimate(f, 600, &e, NULL, NULL), HB_ERR_NOTFOUND);
    hb_fusion_destroy(f);
}

static void test_bounded_memory(void) {
    hb_fusion *f = make(3);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "a", 20), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "b", 20), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "c", 20), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 10, "d", 20), HB_ERR_FULL); /* all fresh */
    CU_ASSERT_EQUAL(hb_fusion_add(f, 1000, "d", 20), HB_OK);     /* evicts a stale one */
    CU_ASSERT_EQUAL(hb_fusion_count(f), 3);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "", 20), HB_ERR_RANGE);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "a", NAN), HB_ERR_RANGE);
    char longid[100];
    for (int i = 0; i < 99; i++) {
        longid[i] = 'x';
    }
    longid[99] = '\0';
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, longid, 20), HB_ERR_RANGE);
    hb_fusion_destroy(f);
}

/* Two equal clusters further apart than 2 * outlier_k: no reading is an inlier; the estimate is
 * the median (finite), and n_used 0 says the sensors disagree. Used to be 0/0 = NaN. */
static void test_split_gives_median(void) {
    hb_fusion *f = make(4);
    hb_fusion_add(f, 0, "a", 19.0);
    hb_fusion_add(f, 0, "b", 19.0);
    hb_fusion_add(f, 0, "c", 25.0);
    hb_fusion_add(f, 0, "d", 25.0);
    double e = NAN;
    int used = -1;
    int rejected = -1;
    CU_ASSERT_EQUAL(hb_fusion_estimate(f, 1, &e, &used, &rejected), HB_OK);
    CU_ASSERT(isfinite(e));
    HB_ASSERT_NEAR(e, 22.0, 1e-12);
    CU_ASSERT_EQUAL(used, 0);
    CU_ASSERT_EQUAL(rejected, 4);
    hb_fusion_destroy(f);
}

/* Ids beyond the expected count are refused while the known ones are fresh, and take the slot of
 * a known sensor once it is stale. */
static void test_expected_slots(void) {
    hb_fusion *f = make(2);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "real-1", 22.0), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 0, "real-2", 22.0), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 10, "forged", 40.0), HB_ERR_FULL);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 200, "real-1", 22.0), HB_OK); /* real-2 goes stale at 300 */
    CU_ASSERT_EQUAL(hb_fusion_add(f, 301, "forged", 40.0), HB_OK);
    CU_ASSERT_EQUAL(hb_fusion_count(f), 2);
    CU_ASSERT_EQUAL(hb_fusion_add(f, 302, "real-2", 22.0), HB_ERR_FULL); /* both fresh now */
    hb_fusion_destroy(f);
}

/* The simulation's reference path gives what the id path gives, and a reference to a slot that
 * went to another id (or away with a smaller expected count) is never used. */
static void test_refs(void) {
    hb_fusion *a = make(2);
    hb_fusion *b = make(2);
    hb_fusion_ref r1 = HB_FUSION_REF_INIT;
    hb_fusion_ref r2 = HB_FUSION_REF_INIT;
    hb_fusion_ref rf = HB_FUSION_REF_INIT;
    const struct {
        double t;
        const char *id;
        double v;
        hb_fusion_ref *ref;
    } seq[] = {{0, "s1", 20.0, &r1},   {0, "s2", 21.0, &r2},   {10, "s1", 20.5, &r1},
               {200, "s1", 20.6, &r1}, {301, "x", 30.0, &rf},  {302, "s2", 21.2, &r2},
               {303, "s1", NAN, &r1},  {400, "s1", 20.7, &r1}, {1500, "s2", 21.3, &r2}};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        int ra = hb_fusion_add(a, seq[i].t, seq[i].id, seq[i].v);
        int rb = hb_fusion_add_ref(b, seq[i].t, seq[i].id, seq[i].v, seq[i].ref);
        CU_ASSERT_EQUAL(ra, rb);
        double ea = NAN;
        double eb = NAN;
        int na = -1;
        int nb = -2;
        CU_ASSERT_EQUAL(hb_fusion_estimate(a, seq[i].t, &ea, &na, NULL),
                        hb_fusion_estimate(b, seq[i].t, &eb, &nb, NULL));
        CU_ASSERT_EQUAL(na, nb);
        CU_ASSERT(ea == eb || (isnan(ea) && isnan(eb)));
    }
    /* "x" took s2's slot at 301 (s2 stale): s2's old reference was refused, not written */
    CU_ASSERT_EQUAL(hb_fusion_count(b), 2);
    hb_fusion_config one = {.stale_s = 300, .outlier_k = 1.5, .expected_sensors = 1};
    hb_fusion_set_config(b, &one);
    hb_fusion_set_config(a, &one);
    CU_ASSERT_EQUAL(hb_fusion_add_ref(b, 1600, "s2", 21.0, &r2),
                    hb_fusion_add(a, 1600, "s2", 21.0));
    hb_fusion_destroy(a);
    hb_fusion_destroy(b);
}

int hb_test_fusion(void) {
    static const CU_TestInfo t[] = {
        {"a stuck sensor does not move the estimate", test_stuck_sensor_ignored},
        {"stale readings are ignored", test_staleness},
        {"bounded memory, bad ids and values", test_bounded_memory},
        {"a split gives the median, never NaN", test_split_gives_median},
        {"ids beyond the expected count get no slot", test_expected_slots},
        {"the reference path equals the id path", test_refs},
        CU_TEST_INFO_NULL};
    return hb_test_register("fusion", t);
}
