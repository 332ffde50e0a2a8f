/*
 * `heatbench control`: the production backend. Subscribes to the readings of every room, keeps
 * one room controller per room (the very hb_room_ctl that `heatbench run` simulates) and
 * publishes {"level":N} commands, surviving whatever the network and the devices throw at it.
 *
 * Two instances make a pair: only the leader commands. The leader publishes a retained
 * heartbeat {"id","term","at"} on <status_topic>/leader every second and each room's controller
 * state, retained, on <prefix>/<room>/ctl. A --standby instance watches the heartbeat and
 * leads when it has been silent for takeover_s, restoring every room from its retained state
 * (the level last sent is the first one it sends: no jump). A leader that sees another leader
 * with a higher term (or the same term and a smaller id) stands down, so two leaders after a
 * network split settle on one within a heartbeat; terms only grow at take-overs, so they do
 * not flap. An instance started without --standby listens half a second for a live leader
 * first, so a restarted old leader rejoins as the standby.
 */
#ifndef HB_CONTROL_H
#define HB_CONTROL_H

#include "../controllers/hb_room_ctl.h"
#include "../mqtt/hb_mqtt.h"
#include "../mqtt/hb_payload.h"
#include "hb_thermostat.h"

#include <stddef.h>
#include <stdio.h>

typedef struct hb_control_config {
    hb_mqtt_opts mqtt;
    const char *readings_topic; /* pattern with at most one "+" (the room) */
    const char *actuator_topic; /* pattern; its "+" is replaced by the room */
    const char *status_topic;   /* retained "online"/"offline" */
    const char *default_room;   /* room of topics without "+" (legacy single-room set-ups) */
    hb_room_ctl_config ctl;
    /* Each room's settings (schedule, presets, limits, controller); NULL: every room gets ctl,
     * its setpoint and the built-in presets. Borrowed for the run (a SIGHUP's replaces it). */
    const hb_home *home;
    const char *prefix;           /* <prefix>/<room>/state and .../{setpoint,mode,preset}/set */
    const char *discovery_prefix; /* Home Assistant discovery, NULL: none */
    const char *version;          /* shown in the discovery documents */
    const char *state_file;       /* NULL: none */
    double state_interval_s;      /* wall seconds between two writes of the state file */
    double week_start_s;          /* NaN: schedules follow the local calendar; else the seconds
                                     since Monday 00:00 at start, the clock running at speed */
    bool standby;                 /* one of a pair: lead only when no other instance does */
    /* The pair's shared key (hb_sign.h): heartbeats and saved states are signed and verified
     * with it. NULL: unsigned, as safe as the broker's ACL (a warning at start). Borrowed. */
    const struct hb_sign *pair_key;
    double state_max_age_s; /* a saved state older than this is not restored (default 24 h) */
    double takeover_s;      /* a standby leads after this long without the leader's heartbeat */
    size_t max_rooms;
    double room_idle_s; /* controller seconds */
    double speed;       /* controller time runs this many times wall time */
    /* A simulated clock to follow ({"t": seconds}, as `heatbench live` publishes it): once its
     * ticks arrive, controller time advances with them instead of with wall time × speed, so the
     * daemon keeps a simulated room's pace whatever its --speed. NULL: not followed. */
    const char *clock_topic;
    double log_interval_s; /* wall seconds between two log lines of one kind */
    double run_for_s;      /* wall seconds, 0 = until a signal */
    int verbose;
    /* SIGHUP: fills *HOME with the settings to apply now (the files read again; the daemon
     * frees it with hb_home_free); non-zero with a message in ERR keeps the running ones. NULL:
     * SIGHUP is logged and changes nothing. */
    int (*reload)(void *ud, hb_home *home, char *err, size_t errlen);
    void *reload_ud;
} hb_control_config;

typedef struct hb_control_stats {
    unsigned long messages;
    unsigned long readings;
    unsigned long dropped[HB_DROP__COUNT];
    unsigned long commands;
    unsigned long requests; /* setpoint, mode and preset commands accepted */
    unsigned long restored; /* rooms restored from the state file */
    unsigned long publish_errors;
    unsigned long connects;
    unsigned long takeovers; /* the broker gave our session to another client with our id */
    unsigned long leads;     /* times this instance became the one that commands */
    unsigned long yields;    /* times it stood down for another leader */
    unsigned long reloads;   /* successful SIGHUP reloads */
    unsigned long rooms_evicted;
    unsigned long coalesced; /* household commands whose valve command waited for the interval */
    size_t rooms;
} hb_control_stats;

void hb_control_config_default(hb_control_config *c);

/* Runs until SIGINT/SIGTERM (exit status 0), a fatal connection error (1, message in ERR) or
 * run_for_s. Fills *STATS at the end. */
int hb_control_run(const hb_control_config *cfg, hb_control_stats *stats, char *err, size_t errlen);

/* Signal handlers call these (async-signal-safe). */
void hb_control_request_stop(void);
void hb_control_request_stats(void);
void hb_control_request_reload(void);

/* The counters as one JSON line (for SIGUSR1 and the exit summary). */
void hb_control_print_stats(FILE *out, const hb_control_stats *s);

#endif
