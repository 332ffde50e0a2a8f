/*
 * The BOPTEST REST API of `heatbench serve`, as a pure function: a request (method, path, body,
 * wall time) in, a response (status, content type, body) out. The HTTP server (cli/cmd_serve.c)
 * only moves bytes; the fuzz harness drives this directly. Tests are kept here, each with its own
 * id; ids are a counter, so the same requests give the same answers byte for byte (time_rat,
 * BOPTEST's measure of the client's speed, is the only figure that depends on the wall clock).
 */
#ifndef HB_SERVE_H
#define HB_SERVE_H

#include "hb_tcase.h"

#include <stddef.h>

typedef struct hb_serve_case {
    char name[64];
    /* Makes a fresh instance of the test case from ARG. */
    int (*create)(const void *arg, hb_tcase **out);
    const void *arg;
} hb_serve_case;

typedef struct hb_serve_config {
    const hb_serve_case *cases; /* borrowed, must outlive the server */
    size_t n_cases;
    size_t max_tests; /* tests at once; a select beyond this is refused (503) */
    double idle_s;    /* a test not asked anything for this long is stopped */
    const char *version;
    /* Where each test's samples beyond memory go: an unlinked file in SPILL_DIR (NULL: $TMPDIR,
     * else /tmp), after SPILL_MEM_BYTES of them in memory (0: the default, hb_test.h). */
    const char *spill_dir;
    size_t spill_mem_bytes;
} hb_serve_config;

typedef struct hb_serve_response {
    int status;
    const char *content_type; /* static */
    char *body;               /* owned: hb_serve_response_free */
    size_t len;
} hb_serve_response;

typedef struct hb_serve hb_serve;

int hb_serve_create(const hb_serve_config *cfg, hb_serve **out);
void hb_serve_destroy(hb_serve *s);

/* Answers one request. METHOD and PATH are NUL-terminated (PATH without the query), BODY has LEN
 * bytes (NULL when 0), WALL_S is a monotonic clock in seconds. Never fails: a request that cannot
 * be served gets an error response in BOPTEST's envelope {status, message, payload}. */
void hb_serve_handle(hb_serve *s, const char *method, const char *path, const char *body,
                     size_t len, double wall_s, hb_serve_response *out);

/* An error response in the envelope, for the HTTP layer (413, 500). */
void hb_serve_error(int status, const char *message, hb_serve_response *out);

void hb_serve_response_free(hb_serve_response *r);

/* Tests running now, and the bytes they hold. */
size_t hb_serve_count(const hb_serve *s);
size_t hb_serve_memory(const hb_serve *s);

#endif
