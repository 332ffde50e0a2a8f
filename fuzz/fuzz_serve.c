/* libFuzzer harness: the request router and body parser of `heatbench serve`. An input is up to
 * eight requests, one per line: "METHOD PATH BODY" (BODY may hold anything but a newline; "\n"
 * in it stands for one). A fresh server with a testcase1 test (its id is the first one) takes
 * them in order; every answer must be a well-formed response. */
#include "../serve/hb_serve.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_tc1(const void *arg, hb_tcase **out) {
    (void)arg;
    return hb_tc1_create(out);
}

static void fuzz_one(hb_serve *s, const char *line, double now) {
    char method[16] = "", path[256] = "";
    const char *sp1 = strchr(line, ' ');
    if (!sp1 || (size_t)(sp1 - line) >= sizeof method) {
        return;
    }
    snprintf(method, sizeof method, "%.*s", (int)(sp1 - line), line);
    const char *p = sp1 + 1;
    const char *sp2 = strchr(p, ' ');
    size_t plen = sp2 ? (size_t)(sp2 - p) : strlen(p);
    if (plen >= sizeof path) {
        return;
    }
    snprintf(path, sizeof path, "%.*s", (int)plen, p);
    const char *body = sp2 ? sp2 + 1 : "";
    hb_serve_response r;
    hb_serve_handle(s, method, path, body, strlen(body), now, &r);
    if (r.status < 200 || r.status > 599 || !r.body || r.len != strlen(r.body)) {
        __builtin_trap();
    }
    hb_serve_response_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hb_serve_case cases[1] = {{"testcase1", fuzz_tc1, NULL}};
    hb_serve_config cfg = {.cases = cases, .n_cases = 1, .max_tests = 4, .idle_s = 1e9};
    hb_serve *s;
    if (size > 1 << 16 || hb_serve_create(&cfg, &s) != 0) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        hb_serve_destroy(s);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_one(s, "POST /testcases/testcase1/select", 0.0);
    char *line = text;
    for (int n = 0; n < 8 && line; n++) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        fuzz_one(s, line, 1.0 + n);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    hb_serve_destroy(s);
    return 0;
}
