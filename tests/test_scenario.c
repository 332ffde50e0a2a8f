#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static char msg[1024];

/* Loads TEXT and returns the code; the message is left in msg. */
static int load(const char *text) {
    hb_sim_config c;
    msg[0] = '\0';
    int rc =
        hb_scenario_load_string(text, "t.json", HB_SOURCE_DIR "/scenarios", &c, msg, sizeof msg);
    hb_sim_config_free(&c);
    return rc;
}

#define EXPECT(text, code, needle)                                                                 \
    do {                                                                                           \
        CU_ASSERT_EQUAL(load(text), code);                                                         \
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle));                                               \
        if (!strstr(msg, needle)) {                                                                \
            fprintf(stderr, "\n    message was: %s\n", msg);                                       \
        }                                                                                          \
    } while (0)

static void test_syntax_error_line_col(void) {
    EXPECT("{\n  \"duration_h\": 24,\n  \"seed\": 1,,\n}", HB_ERR_PARSE, "t.json:3:");
    EXPECT("{\"a\": [1, 2}", HB_ERR_PARSE, "JSON syntax error");
    EXPECT("[1, 2]", HB_ERR_PARSE, "expected a JSON object");
}

static void test_empty(void) {
    EXPECT("", HB_ERR_PARSE, "empty");
    EXPECT("  \n\t ", HB_ERR_PARSE, "empty");
}

static void test_unknown_key_did_you_mean(void) {
    EXPECT("{\"room\": {\"ua_w_per_kk\": 30}}", HB_ERR_PARSE,
           "room.ua_w_per_kk: unknown key (did you mean \"room.ua_w_per_k\"?)");
    EXPECT("{\"setpoint\": 21}", HB_ERR_PARSE, "did you mean \"setpoint_c\"");
    EXPECT("{\"zzzzzz\": 1}", HB_ERR_PARSE, "zzzzzz: unknown key; the top level accepts:");
    EXPECT("{\"controller\": {\"type\": \"pdi\"}}", HB_ERR_RANGE,
           "controller.type: unknown value \"pdi\" (did you mean \"pid\"?)");
}

static void test_wrong_type(void) {
    EXPECT("{\"duration_h\": \"24\"}", HB_ERR_PARSE,
           "duration_h: expected a number in (0, 876000] h, got a string");
    EXPECT("{\"room\": 5}", HB_ERR_PARSE, "room: expected an object, got a number");
    EXPECT("{\"sensors\": {}}", HB_ERR_PARSE, "sensors: expected an array of objects");
    EXPECT("{\"radiator\": {\"segments\": 2.5}}", HB_ERR_RANGE,
           "radiator.segments: expected an integer in [1, 8]");
    EXPECT("{\"weather\": {\"model\": 3}}", HB_ERR_PARSE, "weather.model: expected one of");
}

static void test_out_of_range(void) {
    EXPECT("{\"setpoint_c\": 80}", HB_ERR_RANGE,
           "setpoint_c: expected a number in [5, 35] °C, got 80");
    EXPECT("{\"sensors\": [{}, {\"faults\": [{\"kind\": \"stuck\", \"duration_h\": -1}]}]}",
           HB_ERR_RANGE, "sensors[1].faults[0].duration_h: expected a number in (0, 8760] h");
    EXPECT("{\"sensors\": []}", HB_ERR_RANGE, "sensors: expected 1 to 16 entries, got 0");
    EXPECT("{\"seed\": -1}", HB_ERR_RANGE, "seed: expected an integer");
}

static void test_cross_field(void) {
    EXPECT("{\"trace_interval_s\": 15}", HB_ERR_RANGE,
           "trace_interval_s: expected a multiple of plant_step_s (20 s), got 15 s");
    EXPECT("{\"weather\": {\"t_min_c\": 5, \"t_max_c\": 1}}", HB_ERR_RANGE, "weather.t_max_c");
    EXPECT("{\"sensors\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}", HB_ERR_RANGE,
           "sensors[1].id: \"a\" is already the id of sensors[0]");
    EXPECT("{\"room\": {\"air_mass_w_per_k\": 10}}", HB_ERR_RANGE, "room.air_mass_w_per_k");
    EXPECT("{\"weather\": {\"model\": \"csv\"}}", HB_ERR_RANGE, "weather.csv_file: required");
    EXPECT("{\"duration_h\": 1, \"duration_h\": 2}", HB_ERR_PARSE, "duration_h: key given twice");
}

static void test_weather_csv(void) {
    CU_ASSERT_EQUAL(load("{\"weather\": {\"model\": \"csv\", \"csv_file\": \"nope.csv\"}}"),
                    HB_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nope.csv"));
    hb_sim_config c;
    int rc =
        hb_scenario_load_file(HB_SOURCE_DIR "/scenarios/csv-weather.json", &c, msg, sizeof msg);
    CU_ASSERT_EQUAL(rc, HB_OK);
    CU_ASSERT_EQUAL(c.weather.csv_n, 25);
    CU_ASSERT_PTR_NOT_NULL(c.weather.csv_solar);
    hb_sim_config_free(&c);

    const char *bad = "/tmp/hb_test_bad_weather.csv";
    FILE *f = fopen(bad, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("time_h,t_out_c\n0,1\n\n1,x\n", f);
    fclose(f);
    EXPECT("{\"weather\": {\"model\": \"csv\", \"csv_file\": \"/tmp/hb_test_bad_weather.csv\"}}",
           HB_ERR_PARSE, "hb_test_bad_weather.csv: line 4:");
    remove(bad);
}

static void test_missing_file(void) {
    hb_sim_config c;
    CU_ASSERT_EQUAL(hb_scenario_load_file("/nonexistent/x.json", &c, msg, sizeof msg), HB_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/x.json: cannot open scenario"));
    hb_sim_config_free(&c);
}

/* Every shipped scenario loads (that default.json is the built-in default is a sim test). */
static void test_shipped_scenarios(void) {
    DIR *d = opendir(HB_SOURCE_DIR "/scenarios");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    if (!d) { /* unreachable after the FATAL assert; tells the analyzer so */
        return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", HB_SOURCE_DIR, e->d_name);
        hb_sim_config c;
        int rc = hb_scenario_load_file(path, &c, msg, sizeof msg);
        if (rc != HB_OK) {
            fprintf(stderr, "\n    %s\n", msg);
        }
        CU_ASSERT_EQUAL(rc, HB_OK);
        hb_sim_config_free(&c);
        n++;
    }
    closedir(d);
    CU_ASSERT(n >= 7);
}

int hb_test_scenario(void) {
    static const CU_TestInfo t[] = {
        {"syntax error names line and column", test_syntax_error_line_col},
        {"empty file", test_empty},
        {"unknown key: did you mean", test_unknown_key_did_you_mean},
        {"wrong type names the key path", test_wrong_type},
        {"out of range names the range and unit", test_out_of_range},
        {"cross-field rules", test_cross_field},
        {"weather CSV", test_weather_csv},
        {"missing file", test_missing_file},
        {"shipped scenarios load", test_shipped_scenarios},
        CU_TEST_INFO_NULL};
    return hb_test_register("scenario", t);
}
