#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

/* One KPI line: the value, or "n/a" where the KPI does not exist (a run inside its warm-up). */
static void hb__line(FILE *out, const char *label, const char *fmt, double v, const char *unit) {
    if (isfinite(v)) {
        fprintf(out, "%-17s ", label);
        fprintf(out, fmt, v); // NOLINT(clang-diagnostic-format-nonliteral): formats are ours
        fprintf(out, "%s\n", unit);
    } else {
        fprintf(out, "%-17s %8s%s\n", label, "n/a", unit);
    }
}

void hb_kpi_print_table(FILE *out, const hb_sim_config *c, const hb_kpis *k) {
    fprintf(out, "scenario          %s (seed %llu, %s, %.1f h)\n", c->name,
            (unsigned long long)c->seed, hb_cli_controller_name(&c->controller), c->duration_h);
    if (c->schedule.n_periods > 0) {
        fprintf(out,
                "comfort band      by schedule (%zu periods; %.1f ± %.1f °C outside them), after "
                "%.1f h warm-up\n",
                c->schedule.n_periods, c->setpoint_c, c->comfort_band_k, c->warmup_h);
    } else {
        fprintf(out, "comfort band      %.1f ± %.1f °C, after %.1f h warm-up\n", c->setpoint_c,
                c->comfort_band_k, c->warmup_h);
    }
    if (!isfinite(k->discomfort_kh)) {
        fprintf(out, "comfort KPIs      n/a: the run ended inside its %.1f h warm-up\n",
                c->warmup_h);
    }
    hb__line(out, "discomfort", "%8.3f", k->discomfort_kh, " K·h");
    hb__line(out, "rmse", "%8.3f", k->rmse_k, " K");
    hb__line(out, "max overshoot", "%8.3f", k->max_overshoot_k, " K");
    hb__line(out, "max undershoot", "%8.3f", k->max_undershoot_k, " K");
    hb__line(out, "time in band", "%8.1f", k->in_band_pct, " %");
    hb__line(out, "mean air temp", "%8.3f", k->mean_t_air_c, " °C");
    fprintf(out, "energy            %8.3f kWh\n", k->energy_kwh);
    hb__line(out, "energy floor", "%8.3f", k->energy_floor_kwh, " kWh (least heat in band)");
    hb__line(out, "energy ideal", "%8.3f", k->energy_ideal_kwh, " kWh (exactly on setpoint)");
    hb__line(out, "energy ratio", "%8.3f", k->energy_ratio, "");
    fprintf(out, "peak power        %8.1f W (15-min mean)\n", k->peak_power_w);
    fprintf(out, "valve travel      %8.1f %%\n", k->valve_travel_pct);
    fprintf(out, "actuator msgs     %8ld (%ld lost)\n", k->actuator_msgs, k->commands_lost);
    fprintf(out, "readings          %8ld (%ld lost)\n", k->readings_published, k->readings_lost);
    fprintf(out, "fail-safe time    %8.2f h\n", k->failsafe_h);
}

/* Rounds to 6 significant decimals so the JSON is stable and readable; NaN becomes null. */
static void hb__num(cJSON *o, const char *key, double v) {
    if (!isfinite(v)) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    double r = round(v * 1e6) / 1e6;
    cJSON_AddNumberToObject(o, key, r == 0 ? 0.0 : r);
}

void hb_json_num(cJSON *o, const char *key, double v) {
    hb__num(o, key, v);
}

void hb_json_print(FILE *out, cJSON *root) {
    char *s = cJSON_PrintUnformatted(root);
    fprintf(out, "%s\n", s ? s : "{}");
    free(s);
    cJSON_Delete(root);
}

cJSON *hb_kpi_json(const hb_kpis *k) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        return NULL;
    }
    hb__num(o, "discomfort_kh", k->discomfort_kh);
    hb__num(o, "rmse_k", k->rmse_k);
    hb__num(o, "iae_kh", k->iae_kh);
    hb__num(o, "max_overshoot_k", k->max_overshoot_k);
    hb__num(o, "max_undershoot_k", k->max_undershoot_k);
    hb__num(o, "in_band_pct", k->in_band_pct);
    hb__num(o, "mean_t_air_c", k->mean_t_air_c);
    hb__num(o, "energy_kwh", k->energy_kwh);
    hb__num(o, "energy_floor_kwh", k->energy_floor_kwh);
    hb__num(o, "energy_ideal_kwh", k->energy_ideal_kwh);
    hb__num(o, "energy_ratio", k->energy_ratio);
    hb__num(o, "peak_power_w", k->peak_power_w);
    hb__num(o, "valve_travel_pct", k->valve_travel_pct);
    cJSON_AddNumberToObject(o, "actuator_msgs", (double)k->actuator_msgs);
    cJSON_AddNumberToObject(o, "commands_lost", (double)k->commands_lost);
    cJSON_AddNumberToObject(o, "readings_published", (double)k->readings_published);
    cJSON_AddNumberToObject(o, "readings_lost", (double)k->readings_lost);
    hb__num(o, "failsafe_h", k->failsafe_h);
    /* BOPTEST's KPIs under its names (docs/serve.md); null where the room has no such source. */
    hb__num(o, "tdis_tot", k->boptest.tdis_tot);
    hb__num(o, "ener_tot", k->boptest.ener_tot);
    hb__num(o, "cost_tot", k->boptest.cost_tot);
    hb__num(o, "emis_tot", k->boptest.emis_tot);
    hb__num(o, "pele_tot", k->boptest.pele_tot);
    hb__num(o, "pgas_tot", k->boptest.pgas_tot);
    hb__num(o, "pdih_tot", k->boptest.pdih_tot);
    return o;
}

int hb_kpi_print_json(FILE *out, const hb_sim_config *c, const hb_kpis *k) {
    cJSON *o = cJSON_CreateObject();
    cJSON *kp = hb_kpi_json(k);
    if (!o || !kp) {
        cJSON_Delete(o);
        cJSON_Delete(kp);
        return -1;
    }
    cJSON_AddStringToObject(o, "scenario", c->name);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    cJSON_AddStringToObject(o, "controller", hb_cli_controller_name(&c->controller));
    hb__num(o, "hours", c->duration_h);
    hb__num(o, "setpoint_c", c->setpoint_c);
    /* KPIs flat next to the run's identity, as scripts expect them. */
    cJSON *item = kp->child;
    while (item) {
        cJSON *next = item->next;
        cJSON_AddItemToObject(o, item->string, cJSON_DetachItemViaPointer(kp, item));
        item = next;
    }
    cJSON_Delete(kp);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) {
        return -1;
    }
    fprintf(out, "%s\n", s);
    free(s);
    return 0;
}
