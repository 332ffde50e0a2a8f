/* `heatbench record`: options, then field/hb_record.h. */
#define _GNU_SOURCE /* getopt_long */
#include "../field/hb_record.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char hb__record_help[] =
    "usage: heatbench record -o TRACE.csv [options]\n"
    "\n"
    "Records a room from the broker: its readings, its valve commands and (with\n"
    "--outdoor-topic) the outdoor temperature, one row per interval with the trace columns\n"
    "of `heatbench run` (time_s, t_out, sensor_1.., level_cmd), for `heatbench identify`.\n"
    "The file is rewritten whole every --flush-s and at the end (SIGINT included): never\n"
    "half written. Sensor columns: the --sensors ids in order, then others in natural order.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE      the trace (required)\n"
    "  --room NAME            the room ('+' of the topics; default room-1)\n"
    "  --hours H              recording hours, then stop (default: until SIGINT)\n"
    "  --speed X              recording time runs X times the wall clock, to record an\n"
    "                         accelerated `heatbench live` on its own time (default 1)\n"
    "  --interval S           seconds of recording time between rows (default 60)\n"
    "  --start-s S            time_s of the first message (default: at speed 1 the local\n"
    "                         time of day, so the sun lines up; else 0, as `live` starts)\n"
    "  --outdoor-topic T      outdoor temperature: a number or {\"value\": N}\n"
    "  --clock-topic T        the room's time ({\"t\": s}, `live --clock-topic`): rows keep\n"
    "                         to a simulated room even when it falls behind the wall clock\n"
    "  --sensors ID[,ID..]    the first sensor columns, in this order\n"
    "  --flush-s S            wall seconds between rewrites of the file (default 60)\n"
    "  --connect-timeout S    give up when the broker is not there within S (default 30)\n"
    "  --excite prbs          drive the valve with a pseudo-random binary sequence while\n"
    "                         recording (rooms whose normal operation does not excite their\n"
    "                         dynamics); the level in force is restored at the end\n"
    "  --prbs-amplitude A     +- A % around the centre (default 20)\n"
    "  --prbs-period S        seconds of recording time per bit (default 1800)\n"
    "  --prbs-min L, --prbs-max L  bounds of the levels (default 0, 100)\n"
    "  --excite-center L      the centre (default: the last command seen, else 30)\n"
    "  --force                excite even while a controller is online (its status topic)\n"
    "  --status-topic T       default heatbench/control/status\n"
    "  --readings-topic T     default /readings/+/temperature\n"
    "  --actuator-topic T     default /actuators/+\n"
    "  -h, --help             this text\n"
    "\n" HB_MQTT_HELP "\n"
    "exit status: 0 ok, 1 connection or write failure (or nothing recorded), 2 bad usage.\n";

static void hb__record_on_stop(int sig) {
    (void)sig;
    hb_record_request_stop();
}

/* Splits the comma list S (modified) into at most MAX ids; -1 when there are more. */
static int hb__split_ids(char *s, const char **ids, size_t max, size_t *n) {
    char *save = NULL;
    *n = 0;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == max) {
            return -1;
        }
        ids[(*n)++] = t;
    }
    return 0;
}

/* The --sensors list: the ids point into buf. */
typedef struct {
    char buf[1024];
    const char *ids[16];
    hb_record_config *cfg;
} hb__record_ids;

static int hb__record_sensors(const char *prog, const char *arg, void *target) {
    hb__record_ids *s = target;
    snprintf(s->buf, sizeof s->buf, "%s", arg);
    if (hb__split_ids(s->buf, s->ids, 16, &s->cfg->n_ids) != 0) {
        fprintf(stderr, "%s: --sensors: at most 16 ids\n", prog);
        return -1;
    }
    s->cfg->ids = s->ids;
    return 0;
}

static int hb__record_excite(const char *prog, const char *arg, void *target) {
    if (strcmp(arg, "prbs") != 0) {
        fprintf(stderr, "%s: --excite: expected prbs, got '%s'\n", prog, arg);
        return -1;
    }
    *(bool *)target = true;
    return 0;
}

/* The options into CFG (its --sensors into IDS): 0 to go on, else -1 with *STATUS the exit
 * status. */
static int hb__record_parse(int argc, char **argv, hb_record_config *cfg, hb__record_ids *ids,
                            int *status) {
    const char *prog = "heatbench record";
    const hb_opt opts[] = {
        HB_MQTT_OPTS(&cfg->mqtt),
        {"output", 'o', HB_OPT_STR, &cfg->output, 0, 0, NULL},
        {"room", 0, HB_OPT_STR, &cfg->room, 0, 0, NULL},
        {"hours", 0, HB_OPT_NUM, &cfg->hours, 1.0 / 60, 876000, NULL},
        {"speed", 0, HB_OPT_NUM, &cfg->speed, 1e-3, 1e6, NULL},
        {"interval", 0, HB_OPT_NUM, &cfg->interval_s, 1, 3600, NULL},
        {"start-s", 0, HB_OPT_NUM, &cfg->start_s, 0, 1e9, NULL},
        {"outdoor-topic", 0, HB_OPT_STR, &cfg->outdoor_topic, 0, 0, NULL},
        {"sensors", 0, HB_OPT_CALL, ids, 0, 0, hb__record_sensors},
        {"flush-s", 0, HB_OPT_NUM, &cfg->flush_s, 0.1, 86400, NULL},
        {"connect-timeout", 0, HB_OPT_NUM, &cfg->connect_timeout_s, 0.1, 86400, NULL},
        {"readings-topic", 0, HB_OPT_STR, &cfg->readings_topic, 0, 0, NULL},
        {"actuator-topic", 0, HB_OPT_STR, &cfg->actuator_topic, 0, 0, NULL},
        {"excite", 0, HB_OPT_CALL, &cfg->excite, 0, 0, hb__record_excite},
        {"prbs-amplitude", 0, HB_OPT_NUM, &cfg->prbs_amplitude, 1, 50, NULL},
        {"prbs-period", 0, HB_OPT_NUM, &cfg->prbs_period_s, 10, 86400, NULL},
        {"prbs-min", 0, HB_OPT_NUM, &cfg->prbs_min, 0, 100, NULL},
        {"prbs-max", 0, HB_OPT_NUM, &cfg->prbs_max, 0, 100, NULL},
        {"excite-center", 0, HB_OPT_NUM, &cfg->center, 0, 100, NULL},
        {"force", 0, HB_OPT_FLAG, &cfg->force, 0, 0, NULL},
        {"status-topic", 0, HB_OPT_STR, &cfg->status_topic, 0, 0, NULL},
        {"clock-topic", 0, HB_OPT_CALL, &cfg->clock_topic, 0, 0, hb_cli_topic_or_none},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__record_help}},
    };
    int rc = hb_opts_parse(prog, "record", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    *status = HB_EXIT_USAGE;
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        return -1;
    }
    return 0;
}

/* What no single option can check. */
static int hb__record_validate(const char *prog, const hb_record_config *cfg) {
    if (!cfg->output) {
        fprintf(stderr, "%s: -o FILE is required (where the trace goes)\n", prog);
        return -1;
    }
    if (!(cfg->prbs_min < cfg->prbs_max)) {
        fprintf(stderr, "%s: --prbs-min must be below --prbs-max\n", prog);
        return -1;
    }
    if (!hb_room_name_ok(cfg->room)) {
        fprintf(stderr, "%s: --room: '%s' is not a plain room name\n", prog, cfg->room);
        return -1;
    }
    return hb_cli_check_topics(prog, cfg->readings_topic, cfg->actuator_topic, false) != 0 ? -1 : 0;
}

int hb_cmd_record(int argc, char **argv) {
    const char *prog = "heatbench record";
    hb_record_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hb_mqtt_opts_init(&cfg.mqtt, "heatbench-record");
    cfg.readings_topic = "/readings/+/temperature";
    cfg.actuator_topic = "/actuators/+";
    cfg.room = "room-1";
    cfg.interval_s = 60;
    cfg.speed = 1;
    cfg.hours = NAN;
    cfg.start_s = NAN;
    cfg.flush_s = 60;
    cfg.connect_timeout_s = 30;
    cfg.prbs_amplitude = 20;
    cfg.prbs_period_s = 1800;
    cfg.prbs_min = 0;
    cfg.prbs_max = 100;
    cfg.center = NAN;
    cfg.status_topic = "heatbench/control/status";
    hb__record_ids ids = {.cfg = &cfg};
    int status = 0;
    if (hb__record_parse(argc, argv, &cfg, &ids, &status) != 0) {
        return status;
    }
    if (hb__record_validate(prog, &cfg) != 0) {
        return HB_EXIT_USAGE;
    }
    char err[1024];
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    hb_cli_signals(hb__record_on_stop, NULL, hb__record_on_stop);
    mosquitto_lib_init();
    hb_record_stats st;
    status = hb_record_run(&cfg, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    if (status != 0) {
        hb_cli_error(prog, err);
    }
    unsigned long dropped = st.sensor_cap;
    for (int i = 0; i < HB_DROP__COUNT; i++) {
        dropped += st.dropped[i];
    }
    fprintf(stderr,
            "%s: %zu rows (%.2f h) of %zu sensors to %s; %lu readings, %lu commands, %lu outdoor "
            "temperatures received, %lu dropped\n",
            prog, st.rows, st.hours, st.sensors, cfg.output, st.readings, st.commands, st.outdoor,
            dropped);
    if (cfg.clock_topic) {
        fprintf(stderr, "%s: %lu ticks of the room's clock on %s followed, %lu ignored\n", prog,
                st.clock_ticks, cfg.clock_topic, st.clock_ignored);
    }
    if (cfg.excite) {
        fprintf(stderr, "%s: %lu excitation levels commanded; the valve was left at %.0f %%\n",
                prog, st.excitations, st.restored);
    }
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}
