#include "../util/hb_rng.h"
#include "hb_test.h"

static void test_streams(void) {
    gsl_rng *a = hb_rng_stream(42, "sensor-1/noise");
    gsl_rng *b = hb_rng_stream(42, "sensor-1/noise");
    gsl_rng *c = hb_rng_stream(42, "sensor-2/noise");
    gsl_rng *d = hb_rng_stream(43, "sensor-1/noise");
    int same_ab = 1;
    int same_ac = 1;
    int same_ad = 1;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a);
        same_ab &= x == gsl_rng_get(b);
        same_ac &= x == gsl_rng_get(c);
        same_ad &= x == gsl_rng_get(d);
    }
    CU_ASSERT_TRUE(same_ab);  /* same seed and name: same stream */
    CU_ASSERT_FALSE(same_ac); /* another name: another stream */
    CU_ASSERT_FALSE(same_ad); /* another seed: another stream */
    CU_ASSERT_NOT_EQUAL(hb_rng_derive_seed(1, "x"), hb_rng_derive_seed(1, "y"));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    gsl_rng_free(d);
}

int hb_test_rng(void) {
    static const CU_TestInfo t[] = {{"named streams are independent and repeatable", test_streams},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("rng", t);
}
