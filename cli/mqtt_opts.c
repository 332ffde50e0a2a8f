#define _POSIX_C_SOURCE 200809L
#include "mqtt_opts.h"
#include "../report/hb_outdir.h"
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "../util/hb_strutil.h"
#include "../mqtt/hb_payload.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hb_cli_error(const char *prog, const char *msg) {
    char safe[1024];
    hb_str_printable(msg, safe, sizeof safe);
    fprintf(stderr, "%s: %s\n", prog, safe);
}

const char *hb_cli_scenario_path(const char *arg, char *out, size_t len) {
    if (access(arg, F_OK) == 0 || strchr(arg, '/')) {
        return arg;
    }
    char dir[4096];
    if (hb_datadir("scenarios", dir, sizeof dir) != HB_OK) {
        return arg;
    }
    size_t n = strlen(arg);
    bool ext = n > 5 && strcmp(arg + n - 5, ".json") == 0;
    snprintf(out, len, "%s/%s%s", dir, arg, ext ? "" : ".json");
    if (access(out, F_OK) == 0) {
        return out;
    }
    hb_cli_scenario_suggest(arg); /* the caller's "cannot open" follows */
    return arg;
}

int hb_cli_report_dir(const char *prog, const char *dir, bool force) {
    char err[1024];
    int rc = hb_outdir_check(dir, force, err, sizeof err);
    if (rc != HB_OK) {
        hb_cli_error(prog, err);
        return hb_cli_report_status(rc);
    }
    return 0;
}

int hb_cli_report_status(int rc) {
    return (rc == HB_ERR_EXISTS || rc == HB_ERR_INVAL || rc == HB_ERR_PARSE) ? HB_EXIT_USAGE
                                                                             : HB_EXIT_FAIL;
}

int hb_cli_number(const char *prog, const char *name, const char *s, double lo, double hi,
                  double *out) {
    double v;
    if (hb_parse_number(s, 0, &v) != 0 || v < lo || v > hi) {
        char safe[64];
        hb_str_printable(s, safe, sizeof safe);
        fprintf(stderr, "%s: %s: expected a number in [%g, %g], got '%s'\n", prog, name, lo, hi,
                safe);
        return -1;
    }
    *out = v;
    return 0;
}

int hb_cli_topic_or_none(const char *prog, const char *arg, void *target) {
    (void)prog;
    *(const char **)target = *arg ? arg : NULL;
    return 0;
}

void hb_cli_signals(void (*stop)(int), void (*stats)(int), void (*hup)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = hup;
    sigaction(SIGHUP, &sa, NULL);
    if (stats) {
        sa.sa_handler = stats;
        sigaction(SIGUSR1, &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int hb_cli_bad_option(const char *prog, const char *cmd, int c, char **argv) {
    if (c == ':') {
        fprintf(stderr, "%s: option %s needs a value\n", prog, argv[optind - 1]);
    } else {
        fprintf(stderr, "%s: unknown option '%s' (see heatbench %s --help)\n", prog,
                argv[optind - 1], cmd);
    }
    return HB_EXIT_USAGE;
}

int hb_cli_load_scenario(const char *prog, const char *path, hb_sim_config *cfg) {
    if (!path) {
        hb_sim_config_default(cfg);
        return 0;
    }
    char err[1024];
    char found[4200];
    path = hb_cli_scenario_path(path, found, sizeof found);
    if (hb_scenario_load_file(path, cfg, err, sizeof err) != HB_OK) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    return 0;
}

int hb_cli_check_topics(const char *prog, const char *readings, const char *actuator,
                        bool need_room) {
    if (!hb_topic_pattern_ok(readings) || !hb_topic_pattern_ok(actuator)) {
        fprintf(stderr, "%s: topics must be non-empty, without '#', with at most one '+' level\n",
                prog);
        return HB_EXIT_USAGE;
    }
    bool r = strchr(readings, '+') != NULL;
    bool a = strchr(actuator, '+') != NULL;
    if (need_room && (!r || !a)) {
        fprintf(stderr, "%s: --rooms > 1 needs a '+' room level in both topics\n", prog);
        return HB_EXIT_USAGE;
    }
    if (r != a) {
        fprintf(stderr,
                "%s: --readings-topic and --actuator-topic must both have a '+' room "
                "level or neither\n",
                prog);
        return HB_EXIT_USAGE;
    }
    return 0;
}
