/*
 * The report of a sweep's results (heatbench report RESULTS.jsonl -o DIR): per controller box
 * plots of discomfort, energy ratio, valve travel and commands; discomfort against energy ratio
 * with each controller's Pareto front; each swept numeric parameter against discomfort and
 * energy ratio (median and quartiles per value); a table of the worst runs, each with the one
 * command that reproduces it, and of the failed runs with their reasons. Gnuplot (plots/sweep.gp)
 * and the directory rules of every report (hb_outdir.h: only its own files).
 */
#ifndef HB_SWEEP_REPORT_H
#define HB_SWEEP_REPORT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hb_sweep_report_opts {
    const char *title;
    const char *sweep_path; /* the sweep file, for the reproduce commands ("SWEEP.json": NULL) */
    size_t worst;           /* rows of the worst-runs table */
    bool force;
    const char *provenance;
} hb_sweep_report_opts;

/* True when the file PATH starts like a sweep's results (a line {"id":"...). */
bool hb_sweep_report_is_results(const char *path);

/* Writes the report of RESULTS into DIR. HB_OK; HB_ERR_PARSE (no result line in the file),
 * HB_ERR_EXISTS / HB_ERR_INVAL (DIR refused), HB_ERR_IO (gnuplot, a file), with a message. */
int hb_sweep_report_write(const char *dir, const char *results, const hb_sweep_report_opts *o,
                          char *err, size_t errlen);

#endif
