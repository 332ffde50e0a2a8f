/* `heatbench tune --live`: options, the experiment (field/hb_tune_live.h), the rules' gains and
 * the tuned scenario. */
#define _GNU_SOURCE /* getopt_long */
#include "../field/hb_tune_live.h"
#include "../mqtt/hb_payload.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hb__tl_help[] =
    "usage: heatbench tune --live [SCENARIO] [options]\n"
    "\n"
    "Tunes the PID on the real room over MQTT: a warm-up under the scenario's PI at the\n"
    "setpoint, then a relay experiment around the level that held it (the valve switched\n"
    "between bias +- d until the room oscillates for --cycles cycles): the ultimate gain\n"
    "and period give Ziegler-Nichols, Tyreus-Luyben and no-overshoot gains. Then a step\n"
    "test: the PI settles the room again, the valve is held where it settled (the drift\n"
    "is measured), then stepped by --step-du; a first-order-plus-dead-time fit of the\n"
    "response gives SIMC and AMIGO gains. The valve is left at --restore (default: the\n"
    "bias) however it ends; the experiment is aborted the moment the room leaves\n"
    "--min-c..--max-c, and the step is cut short at 3/4 of the way to the limit. Refuses\n"
    "while a heatbench control is online (its status topic), unless --force.\n"
    "\n"
    "options:\n"
    "  --room NAME            the room (default room-1)\n"
    "  --setpoint C           the relay's centre (default: the scenario's setpoint_c)\n"
    "  --min-c C, --max-c C   the room's limits (default: setpoint -/+ 2 K)\n"
    "  --warmup-h H           PI warm-up before the relay (default 2; 0 with --bias)\n"
    "  --bias L, --amplitude D  the relay's centre and half swing, % (default: the warm-up's\n"
    "                         level; min(L, 100 - L) within 5..40)\n"
    "  --hysteresis K         the relay's hysteresis (default 0.1)\n"
    "  --cycles N             relay cycles to record (default 6, the first is dropped)\n"
    "  --max-h H              give up after H hours in all (default 24)\n"
    "  --restore L            the level left behind (default: the bias)\n"
    "  --step-du D            the step, % (default 10; the other way when it would pass\n"
    "                         100; 0: no step test)\n"
    "  --settle-h H, --step-base-h H, --step-h H   PI settle, valve held before the\n"
    "                         step, response recorded (defaults 1, 1, 2)\n"
    "  --tau-c S              SIMC closed-loop time constant, s (default: the dead time)\n"
    "  --rule NAME            tl | zn | no-overshoot | simc | amigo: the gains written\n"
    "                         (default tl)\n"
    "  --speed X              the experiment's clock runs X times the wall clock, to tune\n"
    "                         an accelerated `heatbench live` (default 1)\n"
    "  --force                run even while a controller is online\n"
    "  -o, --output FILE      the scenario with the chosen gains\n"
    "  --json                 the result as one JSON object\n"
    "  --readings-topic T, --actuator-topic T, --status-topic T   as `control`'s\n"
    "  -v, --verbose          log every command\n"
    "\n" HB_MQTT_HELP "\n"
    "exit status: 0 ok, 1 the experiment failed or was aborted (the valve restored), 2 bad\n"
    "usage or a bad scenario.\n";

static void hb__tl_on_stop(int sig) {
    (void)sig;
    hb_tune_live_request_stop();
}

enum {
    OPT_LIVE = 3000,
    OPT_ROOM,
    OPT_SETPOINT,
    OPT_MIN,
    OPT_MAX,
    OPT_WARMUP,
    OPT_BIAS,
    OPT_AMPL,
    OPT_HYST,
    OPT_CYCLES,
    OPT_MAXH,
    OPT_RESTORE,
    OPT_RULE,
    OPT_STEP_DU,
    OPT_SETTLE,
    OPT_STEP_BASE,
    OPT_STEP_H,
    OPT_TAU_C,
    OPT_SPEED,
    OPT_FORCE,
    OPT_JSON,
    OPT_READINGS,
    OPT_ACTUATOR,
    OPT_STATUS,
};

static const char *const hb__rules[] = {"tl", "zn", "no-overshoot", "simc", "amigo"};
#define HB__NRULES 5

/* Rule I's gains from the experiment; false (G untouched) when its experiment failed. */
static bool hb__gains(const hb_tune_live_result *r, int i, double tau_c_s, hb_gains *g) {
    if (i < 3 && !r->relay.ok) {
        return false;
    }
    if (i >= 3 && !r->fopdt_ok) {
        return false;
    }
    switch (i) {
    case 0:
        *g = hb_rule_tyreus_luyben_pi(r->relay.ku, r->relay.pu_s);
        break;
    case 1:
        *g = hb_rule_ziegler_nichols_pid(r->relay.ku, r->relay.pu_s);
        break;
    case 2:
        *g = hb_rule_no_overshoot_pid(r->relay.ku, r->relay.pu_s);
        break;
    case 3:
        *g = hb_rule_simc_pi(&r->fopdt, tau_c_s);
        break;
    default:
        *g = hb_rule_amigo_pi(&r->fopdt);
        break;
    }
    return hb_gains_usable(*g); /* the bounds `tune` applies: never a file `check` rejects */
}

static void hb__print(FILE *out, const hb_tune_live_result *r, int chosen, double tau_c_s,
                      bool json) {
    hb_gains g;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        hb_json_num(o, "setpoint_c", r->setpoint_c);
        hb_json_num(o, "bias", r->bias);
        hb_json_num(o, "d", r->d);
        hb_json_num(o, "hours", r->hours);
        hb_json_num(o, "min_c", r->min_seen_c);
        hb_json_num(o, "max_c", r->max_seen_c);
        hb_json_num(o, "restored", r->restored);
        cJSON_AddBoolToObject(o, "ok", r->relay.ok);
        hb_json_num(o, "ku", r->relay.ku);
        hb_json_num(o, "pu_s", r->relay.pu_s);
        hb_json_num(o, "cycles", r->relay.cycles);
        cJSON *st = cJSON_AddObjectToObject(o, "step");
        cJSON_AddBoolToObject(st, "ok", r->fopdt_ok);
        cJSON_AddStringToObject(st, "reason", r->fopdt_reason ? r->fopdt_reason : "");
        hb_json_num(st, "u0", r->step_ran ? r->step_u0 : NAN);
        hb_json_num(st, "du", r->step_ran ? r->step_du : NAN);
        hb_json_num(st, "hours", r->step_ran ? r->step_h : NAN);
        cJSON_AddBoolToObject(st, "cut", r->step_cut);
        hb_json_num(st, "drift_k_per_h", r->step_ran ? r->step_drift_kph : NAN);
        hb_json_num(st, "k", r->fopdt_ok ? r->fopdt.k : NAN);
        hb_json_num(st, "tau_s", r->fopdt_ok ? r->fopdt.tau_s : NAN);
        hb_json_num(st, "theta_s", r->fopdt_ok ? r->fopdt.theta_s : NAN);
        hb_json_num(st, "rms", r->fopdt_ok ? r->fopdt.rms : NAN);
        cJSON *gs = cJSON_AddObjectToObject(o, "gains");
        for (int i = 0; i < HB__NRULES; i++) {
            if (hb__gains(r, i, tau_c_s, &g)) {
                cJSON *e = cJSON_AddObjectToObject(gs, hb__rules[i]);
                hb_json_num(e, "kp", g.kp);
                hb_json_num(e, "ki", g.ki);
                hb_json_num(e, "kd", g.kd);
            }
        }
        cJSON_AddStringToObject(o, "chosen", hb__rules[chosen]);
        hb_json_print(out, o);
        return;
    }
    fprintf(out,
            "relay around %.2f °C at %.1f %% +- %.1f %%: %s; Ku %.2f %%/K, Pu %.0f s over %d "
            "cycles (%.1f h, room %.2f .. %.2f °C; valve left at %.0f %%)\n",
            r->setpoint_c, r->bias, r->d, r->relay.ok ? "ok" : r->relay.reason, r->relay.ku,
            r->relay.pu_s, r->relay.cycles, r->hours, r->min_seen_c, r->max_seen_c, r->restored);
    if (r->fopdt_ok) {
        fprintf(out,
                "step %.0f -> %.0f %% (%.1f h%s, drift before %+.3f K/h): k %.4f +- %.4f K/%%, "
                "tau %.0f +- %.0f s, dead time %.0f +- %.0f s\n",
                r->step_u0, r->step_u0 + r->step_du, r->step_h, r->step_cut ? ", cut" : "",
                r->step_drift_kph, r->fopdt.k, r->fopdt.k_ci, r->fopdt.tau_s, r->fopdt.tau_ci,
                r->fopdt.theta_s, r->fopdt.theta_ci);
    } else {
        fprintf(out, "step: %s\n", r->fopdt_reason ? r->fopdt_reason : "not run");
    }
    for (int i = 0; i < HB__NRULES; i++) {
        if (hb__gains(r, i, tau_c_s, &g)) {
            fprintf(out, "%-13s kp %7.2f  ki %7.2f  kd %6.3f%s\n", hb__rules[i], g.kp, g.ki, g.kd,
                    i == chosen ? "  <- chosen" : "");
        }
    }
}

int hb_cmd_tune_live(int argc, char **argv) {
    static const struct option opts[] = {HB_MQTT_LONG_OPTIONS,
                                         {"live", no_argument, NULL, OPT_LIVE},
                                         {"room", required_argument, NULL, OPT_ROOM},
                                         {"setpoint", required_argument, NULL, OPT_SETPOINT},
                                         {"min-c", required_argument, NULL, OPT_MIN},
                                         {"max-c", required_argument, NULL, OPT_MAX},
                                         {"warmup-h", required_argument, NULL, OPT_WARMUP},
                                         {"bias", required_argument, NULL, OPT_BIAS},
                                         {"amplitude", required_argument, NULL, OPT_AMPL},
                                         {"hysteresis", required_argument, NULL, OPT_HYST},
                                         {"cycles", required_argument, NULL, OPT_CYCLES},
                                         {"max-h", required_argument, NULL, OPT_MAXH},
                                         {"restore", required_argument, NULL, OPT_RESTORE},
                                         {"rule", required_argument, NULL, OPT_RULE},
                                         {"step-du", required_argument, NULL, OPT_STEP_DU},
                                         {"settle-h", required_argument, NULL, OPT_SETTLE},
                                         {"step-base-h", required_argument, NULL, OPT_STEP_BASE},
                                         {"step-h", required_argument, NULL, OPT_STEP_H},
                                         {"tau-c", required_argument, NULL, OPT_TAU_C},
                                         {"speed", required_argument, NULL, OPT_SPEED},
                                         {"force", no_argument, NULL, OPT_FORCE},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"readings-topic", required_argument, NULL, OPT_READINGS},
                                         {"actuator-topic", required_argument, NULL, OPT_ACTUATOR},
                                         {"status-topic", required_argument, NULL, OPT_STATUS},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *prog = "heatbench tune --live";
    hb_tune_live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hb_mqtt_opts_init(&cfg.mqtt, "heatbench-tune");
    cfg.readings_topic = "/readings/+/temperature";
    cfg.actuator_topic = "/actuators/+";
    cfg.status_topic = "heatbench/control/status";
    cfg.room = "room-1";
    cfg.speed = 1;
    cfg.setpoint_c = NAN;
    cfg.min_c = cfg.max_c = NAN;
    cfg.warmup_h = 2;
    cfg.bias = cfg.amplitude = cfg.restore = NAN;
    cfg.hysteresis_k = 0.1;
    cfg.cycles = 6;
    cfg.max_h = 24;
    cfg.step_du = 10;
    cfg.settle_h = 1;
    cfg.step_base_h = 1;
    cfg.step_h = 2;
    double tau_c_s = -1;
    cfg.connect_timeout_s = 30;
    const char *out = NULL;
    bool json = false;
    int chosen = 0;
    double v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:vh", opts, NULL)) != -1) {
        int m = hb_mqtt_opt(&cfg.mqtt, c, optarg, prog);
        if (m != 0) {
            if (m < 0) {
                return HB_EXIT_USAGE;
            }
            continue;
        }
        int bad = 0;
        switch (c) {
        case OPT_LIVE:
            break;
        case OPT_ROOM:
            cfg.room = optarg;
            break;
        case OPT_SETPOINT:
            bad = hb_cli_number(prog, "--setpoint", optarg, 5, 35, &cfg.setpoint_c);
            break;
        case OPT_MIN:
            bad = hb_cli_number(prog, "--min-c", optarg, 0, 40, &cfg.min_c);
            break;
        case OPT_MAX:
            bad = hb_cli_number(prog, "--max-c", optarg, 0, 40, &cfg.max_c);
            break;
        case OPT_WARMUP:
            bad = hb_cli_number(prog, "--warmup-h", optarg, 0, 48, &cfg.warmup_h);
            break;
        case OPT_BIAS:
            bad = hb_cli_number(prog, "--bias", optarg, 0, 100, &cfg.bias);
            break;
        case OPT_AMPL:
            bad = hb_cli_number(prog, "--amplitude", optarg, 1, 50, &cfg.amplitude);
            break;
        case OPT_HYST:
            bad = hb_cli_number(prog, "--hysteresis", optarg, 0, 2, &cfg.hysteresis_k);
            break;
        case OPT_CYCLES:
            bad = hb_cli_number(prog, "--cycles", optarg, 3, HB_RELAY_MAX_CYCLES, &v);
            cfg.cycles = (int)v;
            break;
        case OPT_MAXH:
            bad = hb_cli_number(prog, "--max-h", optarg, 0.1, 168, &cfg.max_h);
            break;
        case OPT_RESTORE:
            bad = hb_cli_number(prog, "--restore", optarg, 0, 100, &cfg.restore);
            break;
        case OPT_RULE:
            chosen = -1;
            for (int i = 0; i < HB__NRULES; i++) {
                chosen = strcmp(optarg, hb__rules[i]) == 0 ? i : chosen;
            }
            if (chosen < 0) {
                fprintf(stderr,
                        "%s: --rule: expected tl, zn, no-overshoot, simc or amigo, got '%s'\n",
                        prog, optarg);
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_STEP_DU:
            bad = hb_cli_number(prog, "--step-du", optarg, -50, 50, &cfg.step_du);
            break;
        case OPT_SETTLE:
            bad = hb_cli_number(prog, "--settle-h", optarg, 0, 24, &cfg.settle_h);
            break;
        case OPT_STEP_BASE:
            bad = hb_cli_number(prog, "--step-base-h", optarg, 0.1, 24, &cfg.step_base_h);
            break;
        case OPT_STEP_H:
            bad = hb_cli_number(prog, "--step-h", optarg, 0.25, 48, &cfg.step_h);
            break;
        case OPT_TAU_C:
            bad = hb_cli_number(prog, "--tau-c", optarg, 0, 86400, &tau_c_s);
            break;
        case OPT_SPEED:
            bad = hb_cli_number(prog, "--speed", optarg, 1e-3, 1e6, &cfg.speed);
            break;
        case OPT_FORCE:
            cfg.force = true;
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_READINGS:
            cfg.readings_topic = optarg;
            break;
        case OPT_ACTUATOR:
            cfg.actuator_topic = optarg;
            break;
        case OPT_STATUS:
            cfg.status_topic = optarg;
            break;
        case 'v':
            cfg.verbose = 1;
            break;
        case 'h':
            fputs(hb__tl_help, stdout);
            return HB_EXIT_OK;
        default:
            return hb_cli_bad_option(prog, "tune", c, argv);
        }
        if (bad) {
            return HB_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: expected at most one scenario file\n", prog);
        return HB_EXIT_USAGE;
    }
    if (!hb_room_name_ok(cfg.room) ||
        hb_cli_check_topics(prog, cfg.readings_topic, cfg.actuator_topic, false) != 0) {
        fprintf(stderr, "%s: --room '%s' or the topics are not usable\n", prog, cfg.room);
        return HB_EXIT_USAGE;
    }
    char found[4200];
    const char *spath =
        optind < argc ? hb_cli_scenario_path(argv[optind], found, sizeof found) : NULL;
    hb_sim_config sc;
    int status = hb_cli_load_scenario(prog, spath, &sc);
    char err[1024];
    if (status != HB_EXIT_OK) {
        goto out;
    }
    if (isnan(cfg.setpoint_c)) {
        cfg.setpoint_c = sc.setpoint_c;
    }
    cfg.min_c = isnan(cfg.min_c) ? cfg.setpoint_c - 2.0 : cfg.min_c;
    cfg.max_c = isnan(cfg.max_c) ? cfg.setpoint_c + 2.0 : cfg.max_c;
    if (!(cfg.min_c < cfg.setpoint_c && cfg.setpoint_c < cfg.max_c)) {
        fprintf(stderr, "%s: the setpoint %.1f °C must lie inside --min-c %.1f .. --max-c %.1f\n",
                prog, cfg.setpoint_c, cfg.min_c, cfg.max_c);
        status = HB_EXIT_USAGE;
        goto out;
    }
    if (cfg.warmup_h <= 0 && isnan(cfg.bias)) {
        fprintf(stderr, "%s: without a warm-up the relay needs --bias\n", prog);
        status = HB_EXIT_USAGE;
        goto out;
    }
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        status = HB_EXIT_USAGE;
        goto out;
    }
    cfg.ctl = &sc.controller;
    hb_cli_signals(hb__tl_on_stop, NULL, hb__tl_on_stop);
    mosquitto_lib_init();
    hb_tune_live_result r;
    int rc = hb_tune_live_run(&cfg, &r, err, sizeof err);
    mosquitto_lib_cleanup();
    if (rc != 0) {
        hb_cli_error(prog, err);
        if (isfinite(r.restored)) {
            fprintf(stderr, "%s: the valve was left at %.0f %%\n", prog, r.restored);
        }
        status = HB_EXIT_FAIL;
        goto out;
    }
    hb__print(stdout, &r, chosen, tau_c_s, json);
    hb_gains g;
    if (!hb__gains(&r, chosen, tau_c_s, &g)) {
        fprintf(stderr, "%s: no %s gains: %s\n", prog, hb__rules[chosen],
                chosen < 3 ? (r.relay.ok ? "the rule gave unusable gains" : r.relay.reason)
                           : (r.fopdt_ok ? "the rule gave unusable gains" : r.fopdt_reason));
        status = HB_EXIT_FAIL;
        goto out;
    }
    if (out) {
        static const char *const keys[3] = {"kp", "ki", "kd"};
        double vals[3] = {round(g.kp * 100) / 100, round(g.ki * 100) / 100,
                          round(g.kd * 1000) / 1000};
        if (hb_cli_write_tuned(out, spath, &sc, "pid", "pid", keys, vals, 3, err, sizeof err) !=
            0) {
            hb_cli_error(prog, err);
            status = HB_EXIT_FAIL;
            goto out;
        }
        if (!json) {
            printf("tuned scenario (%s gains) written to %s\n", hb__rules[chosen], out);
        }
    }
out:
    hb_sim_config_free(&sc);
    return status;
}
