#define _GNU_SOURCE /* getopt_long */
#include "../report/hb_report.h"
#include "../report/hb_sweep_report.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <getopt.h>
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
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"labels", required_argument, NULL, 'l'},
        {"title", required_argument, NULL, 't'},  {"band", required_argument, NULL, 'b'},
        {"warmup", required_argument, NULL, 'w'}, {"force", no_argument, NULL, 'f'},
        {"plan", required_argument, NULL, 'p'},   {"worst", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *prog = "heatbench report";
    const char *plan = NULL;
    double worst = 10;
    const char *dir = NULL;
    char *labels = NULL;
    hb_report_opts o = {.title = "heatbench report", .band_k = 0.5, .warmup_h = 1.0};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            dir = optarg;
            break;
        case 'l':
            labels = optarg;
            break;
        case 't':
            o.title = optarg;
            break;
        case 'b':
            if (hb_cli_number(prog, "--band", optarg, 0.01, 10, &o.band_k) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case 'w':
            if (hb_cli_number(prog, "--warmup", optarg, 0, 8760, &o.warmup_h) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case 'f':
            o.force = true;
            break;
        case 'p':
            plan = optarg;
            break;
        case 'W':
            if (hb_cli_number(prog, "--worst", optarg, 1, 10000, &worst) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(hb__report_help, stdout);
            return HB_EXIT_OK;
        default:
            return hb_cli_bad_option(prog, "report", c, argv);
        }
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
    char *lab = labels ? strtok_r(labels, ",", &save) : NULL;
    for (int i = 0; i < n; i++) {
        tr[i].path = argv[optind + i];
        tr[i].label = lab;
        lab = lab ? strtok_r(NULL, ",", &save) : NULL;
    }
    char err[1024];
    char provenance[1400];
    hb_cli_provenance(provenance, sizeof provenance, NULL);
    o.provenance = provenance;
    int rc = hb_report_write(dir, tr, (size_t)n, &o, err, sizeof err);
    if (rc != 0) {
        hb_cli_error(prog, err);
        return hb_cli_report_status(rc);
    }
    printf("report written to %s/index.html\n", dir);
    return HB_EXIT_OK;
}
