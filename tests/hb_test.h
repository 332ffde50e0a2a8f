/* Shared declarations of the CUnit suites. */
#ifndef HB_TEST_H
#define HB_TEST_H

#include <CUnit/CUnit.h>
#include <math.h>

int hb_test_util(void);
int hb_test_evq(void);
int hb_test_engine(void);
int hb_test_rng(void);
int hb_test_weather(void);
int hb_test_valve(void);
int hb_test_plant(void);
int hb_test_sensor(void);
int hb_test_fusion(void);
int hb_test_pid(void);
int hb_test_room_ctl(void);
int hb_test_scenario(void);
int hb_test_sim(void);
int hb_test_payload(void);
int hb_test_simclock(void);
int hb_test_rooms(void);
int hb_test_tuning(void);
int hb_test_safety(void);
int hb_test_metrics(void);
int hb_test_energy(void);
int hb_test_mpc(void);
int hb_test_household(void);
int hb_test_pairsec(void);
int hb_test_ident(void);
int hb_test_serve(void);

/* Registers TESTS (NULL-terminated) as suite NAME. */
int hb_test_register(const char *name, const CU_TestInfo *tests);

#define HB_ASSERT_NEAR(a, b, tol) CU_ASSERT(fabs((double)(a) - (double)(b)) <= (tol))

#endif
