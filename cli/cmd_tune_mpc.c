/* `heatbench tune --controller mpc`: the MPC's weights, tuned (tuning/hb_tune_mpc.h), printed as
 * a table or JSON, and written into the scenario with -o. */
#include "../tuning/hb_tune_mpc.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static void hb__mpc_table(FILE *out, const hb_sim_config *c, const char *names,
                          const hb_tune_options *o, const hb_tune_mpc_result *r) {
    fprintf(out,
            "tuning the MPC of %s: training seeds %llu..%llu, held-out seed %llu, %d "
            "evaluations\n\n",
            names, (unsigned long long)c->seed,
            (unsigned long long)(c->seed + (uint64_t)o->seeds - 1), r->heldout_seed, r->evals);
    fprintf(out, "%-10s %9s %9s %9s %9s %9s %11s %7s %9s %8s %6s\n", "weights", "w_track",
            "w_travel", "inner_kp", "cost", "held-out", "discomfort", "rmse", "energy", "travel",
            "msgs");
    fprintf(out, "%-10s %9s %9s %9s %9s %9s %11s %7s %9s %8s %6s\n", "", "kWh/(K·h)", "kWh/%",
            "%/K", "", "", "K·h", "K", "kWh", "%", "");
    for (int i = 0; i < 2; i++) {
        const hb_tune_mpc_method *m = &r->methods[i];
        if (!m->ok) {
            fprintf(out, "%-10s   -- every candidate failed\n", m->name);
            continue;
        }
        const hb_kpis *k = &m->kpis_heldout;
        fprintf(out, "%-10s %9.4f %9.2e %9.2f %9.3f %9.3f %11.3f %7.3f %9.3f %8.0f %6ld%s\n",
                m->name, m->mpc.w_track, m->mpc.w_travel, m->mpc.inner_kp, m->cost, m->cost_heldout,
                k->discomfort_kh, k->rmse_k, k->energy_kwh, k->valve_travel_pct, k->actuator_msgs,
                i == r->chosen ? "  <- chosen" : "");
    }
    fprintf(out, "(discomfort, rmse, energy, travel and msgs on the held-out seed)\n");
}

static void hb__mpc_json(FILE *out, const hb_tune_mpc_result *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "methods");
    for (int i = 0; i < 2; i++) {
        const hb_tune_mpc_method *m = &r->methods[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->name);
        cJSON_AddBoolToObject(o, "ok", m->ok);
        cJSON_AddBoolToObject(o, "chosen", i == r->chosen);
        if (m->ok) {
            hb_json_num(o, "w_track", m->mpc.w_track);
            hb_json_num(o, "w_travel", m->mpc.w_travel);
            hb_json_num(o, "inner_kp", m->mpc.inner_kp);
            hb_json_num(o, "cost", m->cost);
            hb_json_num(o, "cost_heldout", m->cost_heldout);
            cJSON_AddItemToObject(o, "kpis", hb_kpi_json(&m->kpis));
            cJSON_AddItemToObject(o, "kpis_heldout", hb_kpi_json(&m->kpis_heldout));
        }
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddStringToObject(root, "chosen", r->methods[r->chosen].name);
    cJSON_AddNumberToObject(root, "evaluations", r->evals);
    cJSON_AddNumberToObject(root, "heldout_seed", (double)r->heldout_seed);
    hb_json_print(out, root);
}

int hb_cli_tune_mpc(const char *prog, const hb_sim_config *scen, int n, const char *names,
                    const hb_tune_options *o, const char *out, const char *first, int json) {
    hb_tune_mpc_result r;
    char err[1024];
    if (hb_tune_mpc_run(scen, (size_t)n, o, &r, err, sizeof err) != HB_OK) {
        hb_cli_error(prog, err);
        return HB_EXIT_FAIL;
    }
    if (json) {
        hb__mpc_json(stdout, &r);
    } else {
        hb__mpc_table(stdout, &scen[0], names, o, &r);
    }
    if (out) {
        const hb_tune_mpc_method *ch = &r.methods[r.chosen];
        static const char *const keys[3] = {"w_track", "w_travel", "inner_kp"};
        double vals[3] = {ch->mpc.w_track, ch->mpc.w_travel, ch->mpc.inner_kp};
        for (int i = 0; i < 3; i++) {
            char v[32];
            snprintf(v, sizeof v, "%.4g", vals[i]); /* four digits: no false precision */
            vals[i] = strtod(v, NULL);
        }
        if (hb_cli_write_tuned(out, first, &scen[0], "mpc", "mpc", keys, vals, 3, err,
                               sizeof err) != 0) {
            hb_cli_error(prog, err);
            return HB_EXIT_FAIL;
        }
        if (!json) {
            printf("tuned scenario (%s MPC weights) written to %s\n", ch->name, out);
        }
    }
    return HB_EXIT_OK;
}
