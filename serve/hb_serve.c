/*
 * The request router of `heatbench serve`: BOPTEST's paths (service/web/server/docs/openapi.yaml
 * of ibpsa/project1-boptest), its envelope, and the table of running tests.
 */
#define _POSIX_C_SOURCE 200809L
#include "hb_serve.h"

#include "../util/hb_error.h"
#include "hb_test.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_SERVE_ID_LEN 40

typedef struct hb_serve_slot {
    char id[HB_SERVE_ID_LEN];
    hb_test *test; /* NULL: free */
    double last_s;
} hb_serve_slot;

struct hb_serve {
    hb_serve_config cfg;
    hb_serve_slot *slots;
    unsigned long long next_id;
};

int hb_serve_create(const hb_serve_config *cfg, hb_serve **out) {
    if (!cfg || cfg->max_tests == 0) {
        return HB_ERR_INVAL;
    }
    hb_serve *s = calloc(1, sizeof *s);
    if (!s) {
        return HB_ERR_NOMEM;
    }
    s->cfg = *cfg;
    s->slots = calloc(cfg->max_tests, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return HB_ERR_NOMEM;
    }
    s->next_id = 1;
    *out = s;
    return HB_OK;
}

void hb_serve_destroy(hb_serve *s) {
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->cfg.max_tests; i++) {
        hb_test_destroy(s->slots[i].test);
    }
    free(s->slots);
    free(s);
}

size_t hb_serve_count(const hb_serve *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->cfg.max_tests; i++) {
        n += s->slots[i].test != NULL;
    }
    return n;
}

size_t hb_serve_memory(const hb_serve *s) {
    size_t n = sizeof *s + s->cfg.max_tests * sizeof *s->slots;
    for (size_t i = 0; i < s->cfg.max_tests; i++) {
        n += s->slots[i].test ? hb_test_memory(s->slots[i].test) : 0;
    }
    return n;
}

void hb_serve_response_free(hb_serve_response *r) {
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

static void hb__serve_text(int status, const char *ctype, char *text, hb_serve_response *out) {
    out->status = text ? status : 500;
    out->content_type = ctype;
    out->body = text;
    out->len = text ? strlen(text) : 0;
}

/* ROOT printed (and freed) as the response. */
static void hb__serve_json(int status, cJSON *root, hb_serve_response *out) {
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    hb__serve_text(status, "application/json", text, out);
}

/* BOPTEST's envelope; PAYLOAD is taken over (NULL: null). */
static void hb__serve_envelope(int status, const char *message, cJSON *payload,
                               hb_serve_response *out) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(payload);
        hb__serve_text(500, "application/json", NULL, out);
        return;
    }
    cJSON_AddNumberToObject(o, "status", status);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddItemToObject(o, "payload", payload ? payload : cJSON_CreateNull());
    hb__serve_json(status, o, out);
}

void hb_serve_error(int status, const char *message, hb_serve_response *out) {
    hb__serve_envelope(status, message, NULL, out);
}

/* Stops the tests nobody asked anything for IDLE_S. */
static void hb__serve_expire(hb_serve *s, double now) {
    for (size_t i = 0; i < s->cfg.max_tests; i++) {
        hb_serve_slot *sl = &s->slots[i];
        if (sl->test && s->cfg.idle_s > 0.0 && now - sl->last_s > s->cfg.idle_s) {
            hb_test_destroy(sl->test);
            sl->test = NULL;
        }
    }
}

static hb_serve_slot *hb__serve_find(hb_serve *s, const char *id) {
    for (size_t i = 0; i < s->cfg.max_tests; i++) {
        if (s->slots[i].test && strcmp(s->slots[i].id, id) == 0) {
            return &s->slots[i];
        }
    }
    return NULL;
}

static void hb__serve_select(hb_serve *s, const char *name, double now, hb_serve_response *out) {
    const hb_serve_case *c = NULL;
    for (size_t i = 0; i < s->cfg.n_cases; i++) {
        if (strcmp(s->cfg.cases[i].name, name) == 0) {
            c = &s->cfg.cases[i];
        }
    }
    if (!c) {
        char msg[160];
        snprintf(msg, sizeof msg, "Test case %.64s not found; GET /testcases lists them.", name);
        hb_serve_error(404, msg, out);
        return;
    }
    hb_serve_slot *free_slot = NULL;
    for (size_t i = 0; i < s->cfg.max_tests && !free_slot; i++) {
        free_slot = s->slots[i].test ? NULL : &s->slots[i];
    }
    if (!free_slot) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "Too many tests running (the limit is %zu); stop one with PUT /stop/{testid}.",
                 s->cfg.max_tests);
        hb_serve_error(503, msg, out);
        return;
    }
    hb_tcase *tc = NULL;
    hb_test *t = NULL;
    hb_test_spill spill = {s->cfg.spill_dir, s->cfg.spill_mem_bytes};
    if (c->create(c->arg, &tc) != HB_OK || hb_test_create(tc, &spill, &t) != HB_OK) {
        hb_serve_error(500, "Failed to start the test case.", out);
        return;
    }
    unsigned long long n = s->next_id++;
    /* A UUID in form (version 4, variant 1 bits set), numbered: deterministic across runs. */
    snprintf(free_slot->id, sizeof free_slot->id, "%08llx-0000-4000-8000-%012llx",
             (n >> 48) & 0xffffffffULL, n & 0xffffffffffffULL);
    free_slot->test = t;
    free_slot->last_s = now;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "testid", free_slot->id);
    hb__serve_json(200, o, out);
}

static void hb__serve_testcases(const hb_serve *s, hb_serve_response *out) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < s->cfg.n_cases; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "testcaseid", s->cfg.cases[i].name);
        cJSON_AddItemToArray(a, o);
    }
    hb__serve_json(200, a, out);
}

/* The body as JSON: *OUT NULL when empty; false when it is not JSON. */
static bool hb__serve_parse(const char *body, size_t len, cJSON **out) {
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
        i++;
    }
    if (i == len) {
        return true;
    }
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!*out) {
        return false;
    }
    while (end && (size_t)(end - body) < len &&
           (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) {
        end++;
    }
    if (!end || (size_t)(end - body) != len) { /* trailing bytes after the document */
        cJSON_Delete(*out);
        *out = NULL;
        return false;
    }
    return true;
}

/* One operation on a test: OP with METHOD. False when the pair is not an operation. */
static bool hb__serve_op(hb_test *t, const char *op, bool get, bool put, bool post,
                         const cJSON *body, double now, hb_test_reply *r) {
    static const cJSON empty = {0};
    const cJSON *b = body ? body : &empty;
    if (strcmp(op, "initialize") == 0 && put) {
        hb_test_initialize(t, b, r);
    } else if (strcmp(op, "step") == 0 && get) {
        hb_test_get_step(t, r);
    } else if (strcmp(op, "step") == 0 && put) {
        hb_test_set_step(t, b, r);
    } else if (strcmp(op, "advance") == 0 && post) {
        hb_test_advance(t, body, now, r);
    } else if (strcmp(op, "inputs") == 0 && get) {
        hb_test_inputs(t, r);
    } else if (strcmp(op, "measurements") == 0 && get) {
        hb_test_measurements(t, r);
    } else if (strcmp(op, "forecast_points") == 0 && get) {
        hb_test_forecast_points(t, r);
    } else if (strcmp(op, "forecast") == 0 && put) {
        hb_test_forecast(t, b, r);
    } else if (strcmp(op, "scenario") == 0 && get) {
        hb_test_get_scenario(t, r);
    } else if (strcmp(op, "scenario") == 0 && put) {
        hb_test_set_scenario(t, b, r);
    } else if (strcmp(op, "results") == 0 && put) {
        hb_test_results(t, b, r);
    } else if (strcmp(op, "kpi") == 0 && get) {
        hb_test_kpi(t, r);
    } else if (strcmp(op, "name") == 0 && get) {
        r->status = 200;
        snprintf(r->message, sizeof r->message, "Queried the name of the test case successfully.");
        r->payload = cJSON_CreateObject();
        cJSON_AddStringToObject(r->payload, "name", hb_test_case(t)->name);
    } else {
        return false;
    }
    return true;
}

static const char *const hb__serve_ops[] = {
    "initialize", "step",     "advance", "inputs", "measurements", "forecast_points",
    "forecast",   "scenario", "results", "kpi",    "name",         "status",
    "stop"};

static void hb__serve_test(hb_serve *s, const char *op, const char *id, const char *method,
                           const char *body, size_t len, double now, hb_serve_response *out) {
    bool get = strcmp(method, "GET") == 0, put = strcmp(method, "PUT") == 0,
         post = strcmp(method, "POST") == 0;
    hb_serve_slot *sl = hb__serve_find(s, id);
    if (!sl) {
        char msg[160];
        snprintf(msg, sizeof msg, "Invalid testid: %.40s (never selected, stopped or expired).",
                 id);
        hb_serve_error(404, msg, out);
        return;
    }
    sl->last_s = now;
    if (strcmp(op, "status") == 0 && get) {
        hb__serve_text(200, "text/plain", strdup("Running"), out);
        return;
    }
    if (strcmp(op, "stop") == 0 && put) {
        hb_test_destroy(sl->test);
        sl->test = NULL;
        hb__serve_text(200, "text/plain", strdup("OK"), out);
        return;
    }
    cJSON *doc = NULL;
    if (!hb__serve_parse(body, len, &doc)) {
        hb_serve_error(400, "Malformed JSON in the request body.", out);
        return;
    }
    hb_test_reply r = {0};
    if (!hb__serve_op(sl->test, op, get, put, post, doc, now, &r)) {
        cJSON_Delete(doc);
        hb_serve_error(405, "Method not allowed on this path.", out);
        return;
    }
    cJSON_Delete(doc);
    hb__serve_envelope(r.status, r.message, r.payload, out);
}

void hb_serve_handle(hb_serve *s, const char *method, const char *path, const char *body,
                     size_t len, double wall_s, hb_serve_response *out) {
    char seg[4][128];
    int n = 0;
    memset(out, 0, sizeof *out);
    hb__serve_expire(s, wall_s);
    /* Split the path at '/' into at most four segments; longer ones are no path of ours. */
    const char *p = path;
    while (*p) {
        while (*p == '/') {
            p++;
        }
        if (!*p) {
            break;
        }
        size_t k = strcspn(p, "/");
        if (n == 4 || k >= sizeof seg[0]) {
            hb_serve_error(404, "No such path.", out);
            return;
        }
        memcpy(seg[n], p, k);
        seg[n++][k] = '\0';
        p += k;
    }
    bool get = strcmp(method, "GET") == 0;
    if (n == 1 && strcmp(seg[0], "version") == 0 && get) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", s->cfg.version ? s->cfg.version : "heatbench");
        hb__serve_envelope(200, "Queried the version number successfully.", o, out);
    } else if (n == 1 && strcmp(seg[0], "testcases") == 0 && get) {
        hb__serve_testcases(s, out);
    } else if (n == 3 && strcmp(seg[0], "testcases") == 0 && strcmp(seg[2], "select") == 0 &&
               strcmp(method, "POST") == 0) {
        hb__serve_select(s, seg[1], wall_s, out);
    } else if (n == 2) {
        bool known = false;
        for (size_t i = 0; i < sizeof hb__serve_ops / sizeof hb__serve_ops[0]; i++) {
            known = known || strcmp(seg[0], hb__serve_ops[i]) == 0;
        }
        if (known) {
            hb__serve_test(s, seg[0], seg[1], method, body, len, wall_s, out);
        } else {
            hb_serve_error(404, "No such path.", out);
        }
    } else {
        hb_serve_error(404, "No such path.", out);
    }
}
