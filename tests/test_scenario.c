#include "hb_test.h"
int hb_test_scenario(void)
{
    static const CU_TestInfo t[] = {CU_TEST_INFO_NULL};
    return hb_test_register("scenario", t);
}
