/* `heatbench sweep`: run, list, shard and merge the runs of a sweep file (docs/sweep.md). */
#define _GNU_SOURCE /* getopt_long */
#include "../sweep/hb_sweep.h"
#include "../sweep/hb_sweep_exec.h"
#include "../sweep/hb_sweep_merge.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char hb__sweep_help[] =
    "usage: heatbench sweep SWEEP.json -o RESULTS.jsonl [options]\n"
    "       heatbench sweep SWEEP.json --list [--shard I/N]\n"
    "       heatbench sweep merge PARTS.jsonl... -o RESULTS.jsonl [--plan SWEEP.json]\n"
    "\n"
    "Runs every run of a sweep (scenarios x grid x samples x controllers x seeds) in this\n"
    "process, one JSON line per run appended to RESULTS (id, overrides, KPIs, version, wall_s;\n"
    "or the run's error). Run it again after a crash: finished ids are skipped.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   results file, appended and resumed ('-': stdout)\n"
    "  -j, --jobs N        threads (default: SLURM_CPUS_PER_TASK, else the cores)\n"
    "  --shard I/N         only the I-th of N shards (default from a Slurm array:\n"
    "                      SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1 of\n"
    "                      SLURM_ARRAY_TASK_COUNT)\n"
    "  --list              print one line per run: its id and the command that runs it alone\n"
    "  --only ID           run only the run ID (to stdout without -o)\n"
    "  -q, --quiet         no progress line\n"
    "  --plan SWEEP.json   (merge) check that every run of the sweep is there; missing ids are\n"
    "                      printed on stdout\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 every run succeeded; 1 the results cannot be written, or (merge) runs are\n"
    "missing; 2 bad usage or a bad sweep file; 3 to 125: that many runs failed plus 2 (125:\n"
    "123 or more).\n";

static const char *const hb__ctl_names[] = {"pid",    "bangbang",  "mpc", "pid-ff",
                                            "pid-os", "pid-ff-os", NULL};

static int hb__sweep_ctl(const char *name, hb_room_ctl_config *cfg) {
    for (size_t i = 0; hb__ctl_names[i]; i++) {
        if (strcmp(name, hb__ctl_names[i]) == 0) {
            return hb_cli_controller("heatbench sweep", name, cfg);
        }
    }
    return -1;
}

int hb_sweep_cli_load(const char *prog, const char *path, size_t limit, hb_sweep **out) {
    hb_sweep_options so = {
        .controller = hb__sweep_ctl, .ctl_names = hb__ctl_names, .version = HEATBENCH_VERSION};
    char err[2048];
    int rc = hb_sweep_load(path, &so, out, err, sizeof err);
    if (rc == HB_OK) {
        rc = hb_sweep_validate(*out, limit, err, sizeof err);
        if (rc != HB_OK) {
            hb_sweep_destroy(*out);
            *out = NULL;
        }
    }
    if (rc != HB_OK) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return rc == HB_ERR_NOMEM ? HB_EXIT_FAIL : HB_EXIT_USAGE;
    }
    return HB_EXIT_OK;
}

static bool hb__parse_shard(const char *s, size_t *i, size_t *n) {
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/' || s[0] == '-') {
        return false;
    }
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end != '\0' || t[0] == '-' || errno != 0 || a < 1 || b < 1 || a > b) {
        return false;
    }
    *i = a;
    *n = b;
    return true;
}

/* The shard from a Slurm array job's environment, when there is one. */
static int hb__slurm_shard(size_t *i, size_t *n) {
    const char *id = getenv("SLURM_ARRAY_TASK_ID");
    const char *count = getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count) {
        return 0;
    }
    const char *min = getenv("SLURM_ARRAY_TASK_MIN");
    long long a = strtoll(id, NULL, 10) - (min ? strtoll(min, NULL, 10) : 0) + 1;
    long long b = strtoll(count, NULL, 10);
    if (a < 1 || b < 1 || a > b) {
        fprintf(stderr,
                "heatbench sweep: SLURM_ARRAY_TASK_ID=%s (MIN %s) of COUNT %s is not a shard: "
                "use a contiguous array (--array=0-N or 1-N) or pass --shard I/N\n",
                id, min ? min : "unset", count);
        return -1;
    }
    *i = (size_t)a;
    *n = (size_t)b;
    return 1;
}

static int hb__default_jobs(void) {
    const char *c = getenv("SLURM_CPUS_PER_TASK");
    long n = c ? strtol(c, NULL, 10) : 0;
    if (n > 0 && n <= 1024) {
        return (int)n;
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int hb__sw_list(const hb_sweep *s, size_t shard, size_t shards) {
    size_t n = hb_sweep_count(s);
    for (size_t i = 0; i < n; i++) {
        if (!hb_sweep_in_shard(i, shard, shards)) {
            continue;
        }
        hb_sweep_run r;
        if (hb_sweep_resolve(s, i, &r) != HB_OK) {
            return HB_EXIT_FAIL;
        }
        char *ov = cJSON_PrintUnformatted(r.overrides);
        printf("%s heatbench sweep %s --only %s  # %s %s seed %llu %s\n", r.id, hb_sweep_path(s),
               r.id, r.scenario, r.controller, (unsigned long long)r.seed, ov ? ov : "");
        free(ov);
        hb_sweep_run_free(&r);
    }
    return fflush(stdout) == 0 ? HB_EXIT_OK : HB_EXIT_FAIL;
}

static int hb__merge(int argc, char **argv) {
    const char *out = NULL;
    const char *plan_path = NULL;
    const hb_opt opts[] = {
        {"output", 'o', HB_OPT_STR, &out, 0, 0, NULL},
        {"plan", 0, HB_OPT_STR, &plan_path, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__sweep_help}},
    };
    int rc = hb_opts_parse("heatbench sweep merge", "sweep", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        return hb_opts_status(rc);
    }
    if (!out || optind >= argc) {
        fprintf(stderr, "heatbench sweep merge: expected PARTS... -o RESULTS.jsonl\n");
        return HB_EXIT_USAGE;
    }
    hb_sweep *plan = NULL;
    if (plan_path && hb_sweep_cli_load("heatbench sweep merge", plan_path, 1, &plan) != 0) {
        return HB_EXIT_USAGE;
    }
    hb_sweep_merge_stats st;
    char err[1024];
    rc = hb_sweep_merge((const char *const *)argv + optind, (size_t)(argc - optind), out, plan, 0,
                        stdout, &st, err, sizeof err);
    hb_sweep_destroy(plan);
    if (rc != HB_OK) {
        hb_cli_error("heatbench sweep merge", err);
        return HB_EXIT_FAIL;
    }
    fprintf(stderr,
            "heatbench sweep merge: %zu lines, %zu runs written to %s (%zu failed), %zu "
            "duplicates dropped, %zu bad lines ignored",
            st.lines, st.written, out, st.failed, st.duplicates, st.bad);
    if (plan) {
        fprintf(stderr, "; %zu missing, %zu not in the plan", st.missing, st.extra);
    }
    fputc('\n', stderr);
    return plan && st.missing ? HB_EXIT_FAIL : HB_EXIT_OK;
}

static int hb__exit_for(size_t failed) {
    return failed == 0 ? HB_EXIT_OK : failed > 123 ? 125 : 2 + (int)failed;
}

/* What the command line asked of `heatbench sweep`. */
typedef struct {
    const char *out, *only;
    int jobs;
    size_t shard, shards;
    bool list, quiet, shard_set;
} hb__sw_args;

static int hb__sw_shard(const char *prog, const char *arg, void *target) {
    hb__sw_args *a = target;
    if (!hb__parse_shard(arg, &a->shard, &a->shards)) {
        fprintf(stderr, "%s: --shard: expected I/N with 1 <= I <= N, got '%s'\n", prog, arg);
        return -1;
    }
    a->shard_set = true;
    return 0;
}

/* The options into A: 0 to go on, else -1 with *STATUS the exit status. */
static int hb__sw_options(int argc, char **argv, hb__sw_args *a, int *status) {
    const char *prog = "heatbench sweep";
    const hb_opt opts[] = {
        {"output", 'o', HB_OPT_STR, &a->out, 0, 0, NULL},
        {"jobs", 'j', HB_OPT_INT, &a->jobs, 1, 1024, NULL},
        {"shard", 0, HB_OPT_CALL, a, 0, 0, hb__sw_shard},
        {"list", 0, HB_OPT_FLAG, &a->list, 0, 0, NULL},
        {"only", 0, HB_OPT_STR, &a->only, 0, 0, NULL},
        {"quiet", 'q', HB_OPT_FLAG, &a->quiet, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__sweep_help}},
    };
    int rc = hb_opts_parse(prog, "sweep", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    *status = HB_EXIT_USAGE;
    if (optind != argc - 1) {
        fprintf(stderr, "%s", hb__sweep_help);
        return -1;
    }
    if (!a->shard_set && hb__slurm_shard(&a->shard, &a->shards) < 0) {
        return -1;
    }
    if (!a->list && !a->out && !a->only) {
        fprintf(stderr, "%s: -o RESULTS.jsonl is required (or --list, --only ID)\n", prog);
        return -1;
    }
    return 0;
}

/* Runs the plan S as A asks; the exit status. */
static int hb__sw_exec(hb_sweep *s, const hb__sw_args *a) {
    hb_sweep_exec_opts eo = {.out_path = a->out ? a->out : "-",
                             .jobs = a->jobs,
                             .shard = a->shard,
                             .shards = a->shards,
                             .only_id = a->only,
                             .progress = !a->quiet && isatty(STDERR_FILENO),
                             .version = HEATBENCH_VERSION,
                             .kpi_json = hb_kpi_json};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hb_sweep_stats st;
    char err[1024];
    int rc = hb_sweep_exec(s, &eo, &st, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != HB_OK) {
        hb_cli_error("heatbench sweep", err);
        return rc == HB_ERR_NOTFOUND ? HB_EXIT_USAGE : HB_EXIT_FAIL;
    }
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (!a->quiet) {
        fprintf(stderr,
                "heatbench sweep: shard %zu/%zu: %zu runs, %zu already done, %zu ran on %d "
                "threads in %.2f s, %zu failed; %zu energy floors solved\n",
                a->shard, a->shards, st.planned, st.skipped, st.ran, a->jobs, wall, st.failed,
                st.floors);
    }
    return hb__exit_for(st.failed);
}

int hb_cmd_sweep(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
        return hb__merge(argc - 1, argv + 1);
    }
    hb__sw_args a = {.jobs = hb__default_jobs(), .shard = 1, .shards = 1};
    int status = 0;
    if (hb__sw_options(argc, argv, &a, &status) != 0) {
        return status;
    }
    hb_sweep *s;
    /* The first scenario points are checked before anything runs (a typo fails at once);
     * `heatbench check` checks them all. A later bad point (a random sample out of range) is
     * an error line of its runs, as any failing run. */
    status = hb_sweep_cli_load("heatbench sweep", argv[optind], 1000, &s);
    if (status != HB_EXIT_OK) {
        return status;
    }
    status = a.list ? hb__sw_list(s, a.shard, a.shards) : hb__sw_exec(s, &a);
    hb_sweep_destroy(s);
    return status;
}
