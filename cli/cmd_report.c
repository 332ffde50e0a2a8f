#define _GNU_SOURCE /* getopt_long */
#include "../report/hb_report.h"
#include "../report/hb_sweep_report.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char hb__report_help[] =
    "usage: heatbench report TRACE.csv [TRACE2.csv ...] -o DIR [options]\n"
    "       heatbench report RESULTS.jsonl -o DIR [--plan SWEEP.json] [--worst N]\n"
    "\n"
    "Plots one or more traces of `heatbench run -o` with gnuplot: temperatures (air, every\n"
    "sensor, the estimate, setpoint and comfort band, outdoor), valve (command and position),\n"
    "heat (output, energy against the bound), and with two or more traces a comparison. Writes\n"
    "DIR/index.html (self-contained, opens from disk), DIR/report.md and the PNG/SVG files.\n"
    "The results of `heatbench sweep` get a sweep report: box plots per controller, the\n"
    "Pareto fronts of discomfort against energy, each swept parameter against the KPIs, and\n"
    "the worst runs with the command that reproduces each (--plan names the sweep file in it).\n"
    "\n"
    "options:\n"
    "  -o, --output DIR       report directory: created if absent; a previous report there is\n"
    "                         replaced when the new one is complete; other files are never\n"
    "                         touched, and a directory holding them is refused\n"
    "  --force                write into a directory that holds other files (still only the\n"
    "                         report's own files are written)\n"
    "  --labels A,B,...       legend labels (default: file names)\n"
    "  --title T              report title\n"
    "  --band K               comfort band half width for plots and KPIs (default 0.5)\n"
    "  --warmup H             hours the comfort KPIs ignore (default 1)\n"
    "  --plan SWEEP.json      (sweep report) the sweep file, for the reproduce commands\n"
    "  --worst N              (sweep report) rows of the worst-runs table (default 10)\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 gnuplot missing or failed, or a file could not be written, 2 bad usage\n"
    "or a malformed trace.\n";

/* The report of a sweep's results file. */
static int hb__sweep_report(const char *results, const char *dir, const hb_report_opts *ro,
                            const char *plan, size_t worst) {
    char provenance[1400];
    hb_cli_provenance(provenance, sizeof provenance, NULL);
    char title[300];
    snprintf(title, sizeof title, "%s",
             strcmp(ro->title, "heatbench report") == 0 ? "heatbench sweep report" : ro->title);
    hb_sweep_report_opts so = {.title = title,
                               .sweep_path = plan,
                               .worst = worst,
                               .force = ro->force,
                               .provenance = provenance};
    char err[1024];
    int rc = hb_sweep_report_write(dir, results, &so, err, sizeof err);
    if (rc != HB_OK) {
        hb_cli_error("heatbench report", err);
        return hb_cli_report_status(rc);
    }
    printf("report written to %s/index.html\n", dir);
    return HB_EXIT_OK;
}

int hb_cmd_report(int argc, char **argv) {
    const char *prog = "heatbench report";
    const char *plan = NULL;
    double worst = 10;
    const char *dir = NULL;
    const char *labels = NULL;
    hb_report_opts o = {.title = "heatbench report", .band_k = 0.5, .warmup_h = 1.0};
    const hb_opt opts[] = {
        {"output", 'o', HB_OPT_STR, &dir, 0, 0, NULL},
        {"labels", 0, HB_OPT_STR, &labels, 0, 0, NULL},
        {"title", 0, HB_OPT_STR, &o.title, 0, 0, NULL},
        {"band", 0, HB_OPT_NUM, &o.band_k, 0.01, 10, NULL},
        {"warmup", 0, HB_OPT_NUM, &o.warmup_h, 0, 8760, NULL},
        {"force", 0, HB_OPT_FLAG, &o.force, 0, 0, NULL},
        {"plan", 0, HB_OPT_STR, &plan, 0, 0, NULL},
        {"worst", 0, HB_OPT_NUM, &worst, 1, 10000, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__report_help}},
    };
    int rc = hb_opts_parse(prog, "report", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        return hb_opts_status(rc);
    }
    int n = argc - optind;
    if (n < 1 || n > 16 || !dir) {
        fprintf(stderr, "%s: expected 1 to 16 traces and -o DIR (see heatbench report --help)\n",
                prog);
        return HB_EXIT_USAGE;
    }
    if (n == 1 && hb_sweep_report_is_results(argv[optind])) {
        return hb__sweep_report(argv[optind], dir, &o, plan, (size_t)worst);
    }
    hb_report_trace tr[16];
    memset(tr, 0, sizeof tr);
    char *save = NULL;
    char *list = labels ? strdup(labels) : NULL; /* the labels point into it */
    char *lab = list ? strtok_r(list, ",", &save) : NULL;
    for (int i = 0; i < n; i++) {
        tr[i].path = argv[optind + i];
        tr[i].label = lab;
        lab = lab ? strtok_r(NULL, ",", &save) : NULL;
    }
    char err[1024];
    char provenance[1400];
    hb_cli_provenance(provenance, sizeof provenance, NULL);
    o.provenance = provenance;
    rc = hb_report_write(dir, tr, (size_t)n, &o, err, sizeof err);
    free(list);
    if (rc != 0) {
        hb_cli_error(prog, err);
        return hb_cli_report_status(rc);
    }
    printf("report written to %s/index.html\n", dir);
    return HB_EXIT_OK;
}
