#define _GNU_SOURCE /* getopt_long, open_memstream */
#include "../report/hb_report.h"
#include "../scenario/hb_scenario.h"
#include "../tuning/hb_tune.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "../util/hb_ofile.h"
#include "../util/hb_sigclean.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HB__MAX_SCEN 16

static const char hb__tune_help[] =
    "usage: heatbench tune [SCENARIO...] [options]\n"
    "\n"
    "Tunes the PID of a scenario (the built-in default without a file): a relay experiment\n"
    "(Ziegler-Nichols, Tyreus-Luyben and no-overshoot rules), a step test fitted to a FOPDT\n"
    "model (SIMC and AMIGO), and Nelder-Mead optimisation of the PI gains started from the best\n"
    "of them. Every method is scored on the training seeds and on a held-out seed; the chosen\n"
    "gains are the best on the held-out seed that do not move the valve more than the default.\n"
    "\n"
    "options:\n"
    "  --evals N              optimiser budget (default 300)\n"
    "  --seeds N              training seeds per scenario: seed, seed+1, ... (default 2)\n"
    "  --seed N               base seed (default: the scenario's); held-out seed = seed + 1000\n"
    "  --robust mean|worst    combine training runs by their mean (default) or worst case\n"
    "  --threads N            parallel simulations (default: one per core); results do not\n"
    "                         depend on it\n"
    "  --tau-c S              SIMC closed-loop time constant in s (default: the dead time)\n"
    "  --w-discomfort W       cost weights (default: the scenario's \"tuning\" section): per K·h\n"
    "  --w-iae W              of discomfort (1), per K·h of absolute error (0.2), per unit of\n"
    "  --w-energy W           energy ratio above 1 (5), per 100 % of valve travel (0.3), per\n"
    "  --w-travel W           100 actuator messages (0.1)\n"
    "  --w-msgs W\n"
    "  --controller pid|mpc   what to tune (default pid). mpc: the MPC's weights w_track,\n"
    "                         w_travel and inner_kp by Nelder-Mead on the same cost (no\n"
    "                         experiments, no --report; budget default 40)\n"
    "  -o, --output FILE      write the tuned scenario (the input with the chosen gains)\n"
    "  --convergence FILE     CSV of every optimiser evaluation: evaluation,cost,kp,ki,kd\n"
    "  --json                 print {\"methods\":[...],\"chosen\":...} instead of the table\n"
    "  --report DIR           gnuplot/HTML report: convergence, the method table, and a day\n"
    "                         of the default against the chosen gains on the held-out seed\n"
    "                         (only its own files: a directory holding others is refused)\n"
    "  --force                write the report beside files heatbench did not write\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 nothing could be tuned or a file could not be written, 2 bad usage or\n"
    "a bad scenario.\n";

static void hb__print_progress(void *ud, int done, int total) {
    (void)ud;
    int width = 40;
    int fill = total > 0 ? done * width / total : width;
    fill = fill > width ? width : fill;
    fprintf(stderr, "\rtuning [%.*s%*s] %3d%%", fill, "########################################",
            width - fill, "",
            total > 0 ? (done * 100 / total > 100 ? 100 : done * 100 / total) : 100);
    if (done >= total) {
        fputc('\n', stderr);
    }
}

static cJSON *hb__method_json(const hb_tune_method *m, bool chosen) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddBoolToObject(o, "ok", m->ok);
    cJSON_AddBoolToObject(o, "chosen", chosen);
    if (!m->ok) {
        cJSON_AddStringToObject(o, "reason", m->reason ? m->reason : "failed");
        return o;
    }
    hb_json_num(o, "kp", m->g.kp);
    hb_json_num(o, "ki", m->g.ki);
    hb_json_num(o, "kd", m->g.kd);
    hb_json_num(o, "cost", m->cost);
    hb_json_num(o, "cost_heldout", m->cost_heldout);
    cJSON_AddItemToObject(o, "kpis", hb_kpi_json(&m->kpis));
    cJSON_AddItemToObject(o, "kpis_heldout", hb_kpi_json(&m->kpis_heldout));
    return o;
}

/* Why the cheapest candidate on the held-out seed is not the chosen one, when it is not. */
static void hb__explain_choice(FILE *out, const hb_tune_result *r) {
    int cheapest = 0;
    for (int i = 1; i < r->n_methods; i++) {
        const hb_tune_method *m = &r->methods[i];
        if (m->ok && m->cost_heldout < r->methods[cheapest].cost_heldout) {
            cheapest = i;
        }
    }
    if (cheapest == r->chosen) {
        return;
    }
    const hb_tune_method *m = &r->methods[cheapest];
    const hb_tune_method *d = &r->methods[0];
    fprintf(out,
            "note: %s has the lowest held-out cost (%.3f) but moves the valve more than the "
            "default gains do (%.0f %% > %.0f %% of travel): not chosen, since the default's "
            "travel is the wear budget; %s is the cheapest within it\n",
            m->name, m->cost_heldout, m->kpis_heldout.valve_travel_pct,
            d->kpis_heldout.valve_travel_pct, r->methods[r->chosen].name);
}

static void hb__print_table(FILE *out, const hb_sim_config *c, const char *names,
                            const hb_tune_options *o, const hb_tune_result *r) {
    fprintf(out, "tuning %s: training seeds %llu..%llu, held-out seed %llu, %d evaluations\n",
            names, (unsigned long long)c->seed,
            (unsigned long long)(c->seed + (uint64_t)o->seeds - 1), r->heldout_seed, r->evals);
    if (r->relay.ok) {
        fprintf(out,
                "relay:  Ku %.1f %%/K, Pu %.2f h, amplitude %.3f K, %d cycles, asymmetry %.2f "
                "(bias %.0f %%, half swing %.0f %%)\n",
                r->relay.ku, r->relay.pu_s / 3600.0, r->relay.a, r->relay.cycles,
                r->relay.asymmetry, r->relay_bias, r->relay_d);
    } else {
        fprintf(out, "relay:  failed: %s\n", r->relay.reason);
    }
    if (r->fopdt_ok) {
        fprintf(out,
                "step:   k %.4f ± %.4f K/%%, tau %.2f ± %.2f h, theta %.1f ± %.1f min (step %+.0f "
                "%%)\n",
                r->fopdt.k, r->fopdt.k_ci, r->fopdt.tau_s / 3600, r->fopdt.tau_ci / 3600,
                r->fopdt.theta_s / 60, r->fopdt.theta_ci / 60, r->step_du);
    } else {
        fprintf(out, "step:   failed: %s\n", r->fopdt_reason);
    }
    fprintf(out, "\n%-10s %8s %8s %8s %9s %9s %11s %7s %8s %6s\n", "method", "kp", "ki", "kd",
            "cost", "held-out", "discomfort", "rmse", "travel", "msgs");
    fprintf(out, "%-10s %8s %8s %8s %9s %9s %11s %7s %8s %6s\n", "", "%/K", "%/(K·h)", "%·h/K", "",
            "", "K·h", "K", "%", "");
    for (int i = 0; i < r->n_methods; i++) {
        const hb_tune_method *m = &r->methods[i];
        if (!m->ok) {
            fprintf(out, "%-10s   -- %s\n", m->name, m->reason ? m->reason : "failed");
            continue;
        }
        fprintf(out, "%-10s %8.2f %8.2f %8.3f %9.3f %9.3f %11.3f %7.3f %8.0f %6ld%s\n", m->name,
                m->g.kp, m->g.ki, m->g.kd, m->cost, m->cost_heldout, m->kpis_heldout.discomfort_kh,
                m->kpis_heldout.rmse_k, m->kpis_heldout.valve_travel_pct,
                m->kpis_heldout.actuator_msgs, i == r->chosen ? "  <- chosen" : "");
    }
    fprintf(out, "(discomfort, rmse, travel and msgs on the held-out seed)\n");
    hb__explain_choice(out, r);
}

/* Shared by `tune` and `identify` (cli.h). */
cJSON *hb_cli_scenario_doc(const char *in) {
    if (!in) {
        return cJSON_CreateObject();
    }
    size_t len;
    char rerr[512];
    char *buf = hb_file_read(in, "scenario", 16u << 20, rerr, sizeof rerr, &len);
    cJSON *root = buf ? cJSON_ParseWithOpts(buf, NULL, 1) : NULL;
    free(buf);
    return root;
}

int hb_cli_write_doc(const char *out, cJSON *root, char *err, size_t errlen) {
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    int rc;
    hb_ofile *f = text ? hb_ofile_open(out, &rc) : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", out, text ? strerror(errno) : "no memory");
        free(text);
        return -1;
    }
    fprintf(hb_ofile_stream(f), "%s\n", text);
    free(text);
    if (hb_ofile_commit(f) != HB_OK) {
        snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Shared by the PID's gains and the MPC's weights (cli.h). */
int hb_cli_write_tuned(const char *out, const char *in, const hb_sim_config *c, const char *type,
                       const char *section, const char *const *keys, const double *vals, int n,
                       char *err, size_t errlen) {
    cJSON *root = hb_cli_scenario_doc(in);
    if (!root) {
        snprintf(err, errlen, "cannot re-read %s", in ? in : "the scenario");
        return -1;
    }
    char name[HB_NAME_MAX + 8];
    snprintf(name, sizeof name, "%s-tuned", c->name);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "name");
    cJSON_AddStringToObject(root, "name", name);
    cJSON *ctl = cJSON_GetObjectItemCaseSensitive(root, "controller");
    if (!ctl) {
        ctl = cJSON_AddObjectToObject(root, "controller");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(ctl, "type");
    cJSON_AddStringToObject(ctl, "type", type);
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(ctl, section);
    if (!sec) {
        sec = cJSON_AddObjectToObject(ctl, section);
    }
    for (int i = 0; i < n; i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(sec, keys[i]);
        cJSON_AddNumberToObject(sec, keys[i], vals[i]);
    }
    return hb_cli_write_doc(out, root, err, errlen);
}

/* A day of the default and of the chosen gains on the held-out seed, plus the convergence plot
 * and the method table. */
static int hb__report(const char *dir, bool force, const hb_sim_config *c, const char *names,
                      const hb_tune_options *o, const hb_tune_result *r, const char *conv,
                      const char *relay_csv, const char *step_csv, char *err, size_t errlen) {
    const hb_tune_method *pick[2] = {&r->methods[0], &r->methods[r->chosen]};
    char paths[2][32] = {"/tmp/heatbench-tune-XXXXXX", "/tmp/heatbench-tune-XXXXXX"};
    char summaries[2][160];
    char labels[2][32];
    hb_kpis kpis[2];
    hb_report_trace tr[2];
    static hb_report_event events[2][64];
    size_t n_events[2] = {0, 0};
    int n = r->chosen == 0 ? 1 : 2;
    int rc = HB_OK; /* an hb error code: failures before the report are I/O failures */
    int made = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int fd = mkstemp(paths[i]);
        if (fd >= 0) {
            hb_sigclean_add(paths[i]); /* removed on Ctrl-C too */
        }
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            snprintf(err, errlen, "cannot create a temporary trace: %s", strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            rc = HB_ERR_IO;
            break;
        }
        made++;
        hb_sim_config sc = *c;
        sc.seed = r->heldout_seed;
        sc.controller.algo = HB_ALGO_PID;
        sc.controller.pid.kp = pick[i]->g.kp;
        sc.controller.pid.ki = pick[i]->g.ki;
        sc.controller.pid.kd = pick[i]->g.kd;
        hb_sim *s;
        rc = hb_sim_create(&sc, &s) == HB_OK ? HB_OK : HB_ERR_IO;
        if (rc == HB_OK) {
            hb_sim_set_trace(s, f);
            rc = hb_sim_run(s) == HB_OK ? HB_OK : HB_ERR_IO;
            kpis[i] = *hb_sim_kpis(s);
            n_events[i] = hb_cli_report_events(&sc, s, events[i], 64);
            hb_sim_destroy(s);
        }
        if (fclose(f) != 0 || rc != HB_OK) {
            snprintf(err, errlen, "cannot simulate the %s gains", pick[i]->name);
            rc = HB_ERR_IO;
        }
        snprintf(labels[i], sizeof labels[i], "%s", pick[i]->name);
        snprintf(summaries[i], sizeof summaries[i],
                 "%s gains kp %.2f, ki %.2f, kd %.3f on held-out seed %llu", pick[i]->name,
                 pick[i]->g.kp, pick[i]->g.ki, pick[i]->g.kd, r->heldout_seed);
        tr[i] = (hb_report_trace){.path = paths[i],
                                  .label = labels[i],
                                  .kpis = &kpis[i],
                                  .summary = summaries[i],
                                  .events = events[i],
                                  .n_events = n_events[i]};
    }
    char *table = NULL;
    size_t tlen = 0;
    FILE *mem = rc == 0 ? open_memstream(&table, &tlen) : NULL;
    if (mem) {
        hb__print_table(mem, c, names, o, r);
        fclose(mem);
    }
    if (rc == 0) {
        char title[160];
        snprintf(title, sizeof title, "heatbench tune: %s", c->name);
        char provenance[1400];
        hb_report_opts ro = hb_cli_report_opts(c, title, force, provenance, sizeof provenance);
        ro.convergence_csv = conv;
        ro.tuning_table = table;
        ro.relay_trace_csv = relay_csv;
        ro.step_csv = step_csv;
        rc = hb_report_write(dir, tr, (size_t)n, &ro, err, errlen);
    }
    free(table);
    for (int i = 0; i < made; i++) {
        unlink(paths[i]);
        hb_sigclean_drop(paths[i]);
    }
    return rc;
}

/* The --json document: every method with its KPIs, the choice, the experiments. */
static void hb__print_json(FILE *out, const hb_tune_result *r) {
    const hb_tune_method *ch = &r->methods[r->chosen];
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "methods");
    for (int i = 0; i < r->n_methods; i++) {
        cJSON_AddItemToArray(arr, hb__method_json(&r->methods[i], i == r->chosen));
    }
    cJSON_AddStringToObject(root, "chosen", ch->name);
    cJSON *rel = cJSON_AddObjectToObject(root, "relay");
    cJSON_AddBoolToObject(rel, "ok", r->relay.ok);
    cJSON_AddStringToObject(rel, "reason", r->relay.reason ? r->relay.reason : "");
    hb_json_num(rel, "ku", r->relay.ku);
    hb_json_num(rel, "pu_s", r->relay.pu_s);
    hb_json_num(rel, "amplitude_k", r->relay.a);
    cJSON *fo = cJSON_AddObjectToObject(root, "fopdt");
    cJSON_AddBoolToObject(fo, "ok", r->fopdt_ok);
    hb_json_num(fo, "k", r->fopdt_ok ? r->fopdt.k : NAN);
    hb_json_num(fo, "tau_s", r->fopdt_ok ? r->fopdt.tau_s : NAN);
    hb_json_num(fo, "theta_s", r->fopdt_ok ? r->fopdt.theta_s : NAN);
    cJSON_AddNumberToObject(root, "evaluations", r->evals);
    cJSON_AddNumberToObject(root, "heldout_seed", (double)r->heldout_seed);
    hb_json_print(out, root);
}

/* Loads the N scenario files PATHS into SCEN (the built-in default when N is 0) for tuning the
 * PID; *LOADED counts the entries to free, whatever the outcome. */
static int hb__tune_load(const char *prog, char **paths, int n, bool mpc, hb_sim_config *scen,
                         int *loaded) {
    char err[1024];
    if (n == 0) {
        hb_sim_config_default(&scen[0]);
        *loaded = 1;
    }
    for (int i = 0; i < n; i++) {
        char found[4200];
        const char *spath = hb_cli_scenario_path(paths[i], found, sizeof found);
        *loaded = i + 1;
        if (hb_scenario_load_file(spath, &scen[i], err, sizeof err) != HB_OK) {
            hb_cli_error(prog, err);
            return HB_EXIT_USAGE;
        }
        if (!(scen[i].duration_h > scen[i].warmup_h)) {
            fprintf(stderr,
                    "%s: %s: duration_h (%g h) must exceed warmup_h (%g h): tuning scores "
                    "the time after the warm-up\n",
                    prog, paths[i], scen[i].duration_h, scen[i].warmup_h);
            return HB_EXIT_USAGE;
        }
    }
    for (int i = 0; i < *loaded; i++) {
        scen[i].controller.algo = mpc ? HB_ALGO_MPC : HB_ALGO_PID;
        /* The controller tuned may have settings the scenario's own never needed checked. */
        char msg[512];
        if (hb_sim_config_bounds(&scen[i], msg, sizeof msg) != HB_OK) {
            fprintf(stderr, "%s: %s: %s\n", prog, n > 0 ? paths[i] : "default", msg);
            return HB_EXIT_USAGE;
        }
    }
    return HB_EXIT_OK;
}

/* The convergence file CF (may be NULL) put in place when the tuning went well (STATUS), or
 * dropped; returns the status, failed when the file could not be written. */
static int hb__conv_finish(const char *prog, hb_ofile *cf, const char *conv, int status) {
    if (!cf) {
        return status;
    }
    if (status != HB_EXIT_OK) {
        hb_ofile_abort(cf);
        return status;
    }
    if (hb_ofile_commit(cf) != HB_OK) {
        fprintf(stderr, "%s: cannot write %s: %s\n", prog, conv, strerror(errno));
        return HB_EXIT_FAIL;
    }
    return status;
}

/* What the command line asked of `heatbench tune`. */
typedef struct hb__tune_args {
    const char *prog;
    char **paths; /* scenario files, N of them */
    int n;
    hb_tune_options o;
    const char *out, *conv, *report_dir;
    bool force;
    double seed;     /* NaN: the scenario's */
    double wflag[5]; /* weights given as flags, NaN where not given */
    bool json;
    bool mpc; /* --controller mpc */
    bool evals_given;
} hb__tune_args;

/* The files of one tuning: the convergence log and the experiments' data for the report's relay
 * and step plots, in temporary files where the user named none. */
typedef struct {
    const char *conv;
    hb_ofile *cf;
    char tmp_conv[32], tmp_relay[32], tmp_step[32];
    FILE *relay_f, *step_f;
    bool relay_ok, step_ok;
} hb__tune_files;

/* Loads, tunes and writes the results; every path out goes through the cleanup at its end. */
/* A temporary file from the mkstemp template PATH, removed on Ctrl-C too (util/hb_sigclean.h);
 * NULL (with errno) when it cannot be made. */
static FILE *hb__tune_tmp(char *path) {
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !f) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e;
    }
    if (f) {
        hb_sigclean_add(path);
    }
    return f;
}

/* Removes the temporary PATH (NULL: none). */
static void hb__tune_untmp(const char *path) {
    if (path) {
        unlink(path);
        hb_sigclean_drop(path);
    }
}

/* What the options cannot say alone; 0, else the exit status. */
static int hb__tune_check(const hb__tune_args *a) {
    if (a->n > HB__MAX_SCEN) {
        fprintf(stderr, "%s: at most %d scenarios\n", a->prog, HB__MAX_SCEN);
        return HB_EXIT_USAGE;
    }
    if (a->mpc && a->report_dir) {
        fprintf(stderr,
                "%s: --report is for the PID's tuning; for the MPC, run the tuned "
                "scenario with heatbench run --report\n",
                a->prog);
        return HB_EXIT_USAGE;
    }
    if (a->report_dir) { /* refuse a directory the report may not write before tuning for long */
        return hb_cli_report_dir(a->prog, a->report_dir, a->force);
    }
    return 0;
}

/* Opens the files F of the tuning into O; the exit status. */
static int hb__tune_open(const hb__tune_args *a, hb__tune_files *f, hb_tune_options *o) {
    const char *prog = a->prog;
    f->conv = a->conv;
    if (a->report_dir && !f->conv) {
        FILE *t = hb__tune_tmp(f->tmp_conv);
        f->conv = t ? f->tmp_conv : NULL; /* made: removed at the end */
        if (!t || fclose(t) != 0) {
            fprintf(stderr, "%s: cannot create a temporary file: %s\n", prog, strerror(errno));
            return HB_EXIT_FAIL;
        }
    }
    if (f->conv) {
        int rc;
        f->cf = hb_ofile_open(f->conv, &rc);
        if (!f->cf) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, f->conv, strerror(errno));
            return HB_EXIT_FAIL;
        }
        o->convergence = hb_ofile_stream(f->cf);
    }
    if (a->report_dir) {
        f->relay_f = hb__tune_tmp(f->tmp_relay);
        f->step_f = hb__tune_tmp(f->tmp_step);
        o->relay_trace = f->relay_f;
        o->step_csv = f->step_f;
        if (!f->relay_f || !f->step_f) {
            fprintf(stderr, "%s: cannot create a temporary file: %s\n", prog, strerror(errno));
            return HB_EXIT_FAIL;
        }
    }
    return HB_EXIT_OK;
}

/* Removes the temporary files of F. */
static void hb__tune_close(hb__tune_files *f) {
    hb__tune_untmp(f->conv == f->tmp_conv ? f->tmp_conv : NULL);
    hb__tune_untmp(f->relay_f ? f->tmp_relay : NULL);
    hb__tune_untmp(f->step_f ? f->tmp_step : NULL);
}

/* The tuned scenario at a->out with the chosen method's gains; the exit status. */
static int hb__tune_write(const hb__tune_args *a, const hb_sim_config *scen,
                          const hb_tune_result *r) {
    const hb_tune_method *ch = &r->methods[r->chosen];
    char found[4200];
    char err[1024];
    const char *first = a->n > 0 ? hb_cli_scenario_path(a->paths[0], found, sizeof found) : NULL;
    static const char *const keys[3] = {"kp", "ki", "kd"};
    double vals[3] = {round(ch->g.kp * 1e4) / 1e4, round(ch->g.ki * 1e4) / 1e4,
                      round(ch->g.kd * 1e4) / 1e4};
    if (hb_cli_write_tuned(a->out, first, scen, "pid", "pid", keys, vals, 3, err, sizeof err) !=
        0) {
        hb_cli_error(a->prog, err);
        return HB_EXIT_FAIL;
    }
    if (!a->json) {
        printf("tuned scenario (%s gains%s) written to %s\n", ch->name,
               r->chosen == 0 ? ": no candidate beat them within their valve travel" : "", a->out);
    }
    return HB_EXIT_OK;
}

/* What the PID's tuning found: the table or JSON, the report, the tuned scenario. */
static int hb__tune_results(const hb__tune_args *a, const hb__tune_files *f,
                            const hb_sim_config *scen, const char *names, const hb_tune_options *o,
                            const hb_tune_result *r) {
    char err[1024];
    int status = HB_EXIT_OK;
    if (a->json) {
        hb__print_json(stdout, r);
    } else {
        hb__print_table(stdout, &scen[0], names, o, r);
    }
    int rrc = a->report_dir
                  ? hb__report(a->report_dir, a->force, &scen[0], names, o, r, f->conv,
                               f->relay_ok && r->relay.ok ? f->tmp_relay : NULL,
                               f->step_ok && r->fopdt_ok ? f->tmp_step : NULL, err, sizeof err)
                  : HB_OK;
    if (rrc != HB_OK) {
        hb_cli_error("heatbench tune: report", err);
        status = hb_cli_report_status(rrc);
    } else if (a->report_dir && !a->json) {
        printf("report written to %s/index.html\n", a->report_dir);
    }
    if (a->out && hb__tune_write(a, scen, r) != HB_EXIT_OK) {
        status = HB_EXIT_FAIL;
    }
    return status;
}

/* Tunes SCEN (LOADED of them) with O, the files F open; the exit status. */
static int hb__tune_go(const hb__tune_args *a, hb__tune_files *f, hb_sim_config *scen, int loaded,
                       hb_tune_options *o) {
    const char *prog = a->prog;
    char names[512] = ""; /* every scenario tuned for, for the table's first line */
    for (int i = 0; i < loaded; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", scen[i].name);
    }
    if (isatty(STDERR_FILENO)) {
        o->progress = hb__print_progress;
    }
    if (a->mpc) {
        char found[4200];
        const char *first =
            a->n > 0 ? hb_cli_scenario_path(a->paths[0], found, sizeof found) : NULL;
        int status = hb_cli_tune_mpc(prog, scen, loaded, names, o, a->out, first, a->json);
        return hb__conv_finish(prog, f->cf, f->conv, status);
    }
    hb_tune_result r;
    char err[1024];
    int status = HB_EXIT_OK;
    if (hb_tune_run(scen, (size_t)loaded, o, &r, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        status = HB_EXIT_FAIL;
    }
    f->relay_ok = f->relay_f && fclose(f->relay_f) == 0;
    f->step_ok = f->step_f && fclose(f->step_f) == 0;
    status = hb__conv_finish(prog, f->cf, f->conv, status);
    return status == HB_EXIT_OK ? hb__tune_results(a, f, scen, names, o, &r) : status;
}

/* Loads, tunes and writes the results; every path out goes through the cleanup at its end. */
static int hb__tune_exec(const hb__tune_args *a) {
    hb_tune_options o = a->o;
    int status = hb__tune_check(a);
    if (status != 0) {
        return status;
    }
    hb_sim_config *scen = calloc(a->n > 0 ? (size_t)a->n : 1, sizeof *scen);
    if (!scen) {
        return HB_EXIT_FAIL;
    }
    int loaded = 0;
    status = hb__tune_load(a->prog, a->paths, a->n, a->mpc, scen, &loaded);
    if (!isnan(a->seed)) {
        for (int i = 0; i < loaded; i++) {
            scen[i].seed = (uint64_t)a->seed;
        }
    }
    o.w = scen[0].weights;
    double *w[5] = {&o.w.discomfort, &o.w.iae, &o.w.energy, &o.w.travel, &o.w.msgs};
    for (int i = 0; i < 5; i++) {
        if (!isnan(a->wflag[i])) {
            *w[i] = a->wflag[i];
        }
    }
    hb__tune_files f = {.tmp_conv = "/tmp/heatbench-conv-XXXXXX",
                        .tmp_relay = "/tmp/heatbench-relay-XXXXXX",
                        .tmp_step = "/tmp/heatbench-step-XXXXXX"};
    if (status == HB_EXIT_OK) {
        status = hb__tune_open(a, &f, &o);
    }
    if (status == HB_EXIT_OK) {
        status = hb__tune_go(a, &f, scen, loaded, &o);
    } else {
        status = hb__conv_finish(a->prog, f.cf, f.conv, status);
        if (f.relay_f) {
            fclose(f.relay_f);
        }
        if (f.step_f) {
            fclose(f.step_f);
        }
    }
    hb__tune_close(&f);
    for (int i = 0; i < loaded; i++) {
        hb_sim_config_free(&scen[i]);
    }
    free(scen);
    return status;
}

static int hb__tune_evals(const char *prog, const char *arg, void *target) {
    hb__tune_args *a = target;
    double v;
    if (hb_cli_number(prog, "--evals", arg, 10, 100000, &v) != 0) {
        return -1;
    }
    a->o.max_evals = (int)v;
    a->evals_given = true;
    return 0;
}

static int hb__tune_robust(const char *prog, const char *arg, void *target) {
    if (strcmp(arg, "mean") != 0 && strcmp(arg, "worst") != 0) {
        fprintf(stderr, "%s: --robust: expected mean or worst, got '%s'\n", prog, arg);
        return -1;
    }
    *(bool *)target = strcmp(arg, "worst") == 0;
    return 0;
}

static int hb__tune_controller(const char *prog, const char *arg, void *target) {
    if (strcmp(arg, "pid") != 0 && strcmp(arg, "mpc") != 0) {
        fprintf(stderr, "%s: --controller: expected pid or mpc, got '%s'\n", prog, arg);
        return -1;
    }
    *(bool *)target = strcmp(arg, "mpc") == 0;
    return 0;
}

int hb_cmd_tune(int argc, char **argv) {
    for (int i = 1; i < argc; i++) { /* the experiment on a real room has options of its own */
        if (strcmp(argv[i], "--live") == 0) {
            return hb_cmd_tune_live(argc, argv);
        }
    }
    /* Weights given as flags override the scenario's "tuning" section (NaN: not given). */
    hb__tune_args a = {.prog = "heatbench tune", .seed = NAN, .wflag = {NAN, NAN, NAN, NAN, NAN}};
    hb_tune_options_default(&a.o);
    const hb_opt opts[] = {
        {"evals", 0, HB_OPT_CALL, &a, 0, 0, hb__tune_evals},
        {"seeds", 0, HB_OPT_INT, &a.o.seeds, 1, 64, NULL},
        {"seed", 0, HB_OPT_WNUM, &a.seed, 0, 9e15, NULL},
        {"robust", 0, HB_OPT_CALL, &a.o.robust_worst, 0, 0, hb__tune_robust},
        {"threads", 0, HB_OPT_INT, &a.o.threads, 1, 64, NULL},
        {"tau-c", 0, HB_OPT_NUM, &a.o.tau_c_s, 0, 1e6, NULL},
        {"w-discomfort", 0, HB_OPT_NUM, &a.wflag[0], 0, 1e6, NULL},
        {"w-iae", 0, HB_OPT_NUM, &a.wflag[1], 0, 1e6, NULL},
        {"w-energy", 0, HB_OPT_NUM, &a.wflag[2], 0, 1e6, NULL},
        {"w-travel", 0, HB_OPT_NUM, &a.wflag[3], 0, 1e6, NULL},
        {"w-msgs", 0, HB_OPT_NUM, &a.wflag[4], 0, 1e6, NULL},
        {"output", 'o', HB_OPT_STR, &a.out, 0, 0, NULL},
        {"convergence", 0, HB_OPT_STR, &a.conv, 0, 0, NULL},
        {"json", 0, HB_OPT_FLAG, &a.json, 0, 0, NULL},
        {"report", 0, HB_OPT_STR, &a.report_dir, 0, 0, NULL},
        {"force", 0, HB_OPT_FLAG, &a.force, 0, 0, NULL},
        {"controller", 0, HB_OPT_CALL, &a.mpc, 0, 0, hb__tune_controller},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__tune_help}},
    };
    int rc = hb_opts_parse(a.prog, "tune", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        return hb_opts_status(rc);
    }
    a.paths = argv + optind;
    a.n = argc - optind;
    if (a.mpc && !a.evals_given) {
        a.o.max_evals = 40; /* a day with the MPC costs about 60 times one with the PID */
    }
    return hb__tune_exec(&a);
}
