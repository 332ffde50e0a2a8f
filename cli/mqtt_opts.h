/* Command-line options shared by `control` and `live`: the MQTT connection and the topics. */
#ifndef HB_CLI_MQTT_OPTS_H
#define HB_CLI_MQTT_OPTS_H

#include "../sim/hb_sim.h"
#include "../mqtt/hb_mqtt.h"

#include <stdbool.h>

#include "hb_opts.h"

/* The shared options as a fragment of a command's option table (cli/hb_opts.h), storing into
 * the hb_mqtt_opts at O. */
#define HB_MQTT_OPTS(o)                                                                            \
    {"host", 0, HB_OPT_STR, &(o)->host, 0, 0, NULL},                                               \
        {"port", 0, HB_OPT_WHOLE, &(o)->port, 1, 65535, NULL},                                     \
        {"client-id", 0, HB_OPT_STR, &(o)->client_id, 0, 0, NULL},                                 \
        {"username", 0, HB_OPT_STR, &(o)->username, 0, 0, NULL},                                   \
        {"password", 0, HB_OPT_STR, &(o)->password, 0, 0, NULL},                                   \
        {"password-file", 0, HB_OPT_STR, &(o)->password_file, 0, 0, NULL},                         \
        {"cafile", 0, HB_OPT_STR, &(o)->cafile, 0, 0, NULL},                                       \
        {"cert", 0, HB_OPT_STR, &(o)->certfile, 0, 0, NULL},                                       \
        {"key", 0, HB_OPT_STR, &(o)->keyfile, 0, 0, NULL}, {                                       \
        "keepalive", 0, HB_OPT_INT, &(o)->keepalive, 5, 3600, NULL                                 \
    }

#define HB_MQTT_HELP                                                                               \
    "connection (each also from the environment, e.g. HEATBENCH_MQTT_HOST):\n"                     \
    "  --host H               broker host (default localhost)            HEATBENCH_MQTT_HOST\n"    \
    "  --port P               broker port (default 1883, 8883 with TLS)  HEATBENCH_MQTT_PORT\n"    \
    "  --client-id ID         MQTT client id                             "                         \
    "HEATBENCH_MQTT_CLIENT_ID\n"                                                                   \
    "  --username U           user name                                  "                         \
    "HEATBENCH_MQTT_USERNAME\n"                                                                    \
    "  --password P           password (prefer --password-file)          "                         \
    "HEATBENCH_MQTT_PASSWORD\n"                                                                    \
    "  --password-file F      file whose first line is the password      "                         \
    "HEATBENCH_MQTT_PASSWORD_FILE\n"                                                               \
    "  --cafile F             CA certificate: connect with TLS           HEATBENCH_MQTT_CAFILE\n"  \
    "  --cert F, --key F      client certificate and key                 HEATBENCH_MQTT_CERT, "    \
    "_KEY\n"                                                                                       \
    "  --keepalive S          MQTT keepalive, 5..3600 s (default 30)     "                         \
    "HEATBENCH_MQTT_KEEPALIVE\n"

/* Prints "PROG: MSG" on stderr with control characters of MSG replaced (a message may quote a
 * user's file or argument). */
void hb_cli_error(const char *prog, const char *msg);

/* Checks DIR as a report destination before any work (see report/hb_outdir.h); prints the
 * error and returns the exit status, or 0 when it may be written. */
int hb_cli_report_dir(const char *prog, const char *dir, bool force);

/* The exit status of a failed hb_report_write: 2 for what the user must change (a refused
 * directory, a bad trace), 1 for run-time failures (gnuplot, I/O). */
int hb_cli_report_status(int rc);

/* Parses a number in [LO, HI] for option NAME; -1 with a message on error. */
int hb_cli_number(const char *prog, const char *name, const char *s, double lo, double hi,
                  double *out);

/* The error for getopt's ':' (missing value) and '?' (unknown option) results; returns
 * HB_EXIT_USAGE. CMD is the subcommand for the --help hint. */
int hb_cli_bad_option(const char *prog, const char *cmd, int c, char **argv);

/* The file a scenario argument names: ARG itself when it exists or has a '/', else a shipped
 * scenario of that name (`heatbench run cold-snap` reads share/heatbench/scenarios/cold-snap.json,
 * see util/hb_datadir.h). Returns OUT, or ARG unchanged. */
const char *hb_cli_scenario_path(const char *arg, char *out, size_t len);
/* Says on stderr that ARG names no scenario, with the closest shipped name (cmd_scenarios.c). */
void hb_cli_scenario_suggest(const char *arg);

/* Loads PATH over the default (or the default alone when PATH is NULL) into CFG; prints the
 * error and returns HB_EXIT_USAGE on a bad scenario, 0 otherwise. CFG must be freed either way. */
int hb_cli_load_scenario(const char *prog, const char *path, hb_sim_config *cfg);

/* Checks the readings and actuator topic patterns; prints the error and returns HB_EXIT_USAGE,
 * or 0. NEED_ROOM: both must have a '+' room level (several rooms). */
int hb_cli_check_topics(const char *prog, const char *readings, const char *actuator,
                        bool need_room);

/* The algorithm named NAME ("pid" or "bangbang") into *ALGO; prints the error and returns -1
 * for anything else. */

/* An option callback (cli/hb_opts.h) for a topic that may be switched off: ARG into the
 * const char * at TARGET, '' as NULL (none). */
int hb_cli_topic_or_none(const char *prog, const char *arg, void *target);

/* Installs the SIGINT/SIGTERM (STOP), SIGUSR1 (STATS, may be NULL) and SIGHUP (HUP) handlers,
 * ignores SIGPIPE. */
void hb_cli_signals(void (*stop)(int), void (*stats)(int), void (*hup)(int));

#endif
