#define _GNU_SOURCE /* getopt_long */
#include "../report/hb_report.h"
#include "../scenario/hb_scenario.h"
#include "../sim/hb_energy.h"
#include "../sweep/hb_sweep.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "../util/hb_ofile.h"
#include "../util/hb_sigclean.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char hb__run_help[] =
    "usage: heatbench run [SCENARIO] [options]\n"
    "\n"
    "Simulates the scenario (the built-in default room and winter day without a file) and\n"
    "prints its KPIs.\n"
    "\n"
    "options:\n"
    "  --seed N               seed of every random stream (default: the scenario's)\n"
    "  --controller NAME      pid | bangbang | mpc | pid-ff | pid-os | pid-ff-os (default:\n"
    "                         the scenario's; ff: feed-forward, os: optimal start/stop); with\n"
    "                         --report, a comma list (pid,mpc) compares them in one report\n"
    "  --hours H              simulated hours (default: the scenario's, 24)\n"
    "  -o, --output FILE      write the CSV trace to FILE ('-' = stdout)\n"
    "  --trace-interval S     seconds between trace rows (a multiple of plant_step_s)\n"
    "  --kpi-interval H       also the KPIs of every H simulated hours, one JSON line each\n"
    "                         (for long runs: up to 876,000 h)\n"
    "  --kpi-file FILE        where those lines go (default: stdout, stderr with -o -)\n"
    "  --json                 print the KPIs as one JSON object\n"
    "  --report DIR           also write a gnuplot/HTML report of the run into DIR (only its\n"
    "                         own files: a directory holding others is refused)\n"
    "  --force                write the report beside files heatbench did not write\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 run-time failure (e.g. the trace cannot be written), 2 bad usage or\n"
    "a bad scenario.\n";

/* `--controller a,b --report DIR`: the same scenario and seed under each controller, their KPIs,
 * and one report that overlays them. */
enum { HB__CMP_MAX = 4, HB__CMP_EVENTS = 64 };

/* The runs of a comparison: each controller's trace (a temporary file), KPIs and events. */
typedef struct {
    char paths[HB__CMP_MAX][40];
    char names[HB__CMP_MAX][16];
    char summaries[HB__CMP_MAX][256];
    hb_kpis kpis[HB__CMP_MAX];
    hb_report_trace tr[HB__CMP_MAX];
    hb_report_event events[HB__CMP_MAX][HB__CMP_EVENTS];
    size_t n_events[HB__CMP_MAX];
    int n;
} hb__run_cmp;

/* Runs controller NAME on RUN into the next slot of C (CFG: the scenario as given), prints its
 * KPIs; the exit status. */
static int hb__compare_one(hb__run_cmp *c, hb_sim_config *run, const hb_sim_config *cfg,
                           const char *name, int json) {
    run->controller = cfg->controller;
    if (c->n == HB__CMP_MAX || hb_cli_controller("heatbench run", name, &run->controller) != 0) {
        if (c->n == HB__CMP_MAX) {
            fprintf(stderr, "heatbench run: at most %d controllers to compare\n", HB__CMP_MAX);
        }
        return HB_EXIT_USAGE;
    }
    int i = c->n;
    snprintf(c->paths[i], sizeof c->paths[i], "/tmp/heatbench-cmp-XXXXXX");
    int fd = mkstemp(c->paths[i]);
    if (fd >= 0) {
        hb_sigclean_add(c->paths[i]); /* removed on Ctrl-C too */
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "heatbench run: cannot create a temporary trace: %s\n", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return HB_EXIT_FAIL;
    }
    c->n++;
    hb_sim *sim;
    int rc = hb_sim_create(run, &sim);
    if (rc == HB_OK) {
        hb_sim_set_trace(sim, f);
        rc = hb_sim_run(sim);
        c->kpis[i] = *hb_sim_kpis(sim);
        c->n_events[i] = hb_cli_report_events(run, sim, c->events[i], HB__CMP_EVENTS);
        hb_sim_destroy(sim);
    }
    if (fclose(f) != 0 || rc != HB_OK) {
        fprintf(stderr, "heatbench run: %s: %s\n", name, hb_strerror(rc == HB_OK ? HB_ERR_IO : rc));
        return HB_EXIT_FAIL;
    }
    snprintf(c->names[i], sizeof c->names[i], "%s", name);
    snprintf(c->summaries[i], sizeof c->summaries[i], "%s, seed %llu, %s, %.1f h", cfg->name,
             (unsigned long long)cfg->seed, name, cfg->duration_h);
    c->tr[i] = (hb_report_trace){.path = c->paths[i],
                                 .label = c->names[i],
                                 .kpis = &c->kpis[i],
                                 .summary = c->summaries[i],
                                 .events = c->events[i],
                                 .n_events = c->n_events[i]};
    if (json) {
        hb_kpi_print_json(stdout, run, &c->kpis[i]);
    } else {
        hb_kpi_print_table(stdout, run, &c->kpis[i]);
        fputc('\n', stdout);
    }
    return HB_EXIT_OK;
}

/* The report of the comparison C into DIR; the exit status. */
static int hb__compare_report(const hb__run_cmp *c, const hb_sim_config *run,
                              const hb_sim_config *cfg, const char *dir, bool force, int json) {
    char title[160];
    snprintf(title, sizeof title, "heatbench run: %s, controllers compared", cfg->name);
    char provenance[1400];
    hb_report_opts ro = hb_cli_report_opts(run, title, force, provenance, sizeof provenance);
    char err[1024];
    int rc = hb_report_write(dir, c->tr, (size_t)c->n, &ro, err, sizeof err);
    if (rc != HB_OK) {
        hb_cli_error("heatbench run: report", err);
        return hb_cli_report_status(rc);
    }
    if (!json) {
        printf("report written to %s/index.html\n", dir);
    }
    return HB_EXIT_OK;
}

static int hb__compare(hb_sim_config *cfg, char *list, const char *dir, bool force, int json) {
    static hb__run_cmp cmp; /* the events are too many for the stack */
    memset(&cmp, 0, sizeof cmp);
    int status = HB_EXIT_OK;
    char check[128];
    snprintf(check, sizeof check, "%s", list);
    char *save = NULL;
    for (char *name = strtok_r(check, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        hb_room_ctl_config probe = cfg->controller;
        if (hb_cli_controller("heatbench run", name, &probe) !=
            0) { /* every name checked before anything runs */
            return HB_EXIT_USAGE;
        }
    }
    /* The floor depends on the scenario, not the controller: solved once for all of them. */
    hb_energy_plan plan;
    (void)hb_energy_plan_solve(cfg, &plan);
    hb_sim_config run = *cfg; /* each controller in turn, with the shared floor */
    run.plan = &plan;
    save = NULL;
    for (char *name = strtok_r(list, ",", &save); name && status == HB_EXIT_OK;
         name = strtok_r(NULL, ",", &save)) {
        status = hb__compare_one(&cmp, &run, cfg, name, json);
    }
    if (status == HB_EXIT_OK) {
        status = hb__compare_report(&cmp, &run, cfg, dir, force, json);
    }
    for (int i = 0; i < cmp.n; i++) {
        unlink(cmp.paths[i]);
        hb_sigclean_drop(cmp.paths[i]);
    }
    hb_energy_plan_free(&plan);
    return status;
}

/* Loads the scenario at PATH (NULL: the default) into CFG and applies the command-line
 * overrides; CFG must be freed whatever the outcome. */
static int hb__run_config(const char *path, const char *seed_s, const char *ctl_s, double hours,
                          double trace_iv, hb_sim_config *cfg) {
    if (hb_cli_load_scenario("heatbench run", path, cfg) != 0) {
        return HB_EXIT_USAGE;
    }
    if (seed_s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed_s, &end, 10);
        if (end == seed_s || *end != '\0' || errno != 0 || seed_s[0] == '-') {
            fprintf(stderr, "heatbench run: --seed: expected a non-negative integer, got '%s'\n",
                    seed_s);
            return HB_EXIT_USAGE;
        }
        cfg->seed = v;
    }
    if (ctl_s && !strchr(ctl_s, ',')) {
        if (hb_cli_controller("heatbench run", ctl_s, &cfg->controller) != 0) {
            return HB_EXIT_USAGE;
        }
    }
    if (!isnan(hours)) {
        cfg->duration_h = hours;
    }
    if (!isnan(trace_iv)) {
        cfg->trace_interval_s = trace_iv;
    }
    char err[1024];
    if (hb_scenario_validate(cfg, path ? path : "(built-in default)", err, sizeof err) != HB_OK) {
        hb_cli_error("heatbench run", err);
        return HB_EXIT_USAGE;
    }
    return HB_EXIT_OK;
}

/* Where one run's results go. */
typedef struct hb__run_out {
    const char *path;      /* the trace (-o), "-" for stdout, or NULL */
    double kpi_interval_h; /* NaN: no KPIs per interval */
    const char *kpi_path;  /* where they go, NULL: stdout (stderr with the trace on stdout) */
    const char *report_dir;
    bool force;
    int json;
} hb__run_out;

/* Prints the KPIs of the finished run SIM and writes its report when one was asked for. */
static int hb__run_results(const hb_sim_config *cfg, hb_sim *sim, const hb__run_out *o,
                           const char *trace_path) {
    /* With the trace on stdout, KPIs go to stderr so the CSV stays clean. */
    FILE *kout = (o->path && strcmp(o->path, "-") == 0) ? stderr : stdout;
    if (o->json) {
        hb_kpi_print_json(kout, cfg, hb_sim_kpis(sim));
    } else {
        hb_kpi_print_table(kout, cfg, hb_sim_kpis(sim));
    }
    if (!o->report_dir) {
        return HB_EXIT_OK;
    }
    char summary[256];
    char title[128];
    snprintf(summary, sizeof summary, "%s, seed %llu, %s, %.1f h", cfg->name,
             (unsigned long long)cfg->seed, hb_cli_controller_name(&cfg->controller),
             cfg->duration_h);
    snprintf(title, sizeof title, "heatbench run: %s", cfg->name);
    hb_report_event events[64];
    size_t n_events = hb_cli_report_events(cfg, sim, events, 64);
    hb_report_trace tr = {.path = trace_path,
                          .label = cfg->name,
                          .kpis = hb_sim_kpis(sim),
                          .summary = summary,
                          .events = events,
                          .n_events = n_events};
    char provenance[1400];
    hb_report_opts ro = hb_cli_report_opts(cfg, title, o->force, provenance, sizeof provenance);
    char rerr[1024];
    int wrc = hb_report_write(o->report_dir, &tr, 1, &ro, rerr, sizeof rerr);
    if (wrc != HB_OK) {
        hb_cli_error("heatbench run: report", rerr);
        return hb_cli_report_status(wrc);
    }
    if (!o->json) {
        fprintf(kout, "report written to %s/index.html\n", o->report_dir);
    }
    return HB_EXIT_OK;
}

/* The KPIs of one interval as a JSON line (the run's energy references are not the
 * interval's: left out). */
typedef struct {
    FILE *f;
    double t0;
} hb__iv_out;

static void hb__on_interval(void *ud, double t_from, double t_to, const hb_kpis *k) {
    const hb__iv_out *o = ud;
    cJSON *line = cJSON_CreateObject();
    cJSON *kp = hb_kpi_json(k);
    if (!line || !kp) {
        cJSON_Delete(line);
        cJSON_Delete(kp);
        return;
    }
    hb_json_num(line, "from_h", (t_from - o->t0) / 3600.0);
    hb_json_num(line, "to_h", (t_to - o->t0) / 3600.0);
    for (cJSON *item = kp->child; item;) {
        cJSON *next = item->next;
        if (strncmp(item->string, "energy_floor", 12) != 0 &&
            strncmp(item->string, "energy_ideal", 12) != 0 &&
            strcmp(item->string, "energy_ratio") != 0) {
            cJSON_AddItemToObject(line, item->string, cJSON_DetachItemViaPointer(kp, item));
        }
        item = next;
    }
    cJSON_Delete(kp);
    hb_json_print(o->f, line);
}

/* One run of CFG (NAME in messages): the trace written atomically, the KPIs, the report. Every
 * path out goes through the one cleanup at the end. */
static int hb__run_one(const hb_sim_config *cfg, const char *name, const hb__run_out *o) {
    const char *trace_path = o->path;
    /* A report reads the trace back: it needs a regular file, ours if the user gave none. */
    char tmp_trace[] = "/tmp/heatbench-trace-XXXXXX";
    bool tmp_used = false;
    hb_sim *sim = NULL;
    hb_ofile *of = NULL;
    hb_ofile *kf = NULL; /* the interval KPIs, when they go to a file */
    int status = HB_EXIT_OK;
    int rc = HB_OK;
    bool trace_stdout = o->path && strcmp(o->path, "-") == 0;
    hb__iv_out iv = {.f = trace_stdout ? stderr : stdout, .t0 = cfg->plant.t_start_s};
    if (o->report_dir) {
        struct stat st;
        if (trace_path && (strcmp(trace_path, "-") == 0 ||
                           (stat(trace_path, &st) == 0 && !S_ISREG(st.st_mode)))) {
            fprintf(stderr, "heatbench run: --report needs -o to be a regular file (or no -o)\n");
            status = HB_EXIT_USAGE;
            goto done;
        }
        if (!trace_path) {
            int fd = mkstemp(tmp_trace);
            if (fd < 0) {
                fprintf(stderr, "heatbench run: cannot create a temporary trace: %s\n",
                        strerror(errno));
                status = HB_EXIT_FAIL;
                goto done;
            }
            close(fd);
            hb_sigclean_add(tmp_trace);
            trace_path = tmp_trace;
            tmp_used = true;
        }
    }
    rc = hb_sim_create(cfg, &sim);
    if (rc != HB_OK) {
        fprintf(stderr, "heatbench run: %s: cannot set up the simulation: %s\n", name,
                hb_strerror(rc));
        status = rc == HB_ERR_NOMEM ? HB_EXIT_FAIL : HB_EXIT_USAGE;
        goto done;
    }
    if (trace_path) {
        of = hb_ofile_open(trace_path, &rc);
        if (!of) {
            fprintf(stderr, "heatbench run: cannot write %s: %s\n", trace_path, strerror(errno));
            status = HB_EXIT_FAIL;
            goto done;
        }
        hb_sim_set_trace(sim, hb_ofile_stream(of));
    }
    if (!isnan(o->kpi_interval_h)) {
        if (o->kpi_path && strcmp(o->kpi_path, "-") != 0) {
            kf = hb_ofile_open(o->kpi_path, &rc);
            if (!kf) {
                fprintf(stderr, "heatbench run: cannot write %s: %s\n", o->kpi_path,
                        strerror(errno));
                status = HB_EXIT_FAIL;
                goto done;
            }
            iv.f = hb_ofile_stream(kf);
        }
        hb_sim_set_interval(sim, o->kpi_interval_h * 3600.0, hb__on_interval, &iv);
    }
    rc = hb_sim_run(sim);
    if (rc == HB_OK && kf) {
        hb_ofile *f = kf;
        kf = NULL;
        if (ferror(hb_ofile_stream(f))) {
            hb_ofile_abort(f);
            rc = HB_ERR_IO;
        } else if (hb_ofile_commit(f) != HB_OK) {
            rc = HB_ERR_IO;
        }
    }
    if (rc == HB_OK && of) {
        hb_ofile *f = of;
        of = NULL; /* commit frees it, whatever the outcome */
        if (hb_ofile_commit(f) != HB_OK) {
            rc = HB_ERR_IO;
        }
    }
    if (rc != HB_OK) {
        fprintf(stderr, "heatbench run: %s: %s%s%s\n", name, hb_strerror(rc),
                trace_path ? " writing " : "", trace_path ? trace_path : "");
        status = HB_EXIT_FAIL;
        goto done;
    }
    status = hb__run_results(cfg, sim, o, trace_path);
done:
    hb_ofile_abort(of);
    hb_ofile_abort(kf);
    if (tmp_used) {
        unlink(tmp_trace);
        hb_sigclean_drop(tmp_trace);
    }
    hb_sim_destroy(sim);
    return status;
}

/* What the command line asked of `heatbench run`. */
typedef struct {
    const char *seed_s, *ctl_s, *out_path, *report_dir, *kpi_path;
    double hours, trace_iv, kpi_iv; /* NaN: not given */
    bool json, force;
} hb__run_args;

/* The options into A: 0 to go on, else -1 with *STATUS the exit status. */
static int hb__run_parse(int argc, char **argv, hb__run_args *a, int *status) {
    const char *prog = "heatbench run";
    const hb_opt opts[] = {
        {"seed", 0, HB_OPT_STR, &a->seed_s, 0, 0, NULL},
        {"controller", 0, HB_OPT_STR, &a->ctl_s, 0, 0, NULL},
        {"hours", 0, HB_OPT_NUM, &a->hours, 1.0 / 3600.0, 876000, NULL},
        {"output", 'o', HB_OPT_STR, &a->out_path, 0, 0, NULL},
        {"trace-interval", 0, HB_OPT_NUM, &a->trace_iv, 1e-3, 86400, NULL},
        {"json", 0, HB_OPT_FLAG, &a->json, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__run_help}},
        {"report", 0, HB_OPT_STR, &a->report_dir, 0, 0, NULL},
        {"force", 0, HB_OPT_FLAG, &a->force, 0, 0, NULL},
        {"kpi-interval", 0, HB_OPT_NUM, &a->kpi_iv, 1.0 / 60.0, 876000, NULL},
        {"kpi-file", 0, HB_OPT_STR, &a->kpi_path, 0, 0, NULL},
    };
    int rc = hb_opts_parse(prog, "run", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: expected at most one scenario file, got %d\n", prog, argc - optind);
        *status = HB_EXIT_USAGE;
        return -1;
    }
    if (a->report_dir) { /* refuse a directory the report may not write before running anything */
        *status = hb_cli_report_dir(prog, a->report_dir, a->force);
        return *status != 0 ? -1 : 0;
    }
    return 0;
}

int hb_cmd_run(int argc, char **argv) {
    hb__run_args a = {.hours = NAN, .trace_iv = NAN, .kpi_iv = NAN};
    int status = 0;
    if (hb__run_parse(argc, argv, &a, &status) != 0) {
        return status;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    hb_sim_config cfg;
    status = hb__run_config(path, a.seed_s, a.ctl_s, a.hours, a.trace_iv, &cfg);
    if (status == HB_EXIT_OK && a.ctl_s && strchr(a.ctl_s, ',')) {
        if (!a.report_dir || a.out_path || !isnan(a.kpi_iv)) {
            fprintf(stderr, "heatbench run: a list of controllers needs --report DIR (and no -o or "
                            "--kpi-interval)\n");
            status = HB_EXIT_USAGE;
        } else {
            char list[128];
            snprintf(list, sizeof list, "%s", a.ctl_s);
            status = hb__compare(&cfg, list, a.report_dir, a.force, a.json);
        }
    } else if (status == HB_EXIT_OK) {
        hb__run_out out = {.path = a.out_path,
                           .kpi_interval_h = a.kpi_iv,
                           .kpi_path = a.kpi_path,
                           .report_dir = a.report_dir,
                           .force = a.force,
                           .json = a.json};
        status = hb__run_one(&cfg, path ? path : "(built-in default)", &out);
    }
    hb_sim_config_free(&cfg);
    return status;
}

/* Whether PATH holds a `control --config` document (an object with "defaults" or "rooms" and no
 * scenario key), for a hint when it is given to `check`. */
static bool hb__looks_like_home(const char *path) {
    char err[256];
    size_t len = 0;
    char *text = hb_file_read(path, "file", 4u << 20, err, sizeof err, &len);
    cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    /* "o &&" for the analyzer, which does not see that cJSON_IsObject(NULL) is false */
    bool home = o && cJSON_IsObject(o) && o->child;
    for (const cJSON *k = home ? o->child : NULL; k; k = k->next) {
        home = home && (strcmp(k->string, "defaults") == 0 || strcmp(k->string, "rooms") == 0);
    }
    cJSON_Delete(o);
    return home;
}

int hb_cmd_check(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs("usage: heatbench check SCENARIO|SWEEP...\n"
              "\n"
              "Loads and validates each scenario file without running it. Prints 'ok FILE' for\n"
              "each good one (a sweep file: 'ok FILE: a sweep of N runs') and the error for\n"
              "each bad one; exit status 2 if any is bad.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? HB_EXIT_USAGE : HB_EXIT_OK;
    }
    int status = HB_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (hb_sweep_is_sweep_file(argv[i])) {
            hb_sweep *sw;
            if (hb_sweep_cli_load("heatbench check", argv[i], 0, &sw) != HB_EXIT_OK) {
                status = HB_EXIT_USAGE;
                continue;
            }
            printf("ok %s: a sweep of %zu runs (%zu scenario points)\n", argv[i],
                   hb_sweep_count(sw), hb_sweep_points(sw));
            hb_sweep_destroy(sw);
            continue;
        }
        hb_sim_config cfg;
        char err[1024];
        char found[4200];
        if (hb_scenario_load_file(hb_cli_scenario_path(argv[i], found, sizeof found), &cfg, err,
                                  sizeof err) == HB_OK) {
            printf("ok %s\n", argv[i]);
        } else {
            hb_cli_error("heatbench check", err);
            if (hb__looks_like_home(argv[i])) {
                fprintf(stderr,
                        "heatbench check: %s is a `heatbench control --config` file, not a "
                        "scenario: check it with `heatbench control --check --config %s`\n",
                        argv[i], argv[i]);
            }
            status = HB_EXIT_USAGE;
        }
        hb_sim_config_free(&cfg);
    }
    return status;
}
