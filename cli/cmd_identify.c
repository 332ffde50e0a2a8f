/*
 * `heatbench identify`: a room's digital twin from its own trace (field/hb_ident.h), printed
 * as a table or JSON and written as a scenario the other commands accept.
 */
#define _GNU_SOURCE /* getopt_long, open_memstream */
#include "../report/hb_report.h"
#include "../field/hb_ident.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hb__identify_help[] =
    "usage: heatbench identify TRACE.csv [options]\n"
    "\n"
    "Fits the simulator's room model to a trace of a room (from heatbench record, run or\n"
    "live): UA and its direct share, air and mass capacities, the air-mass conductance, the\n"
    "radiator's output, the solar aperture, base gains, the sensors' lag and offsets. The\n"
    "trace needs time_s, sensor_1.. and level_cmd; t_out when it has one (else the base's\n"
    "weather). What the fit cannot pin down is reported with advice.\n"
    "\n"
    "options:\n"
    "  --scenario FILE        what is known of the room: weather (sun), supply temperature,\n"
    "                         valve, gain schedule, and the starting guess (default: the\n"
    "                         built-in default room)\n"
    "  -o, --output FILE      write the identified scenario (the base with the estimates)\n"
    "  --holdout-h H          the trace's last H hours are kept for validation (default: a\n"
    "                         quarter of the trace, at most 24 h; 0: none)\n"
    "  --fix NAME[,NAME..]    hold parameters at the base's value, e.g. q50_w from the\n"
    "                         radiator's data sheet (names as in the table)\n"
    "  --free NAME[,NAME..]   fit parameters held by default (sensor_lag_s: it trades off\n"
    "                         with the air capacity, so it is the base's sensors' lag_s)\n"
    "  --starts N             fits from N starts (default 8; the first is the base)\n"
    "  --seed N               seed of the starts' stream (default 1)\n"
    "  --json                 print the result as one JSON object\n"
    "  --report DIR           also a report: measured against the model's free run, the\n"
    "                         held-out part marked, and the table (only its own files: a\n"
    "                         directory holding others is refused)\n"
    "  --force                write the report beside files heatbench did not write\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 the fit failed or the output cannot be written, 2 bad usage, a bad\n"
    "scenario or a trace that cannot be identified from.\n";

/* The scale each parameter is shown in: capacities in kJ/K as the scenario has them. */
static double hb__shown(int k, double v) {
    return k == HB_IDENT_C_AIR || k == HB_IDENT_C_MASS ? v / 1e3 : v;
}

static const char *hb__advice(const hb_ident_estimate *e) {
    if (e->fixed || e->identified) {
        return "";
    }
    return e->correlated_with >= 0 && fabs(e->corr) > 0.9
               ? "correlated: record longer, excite the valve (record --excite prbs) or --fix one"
               : "wide: record longer or excite the valve (record --excite prbs)";
}

static void hb__ident_table(FILE *out, const char *trace, const hb_ident_result *r) {
    fprintf(out, "identified from %s: %.1f h fitted, %.1f h held out, %d of %d starts converged\n",
            trace, (r->t_split_s - r->t_first_s) / 3600.0, (r->t_end_s - r->t_split_s) / 3600.0,
            r->starts_ok, r->starts_run);
    fprintf(out, "%-24s %12s %25s  %s\n", "parameter", "estimate", "95 % interval", "");
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        const hb_ident_estimate *e = &r->p[k];
        char iv[64];
        if (e->fixed) {
            snprintf(iv, sizeof iv, "fixed");
        } else {
            snprintf(iv, sizeof iv, "%.4g .. %.4g", hb__shown(k, e->lo), hb__shown(k, e->hi));
        }
        char note[160] = "";
        if (!e->fixed && !e->identified) {
            snprintf(note, sizeof note, "not pinned down (%s%s%s)", hb__advice(e),
                     e->correlated_with >= 0 ? "; most with " : "",
                     e->correlated_with >= 0 ? hb_ident_param_name(e->correlated_with) : "");
        }
        fprintf(out, "%-24s %12.4g %25s  %s\n", hb_ident_param_name(k), hb__shown(k, e->value), iv,
                note);
    }
    fprintf(out, "sensor offsets (K):");
    for (int k = 0; k < r->n_sensors; k++) {
        fprintf(out, " %+.2f", r->offset_k[k]);
    }
    fprintf(out, "\nfree-run RMSE: %.3f K fitted, %.3f K held out; 1 h ahead (held out): %.3f K\n",
            r->rmse_fit_k, r->rmse_free_k, r->rmse_1h_k);
    fprintf(out, "(intervals widened %.1f x for the residuals' autocorrelation)\n",
            r->ci_inflation);
}

static cJSON *hb__json(const char *trace, const hb_ident_result *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "trace", trace);
    hb_json_num(root, "fit_h", (r->t_split_s - r->t_first_s) / 3600.0);
    hb_json_num(root, "holdout_h", (r->t_end_s - r->t_split_s) / 3600.0);
    hb_json_num(root, "starts", r->starts_run);
    hb_json_num(root, "starts_converged", r->starts_ok);
    hb_json_num(root, "evaluations", r->evaluations);
    cJSON *ps = cJSON_AddObjectToObject(root, "parameters");
    for (int k = 0; k < HB_IDENT_NPAR; k++) {
        const hb_ident_estimate *e = &r->p[k];
        cJSON *o = cJSON_AddObjectToObject(ps, hb_ident_param_name(k));
        hb_json_num(o, "value", hb__shown(k, e->value));
        hb_json_num(o, "lo", hb__shown(k, e->lo));
        hb_json_num(o, "hi", hb__shown(k, e->hi));
        cJSON_AddBoolToObject(o, "fixed", e->fixed);
        cJSON_AddBoolToObject(o, "identified", e->identified);
        if (e->correlated_with >= 0) {
            cJSON_AddStringToObject(o, "most_correlated_with",
                                    hb_ident_param_name(e->correlated_with));
            hb_json_num(o, "correlation", e->corr);
        }
    }
    cJSON *off = cJSON_AddArrayToObject(root, "sensor_offsets_k");
    cJSON *noise = cJSON_AddArrayToObject(root, "sensor_noise_k");
    for (int k = 0; k < r->n_sensors; k++) {
        cJSON_AddItemToArray(off, cJSON_CreateNumber(round(r->offset_k[k] * 1e4) / 1e4));
        cJSON_AddItemToArray(noise, cJSON_CreateNumber(round(r->noise_k[k] * 1e4) / 1e4));
    }
    hb_json_num(root, "rmse_fit_k", r->rmse_fit_k);
    hb_json_num(root, "rmse_holdout_k", r->rmse_free_k);
    hb_json_num(root, "rmse_1h_ahead_k", r->rmse_1h_k);
    hb_json_num(root, "ci_inflation", r->ci_inflation);
    return root;
}

/* Sets KEY of object O (created under PARENT as NAME when missing) to V, rounded to 4 digits. */
static void hb__set(cJSON *parent, const char *name, const char *key, double v) {
    cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, name);
    if (!cJSON_IsObject(o)) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, name);
        o = cJSON_AddObjectToObject(parent, name);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    double mag = v != 0 ? pow(10.0, 4 - ceil(log10(fabs(v)))) : 1.0;
    cJSON_AddNumberToObject(o, key, round(v * mag) / mag);
}

/* The base scenario BASE_PATH (NULL: an empty document over the built-in default) with the
 * estimates, written atomically to OUT. */
static int hb__write(const char *out, const char *base_path, const char *trace,
                     const hb_ident_result *r, char *err, size_t errlen) {
    cJSON *root = hb_cli_scenario_doc(base_path);
    if (!root) {
        snprintf(err, errlen, "cannot re-read %s", base_path);
        return -1;
    }
    char text[512];
    snprintf(text, sizeof text, "%s-identified", r->model.name);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "name");
    cJSON_AddStringToObject(root, "name", text);
    snprintf(text, sizeof text,
             "Identified by heatbench identify from %s: free-run RMSE %.3f K fitted, %.3f K "
             "held out.",
             trace, r->rmse_fit_k, r->rmse_free_k);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "description");
    cJSON_AddStringToObject(root, "description", text);
    const hb_room_config *rm = &r->model.plant.room;
    hb__set(root, "room", "ua_w_per_k", rm->ua_w_per_k);
    hb__set(root, "room", "direct_share", rm->direct_share);
    hb__set(root, "room", "air_capacity_kj_per_k", rm->air_capacity_j_per_k / 1e3);
    hb__set(root, "room", "mass_capacity_kj_per_k", rm->mass_capacity_j_per_k / 1e3);
    hb__set(root, "room", "air_mass_w_per_k", rm->air_mass_w_per_k);
    hb__set(root, "room", "window_area_m2", rm->window_area_m2);
    hb__set(root, "room", "base_gains_w", rm->base_gains_w);
    hb__set(root, "radiator", "q50_w", r->model.plant.radiator.q50_w);
    hb__set(root, "radiator", "capacity_kj_per_k", r->model.plant.radiator.capacity_j_per_k / 1e3);
    /* The sensors: the base's entries keep what they say beyond offset, noise and lag. */
    cJSON *sens = cJSON_GetObjectItemCaseSensitive(root, "sensors");
    if (!cJSON_IsArray(sens)) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "sensors");
        sens = cJSON_AddArrayToObject(root, "sensors");
    }
    while (cJSON_GetArraySize(sens) > r->n_sensors) {
        cJSON_DeleteItemFromArray(sens, cJSON_GetArraySize(sens) - 1);
    }
    for (int k = 0; k < r->n_sensors; k++) {
        cJSON *s = cJSON_GetArrayItem(sens, k);
        if (!cJSON_IsObject(s)) {
            s = cJSON_CreateObject();
            cJSON_AddItemToArray(sens, s);
        }
        if (!cJSON_GetObjectItemCaseSensitive(s, "id")) {
            cJSON_AddStringToObject(s, "id", r->model.sensors[k].id);
        }
        const char *keys[4] = {"offset_k", "bias_k", "noise_k", "lag_s"};
        double vals[4] = {round(r->model.sensors[k].offset_k * 100) / 100, 0,
                          round(r->model.sensors[k].noise_k * 1000) / 1000,
                          round(r->model.sensors[k].lag_s)};
        for (int j = 0; j < 4; j++) {
            cJSON_DeleteItemFromObjectCaseSensitive(s, keys[j]);
            cJSON_AddNumberToObject(s, keys[j], vals[j]);
        }
    }
    return hb_cli_write_doc(out, root, err, errlen);
}

/* The report of R into DIR: the series as CSV in a temporary file, the table as text. 0, or -1
 * with the message printed and *STATUS set. */
static int hb__ident_report(const char *prog, const char *dir, bool force, const char *trace,
                            const hb_ident_result *r, int *status) {
    char csv[] = "/tmp/heatbench-identify-XXXXXX";
    int fd = mkstemp(csv);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    char *table = NULL;
    size_t tlen = 0;
    FILE *t = open_memstream(&table, &tlen);
    int rc = HB_ERR_IO;
    char err[1024] = "cannot write temporary files";
    if (f && t) {
        fputs("time_s,measured,model\n", f);
        for (size_t i = 0; i < r->n_series; i++) {
            const double *row = r->series + 3 * i;
            fprintf(f, "%.0f,", row[0]);
            if (isfinite(row[1])) {
                fprintf(f, "%.4f", row[1]);
            }
            fprintf(f, ",%.4f\n", row[2]);
        }
        hb__ident_table(t, trace, r);
    }
    bool ok = f && t && !ferror(f) && !ferror(t);
    ok = (f && fclose(f) == 0) && ok;
    ok = (t && fclose(t) == 0) && ok;
    if (!f && fd >= 0) {
        close(fd);
    }
    if (ok) {
        char prov[1024];
        hb_cli_provenance(prov, sizeof prov, NULL);
        char title[512];
        snprintf(title, sizeof title, "heatbench identify: %s", trace);
        rc = hb_report_fit(dir, csv, r->t_split_s / 3600.0, title, table, prov, force, err,
                           sizeof err);
    }
    free(table);
    if (fd >= 0) {
        unlink(csv);
    }
    if (rc != HB_OK) {
        hb_cli_error(prog, err);
        *status = hb_cli_report_status(rc);
        return -1;
    }
    return 0;
}

/* --fix's (--free's when FREE) comma list into the mask *FIXED; -1 after a message on an
 * unknown name. */
static int hb__parse_fix(const char *prog, const char *arg, bool free, unsigned *fixed) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = hb_ident_param_find(t);
        if (k < 0) {
            fprintf(stderr, "%s: %s: unknown parameter '%s' (expected one of:", prog,
                    free ? "--free" : "--fix", t);
            for (int j = 0; j < HB_IDENT_NPAR; j++) {
                fprintf(stderr, " %s", hb_ident_param_name(j));
            }
            fputs(")\n", stderr);
            return -1;
        }
        if (free) {
            *fixed &= ~(1u << k);
        } else {
            *fixed |= 1u << k;
        }
    }
    return 0;
}

static int hb__ident_fix(const char *prog, const char *arg, void *target) {
    return hb__parse_fix(prog, arg, false, target);
}

static int hb__ident_free(const char *prog, const char *arg, void *target) {
    return hb__parse_fix(prog, arg, true, target);
}

/* What the command line asked of `heatbench identify`. */
typedef struct {
    hb_ident_options o;
    const char *scen, *out, *report_dir, *trace_path;
    double seed; /* NaN: the default */
    bool json, force;
} hb__ident_args;

/* The options into A: 0 to go on, else -1 with *STATUS the exit status. */
static int hb__ident_parse(int argc, char **argv, hb__ident_args *a, int *status) {
    const char *prog = "heatbench identify";
    const hb_opt opts[] = {
        {"scenario", 0, HB_OPT_STR, &a->scen, 0, 0, NULL},
        {"output", 'o', HB_OPT_STR, &a->out, 0, 0, NULL},
        {"holdout-h", 0, HB_OPT_NUM, &a->o.holdout_h, 0, 876000, NULL},
        {"fix", 0, HB_OPT_CALL, &a->o.fixed, 0, 0, hb__ident_fix},
        {"free", 0, HB_OPT_CALL, &a->o.fixed, 0, 0, hb__ident_free},
        {"starts", 0, HB_OPT_WHOLE, &a->o.starts, 1, 1000, NULL},
        {"seed", 0, HB_OPT_WNUM, &a->seed, 0, 9e15, NULL},
        {"json", 0, HB_OPT_FLAG, &a->json, 0, 0, NULL},
        {"report", 0, HB_OPT_STR, &a->report_dir, 0, 0, NULL},
        {"force", 0, HB_OPT_FLAG, &a->force, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__identify_help}},
    };
    int rc = hb_opts_parse(prog, "identify", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    if (!isnan(a->seed)) {
        a->o.seed = (uint64_t)a->seed;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "%s: expected one trace file (see heatbench identify --help)\n", prog);
        *status = HB_EXIT_USAGE;
        return -1;
    }
    a->trace_path = argv[optind];
    if (a->report_dir) { /* refuse a directory the report may not write before fitting */
        *status = hb_cli_report_dir(prog, a->report_dir, a->force);
        return *status != 0 ? -1 : 0;
    }
    return 0;
}

/* Fits the trace to the scenario BASE and says what came out; the exit status. */
static int hb__ident_exec(const hb__ident_args *a, const char *spath, hb_sim_config *base) {
    const char *prog = "heatbench identify";
    hb_trace tr = {0};
    hb_ident_result r = {0};
    char err[1024];
    int status = HB_EXIT_OK;
    if (hb_trace_read_any(a->trace_path, &tr, err, sizeof err) != HB_OK) {
        hb_cli_error(prog, err);
        status = HB_EXIT_USAGE;
        goto out;
    }
    int rc = hb_ident_fit(base, &tr, &a->o, &r, err, sizeof err);
    if (rc != HB_OK) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: %s", a->trace_path, err);
        hb_cli_error(prog, msg);
        status = rc == HB_ERR_PARSE ? HB_EXIT_USAGE : HB_EXIT_FAIL;
        goto out;
    }
    if (a->out && hb__write(a->out, spath, a->trace_path, &r, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        status = HB_EXIT_FAIL;
        goto out;
    }
    if (a->report_dir &&
        hb__ident_report(prog, a->report_dir, a->force, a->trace_path, &r, &status) != 0) {
        goto out;
    }
    if (a->json) {
        hb_json_print(stdout, hb__json(a->trace_path, &r));
    } else {
        hb__ident_table(stdout, a->trace_path, &r);
        if (a->out) {
            printf("identified scenario written to %s\n", a->out);
        }
    }
out:
    hb_ident_result_free(&r);
    hb_trace_free(&tr);
    return status;
}

int hb_cmd_identify(int argc, char **argv) {
    const char *prog = "heatbench identify";
    hb__ident_args a = {.seed = NAN};
    hb_ident_options_default(&a.o);
    int status = 0;
    if (hb__ident_parse(argc, argv, &a, &status) != 0) {
        return status;
    }
    char found[4200];
    const char *spath = a.scen ? hb_cli_scenario_path(a.scen, found, sizeof found) : NULL;
    hb_sim_config base;
    status = hb_cli_load_scenario(prog, spath, &base);
    if (status == HB_EXIT_OK) {
        status = hb__ident_exec(&a, spath, &base);
    }
    hb_sim_config_free(&base);
    return status;
}
