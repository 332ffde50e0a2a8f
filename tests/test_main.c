/* Test runner: `hb_tests` runs every suite, `hb_tests NAME` one of them (ctest runs each). */
#include "hb_test.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*add)(void);
} hb_suite_entry;

static const hb_suite_entry suites[] = {
    {"util", hb_test_util},         {"evq", hb_test_evq},
    {"engine", hb_test_engine},     {"rng", hb_test_rng},
    {"weather", hb_test_weather},   {"valve", hb_test_valve},
    {"plant", hb_test_plant},       {"sensor", hb_test_sensor},
    {"fusion", hb_test_fusion},     {"pid", hb_test_pid},
    {"room_ctl", hb_test_room_ctl}, {"scenario", hb_test_scenario},
    {"sim", hb_test_sim},           {"payload", hb_test_payload},
    {"simclock", hb_test_simclock}, {"rooms", hb_test_rooms},
    {"tuning", hb_test_tuning},     {"safety", hb_test_safety},
    {"metrics", hb_test_metrics},   {"energy", hb_test_energy},
    {"mpc", hb_test_mpc},           {"household", hb_test_household},
    {"ident", hb_test_ident},       {"pairsec", hb_test_pairsec},
    {"serve", hb_test_serve},
};

int main(int argc, char **argv) {
    if (CU_initialize_registry() != CUE_SUCCESS) {
        return 2;
    }
    int found = 0;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (argc < 2 || strcmp(argv[1], suites[i].name) == 0) {
            if (suites[i].add() != 0) {
                fprintf(stderr, "cannot register suite %s\n", suites[i].name);
                CU_cleanup_registry();
                return 2;
            }
            found++;
        }
    }
    if (!found) {
        fprintf(stderr, "no suite named '%s'\n", argv[1]);
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

int hb_test_register(const char *name, const CU_TestInfo *tests) {
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    if (!s) {
        return -1;
    }
    for (const CU_TestInfo *t = tests; t->pName; t++) {
        if (!CU_add_test(s, t->pName, t->pTestFunc)) {
            return -1;
        }
    }
    return 0;
}
