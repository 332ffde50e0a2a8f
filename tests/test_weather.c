#include "../models/hb_weather.h"
#include "hb_test.h"

static void test_design_day(void) {
    hb_weather_config w = {.kind = HB_WEATHER_DESIGN_DAY, .t_min_c = -6, .t_max_c = 3};
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 5 * 3600.0), -6.0, 1e-12); /* minimum at 05:00 */
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 15 * 3600.0), 3.0, 1e-12); /* maximum at 15:00 */
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 9 * 3600.0), 3 - 9 * 0.71, 1e-12);
    /* periodic and continuous across midnight */
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 0.0), hb_weather_t_out(&w, 86400.0), 1e-12);
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 86399.0), hb_weather_t_out(&w, 0.0), 1e-2);
}

static void test_sine_and_constant(void) {
    hb_weather_config w = {.kind = HB_WEATHER_SINE, .t_min_c = 0, .t_max_c = 10, .min_hour = 4};
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 4 * 3600.0), 0.0, 1e-9);
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 16 * 3600.0), 10.0, 1e-9);
    hb_weather_config k = {.kind = HB_WEATHER_CONSTANT, .constant_c = -3.5};
    CU_ASSERT_EQUAL(hb_weather_t_out(&k, 12345.0), -3.5);
}

static void test_csv_interp(void) {
    static const double h[] = {0, 1, 3};
    static const double t[] = {0, 10, 0};
    static const double s[] = {0, 100, 300};
    hb_weather_config w = {
        .kind = HB_WEATHER_CSV, .csv_h = h, .csv_t_c = t, .csv_solar = s, .csv_n = 3};
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 1800.0), 5.0, 1e-12);
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 2 * 3600.0), 5.0, 1e-12);
    HB_ASSERT_NEAR(hb_weather_t_out(&w, 10 * 3600.0), 0.0, 1e-12); /* held after the end */
    HB_ASSERT_NEAR(hb_weather_solar(&w, 2 * 3600.0), 200.0, 1e-9);
}

static void test_solar(void) {
    hb_weather_config w = {
        .kind = HB_WEATHER_CONSTANT, .solar_peak_w_m2 = 400, .sunrise_h = 8, .sunset_h = 16};
    CU_ASSERT_EQUAL(hb_weather_solar(&w, 3 * 3600.0), 0.0);
    HB_ASSERT_NEAR(hb_weather_solar(&w, 12 * 3600.0), 400.0, 1e-9);
    CU_ASSERT_EQUAL(hb_weather_solar(&w, 20 * 3600.0), 0.0);
}

int hb_test_weather(void) {
    static const CU_TestInfo t[] = {{"ASHRAE design day", test_design_day},
                                    {"sine and constant", test_sine_and_constant},
                                    {"CSV interpolation", test_csv_interp},
                                    {"solar half sine", test_solar},
                                    CU_TEST_INFO_NULL};
    return hb_test_register("weather", t);
}
