#define _GNU_SOURCE /* getline, strdup */
#include "hb_sweep_report.h"
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "hb_outdir.h"
#include "hb_report.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HB__SR_MAX_CTL 16
#define HB__SR_MAX_PARAM 8
#define HB__SR_NKPI 4

static const char *const hb__sr_kpis[HB__SR_NKPI] = {"discomfort_kh", "energy_ratio",
                                                     "valve_travel_pct", "actuator_msgs"};

typedef struct hb__sr_run {
    char id[20];
    int ctl;
    double kpi[HB__SR_NKPI];
    double param[HB__SR_MAX_PARAM];
    char *what; /* scenario, seed and overrides, for the tables */
    char *error;
} hb__sr_run;

typedef struct hb__sr {
    hb__sr_run *runs;
    size_t n, cap, failed;
    char *ctls[HB__SR_MAX_CTL];
    int n_ctl;
    char *params[HB__SR_MAX_PARAM];
    int n_param;
} hb__sr;

bool hb_sweep_report_is_results(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        return false;
    }
    char head[8] = "";
    size_t n = fread(head, 1, 7, f);
    fclose(f);
    return n == 7 && memcmp(head, "{\"id\":\"", 7) == 0;
}

static double hb__sr_num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int hb__sr_index(char **names, int *n, int max, const char *name) {
    for (int i = 0; i < *n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    if (*n == max || !(names[*n] = strdup(name))) {
        return -1;
    }
    return (*n)++;
}

/* One result line into R; false when it is not one (or its controller or parameter is past the
 * report's limits: counted and left out). */
static bool hb__sr_line(hb__sr *r, const cJSON *o, hb__sr_run *run) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(o, "controller");
    if (!cJSON_IsString(id) || !cJSON_IsString(ctl)) {
        return false;
    }
    memset(run, 0, sizeof *run);
    snprintf(run->id, sizeof run->id, "%s", id->valuestring);
    run->ctl = hb__sr_index(r->ctls, &r->n_ctl, HB__SR_MAX_CTL, ctl->valuestring);
    if (run->ctl < 0) {
        return false;
    }
    const cJSON *kp = cJSON_GetObjectItemCaseSensitive(o, "kpis");
    for (int k = 0; k < HB__SR_NKPI; k++) {
        run->kpi[k] = hb__sr_num(kp, hb__sr_kpis[k]);
    }
    for (int p = 0; p < HB__SR_MAX_PARAM; p++) {
        run->param[p] = NAN;
    }
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, "overrides");
    const cJSON *e;
    cJSON_ArrayForEach(e, ov) {
        if (cJSON_IsNumber(e)) {
            int p = hb__sr_index(r->params, &r->n_param, HB__SR_MAX_PARAM, e->string);
            if (p >= 0) {
                run->param[p] = e->valuedouble;
            }
        }
    }
    char *ovs = ov ? cJSON_PrintUnformatted(ov) : NULL;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scenario");
    char buf[1024];
    snprintf(buf, sizeof buf, "%s, %s, seed %.0f, %s", cJSON_IsString(sc) ? sc->valuestring : "?",
             ctl->valuestring, hb__sr_num(o, "seed"), ovs ? ovs : "{}");
    free(ovs);
    run->what = strdup(buf);
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (cJSON_IsString(er)) {
        run->error = strdup(er->valuestring);
    }
    return run->what != NULL;
}

static int hb__sr_read(hb__sr *r, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read", path);
        return HB_ERR_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = HB_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        cJSON *o = line[len - 1] == '\n' ? cJSON_Parse(line) : NULL;
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 256;
            hb__sr_run *nr = realloc(r->runs, r->cap * sizeof *nr);
            if (!nr) {
                cJSON_Delete(o);
                rc = HB_ERR_NOMEM;
                break;
            }
            r->runs = nr;
        }
        if (o && hb__sr_line(r, o, &r->runs[r->n])) {
            r->failed += r->runs[r->n].error != NULL;
            r->n++;
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    if (rc == HB_OK && r->n == r->failed) {
        snprintf(err, errlen, "%s: no successful sweep result in the file", path);
        rc = HB_ERR_PARSE;
    }
    return rc;
}

static int hb__sr_cmp_d(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Q-quantile of the N sorted values V (linear between order statistics). */
static double hb__sr_q(const double *v, size_t n, double q) {
    if (n == 0) {
        return NAN;
    }
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[i];
}

typedef struct hb__sr_order {
    const hb__sr *r;
    int key; /* -1: discomfort then energy ratio; else a parameter */
} hb__sr_order;

static int hb__sr_cmp_run(const void *a, const void *b, void *ud) {
    const hb__sr_order *o = ud;
    const hb__sr_run *x = &o->r->runs[*(const size_t *)a];
    const hb__sr_run *y = &o->r->runs[*(const size_t *)b];
    if (o->key >= 0) {
        return hb__sr_cmp_d(&x->param[o->key], &y->param[o->key]);
    }
    int c = hb__sr_cmp_d(&x->kpi[0], &y->kpi[0]);
    return c ? c : hb__sr_cmp_d(&x->kpi[1], &y->kpi[1]);
}

/* The successful runs of controller C with the KPIs the plots need, sorted by KEY. */
static size_t hb__sr_select(const hb__sr *r, int c, int key, size_t *idx) {
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++) {
        const hb__sr_run *u = &r->runs[i];
        if (u->ctl == c && !u->error && !isnan(u->kpi[0]) && !isnan(u->kpi[1]) &&
            (key < 0 || !isnan(u->param[key]))) {
            idx[m++] = i;
        }
    }
    hb__sr_order o = {.r = r, .key = key};
    qsort_r(idx, m, sizeof *idx, hb__sr_cmp_run, &o);
    return m;
}

static int hb__sr_data(const hb__sr *r, const char *tmp, size_t *idx, double *buf) {
    char path[4200];
    snprintf(path, sizeof path, "%s/runs.dat", tmp);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < r->n; i++) {
        const hb__sr_run *u = &r->runs[i];
        if (u->error) {
            continue;
        }
        fprintf(f, "%s", r->ctls[u->ctl]);
        for (int k = 0; k < HB__SR_NKPI; k++) {
            fprintf(f, " %.9g", u->kpi[k]);
        }
        for (int p = 0; p < r->n_param; p++) {
            fprintf(f, " %.9g", u->param[p]);
        }
        fputc('\n', f);
    }
    if (!f || fclose(f) != 0) {
        return HB_ERR_IO;
    }
    /* Pareto fronts: by discomfort ascending, a run is on the front when its energy ratio is
     * below every run's before it. */
    snprintf(path, sizeof path, "%s/pareto.dat", tmp);
    f = fopen(path, "w");
    for (int c = 0; f && c < r->n_ctl; c++) {
        size_t m = hb__sr_select(r, c, -1, idx);
        double best = INFINITY;
        fprintf(f, "%s# %s\n", c ? "\n\n" : "", r->ctls[c]);
        for (size_t i = 0; i < m; i++) {
            const hb__sr_run *u = &r->runs[idx[i]];
            if (u->kpi[1] < best) {
                best = u->kpi[1];
                fprintf(f, "%.9g %.9g\n", u->kpi[0], u->kpi[1]);
            }
        }
        if (m == 0) {
            fprintf(f, "NaN NaN\n");
        }
    }
    if (!f || fclose(f) != 0) {
        return HB_ERR_IO;
    }
    for (int p = 0; p < r->n_param; p++) {
        snprintf(path, sizeof path, "%s/param_%d.dat", tmp, p + 1);
        f = fopen(path, "w");
        for (int c = 0; f && c < r->n_ctl; c++) {
            size_t m = hb__sr_select(r, c, p, idx);
            fprintf(f, "%s# %s\n", c ? "\n\n" : "", r->ctls[c]);
            for (size_t i = 0; i < m;) {
                size_t j = i;
                double v = r->runs[idx[i]].param[p];
                while (j < m && r->runs[idx[j]].param[p] == v) {
                    j++;
                }
                fprintf(f, "%.9g", v);
                for (int k = 0; k < 2; k++) {
                    for (size_t q = i; q < j; q++) {
                        buf[q - i] = r->runs[idx[q]].kpi[k];
                    }
                    qsort(buf, j - i, sizeof *buf, hb__sr_cmp_d);
                    fprintf(f, " %.9g %.9g %.9g", hb__sr_q(buf, j - i, 0.5),
                            hb__sr_q(buf, j - i, 0.25), hb__sr_q(buf, j - i, 0.75));
                }
                fputc('\n', f);
                i = j;
            }
            if (m == 0) {
                fprintf(f, "NaN NaN NaN NaN NaN NaN NaN\n");
            }
        }
        if (!f || fclose(f) != 0) {
            return HB_ERR_IO;
        }
    }
    return HB_OK;
}

static int hb__sr_cmp_worst(const void *a, const void *b, void *ud) {
    return -hb__sr_cmp_run(a, b, ud); /* the most discomfort first */
}

static int hb__sr_html(const hb__sr *r, const char *tmp, const hb_sweep_report_opts *o,
                       size_t *idx) {
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", tmp);
    FILE *f = fopen(path, "w");
    if (!f) {
        return HB_ERR_IO;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
    hb_report_html_escape(f, o->title);
    fputs("</title><style>body{font-family:sans-serif;max-width:1150px;margin:auto}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;"
          "font-size:90%}code{font-size:85%}</style></head><body>\n<h1>",
          f);
    hb_report_html_escape(f, o->title);
    fprintf(f, "</h1>\n<p>%zu runs, %zu failed, %d controllers.</p>\n<p><small>", r->n, r->failed,
            r->n_ctl);
    hb_report_html_escape(f, o->provenance ? o->provenance : "");
    fputs("</small></p>\n<h2>Per controller</h2>\n<img src=\"box.png\" alt=\"box plots\">\n"
          "<h2>Discomfort against energy</h2>\n<img src=\"pareto.png\" alt=\"Pareto fronts\">\n",
          f);
    for (int p = 0; p < r->n_param; p++) {
        fputs("<h2>", f);
        hb_report_html_escape(f, r->params[p]);
        fprintf(f, "</h2>\n<img src=\"param_%d.png\" alt=\"parameter %d\">\n", p + 1, p + 1);
    }
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->runs[i].error && !isnan(r->runs[i].kpi[0])) {
            idx[m++] = i;
        }
    }
    hb__sr_order ord = {.r = r, .key = -1};
    qsort_r(idx, m, sizeof *idx, hb__sr_cmp_worst, &ord);
    const char *sweep = o->sweep_path ? o->sweep_path : "SWEEP.json";
    fputs("<h2>Worst runs (most discomfort)</h2>\n<table><tr><th>run</th><th>discomfort K·h</th>"
          "<th>energy ratio</th><th>reproduce</th></tr>\n",
          f);
    for (size_t i = 0; i < m && i < o->worst; i++) {
        const hb__sr_run *u = &r->runs[idx[i]];
        fputs("<tr><td>", f);
        hb_report_html_escape(f, u->what);
        fprintf(f, "</td><td>%.3f</td><td>%.3f</td><td><code>heatbench sweep ", u->kpi[0],
                u->kpi[1]);
        hb_report_html_escape(f, sweep);
        fprintf(f, " --only %s</code></td></tr>\n", u->id);
    }
    fputs("</table>\n", f);
    if (r->failed) {
        fputs("<h2>Failed runs</h2>\n<table><tr><th>run</th><th>error</th></tr>\n", f);
        for (size_t i = 0, shown = 0; i < r->n && shown < 50; i++) {
            if (r->runs[i].error) {
                fputs("<tr><td>", f);
                hb_report_html_escape(f, r->runs[i].what);
                fputs("</td><td>", f);
                hb_report_html_escape(f, r->runs[i].error);
                fputs("</td></tr>\n", f);
                shown++;
            }
        }
        fputs("</table>\n", f);
    }
    fputs("</body></html>\n", f);
    return fclose(f) == 0 ? HB_OK : HB_ERR_IO;
}

/* A word safe inside a gnuplot single-quoted string and a space-separated list. */
static void hb__sr_word(char *out, size_t len, const char *in) {
    snprintf(out, len, "%s", in);
    for (char *p = out; *p; p++) {
        if (*p == '\'' || *p == ' ' || *p == '\\' || (unsigned char)*p < 32) {
            *p = '_';
        }
    }
}

static int hb__sr_plots(const hb__sr *r, const char *tmp, const hb_sweep_report_opts *o,
                        const char *plots, char *err, size_t errlen) {
    char ctls[HB__SR_MAX_CTL * 70] = "";
    char params[HB__SR_MAX_PARAM * 260] = "";
    char w[256];
    for (int c = 0; c < r->n_ctl; c++) {
        hb__sr_word(w, sizeof w, r->ctls[c]);
        strncat(ctls, c ? " " : "", sizeof ctls - strlen(ctls) - 1);
        strncat(ctls, w, sizeof ctls - strlen(ctls) - 1);
    }
    for (int p = 0; p < r->n_param; p++) {
        hb__sr_word(w, sizeof w, r->params[p]);
        strncat(params, p ? " " : "", sizeof params - strlen(params) - 1);
        strncat(params, w, sizeof params - strlen(params) - 1);
    }
    char title[200];
    hb__sr_word(title, sizeof title, o->title);
    for (char *p = title; *p; p++) {
        *p = *p == '_' ? ' ' : *p;
    }
    char vars[8000];
    char tmpl[4200];
    snprintf(tmpl, sizeof tmpl, "%s/sweep.gp", plots);
    int n = snprintf(vars, sizeof vars, "title_text='%s'; ctls='%s'; nparam=%d; params='%s'", title,
                     ctls, r->n_param, params);
    if (n < 0 || (size_t)n >= sizeof vars) {
        snprintf(err, errlen, "too many names for gnuplot's command line");
        return HB_ERR_RANGE;
    }
    return hb_report_gnuplot(tmp, vars, tmpl, err, errlen) == 0 ? HB_OK : HB_ERR_IO;
}

/* Removes the staging directory TMP of a report that failed (it holds only files). */
int hb_sweep_report_write(const char *dir, const char *results, const hb_sweep_report_opts *o,
                          char *err, size_t errlen) {
    int rc = hb_outdir_check(dir, o->force, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    char plots[4096];
    if (hb_datadir("plots", plots, sizeof plots) != HB_OK) {
        snprintf(err, errlen, "the gnuplot templates are not installed (expected in %s)", plots);
        return HB_ERR_IO;
    }
    hb__sr r;
    memset(&r, 0, sizeof r);
    rc = hb__sr_read(&r, results, err, errlen);
    size_t *idx = rc == HB_OK ? calloc(r.n + 1, sizeof *idx) : NULL;
    double *buf = rc == HB_OK ? calloc(r.n + 1, sizeof *buf) : NULL;
    if (rc == HB_OK && (!idx || !buf)) {
        rc = HB_ERR_NOMEM;
    }
    char tmp[4200] = "";
    if (rc == HB_OK) {
        rc = hb_outdir_stage(dir, tmp, sizeof tmp, err, errlen);
    }
    if (rc == HB_OK && (rc = hb__sr_data(&r, tmp, idx, buf)) != HB_OK) {
        snprintf(err, errlen, "%s: cannot write the plot data", tmp);
    }
    if (rc == HB_OK) {
        rc = hb__sr_plots(&r, tmp, o, plots, err, errlen);
    }
    if (rc == HB_OK && (rc = hb__sr_html(&r, tmp, o, idx)) != HB_OK) {
        snprintf(err, errlen, "%s: cannot write index.html", tmp);
    }
    if (rc == HB_OK && (rc = hb_outdir_commit(tmp, dir, o->force, err, errlen)) == HB_OK) {
        tmp[0] = '\0';
    }
    hb_outdir_discard(tmp);
    if (rc == HB_ERR_NOMEM) {
        snprintf(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < r.n; i++) {
        free(r.runs[i].what);
        free(r.runs[i].error);
    }
    for (int i = 0; i < r.n_ctl; i++) {
        free(r.ctls[i]);
    }
    for (int i = 0; i < r.n_param; i++) {
        free(r.params[i]);
    }
    free(r.runs);
    free(idx);
    free(buf);
    return rc;
}
