#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "hb_report.h"
#include "../metrics/hb_trace.h"
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "hb_outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int hb__have_gnuplot(void) {
    const char *path = getenv("PATH");
    if (!path) {
        return 0;
    }
    char *copy = strdup(path);
    int found = 0;
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char full[4096];
        snprintf(full, sizeof full, "%s/gnuplot", *d ? d : ".");
        found = access(full, X_OK) == 0;
    }
    free(copy);
    return found;
}

/* A gnuplot single-quoted string literal: a quote inside is written twice. */
static void hb__gpstr(char *out, size_t len, const char *in) {
    size_t j = 0;
    if (j + 1 < len) {
        out[j++] = '\'';
    }
    for (const char *p = in; *p && j + 3 < len; p++) {
        if (*p == '\'') {
            out[j++] = '\'';
        }
        out[j++] = *p;
    }
    out[j++] = '\'';
    out[j] = '\0';
}

/* Runs gnuplot on TEMPLATE in directory CWD with the variable assignments VARS. */
static int hb__gnuplot(const char *cwd, const char *vars, const char *tmpl, char *err,
                       size_t errlen);
int hb_report_gnuplot(const char *cwd, const char *vars, const char *tmpl, char *err,
                      size_t errlen) {
    return hb__gnuplot(cwd, vars, tmpl, err, errlen);
}

static int hb__gnuplot(const char *cwd, const char *vars, const char *tmpl, char *err,
                       size_t errlen) {
    if (hb_outdir_interrupted()) {
        snprintf(err, errlen, "interrupted");
        return -1;
    }
    char logpath[4096];
    snprintf(logpath, sizeof logpath, "%s/gnuplot.log", cwd);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        if (chdir(cwd) != 0) {
            _exit(126);
        }
        execlp("gnuplot", "gnuplot", "-e", vars, tmpl, (char *)NULL);
        _exit(127);
    }
    int status;
    bool stopped = false;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        if (!stopped && hb_outdir_interrupted()) { /* Ctrl-C: the plot is not waited for */
            kill(pid, SIGTERM);
            stopped = true;
        }
    }
    char log[600] = "";
    FILE *f = fopen(logpath, "r");
    if (f) {
        size_t n = fread(log, 1, sizeof log - 1, f);
        log[n] = '\0';
        fclose(f);
    }
    remove(logpath);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s: %s", tmpl, *log ? log : "(no message)");
        return -1;
    }
    /* Surface gnuplot's warnings, except the two a valid trace gives: a column with no value
     * (no estimate in an experiment's trace) and a flat axis (a constant outdoor temperature). */
    char *save = NULL;
    for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "no valid points") && !strstr(line, "empty y2 range") &&
            !strstr(line, "empty y range") && strncmp(line, "Warning: empty", 14) != 0) {
            fprintf(stderr, "heatbench report: gnuplot (%s): %s\n", tmpl, line);
        }
    }
    return 0;
}

/* True when an snprintf result N (written into a buffer of LEN) was cut short or failed. */
static bool hb__fits(int n, size_t len) {
    return n < 0 || (size_t)n >= len;
}

static int hb__copy(const char *from, const char *to) {
    FILE *a = fopen(from, "rb");
    FILE *b = a ? fopen(to, "wb") : NULL;
    int rc = (a && b) ? 0 : -1;
    char buf[65536];
    size_t n;
    while (rc == 0 && a && (n = fread(buf, 1, sizeof buf, a)) > 0) {
        if (fwrite(buf, 1, n, b) != n) {
            rc = -1;
        }
    }
    if (a) {
        fclose(a);
    }
    if (b && fclose(b) != 0) {
        rc = -1;
    }
    return rc;
}

void hb_report_html_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* Copies an SVG file into the page, without its XML prolog. */
static int hb__inline_svg(FILE *out, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        if (strncmp(line, "<?xml", 5) == 0 || strncmp(line, "<!DOCTYPE", 9) == 0 ||
            strncmp(line, " \"http://www.w3.org", 19) == 0) {
            continue;
        }
        fputs(line, out);
    }
    free(line);
    fclose(f);
    return 0;
}

static void hb__fmt_kpi(char *buf, size_t len, double v, int prec) {
    if (isfinite(v)) {
        snprintf(buf, len, "%.*f", prec, v);
    } else {
        snprintf(buf, len, "-");
    }
}

typedef struct hb__run_row {
    char label[128];
    hb_kpis k;
    bool exact;
} hb__run_row;

/* Every KPI of hb_kpis, one table row each (runs are the columns). Counts are -1 and figures
 * NaN where a trace cannot tell them (recomputed KPIs) or the run ended inside its warm-up. */
typedef struct hb__kpi_row {
    const char *name;
    int prec; /* decimals; -1: an integer count */
} hb__kpi_row;

static const hb__kpi_row hb__kpi_rows[] = {
    {"discomfort K·h", 3},   {"RMSE K", 3},         {"IAE K·h", 3},      {"max overshoot K", 2},
    {"max undershoot K", 2}, {"time in band %", 1}, {"mean air °C", 2},  {"energy kWh", 2},
    {"energy floor kWh", 2}, {"energy ratio", 3},   {"peak power W", 0}, {"valve travel %", 0},
    {"commands", -1},        {"commands lost", -1}, {"readings", -1},    {"readings lost", -1},
    {"fail-safe h", 2}};
#define HB__NKPI (sizeof hb__kpi_rows / sizeof hb__kpi_rows[0])

static void hb__kpi_cells(const hb_kpis *k, char cells[HB__NKPI][32]) {
    const double v[HB__NKPI] = {k->discomfort_kh,
                                k->rmse_k,
                                k->iae_kh,
                                k->max_overshoot_k,
                                k->max_undershoot_k,
                                k->in_band_pct,
                                k->mean_t_air_c,
                                k->energy_kwh,
                                k->energy_floor_kwh,
                                k->energy_ratio,
                                k->peak_power_w,
                                k->valve_travel_pct,
                                (double)k->actuator_msgs,
                                (double)k->commands_lost,
                                (double)k->readings_published,
                                (double)k->readings_lost,
                                k->failsafe_h};
    for (size_t i = 0; i < HB__NKPI; i++) {
        if (hb__kpi_rows[i].prec < 0) {
            if (v[i] >= 0) {
                snprintf(cells[i], 32, "%.0f", v[i]);
            } else {
                snprintf(cells[i], 32, "-");
            }
        } else {
            hb__fmt_kpi(cells[i], 32, v[i], hb__kpi_rows[i].prec);
        }
    }
}

/* The event markers of a trace as gnuplot commands the plot templates load: a shaded span per
 * event (a thin line for an instant) and its label at the top. Labels keep only plain characters,
 * so nothing in them can be gnuplot syntax. */
static int hb__write_events(const char *tmp, const char *name, const hb_report_trace *t) {
    static const char *const colours[] = {"#1e88e5", "#e53935", "#8e24aa", "#fb8c00"};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fputs("# event markers written by heatbench\n", f);
    for (size_t e = 0; e < t->n_events && e < 200; e++) {
        const hb_report_event *ev = &t->events[e];
        char label[48];
        size_t k = 0;
        for (const char *p = ev->label; *p && k + 1 < sizeof label; p++) {
            char c = *p;
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_' || c == '.' ||
                         c == '%';
            label[k++] = plain ? c : '_';
        }
        label[k] = '\0';
        double t1 = ev->t1 > ev->t0 ? ev->t1 : ev->t0 + 60.0; /* an instant: one minute wide */
        const char *colour = colours[e % 4];
        fprintf(
            f,
            "set object %zu rect from \"%.0f\", graph 0 to \"%.0f\", graph 1 behind fc rgb '%s' "
            "fs transparent solid 0.12 noborder\n",
            100 + e, ev->t0, t1, colour);
        fprintf(f, "set label %zu '%s' at \"%.0f\", graph %.2f left front font ',8' tc rgb '%s'\n",
                100 + e, label, ev->t0, 0.96 - 0.055 * (double)(e % 10), colour);
    }
    return fclose(f);
}

/* Copies SRC into the report as NAME and runs TEMPLATE on it with VARS (after datafile=NAME). */
static int hb__plot_copy(const char *tmp, const char *src, const char *name, const char *plots,
                         const char *template_name, const char *vars_tail, char *err,
                         size_t errlen) {
    char dst[4200];
    snprintf(dst, sizeof dst, "%s/%s", tmp, name);
    if (hb__copy(src, dst) != 0) {
        snprintf(err, errlen, "cannot copy %s into the report: %s", src, strerror(errno));
        return -1;
    }
    char vars[8192];
    char tmpl[4200];
    if (hb__fits(snprintf(vars, sizeof vars, "datafile='%s'; %s", name, vars_tail), sizeof vars)) {
        snprintf(err, errlen, "a path is too long for gnuplot's command line");
        return -1;
    }
    snprintf(tmpl, sizeof tmpl, "%s/%s.gp", plots, template_name);
    return hb__gnuplot(tmp, vars, tmpl, err, errlen);
}

/* The tuner's experiments: the relay run (temperatures and valve, with the templates of a day)
 * and the step test with its FOPDT fit. */
static int hb__experiment_plots(const char *tmp, const char *plots, const char *pdir,
                                const hb_report_opts *o, char *err, size_t errlen) {
    char tail[4400];
    if (o->relay_trace_csv) {
        hb_trace t;
        if (hb_trace_read(o->relay_trace_csv, &t, err, errlen) != 0) {
            return -1;
        }
        int ns = hb_trace_sensors(&t);
        hb_trace_free(&t);
        static const char *const which[] = {"temperatures", "valve"};
        for (int p = 0; p < 2; p++) {
            snprintf(tail, sizeof tail,
                     "outbase='relay-%s'; title_text='relay experiment (after a warm-up under "
                     "PI control)'; nsensors=%d; band=%g; bandcols=1; floorcol=1; plotdir=%s; "
                     "events=''",
                     which[p], ns, o->band_k, pdir);
            if (hb__plot_copy(tmp, o->relay_trace_csv, "relay.csv", plots, which[p], tail, err,
                              errlen) != 0) {
                return -1;
            }
        }
    }
    if (o->step_csv) {
        snprintf(tail, sizeof tail,
                 "outbase='step'; title_text='step test: response and FOPDT fit'; plotdir=%s",
                 pdir);
        if (hb__plot_copy(tmp, o->step_csv, "step.csv", plots, "step", tail, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

static const char *const hb__plots[] = {"temperatures", "valve", "heat"};
static const char *const hb__plot_titles[] = {"Temperatures", "Valve", "Heat and energy"};

static int hb__write_pages(const char *tmp, const hb__run_row *rows, size_t n,
                           const hb_report_trace *tr, const hb_report_opts *o, bool tuning) {
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", tmp);
    FILE *h = fopen(path, "w");
    snprintf(path, sizeof path, "%s/report.md", tmp);
    FILE *m = fopen(path, "w");
    if (!h || !m) {
        if (h) {
            fclose(h);
        }
        if (m) {
            fclose(m);
        }
        return -1;
    }
    const char *title = o->title ? o->title : "heatbench report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", h);
    hb_report_html_escape(h, title);
    fputs("</title>\n<style>body{font-family:sans-serif;max-width:1150px;margin:2em auto;"
          "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
          "padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
          "svg{max-width:100%;height:auto}pre{background:#f5f5f5;padding:1em;overflow-x:auto}"
          "</style></head><body>\n<h1>",
          h);
    hb_report_html_escape(h, title);
    fputs("</h1>\n", h);
    fprintf(m, "# %s\n\n", title);
    if (o->provenance) {
        fputs("<p><small>", h);
        hb_report_html_escape(h, o->provenance);
        fputs("</small></p>\n", h);
        fprintf(m, "_%s_\n\n", o->provenance);
    }
    for (size_t i = 0; i < n; i++) {
        if (tr[i].summary) {
            fputs("<p>", h);
            hb_report_html_escape(h, rows[i].label);
            fputs(": ", h);
            hb_report_html_escape(h, tr[i].summary);
            fputs("</p>\n", h);
            fprintf(m, "- %s: %s\n", rows[i].label, tr[i].summary);
        }
    }
    fputs("<h2>KPIs</h2>\n<table><tr><th>KPI</th>", h);
    fputs("\n| KPI |", m);
    bool approx = false;
    bool warmup = false;
    char(*cells)[HB__NKPI][32] = calloc(n, sizeof *cells);
    if (!cells) {
        fclose(h);
        fclose(m);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        hb__kpi_cells(&rows[i].k, cells[i]);
        approx |= !rows[i].exact;
        warmup |= !isfinite(rows[i].k.discomfort_kh);
        fputs("<th>", h);
        hb_report_html_escape(h, rows[i].label);
        fputs(rows[i].exact ? "" : " *", h);
        fputs("</th>", h);
        fprintf(m, " %s%s |", rows[i].label, rows[i].exact ? "" : " *");
    }
    fputs("</tr>\n", h);
    fputs("\n|---|", m);
    for (size_t i = 0; i < n; i++) {
        fputs("---|", m);
    }
    fputc('\n', m);
    for (size_t r = 0; r < HB__NKPI; r++) {
        fprintf(h, "<tr><td>%s</td>", hb__kpi_rows[r].name);
        fprintf(m, "| %s |", hb__kpi_rows[r].name);
        for (size_t i = 0; i < n; i++) {
            fprintf(h, "<td>%s</td>", cells[i][r]);
            fprintf(m, " %s |", cells[i][r]);
        }
        fputs("</tr>\n", h);
        fputc('\n', m);
    }
    free(cells);
    fputs("</table>\n", h);
    if (warmup) {
        fprintf(h,
                "<p>A run that ended inside its %.1f h warm-up has no comfort KPIs (shown as "
                "-): there is nothing to measure yet.</p>\n",
                o->warmup_h);
        fprintf(m,
                "\nA run that ended inside its %.1f h warm-up has no comfort KPIs (shown as -): "
                "there is nothing to measure yet.\n",
                o->warmup_h);
    }
    if (approx) {
        fprintf(h,
                "<p>* recomputed from the trace at its row spacing (band ±%.1f K after %.1f h; "
                "commands counted as level changes; - where a trace cannot tell).</p>\n",
                o->band_k, o->warmup_h);
        fprintf(m,
                "\n\\* recomputed from the trace at its row spacing (band ±%.1f K after %.1f "
                "h; commands counted as level changes; - where a trace cannot tell).\n",
                o->band_k, o->warmup_h);
    }
    if (tuning) {
        fputs("<h2>Tuning</h2>\n", h);
        fputs("\n## Tuning\n\n", m);
        if (o->tuning_table) {
            fputs("<pre>", h);
            hb_report_html_escape(h, o->tuning_table);
            fputs("</pre>\n", h);
            fprintf(m, "```\n%s```\n\n", o->tuning_table);
        }
        snprintf(path, sizeof path, "%s/tuning.svg", tmp);
        hb__inline_svg(h, path);
        fputs("![tuning](tuning.png)\n", m);
        if (o->relay_trace_csv) {
            fputs("<h3>Relay experiment</h3>\n", h);
            snprintf(path, sizeof path, "%s/relay-temperatures.svg", tmp);
            hb__inline_svg(h, path);
            snprintf(path, sizeof path, "%s/relay-valve.svg", tmp);
            hb__inline_svg(h, path);
            fputs("\n### Relay experiment\n\n![relay: temperatures](relay-temperatures.png)\n"
                  "![relay: valve](relay-valve.png)\n",
                  m);
        }
        if (o->step_csv) {
            fputs("<h3>Step test</h3>\n", h);
            snprintf(path, sizeof path, "%s/step.svg", tmp);
            hb__inline_svg(h, path);
            fputs("\n### Step test\n\n![step test and FOPDT fit](step.png)\n", m);
        }
    }
    if (n >= 2) {
        fputs("<h2>Comparison</h2>\n", h);
        fputs("\n## Comparison\n\n![comparison](compare.png)\n", m);
        snprintf(path, sizeof path, "%s/compare.svg", tmp);
        hb__inline_svg(h, path);
    }
    for (size_t i = 0; i < n; i++) {
        fputs("<h2>", h);
        hb_report_html_escape(h, rows[i].label);
        fputs("</h2>\n", h);
        fprintf(m, "\n## %s\n\n", rows[i].label);
        for (int p = 0; p < 3; p++) {
            fprintf(h, "<h3>%s</h3>\n", hb__plot_titles[p]);
            snprintf(path, sizeof path, "%s/trace-%zu-%s.svg", tmp, i + 1, hb__plots[p]);
            hb__inline_svg(h, path);
            fprintf(m, "![%s](trace-%zu-%s.png)\n", hb__plot_titles[p], i + 1, hb__plots[p]);
        }
    }
    fputs("</body></html>\n", h);
    int bad = ferror(h) || ferror(m);
    bad |= fclose(h) != 0;
    bad |= fclose(m) != 0;
    return bad ? -1 : 0;
}

/* What every report checks before any work: DIR may be written, gnuplot is there, and the
 * templates directory (into PLOTS) holds TEMPLATE.gp. HB_OK, or the error with a message. */
static int hb__ready(const char *dir, bool force, const char *template_name, char *plots,
                     size_t len, char *err, size_t errlen) {
    int rc = hb_outdir_check(dir, force, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    if (!hb__have_gnuplot()) {
        snprintf(err, errlen,
                 "gnuplot not found on PATH: install it (apt-get install gnuplot-nox)");
        return HB_ERR_NOTFOUND;
    }
    hb_datadir("plots", plots, len);
    char tmpl[4200];
    snprintf(tmpl, sizeof tmpl, "%s/%s.gp", plots, template_name);
    if (access(tmpl, R_OK) != 0) {
        snprintf(err, errlen,
                 "plot templates not found in %s (set HEATBENCH_PLOTS or HEATBENCH_DATADIR)",
                 plots);
        return HB_ERR_NOTFOUND;
    }
    return HB_OK;
}

int hb_report_write(const char *dir, const hb_report_trace *tr, size_t n, const hb_report_opts *o,
                    char *err, size_t errlen) {
    if (n < 1 || n > 16) {
        snprintf(err, errlen, "a report takes 1 to 16 traces, got %zu", n);
        return HB_ERR_INVAL;
    }
    char plots[4096];
    int rc = hb__ready(dir, o->force, "temperatures", plots, sizeof plots, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    char tmpl[4200]; /* the template each plot runs */
    hb__run_row *rows = calloc(n, sizeof *rows);
    hb_trace *traces = calloc(n, sizeof *traces);
    if (!rows || !traces) {
        free(rows);
        free(traces);
        snprintf(err, errlen, "out of memory");
        return HB_ERR_NOMEM;
    }
    rc = HB_ERR_PARSE;
    size_t loaded = 0;
    char tmp[4096] = "";
    for (; loaded < n; loaded++) {
        if (hb_trace_read(tr[loaded].path, &traces[loaded], err, errlen) != 0) {
            goto out;
        }
        const char *base = strrchr(tr[loaded].path, '/');
        snprintf(rows[loaded].label, sizeof rows[loaded].label, "%s",
                 tr[loaded].label ? tr[loaded].label : (base ? base + 1 : tr[loaded].path));
        for (char *p = rows[loaded].label; *p; p++) {
            if (*p == ' ' || *p == '\t' || *p == '\'' || *p == '"') {
                *p = '_'; /* labels are gnuplot words */
            }
        }
        if (tr[loaded].kpis) {
            rows[loaded].k = *tr[loaded].kpis;
            rows[loaded].exact = true;
        } else {
            hb_trace_kpis(&traces[loaded], o->band_k, o->warmup_h, &rows[loaded].k);
        }
    }
    rc = hb_outdir_stage(dir, tmp, sizeof tmp, err, errlen);
    if (rc != HB_OK) {
        goto out;
    }
    rc = HB_ERR_IO; /* what any failure from here on is */
    char pdir[4200];
    hb__gpstr(pdir, sizeof pdir, plots);
    char files[2048] = "";
    char labels[4096] = "";
    for (size_t i = 0; i < n; i++) {
        char dst[4200];
        snprintf(dst, sizeof dst, "%s/trace-%zu.csv", tmp, i + 1);
        if (hb__copy(tr[i].path, dst) != 0) {
            snprintf(err, errlen, "cannot copy %s into the report: %s", tr[i].path,
                     strerror(errno));
            goto out;
        }
        char title[300];
        hb__gpstr(title, sizeof title, tr[i].summary ? tr[i].summary : rows[i].label);
        char events[64] = "";
        if (tr[i].n_events > 0) {
            snprintf(events, sizeof events, "trace-%zu-events.gp", i + 1);
            if (hb__write_events(tmp, events, &tr[i]) != 0) {
                snprintf(err, errlen, "cannot write the event markers: %s", strerror(errno));
                goto out;
            }
        }
        for (int p = 0; p < 3; p++) {
            char vars[8192];
            if (hb__fits(
                    snprintf(vars, sizeof vars,
                             "datafile='trace-%zu.csv'; outbase='trace-%zu-%s'; title_text=%s; "
                             "nsensors=%d; band=%g; bandcols=%d; floorcol=%d; plotdir=%s; "
                             "events='%s'",
                             i + 1, i + 1, hb__plots[p], title, hb_trace_sensors(&traces[i]),
                             o->band_k, hb_trace_col(&traces[i], "band_hi") >= 0,
                             hb_trace_col(&traces[i], "floor_kwh") >= 0, pdir, events),
                    sizeof vars)) {
                snprintf(err, errlen, "a path is too long for gnuplot's command line");
                goto out;
            }
            snprintf(tmpl, sizeof tmpl, "%s/%s.gp", plots, hb__plots[p]);
            if (hb__gnuplot(tmp, vars, tmpl, err, errlen) != 0) {
                goto out;
            }
        }
        size_t fl = strlen(files);
        snprintf(files + fl, sizeof files - fl, "%strace-%zu.csv", i ? " " : "", i + 1);
        size_t ll = strlen(labels);
        snprintf(labels + ll, sizeof labels - ll, "%s%s", i ? " " : "", rows[i].label);
    }
    if (n >= 2) {
        char vars[8192];
        char title[300];
        hb__gpstr(title, sizeof title, o->title ? o->title : "comparison");
        if (hb__fits(snprintf(vars, sizeof vars,
                              "files='%s'; labels='%s'; outbase='compare'; band=%g; bandcols=%d; "
                              "title_text=%s; plotdir=%s",
                              files, labels, o->band_k, hb_trace_col(&traces[0], "band_hi") >= 0,
                              title, pdir),
                     sizeof vars)) {
            snprintf(err, errlen, "a path is too long for gnuplot's command line");
            goto out;
        }
        snprintf(tmpl, sizeof tmpl, "%s/compare.gp", plots);
        if (hb__gnuplot(tmp, vars, tmpl, err, errlen) != 0) {
            goto out;
        }
    }
    bool tuning = o->convergence_csv != NULL;
    if (tuning) {
        char dst[4200];
        snprintf(dst, sizeof dst, "%s/convergence.csv", tmp);
        if (hb__copy(o->convergence_csv, dst) != 0) {
            snprintf(err, errlen, "cannot copy %s: %s", o->convergence_csv, strerror(errno));
            goto out;
        }
        char vars[4400];
        if (hb__fits(
                snprintf(
                    vars, sizeof vars,
                    "datafile='convergence.csv'; outbase='tuning'; title_text='optimiser: cost and "
                    "gains per evaluation'; plotdir=%s",
                    pdir),
                sizeof vars)) {
            snprintf(err, errlen, "a path is too long for gnuplot's command line");
            goto out;
        }
        snprintf(tmpl, sizeof tmpl, "%s/tuning.gp", plots);
        if (hb__gnuplot(tmp, vars, tmpl, err, errlen) != 0) {
            goto out;
        }
        if (hb__experiment_plots(tmp, plots, pdir, o, err, errlen) != 0) {
            goto out;
        }
    }
    if (hb__write_pages(tmp, rows, n, tr, o, tuning) != 0) {
        snprintf(err, errlen, "cannot write the report pages: %s", strerror(errno));
        goto out;
    }
    rc = hb_outdir_commit(tmp, dir, o->force, err, errlen);
    if (rc != HB_OK) {
        goto out;
    }
    tmp[0] = '\0';
out:
    hb_outdir_discard(tmp);
    for (size_t i = 0; i < loaded && i < n; i++) {
        hb_trace_free(&traces[i]);
    }
    free(traces);
    free(rows);
    return rc;
}

int hb_report_fit(const char *dir, const char *csv, double split_h, const char *title,
                  const char *table, const char *provenance, bool force, char *err, size_t errlen) {
    char plots[4096];
    int rc = hb__ready(dir, force, "identify", plots, sizeof plots, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    char pdir[4200];
    hb__gpstr(pdir, sizeof pdir, plots);
    char tmp[4096] = "";
    rc = hb_outdir_stage(dir, tmp, sizeof tmp, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    rc = HB_ERR_IO;
    char qtitle[600];
    char tail[sizeof qtitle + 4200 + 128]; /* the title and the plots' directory, quoted */
    hb__gpstr(qtitle, sizeof qtitle, title);
    snprintf(tail, sizeof tail, "outbase='identify'; title_text=%s; split_h=%g; plotdir=%s", qtitle,
             split_h, pdir);
    if (hb__plot_copy(tmp, csv, "identify.csv", plots, "identify", tail, err, errlen) != 0) {
        goto out;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", tmp);
    FILE *h = fopen(path, "w");
    snprintf(path, sizeof path, "%s/report.md", tmp);
    FILE *m = fopen(path, "w");
    if (h && m) {
        fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>", h);
        hb_report_html_escape(h, title);
        fputs("</title></head><body style=\"font-family: sans-serif\"><h1>", h);
        hb_report_html_escape(h, title);
        fputs("</h1><p>", h);
        hb_report_html_escape(h, provenance ? provenance : "");
        fputs("</p><pre>", h);
        hb_report_html_escape(h, table);
        fputs("</pre>\n", h);
        snprintf(path, sizeof path, "%s/identify.svg", tmp);
        hb__inline_svg(h, path);
        fputs("</body></html>\n", h);
        fprintf(m, "# %s\n\n%s\n\n```\n%s```\n\n![measured and model](identify.png)\n", title,
                provenance ? provenance : "", table);
    }
    int bad = !h || !m || ferror(h) || ferror(m);
    bad |= h && fclose(h) != 0;
    bad |= m && fclose(m) != 0;
    if (bad) {
        snprintf(err, errlen, "cannot write the report pages: %s", strerror(errno));
        goto out;
    }
    rc = hb_outdir_commit(tmp, dir, force, err, errlen);
    if (rc == HB_OK) {
        tmp[0] = '\0';
    }
out:
    hb_outdir_discard(tmp);
    return rc;
}
