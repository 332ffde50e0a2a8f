#include "../models/hb_valve.h"
#include "hb_test.h"

static void test_characteristics(void) {
    hb_valve_config lin = {.characteristic = HB_VALVE_LINEAR, .authority = 1.0};
    HB_ASSERT_NEAR(hb_valve_flow(&lin, 0), 0.0, 0);
    HB_ASSERT_NEAR(hb_valve_flow(&lin, 50), 0.5, 1e-12);
    HB_ASSERT_NEAR(hb_valve_flow(&lin, 100), 1.0, 1e-12);
    hb_valve_config eq = {
        .characteristic = HB_VALVE_EQUAL_PERCENTAGE, .rangeability = 50, .authority = 1.0};
    HB_ASSERT_NEAR(hb_valve_flow(&eq, 50), pow(50, -0.5), 1e-12);
    HB_ASSERT_NEAR(hb_valve_flow(&eq, 100), 1.0, 1e-12);
    CU_ASSERT_EQUAL(hb_valve_flow(&eq, 0), 0.0); /* shut-off, not 1/R */
    /* Low authority: a half-open linear valve passes more than half the flow. */
    hb_valve_config low = {.characteristic = HB_VALVE_LINEAR, .authority = 0.25};
    HB_ASSERT_NEAR(hb_valve_flow(&low, 50), 1.0 / sqrt(0.25 / 0.25 + 0.75), 1e-12);
    CU_ASSERT_TRUE(hb_valve_flow(&low, 50) > 0.5);
    HB_ASSERT_NEAR(hb_valve_flow(&low, 100), 1.0, 1e-12);
}

static void test_actuator(void) {
    hb_valve_config v = {.stroke_time_s = 100, .deadband_pct = 3};
    hb_actuator a = {0};
    hb_actuator_command(&a, &v, 50);
    hb_actuator_move(&a, &v, 10); /* 10 s at 1 %/s */
    HB_ASSERT_NEAR(a.pos, 10.0, 1e-12);
    hb_actuator_move(&a, &v, 100);
    HB_ASSERT_NEAR(a.pos, 50.0, 1e-12); /* stops at the target */
    hb_actuator_command(&a, &v, 52);    /* within the deadband: ignored */
    CU_ASSERT_EQUAL(a.target, 50.0);
    hb_actuator_command(&a, &v, 150); /* clamped */
    CU_ASSERT_EQUAL(a.target, 100.0);
    hb_actuator_move(&a, &v, 1000);
    HB_ASSERT_NEAR(a.travel, 100.0, 1e-12);
    a.pos = a.target = 1.0;
    hb_actuator_command(&a, &v, 0); /* closing fully is always honoured */
    CU_ASSERT_EQUAL(a.target, 0.0);
}

int hb_test_valve(void) {
    static const CU_TestInfo t[] = {{"flow characteristics and authority", test_characteristics},
                                    {"actuator stroke speed and deadband", test_actuator},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("valve", t);
}
