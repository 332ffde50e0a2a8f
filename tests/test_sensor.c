#include "../models/hb_netlink.h"
#include "../models/hb_sensor.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <string.h>

static hb_sensor_config plain(void) {
    hb_sensor_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.id, "s1");
    c.period_s = 10;
    c.max_silence_s = 300;
    return c;
}

/* A step in the air temperature seen through the lag: 1 - e^{-t/tau} exactly. */
static void test_lag_step_response(void) {
    hb_sensor_config c = plain();
    c.lag_s = 100;
    hb_sensor s;
    CU_ASSERT_EQUAL_FATAL(hb_sensor_init(&s, &c, 1), HB_OK);
    double v;
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 0, 20.0, &v));
    CU_ASSERT_EQUAL(v, 20.0);
    /* Input jumps to 21 right after t=0: sample the step as a ramp over 1e-6 s first. */
    hb_sensor_sample(&s, 1e-6, 21.0, &v);
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 100.0, 21.0, &v));
    HB_ASSERT_NEAR(v, 21.0 - exp(-1.0), 1e-6);
    hb_sensor_free(&s);
}

static void test_noise_bias_quant(void) {
    hb_sensor_config c = plain();
    c.noise_k = 0.2;
    c.bias_k = 0.5;
    c.offset_k = -0.3;
    hb_sensor s;
    CU_ASSERT_EQUAL_FATAL(hb_sensor_init(&s, &c, 9), HB_OK);
    double sum = 0;
    double sq = 0;
    int n = 20000;
    for (int i = 0; i < n; i++) {
        double v;
        hb_sensor_sample(&s, i * 10.0, 20.0, &v);
        sum += v;
        sq += v * v;
    }
    double mean = sum / n;
    double sd = sqrt(sq / n - mean * mean);
    HB_ASSERT_NEAR(mean, 20.2, 0.01);
    CU_ASSERT(fabs(sd - 0.2) / 0.2 < 0.03);
    hb_sensor_free(&s);

    c = plain();
    c.quant_k = 0.5;
    CU_ASSERT_EQUAL_FATAL(hb_sensor_init(&s, &c, 9), HB_OK);
    double v;
    hb_sensor_sample(&s, 0, 21.26, &v);
    CU_ASSERT_EQUAL(v, 21.5);
    hb_sensor_free(&s);
}

static void test_faults(void) {
    hb_sensor_config c = plain();
    c.n_faults = 4;
    c.faults[0] =
        (hb_sensor_fault){.kind = HB_FAULT_STUCK, .at_h = 1, .duration_h = 1, .value = 30};
    c.faults[1] = (hb_sensor_fault){.kind = HB_FAULT_DROPOUT, .at_h = 3, .duration_h = 1};
    c.faults[2] =
        (hb_sensor_fault){.kind = HB_FAULT_SPIKE, .at_h = 5, .duration_h = 0.1, .value = 8};
    c.faults[3] =
        (hb_sensor_fault){.kind = HB_FAULT_DRIFT, .at_h = 6, .duration_h = 10, .value = 0.5};
    hb_sensor s;
    CU_ASSERT_EQUAL_FATAL(hb_sensor_init(&s, &c, 1), HB_OK);
    double v = 0;
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 0.5 * 3600, 20, &v));
    CU_ASSERT_EQUAL(v, 20.0);
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 1.5 * 3600, 20, &v));
    CU_ASSERT_EQUAL(v, 30.0);
    CU_ASSERT_FALSE(hb_sensor_sample(&s, 3.5 * 3600, 20, &v));
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 5.05 * 3600, 20, &v));
    CU_ASSERT_EQUAL(v, 28.0);
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 8 * 3600, 20, &v));
    HB_ASSERT_NEAR(v, 21.0, 1e-9);
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 17 * 3600, 20, &v));
    CU_ASSERT_EQUAL(v, 20.0); /* the fault window is over */
    hb_sensor_free(&s);
}

static void test_report_on_change_and_jitter(void) {
    hb_sensor_config c = plain();
    c.report_change_k = 0.2;
    c.max_silence_s = 60;
    c.jitter_s = 2;
    hb_sensor s;
    CU_ASSERT_EQUAL_FATAL(hb_sensor_init(&s, &c, 1), HB_OK);
    double v;
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 0, 20.0, &v));
    CU_ASSERT_FALSE(hb_sensor_sample(&s, 10, 20.1, &v)); /* small change: silent */
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 20, 20.25, &v)); /* 0.25 >= 0.2 */
    CU_ASSERT_FALSE(hb_sensor_sample(&s, 30, 20.25, &v));
    CU_ASSERT_TRUE(hb_sensor_sample(&s, 80, 20.25, &v)); /* 60 s of silence */
    for (int i = 0; i < 1000; i++) {
        double d = hb_sensor_next_delay(&s);
        CU_ASSERT(d >= 8.0 && d <= 12.0);
    }
    hb_sensor_free(&s);
}

/* Loss happens at its rate, delays stay within latency + jitter and are uniform over it, and
 * whether a message is lost does not shift the delays of the others (one draw per message). */
static void test_netlink(void) {
    hb_netlink_config c = {.latency_s = 0.5, .jitter_s = 2.0, .loss = 0.25};
    hb_netlink a;
    hb_netlink b;
    CU_ASSERT_EQUAL_FATAL(hb_netlink_init(&a, &c, 3, "link"), HB_OK);
    hb_netlink_config none = c;
    none.loss = 0.0;
    CU_ASSERT_EQUAL_FATAL(hb_netlink_init(&b, &none, 3, "link"), HB_OK);
    int lost = 0;
    double sum = 0;
    int n = 0;
    int in_range = 1;
    for (int i = 0; i < 100000; i++) {
        double d = 0;
        double e = 0;
        bool ok = hb_netlink_send(&a, &d);
        hb_netlink_send(&b, &e); /* same stream without loss: advances in step */
        if (!ok) {
            lost++;
            continue;
        }
        /* Same draw u: e = 0.5 + 2u, d = 0.5 + 2 (u - 0.25) / 0.75. */
        double u = (e - 0.5) / 2.0;
        in_range &= fabs(d - (0.5 + 2.0 * (u - 0.25) / 0.75)) < 1e-9;
        in_range &= d >= 0.5 && d < 2.5;
        sum += d;
        n++;
    }
    CU_ASSERT(fabs(lost / 100000.0 - 0.25) < 0.01);
    CU_ASSERT_TRUE(in_range);
    CU_ASSERT(fabs(sum / n - 1.5) < 0.02);
    CU_ASSERT_EQUAL(a.sent, 100000);
    hb_netlink_free(&a);
    hb_netlink_free(&b);
}

int hb_test_sensor(void) {
    static const CU_TestInfo t[] = {{"exact first-order lag", test_lag_step_response},
                                    {"noise, bias, offset, quantisation", test_noise_bias_quant},
                                    {"stuck, dropout, spike, drift", test_faults},
                                    {"report on change, jitter", test_report_on_change_and_jitter},
                                    {"network link: loss rate, delay range", test_netlink},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("sensor", t);
}
