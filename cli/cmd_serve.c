/*
 * `heatbench serve`: the BOPTEST REST API over HTTP/1.1 on libmicrohttpd. This file only moves
 * bytes: it collects a request's body (up to a limit), hands the request to the router
 * (serve/hb_serve.h) and sends its answer. The main thread runs libmicrohttpd's epoll loop and
 * serves every connection, so the router needs no locks and answers requests in the order they
 * complete.
 */
#define _GNU_SOURCE /* getopt_long */
#include "../scenario/hb_scenario.h"
#include "../serve/hb_serve.h"
#include "../serve/hb_tc_room.h"
#include "../sim/hb_energy.h"
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "cli.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glpk.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char hb__serve_help[] =
    "usage: heatbench serve [options]\n"
    "\n"
    "The BOPTEST REST API (ibpsa/project1-boptest): any BOPTEST client selects a test case\n"
    "(POST /testcases/NAME/select), then initializes, advances, reads /results and /kpi. Test\n"
    "cases: BOPTEST's testcase1 and every shipped scenario (GET /testcases). See docs/serve.md.\n"
    "\n"
    "  --host ADDR            IPv4 address to listen on (default 127.0.0.1)\n"
    "  --port N               TCP port (default 8000; 0: any free one, printed)\n"
    "  --max-tests N          tests at once; a select beyond gets 503 (default 100)\n"
    "  --idle-timeout S       stop a test nobody asked anything for S seconds (default 3600)\n"
    "  --max-body BYTES       larger request bodies get 413 (default 1048576)\n"
    "  --spill-dir DIR        where long tests keep their results, in unlinked files\n"
    "                         (default $TMPDIR, else /tmp)\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT. exit status: 0 ok, 1 cannot listen, 2 bad usage.\n";

typedef struct hb_serve_http {
    hb_serve *router;
    size_t max_body;
} hb_serve_http;

/* A request's body as it arrives. */
typedef struct hb_serve_upload {
    char *buf;
    size_t len, cap;
    bool too_large;
} hb_serve_upload;

static double hb__serve_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static enum MHD_Result hb__serve_send(struct MHD_Connection *conn, hb_serve_response *r) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        hb_serve_response_free(r);
        return MHD_NO;
    }
    r->body = NULL; /* libmicrohttpd frees it */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static bool hb__serve_append(hb_serve_upload *up, const char *data, size_t n, size_t max) {
    if (up->len + n > max) {
        up->too_large = true;
        return false;
    }
    if (up->len + n + 1 > up->cap) {
        size_t cap = up->cap ? up->cap : 1024;
        while (cap < up->len + n + 1) {
            cap *= 2;
        }
        char *b = realloc(up->buf, cap);
        if (!b) {
            up->too_large = true;
            return false;
        }
        up->buf = b;
        up->cap = cap;
    }
    memcpy(up->buf + up->len, data, n);
    up->len += n;
    up->buf[up->len] = '\0';
    return true;
}

static enum MHD_Result hb__serve_access(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload_data, size_t *upload_data_size,
                                        void **con_cls) {
    (void)version;
    hb_serve_http *h = cls;
    hb_serve_upload *up = *con_cls;
    hb_serve_response r = {0};
    if (!up) {
        up = calloc(1, sizeof *up);
        if (!up) {
            return MHD_NO;
        }
        *con_cls = up;
        /* A declared length over the limit is refused before a byte of it is read. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->max_body) {
            up->too_large = true;
            hb_serve_error(413, "Request body too large.", &r);
            return hb__serve_send(conn, &r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!up->too_large) {
            hb__serve_append(up, upload_data, *upload_data_size, h->max_body);
        }
        *upload_data_size = 0; /* consumed (or dropped, once too large) */
        return MHD_YES;
    }
    if (up->too_large) {
        hb_serve_error(413, "Request body too large.", &r);
    } else {
        hb_serve_handle(h->router, method, url, up->buf, up->len, hb__serve_clock(), &r);
    }
    return hb__serve_send(conn, &r);
}

static void hb__serve_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    hb_serve_upload *up = *con_cls;
    if (up) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

static int hb__serve_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

static int hb__serve_tc1(const void *arg, hb_tcase **out) {
    (void)arg;
    return hb_tc1_create(out);
}

/* A shipped scenario as a test case: its configuration, which the case's tests borrow, and its
 * energy floor, solved at the case's first select and shared by every later test of it (the
 * floor reads the scenario alone, hb_energy.h): one solve per case and process, not one per
 * test and reset. Only the server's thread selects, so no lock. */
enum { HB_SERVE_MAX_CASES = 64 };
typedef struct hb__serve_scen {
    hb_sim_config cfg;
    hb_energy_plan plan;
    bool solved;
} hb__serve_scen;
static hb__serve_scen hb__serve_scens[HB_SERVE_MAX_CASES];

static int hb__serve_room(const void *arg, hb_tcase **out) {
    hb__serve_scen *s = &hb__serve_scens[(const hb__serve_scen *)arg - hb__serve_scens];
    if (!s->solved) {
        (void)hb_energy_plan_solve(&s->cfg, &s->plan); /* NaN when it cannot: as a run has it */
        s->cfg.plan = &s->plan;
        s->solved = true;
    }
    return hb_tc_room_create(&s->cfg, hb_kpi_json, out);
}

static void hb__serve_scens_free(size_t n) {
    for (size_t i = 1; i < n; i++) { /* case 0 is testcase1 */
        hb_sim_config_free(&hb__serve_scens[i].cfg);
        if (hb__serve_scens[i].solved) {
            hb_energy_plan_free(&hb__serve_scens[i].plan);
        }
    }
}

static int hb__serve_name_cmp(const void *a, const void *b) {
    return strcmp(((const hb_serve_case *)a)->name, ((const hb_serve_case *)b)->name);
}

/* The test cases: BOPTEST's testcase1, then every shipped scenario under its file's name, sorted
 * (a scenario that does not load is left out with a message). CFGS receives the loaded
 * configurations, which the cases borrow. Returns the number of cases. */
static size_t hb__serve_catalog(hb_serve_case *cases, size_t max) {
    size_t n = 0;
    snprintf(cases[n].name, sizeof cases[n].name, "testcase1");
    cases[n++].create = hb__serve_tc1;
    char dir[1024];
    DIR *d = hb_datadir("scenarios", dir, sizeof dir) == HB_OK ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && n < max && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len - 5 >= sizeof cases[n].name ||
            strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (hb_scenario_load_file(path, &hb__serve_scens[n].cfg, err, sizeof err) != HB_OK) {
            fprintf(stderr, "heatbench serve: %s left out: %s\n", e->d_name, err);
            continue;
        }
        snprintf(cases[n].name, sizeof cases[n].name, "%.*s", (int)(len - 5), e->d_name);
        cases[n].create = hb__serve_room;
        cases[n].arg = &hb__serve_scens[n];
        n++;
    }
    if (d) {
        closedir(d);
    }
    qsort(cases + 1, n - 1, sizeof *cases, hb__serve_name_cmp);
    return n;
}

/* Serves until SIGTERM or SIGINT: the signals are blocked before the server thread starts (it
 * inherits the mask) and taken here with sigwait, so no handler runs inside the server. */
static int hb__serve_run(const struct sockaddr_in *addr, unsigned long max_tests, double idle,
                         unsigned long max_body, const char *spill_dir) {
    static hb_serve_case cases[HB_SERVE_MAX_CASES];
    size_t n_cases = hb__serve_catalog(cases, HB_SERVE_MAX_CASES);
    hb_serve_config cfg = {.cases = cases,
                           .n_cases = n_cases,
                           .max_tests = max_tests,
                           .idle_s = idle,
                           .version = "heatbench " HEATBENCH_VERSION,
                           .spill_dir = spill_dir};
    hb_serve_http h = {.max_body = max_body};
    if (hb_serve_create(&cfg, &h.router) != HB_OK) {
        fprintf(stderr, "heatbench serve: out of memory\n");
        return HB_EXIT_FAIL;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, hb__serve_access, &h, MHD_OPTION_SOCK_ADDR,
                         (const struct sockaddr *)addr, MHD_OPTION_NOTIFY_COMPLETED, hb__serve_done,
                         NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!d) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
        fprintf(stderr, "heatbench serve: cannot listen on %s:%u\n", ip, ntohs(addr->sin_port));
        hb_serve_destroy(h.router);
        hb__serve_scens_free(n_cases);
        return HB_EXIT_FAIL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof ip);
    printf("heatbench serve: listening on http://%s:%u\n", ip,
           info ? (unsigned)info->port : (unsigned)ntohs(addr->sin_port));
    fflush(stdout);
    /* The server runs in this thread: the simulations (and GLPK's per-thread environment, freed
     * below) stay in one thread; a signal is looked for between waits of at most 200 ms. */
    int sig = 0;
    const struct timespec zero = {0, 0};
    while (sig <= 0) {
        MHD_run_wait(d, 200);
        sig = sigtimedwait(&set, NULL, &zero);
    }
    MHD_stop_daemon(d);
    hb_serve_destroy(h.router);
    hb__serve_scens_free(n_cases);
    glp_free_env();
    fprintf(stderr, "heatbench serve: stopped (signal %d)\n", sig);
    return HB_EXIT_OK;
}

int hb_cmd_serve(int argc, char **argv) {
    static const struct option opts[] = {{"host", required_argument, 0, 'H'},
                                         {"port", required_argument, 0, 'p'},
                                         {"max-tests", required_argument, 0, 'm'},
                                         {"idle-timeout", required_argument, 0, 'i'},
                                         {"max-body", required_argument, 0, 'b'},
                                         {"spill-dir", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *host = "127.0.0.1", *spill_dir = NULL;
    unsigned long port = 8000, max_tests = 100, idle = 3600, max_body = 1UL << 20;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'H':
            host = optarg;
            break;
        case 'p':
            bad = hb__serve_uint(optarg, 0, 65535, &port);
            break;
        case 'm':
            bad = hb__serve_uint(optarg, 1, 100000, &max_tests);
            break;
        case 'i':
            bad = hb__serve_uint(optarg, 1, 86400UL * 365, &idle);
            break;
        case 'b':
            bad = hb__serve_uint(optarg, 1024, 1UL << 30, &max_body);
            break;
        case 's':
            spill_dir = optarg;
            break;
        case 'h':
            fputs(hb__serve_help, stdout);
            return HB_EXIT_OK;
        default:
            fputs(hb__serve_help, stderr);
            return HB_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "heatbench serve: bad value '%s' for --%s\n", optarg,
                    opts[c == 'H'   ? 0
                         : c == 'p' ? 1
                         : c == 'm' ? 2
                         : c == 'i' ? 3
                                    : 4]
                        .name);
            return HB_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "heatbench serve: unexpected argument '%s'\n", argv[optind]);
        return HB_EXIT_USAGE;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "heatbench serve: --host '%s' is not an IPv4 address\n", host);
        return HB_EXIT_USAGE;
    }
    /* Checked now, not at a long test's first spill hours later. */
    if (spill_dir && access(spill_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "heatbench serve: --spill-dir '%s': %s\n", spill_dir, strerror(errno));
        return HB_EXIT_USAGE;
    }
    return hb__serve_run(&addr, max_tests, (double)idle, max_body, spill_dir);
}
