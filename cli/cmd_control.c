#define _GNU_SOURCE /* getopt_long */
#include "../daemon/hb_control.h"
#include "../daemon/hb_sign.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "../util/hb_log.h"
#include "../util/hb_ofile.h"
#include "../daemon/hb_home_load.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char hb__control_help[] =
    "usage: heatbench control [options]\n"
    "\n"
    "The production backend: subscribes to the readings of every room, runs one room controller\n"
    "per room (the same code `heatbench run` simulates) and publishes {\"level\":N} commands.\n"
    "Runs until SIGINT or SIGTERM (exit 0); SIGUSR1 prints the counters to stderr as JSON;\n"
    "SIGHUP reads the --scenario and --config files again and applies them to every room\n"
    "without a bump (a bad file is logged and changes nothing).\n"
    "\n"
    "A household drives each room on <prefix>/<room>/setpoint/set (°C), .../mode/set (heat |\n"
    "off) and .../preset/set (comfort | eco | away | none); the room's state is retained on\n"
    "<prefix>/<room>/state, and Home Assistant finds every room by MQTT discovery.\n"
    "\n"
    "control:\n"
    "  --scenario FILE        take the controller settings and setpoint from a scenario file\n"
    "  --controller NAME      pid | bangbang (default: the scenario's)\n"
    "  --setpoint C           setpoint in °C (default: the scenario's, 22)\n"
    "  --config FILE          each room's schedule, presets, limits and controller (JSON, see\n"
    "                         heatbench-config(5))\n"
    "  --speed X              controller time runs X times the wall clock (for tests against\n"
    "                         `heatbench live --speed X`). Without it, time follows the\n"
    "                         simulated clock `heatbench live` publishes on\n"
    "                         heatbench/live/clock when there is one, else the wall clock\n"
    "  --start-time DAY,HH:MM where the schedules' week starts (default: the local calendar;\n"
    "                         with --speed, the clock runs from it at that speed)\n"
    "  --state-file FILE      keep each room's state there (written atomically every\n"
    "                         --state-interval s and at exit) and restore it at start\n"
    "  --state-interval S     wall seconds between two writes of the state file (default 60)\n"
    "pair:\n"
    "  --standby              the second of a pair: command only when the leader's heartbeat\n"
    "                         has been silent for --takeover-s, then continue every room from\n"
    "                         its retained state (an instance without it leads unless another\n"
    "                         one already does)\n"
    "  --takeover-s S         silence before a standby leads (default 10 wall seconds)\n"
    "  --pair-key-file FILE   the pair's shared key (16+ bytes, not world-readable; also\n"
    "                         HEATBENCH_PAIR_KEY_FILE or the systemd credential pair-key or\n"
    "                         heatbench_pair-key, none of them needed without --standby):\n"
    "                         heartbeats and saved states are signed, forged ones dropped;\n"
    "                         required with --standby\n"
    "  --state-max-age S      a saved state older than S is not restored (default 86400)\n"
    "topics:\n";

/* In two parts: a C11 compiler need only accept string literals of up to 4095 bytes. */
static const char hb__control_help2[] =
    "  --readings-topic T     readings to subscribe to; '+' is the room (default\n"
    "                         /readings/+/temperature)\n"
    "  --actuator-topic T     where commands go; '+' becomes the room (default /actuators/+)\n"
    "  --room NAME            room of a readings topic without '+' (default room-1), for\n"
    "                         single-room set-ups such as /readings/temperature\n"
    "  --status-topic T       retained online/offline status (default heatbench/control/status)\n"
    "  --topic-prefix P       household topics <P>/<room>/... (default heatbench)\n"
    "  --discovery-prefix P   Home Assistant discovery prefix (default homeassistant)\n"
    "  --no-discovery         do not announce rooms to Home Assistant\n"
    "limits:\n"
    "  --max-rooms N          rooms kept at once (default 1000)\n"
    "  --room-idle S          a room silent this long may be evicted (default 86400 s)\n"
    "  --log-interval S       at most one log line per kind of dropped message per S (default 10)\n"
    "  --log-format F         auto | text (UTC time first) | journal (<N> priority first, no\n"
    "                         time); auto: journal when stderr is systemd's $JOURNAL_STREAM\n"
    "  --run-for S            stop after S wall seconds (default: run until a signal)\n"
    "  --check                check every setting (files, topics, credentials) as a start\n"
    "                         would, say what would run, and exit without connecting\n"
    "  -v, --verbose          log every command\n" HB_MQTT_HELP "\n"
    "exit status: 0 stopped by a signal (or --run-for), 1 fatal connection error (bad\n"
    "credentials, TLS), 2 bad usage.\n";

static void hb__control_on_stop(int sig) {
    (void)sig;
    hb_control_request_stop();
}

static void hb__on_stats(int sig) {
    (void)sig;
    hb_control_request_stats();
}

static void hb__on_hup(int sig) {
    (void)sig;
    hb_control_request_reload();
}

/* What SIGHUP reloads: the scenario and configuration files, with the command line's
 * overrides on top. */
typedef struct {
    const char *scenario;
    const char *config;
    double setpoint;        /* NaN: the scenario's */
    const char *controller; /* NULL: the scenario's */
} hb__reload_src;

/* The daemon has no room model and no weather forecast yet: what needs them would run as a
 * plain PID, which is not what the user asked for. */
static int hb__deployable(const hb_room_ctl_config *ctl, const char *where, char *err,
                          size_t errlen) {
    if (ctl->algo == HB_ALGO_MPC || ctl->feed_forward || ctl->optimal_start) {
        snprintf(err, errlen,
                 "%scontroller %s needs a room model and a weather forecast, which heatbench "
                 "control does not have yet; use pid or bangbang (controller.type, "
                 "controller.feed_forward, controller.optimal_start)",
                 where, hb_cli_controller_name(ctl));
        return -1;
    }
    return 0;
}

static int hb__settings(const hb__reload_src *src, hb_home *home, char *err, size_t errlen) {
    hb_sim_config sc;
    int rc = src->scenario ? hb_scenario_load_file(src->scenario, &sc, err, errlen) : HB_OK;
    if (!src->scenario) {
        hb_sim_config_default(&sc);
    }
    hb_room_prefs base;
    if (rc == HB_OK) {
        hb_room_ctl_config ctl = sc.controller;
        if (src->controller) {
            (void)hb_cli_controller("heatbench control", src->controller, &ctl); /* checked */
        }
        hb_room_prefs_default(&base, isnan(src->setpoint) ? sc.setpoint_c : src->setpoint, &ctl);
        rc = hb_room_prefs_finish(&base, err, errlen);
    }
    hb_sim_config_free(&sc);
    if (rc == HB_OK) {
        *home = (hb_home){.defaults = base};
        if (src->config) {
            rc = hb_home_load_file(src->config, &base, hb_scenario_section, home, err, errlen);
        }
    }
    if (rc != HB_OK) {
        return -1;
    }
    char where[HB_ROOM_MAX + 64];
    for (size_t i = 0; i <= home->n_rooms; i++) {
        const hb_room_prefs *p = i < home->n_rooms ? &home->rooms[i] : &home->defaults;
        snprintf(where, sizeof where, "%s%s%s", i < home->n_rooms ? "room " : "",
                 i < home->n_rooms ? p->name : "", i < home->n_rooms ? ": " : "");
        if (hb__deployable(&p->ctl, where, err, errlen) != 0) {
            hb_home_free(home);
            return -1;
        }
    }
    return 0;
}

/* A topic prefix: non-empty levels, no wildcard. */
static bool hb__prefix_ok(const char *p) {
    if (!p) {
        return false;
    }
    size_t n = strlen(p);
    return n > 0 && n < 128 && p[0] != '/' && p[n - 1] != '/' && !strchr(p, '+') &&
           !strchr(p, '#') && !strstr(p, "//");
}

static int hb__reload_settings(void *ud, hb_home *home, char *err, size_t errlen) {
    return hb__settings(ud, home, err, errlen);
}

/* "mon,05:30" into seconds since Monday 00:00. */
static int hb__start_time(const char *s, double *out) {
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    /* exactly DDD,HH:MM */
    bool shape = strlen(s) == 9 && s[3] == ',' && s[6] == ':';
    for (int i = 4; shape && i < 9; i++) {
        shape = i == 6 || (s[i] >= '0' && s[i] <= '9');
    }
    if (!shape) {
        return -1;
    }
    int h = (s[4] - '0') * 10 + (s[5] - '0');
    int m = (s[7] - '0') * 10 + (s[8] - '0');
    if (h > 23 || m > 59) {
        return -1;
    }
    for (int d = 0; d < 7; d++) {
        if (strncmp(s, days[d], 3) == 0) {
            *out = d * 86400.0 + h * 3600.0 + m * 60.0;
            return 0;
        }
    }
    return -1;
}

/* A state file the daemon could not write would be found out a minute later, in the log, and
 * a restart would then lose every room's state: a temporary file made and removed beside it
 * now says at start whether it can be written there. */
static bool hb__state_file_ok(const char *prog, const char *path) {
    if (strcmp(path, "-") == 0 || path[0] == '\0') {
        fprintf(stderr, "%s: --state-file: expected a file path, got '%s'\n", prog, path);
        return false;
    }
    /* A device or a FIFO would be written in place (hb_ofile) and never read back; opening a
     * FIFO with no reader would block the start for ever. (A directory fails the open below.) */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: --state-file %s: expected a regular file (or a new one)\n", prog,
                path);
        return false;
    }
    int rc = 0;
    hb_ofile *f = hb_ofile_open(path, &rc);
    if (!f) {
        fprintf(stderr, "%s: --state-file %s: cannot write there: %s\n", prog, path,
                strerror(errno));
        return false;
    }
    hb_ofile_abort(f);
    return true;
}

/* The pair's key: --pair-key-file, else HEATBENCH_PAIR_KEY_FILE, else the systemd credential
 * "pair-key" (LoadCredential=pair-key:..., found in $CREDENTIALS_DIRECTORY) or
 * "heatbench_pair-key" (the packaged unit hands the whole /etc/heatbench/credentials/ folder
 * over, so a key is optional there: a missing file must not fail the unit). A standby without
 * one is refused: anyone who may publish on the broker could make it take over. */
static int hb__pair_key(const char *prog, const char *path, bool standby, hb_sign **key) {
    char cred[4200];
    const char *env = getenv("HEATBENCH_PAIR_KEY_FILE");
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    if (!path && env && *env) {
        path = env;
    }
    static const char *const names[] = {"pair-key", "heatbench_pair-key"};
    for (size_t i = 0; !path && dir && *dir && i < sizeof names / sizeof names[0]; i++) {
        snprintf(cred, sizeof cred, "%s/%s", dir, names[i]);
        struct stat st;
        path = stat(cred, &st) == 0 ? cred : NULL;
    }
    if (!path) {
        if (standby) {
            fprintf(stderr,
                    "%s: --standby needs --pair-key-file (or HEATBENCH_PAIR_KEY_FILE): without "
                    "a key, any client of the broker can make it take over\n",
                    prog);
            return -1;
        }
        return 0;
    }
    char err[4400];
    if (hb_sign_create_from_file(path, key, err, sizeof err) != HB_OK) {
        hb_cli_error(prog, err);
        return -1;
    }
    return 0;
}

/* --check: what SIGHUP would load, checked before it is sent (a broken file would only be
 * logged by the running daemon), and what a start would do. */
static void hb__check_report(const hb__reload_src *src, const hb_home *home, bool standby) {
    const char *scenario = src->scenario;
    const char *config = src->config;
    char what[9000];
    snprintf(what, sizeof what, "%s%s%s%s%s", scenario ? "scenario " : "", scenario ? scenario : "",
             scenario && config ? ", " : "", config ? "config " : "", config ? config : "");
    printf("ok: %s: %zu room%s with settings of %s own, every other room the defaults; "
           "would %s\n",
           scenario || config ? what : "built-in settings", home->n_rooms,
           home->n_rooms == 1 ? "" : "s", home->n_rooms == 1 ? "its" : "their",
           standby ? "stand by" : "lead");
}

/* The daemon's last words: the error, if any, and the counters. Under the journal the error is
 * at priority err (`journalctl -p err` finds it) and the counters a notice. */
static void hb__stopped(const char *prog, int status, const char *err, const hb_control_stats *st) {
    if (status != 0) {
        if (hb_log_journal()) {
            fputs("<3>", stderr);
        }
        hb_cli_error(prog, err);
    }
    fputs(hb_log_journal() ? "<5>heatbench control: stopped; counters: "
                           : "heatbench control: stopped; counters: ",
          stderr);
    hb_control_print_stats(stderr, st);
}

static int hb__control_speed(const char *prog, const char *arg, void *target) {
    hb_control_config *cfg = target;
    if (hb_cli_number(prog, "--speed", arg, 1e-3, 1e6, &cfg->speed) != 0) {
        return -1;
    }
    cfg->clock_topic = NULL; /* an explicit speed wins over a published clock */
    return 0;
}

static int hb__control_start(const char *prog, const char *arg, void *target) {
    if (hb__start_time(arg, target) != 0) {
        fprintf(stderr, "%s: --start-time: expected DAY,HH:MM (mon..sun), got '%s'\n", prog, arg);
        return -1;
    }
    return 0;
}

static int hb__control_no_discovery(const char *prog, const char *arg, void *target) {
    (void)prog;
    (void)arg;
    *(const char **)target = NULL;
    return 0;
}

static int hb__control_log_format(const char *prog, const char *arg, void *target) {
    (void)target;
    if (hb_log_format_parse(arg) < 0) {
        fprintf(stderr, "%s: --log-format: expected auto, text or journal, got '%s'\n", prog, arg);
        return -1;
    }
    hb_log_set_format(hb_log_format_parse(arg));
    return 0;
}

/* What the command line asks of the daemon beyond its hb_control_config. */
typedef struct {
    hb__reload_src src;
    const char *key_file;
    bool check_only, verbose;
} hb__control_args;

/* The options into CFG and A: 0 to go on, else the exit status (help printed, or an error). */
static int hb__control_parse(int argc, char **argv, hb_control_config *cfg, hb__control_args *a,
                             int *status) {
    const char *prog = "heatbench control";
    const hb_opt opts[] = {
        HB_MQTT_OPTS(&cfg->mqtt),
        {"scenario", 0, HB_OPT_STR, &a->src.scenario, 0, 0, NULL},
        {"controller", 0, HB_OPT_STR, &a->src.controller, 0, 0, NULL},
        {"setpoint", 0, HB_OPT_NUM, &a->src.setpoint, 5, 35, NULL},
        {"speed", 0, HB_OPT_CALL, cfg, 0, 0, hb__control_speed},
        {"readings-topic", 0, HB_OPT_STR, &cfg->readings_topic, 0, 0, NULL},
        {"actuator-topic", 0, HB_OPT_STR, &cfg->actuator_topic, 0, 0, NULL},
        {"room", 0, HB_OPT_STR, &cfg->default_room, 0, 0, NULL},
        {"status-topic", 0, HB_OPT_STR, &cfg->status_topic, 0, 0, NULL},
        {"max-rooms", 0, HB_OPT_SIZE, &cfg->max_rooms, 1, 1 << 24, NULL},
        {"room-idle", 0, HB_OPT_NUM, &cfg->room_idle_s, 1, 1e9, NULL},
        {"log-interval", 0, HB_OPT_NUM, &cfg->log_interval_s, 0, 1e6, NULL},
        {"run-for", 0, HB_OPT_NUM, &cfg->run_for_s, 0, 1e9, NULL},
        {"config", 0, HB_OPT_STR, &a->src.config, 0, 0, NULL},
        {"start-time", 0, HB_OPT_CALL, &cfg->week_start_s, 0, 0, hb__control_start},
        {"state-file", 0, HB_OPT_STR, &cfg->state_file, 0, 0, NULL},
        {"state-interval", 0, HB_OPT_NUM, &cfg->state_interval_s, 0.1, 86400, NULL},
        {"topic-prefix", 0, HB_OPT_STR, &cfg->prefix, 0, 0, NULL},
        {"discovery-prefix", 0, HB_OPT_STR, &cfg->discovery_prefix, 0, 0, NULL},
        {"no-discovery", 0, HB_OPT_DO, &cfg->discovery_prefix, 0, 0, hb__control_no_discovery},
        {"standby", 0, HB_OPT_FLAG, &cfg->standby, 0, 0, NULL},
        {"takeover-s", 0, HB_OPT_NUM, &cfg->takeover_s, 2, 3600, NULL},
        {"pair-key-file", 0, HB_OPT_STR, &a->key_file, 0, 0, NULL},
        {"state-max-age", 0, HB_OPT_NUM, &cfg->state_max_age_s, 1, 1e9, NULL},
        {"check", 0, HB_OPT_FLAG, &a->check_only, 0, 0, NULL},
        {"log-format", 0, HB_OPT_CALL, NULL, 0, 0, hb__control_log_format},
        {"verbose", 'v', HB_OPT_FLAG, &a->verbose, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__control_help, hb__control_help2}},
    };
    int rc = hb_opts_parse(prog, "control", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    cfg->verbose = a->verbose ? 1 : cfg->verbose;
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        *status = HB_EXIT_USAGE;
        return -1;
    }
    return 0;
}

/* What no single option can check: the topics, the room, the state file and the prefixes. */
static int hb__control_validate(const char *prog, const hb_control_config *cfg) {
    if (hb_cli_check_topics(prog, cfg->readings_topic, cfg->actuator_topic, false) != 0) {
        return -1;
    }
    if (!hb_room_name_ok(cfg->default_room)) {
        fprintf(stderr, "%s: --room: expected 1 to %d letters, digits, '-', '_' or '.'\n", prog,
                HB_ROOM_MAX - 1);
        return -1;
    }
    if (cfg->state_file && !hb__state_file_ok(prog, cfg->state_file)) {
        return -1;
    }
    return 0;
}

static int hb__control_prefixes(const char *prog, const hb_control_config *cfg) {
    if (!hb__prefix_ok(cfg->prefix) ||
        (cfg->discovery_prefix && !hb__prefix_ok(cfg->discovery_prefix))) {
        fprintf(stderr,
                "%s: --topic-prefix, --discovery-prefix: expected topic levels without '+', "
                "'#' or a leading or trailing '/'\n",
                prog);
        return -1;
    }
    return 0;
}

/* Runs the daemon until a signal (or --run-for); the exit status. */
static int hb__control_exec(const char *prog, hb_control_config *cfg, hb_home *home, hb_sign *key) {
    char err[1024];
    hb_cli_signals(hb__control_on_stop, hb__on_stats, hb__on_hup);
    mosquitto_lib_init();
    hb_control_stats st;
    int status = hb_control_run(cfg, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    hb_home_free(home);
    hb_sign_destroy(key);
    hb__stopped(prog, status, err, &st);
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}

int hb_cmd_control(int argc, char **argv) {
    const char *prog = "heatbench control";
    hb_control_config cfg;
    hb_control_config_default(&cfg);
    hb__control_args a = {.src = {.setpoint = NAN}};
    int status = 0;
    if (hb__control_parse(argc, argv, &cfg, &a, &status) != 0) {
        return status;
    }
    if (hb__control_validate(prog, &cfg) != 0) {
        return HB_EXIT_USAGE;
    }
    char found[4200];
    if (a.src.scenario) {
        a.src.scenario = hb_cli_scenario_path(a.src.scenario, found, sizeof found);
    }
    if (hb__control_prefixes(prog, &cfg) != 0) {
        return HB_EXIT_USAGE;
    }
    hb_room_ctl_config probe = {0};
    if (a.src.controller && hb_cli_controller(prog, a.src.controller, &probe) != 0) {
        return HB_EXIT_USAGE;
    }
    char err[1024];
    hb_home home;
    if (hb__settings(&a.src, &home, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    cfg.home = &home;
    cfg.ctl = home.defaults.ctl;
    cfg.version = HEATBENCH_VERSION;
    if (a.src.scenario || a.src.config) {
        cfg.reload = hb__reload_settings;
        cfg.reload_ud = &a.src;
    }
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        hb_home_free(&home);
        return HB_EXIT_USAGE;
    }
    hb_sign *key = NULL;
    if (hb__pair_key(prog, a.key_file, cfg.standby, &key) != 0) {
        hb_home_free(&home);
        return HB_EXIT_USAGE;
    }
    cfg.pair_key = key;
    if (a.check_only) {
        hb__check_report(&a.src, &home, cfg.standby);
        hb_home_free(&home);
        hb_sign_destroy(key);
        return HB_EXIT_OK;
    }
    return hb__control_exec(prog, &cfg, &home, key);
}
