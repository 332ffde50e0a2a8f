/*
 * One running test of `heatbench serve`: a test case, its clock and control step, the stored
 * samples behind /results, and the KPI accumulator behind /kpi. Every call answers the way
 * BOPTEST's test-case methods do: an HTTP status, a message, and a JSON payload (or none).
 *
 * A test's memory is bounded however long it runs: it keeps its latest samples in memory, up to
 * a chunk, and appends each full chunk to its own spill file, an unlinked temporary file (gone
 * when the test or the process ends, even killed), which /results reads back.
 */
#ifndef HB_SERVE_TEST_H
#define HB_SERVE_TEST_H

#include "hb_tcase.h"

#include <stddef.h>

struct cJSON;
typedef struct hb_test hb_test;

/* The answer of one call: STATUS (200, 400, 500), MESSAGE, and PAYLOAD (owned by the caller; NULL
 * is JSON null). */
typedef struct hb_test_reply {
    int status;
    char message[256];
    struct cJSON *payload;
} hb_test_reply;

/* Most samples a test keeps (BOPTEST's 30 s grid: a year is about a million). */
#define HB_TEST_MAX_ROWS (1L << 20)

/* The bytes of samples a test keeps in memory before it spills them (a chunk). */
#define HB_TEST_MEM_BYTES (128UL * 1024UL)

/* Where a test's samples go beyond memory. */
typedef struct hb_test_spill {
    const char *dir;  /* the spill file's directory (NULL: $TMPDIR, else /tmp); borrowed */
    size_t mem_bytes; /* samples kept in memory, in bytes (0: HB_TEST_MEM_BYTES) */
} hb_test_spill;

/* A test of TC (taken over: destroyed with the test), initialised to time 0 without warm-up, with
 * the test case's default step, as BOPTEST's select does. SPILL may be NULL (the defaults). */
int hb_test_create(hb_tcase *tc, const hb_test_spill *spill, hb_test **out);
void hb_test_destroy(hb_test *t);

const hb_tcase *hb_test_case(const hb_test *t);
double hb_test_step(const hb_test *t);
/* The bytes this test holds in memory (its samples and state; not its spill file). */
size_t hb_test_memory(const hb_test *t);

void hb_test_initialize(hb_test *t, const struct cJSON *body, hb_test_reply *r);
void hb_test_get_step(hb_test *t, hb_test_reply *r);
void hb_test_set_step(hb_test *t, const struct cJSON *body, hb_test_reply *r);
/* WALL_S: a monotonic wall clock for time_rat, the only figure that is not deterministic. */
void hb_test_advance(hb_test *t, const struct cJSON *body, double wall_s, hb_test_reply *r);
void hb_test_inputs(hb_test *t, hb_test_reply *r);
void hb_test_measurements(hb_test *t, hb_test_reply *r);
void hb_test_results(hb_test *t, const struct cJSON *body, hb_test_reply *r);
void hb_test_kpi(hb_test *t, hb_test_reply *r);
void hb_test_get_scenario(hb_test *t, hb_test_reply *r);
void hb_test_set_scenario(hb_test *t, const struct cJSON *body, hb_test_reply *r);
void hb_test_forecast_points(hb_test *t, hb_test_reply *r);
void hb_test_forecast(hb_test *t, const struct cJSON *body, hb_test_reply *r);

#endif
