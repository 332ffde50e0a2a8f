/*
 * Reports: gnuplot plots (PNG and SVG, from the templates in plots/) and one self-contained
 * index.html (SVGs inline: it opens from disk with no network) plus report.md for tickets.
 *
 * The report is built in a temporary directory next to the target and moved into place only
 * when every plot succeeded, so a failed report never replaces a good one; the target directory
 * is written under the ownership rules of hb_outdir.h (only the report's own files).
 */
#ifndef HB_REPORT_H
#define HB_REPORT_H

#include "../sim/hb_sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Something that happened during a run, marked on its plots: a window opened, a sensor fault, a
 * fail-safe. Times in the trace's seconds; T1 == T0 for an instant. */
typedef struct hb_report_event {
    double t0, t1;
    char label[48];
} hb_report_event;

typedef struct hb_report_trace {
    const char *path;              /* CSV trace */
    const hb_report_event *events; /* marked on the plots (may be NULL) */
    size_t n_events;
    const char *label;   /* legend label (NULL: the file's base name) */
    const hb_kpis *kpis; /* the simulator's KPIs, or NULL to recompute them from the trace */
    const char *summary; /* one line about the run (scenario, seed, controller), or NULL */
} hb_report_trace;

typedef struct hb_report_opts {
    const char *title;
    double band_k;               /* comfort band half width for plots and recomputed KPIs */
    double warmup_h;             /* for recomputed KPIs */
    const char *convergence_csv; /* tuning: evaluation,cost,kp,ki,kd (or NULL) */
    const char *tuning_table;    /* tuning: the method table as text (or NULL) */
    const char *relay_trace_csv; /* tuning: the relay experiment's trace (or NULL) */
    const char *step_csv;        /* tuning: the step test, time_s,dy,fit (or NULL) */
    bool force;                  /* write beside files heatbench did not write (hb_outdir.h) */
    const char *provenance;      /* version, command line, scenario, seed: on every report */
} hb_report_opts;

/* Writes the report of N traces into DIR. HB_OK, or with a message in ERR: HB_ERR_EXISTS or
 * HB_ERR_INVAL (DIR refused, nothing changed), HB_ERR_PARSE (a bad trace), HB_ERR_NOTFOUND
 * (gnuplot or the templates missing), HB_ERR_IO or HB_ERR_NOMEM. */
int hb_report_write(const char *dir, const hb_report_trace *traces, size_t n,
                    const hb_report_opts *o, char *err, size_t errlen);

/* The report of an identification (heatbench identify --report) into DIR: CSV (time_s,
 * measured, model: the fused reading and the model's free run), the held-out part from SPLIT_H
 * hours, the parameter TABLE as text, TITLE and PROVENANCE. Same ownership rules and codes as
 * hb_report_write. */
int hb_report_fit(const char *dir, const char *csv, double split_h, const char *title,
                  const char *table, const char *provenance, bool force, char *err, size_t errlen);

/* Runs gnuplot on the template TMPL in directory CWD with the assignments VARS (gnuplot -e),
 * its messages checked as for every report; 0, or -1 with a message in ERR. For the other
 * report writers of this folder (hb_sweep_report.c). */
int hb_report_gnuplot(const char *cwd, const char *vars, const char *tmpl, char *err,
                      size_t errlen);

/* S (NULL: nothing) into F with HTML's special characters escaped: one escaping for every
 * report page of this folder. */
void hb_report_html_escape(FILE *f, const char *s);

#endif
