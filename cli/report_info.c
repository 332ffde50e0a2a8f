/* What a report says about the run behind it: where it came from (provenance) and what happened
 * during it (event markers on the plots). */
#include "../report/hb_report.h"
#include "../util/hb_strutil.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static char hb__invocation[1024];

void hb_cli_set_invocation(int argc, char **argv) {
    size_t used = 0;
    hb__invocation[0] = '\0';
    for (int i = 0; i < argc && used + 4 < sizeof hb__invocation; i++) {
        char word[256];
        hb_str_printable(argv[i], word, sizeof word);
        bool quote = word[0] == '\0' || strpbrk(word, " \t'\"$\\") != NULL;
        int n = snprintf(hb__invocation + used, sizeof hb__invocation - used, "%s%s%s%s",
                         i ? " " : "", quote ? "'" : "", word, quote ? "'" : "");
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

void hb_cli_provenance(char *out, size_t len, const hb_sim_config *c) {
    if (!c) {
        snprintf(out, len, "heatbench %s; command: %s", HEATBENCH_VERSION,
                 hb__invocation[0] ? hb__invocation : "heatbench");
        return;
    }
    snprintf(out, len, "heatbench %s; command: %s; scenario %s, seed %llu, %s, %.1f h",
             HEATBENCH_VERSION, hb__invocation[0] ? hb__invocation : "heatbench", c->name,
             (unsigned long long)c->seed, hb_cli_controller_name(&c->controller), c->duration_h);
}

hb_report_opts hb_cli_report_opts(const hb_sim_config *c, const char *title, bool force,
                                  char *provenance, size_t len) {
    hb_cli_provenance(provenance, len, c);
    return (hb_report_opts){.title = title,
                            .band_k = c->comfort_band_k,
                            .warmup_h = c->warmup_h,
                            .force = force,
                            .provenance = provenance};
}

static void hb__event(hb_report_event *ev, size_t *n, size_t max, double t0, double t1,
                      const char *label) {
    if (*n < max) {
        ev[*n].t0 = t0;
        ev[*n].t1 = t1;
        snprintf(ev[*n].label, sizeof ev[*n].label, "%s", label);
        (*n)++;
    }
}

size_t hb_cli_report_events(const hb_sim_config *c, const hb_sim *s, hb_report_event *ev,
                            size_t max) {
    static const char *const kinds[] = {"dropout", "stuck", "spike", "drift"};
    size_t n = 0;
    double t0 = c->plant.t_start_s;
    const hb_room_config *r = &c->plant.room;
    for (size_t i = 0; i < r->n_windows; i++) {
        double a = t0 + r->windows[i].at_h * 3600.0;
        hb__event(ev, &n, max, a, a + r->windows[i].duration_min * 60.0, "window open");
    }
    for (size_t i = 0; i < c->n_sensors; i++) {
        const hb_sensor_config *sc = &c->sensors[i];
        for (size_t f = 0; f < sc->n_faults; f++) {
            char label[48];
            unsigned k = (unsigned)sc->faults[f].kind;
            snprintf(label, sizeof label, "%s %s", sc->id, k < 4 ? kinds[k] : "fault");
            double a = t0 + sc->faults[f].at_h * 3600.0;
            hb__event(ev, &n, max, a, a + sc->faults[f].duration_h * 3600.0, label);
        }
    }
    if (s) {
        double spans[HB_SIM_MAX_SPANS][2];
        size_t k = hb_sim_failsafe_spans(s, spans, HB_SIM_MAX_SPANS);
        for (size_t i = 0; i < k; i++) {
            hb__event(ev, &n, max, spans[i][0], spans[i][1], "fail-safe");
        }
    }
    return n;
}
