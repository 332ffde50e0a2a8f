/*
 * `heatbench live`: the scenario's room (or N independent copies of it) on MQTT. Simulated time
 * runs `speed` times the wall clock; every sensor reading is published in the seed's format and
 * every {"level":N} that arrives moves the simulated valve. Any controller that speaks the seed's
 * topics can be tested against it, heatbench's own daemon included.
 */
#ifndef HB_LIVE_H
#define HB_LIVE_H

#include "../sim/hb_sim.h"
#include "../mqtt/hb_mqtt.h"
#include "../mqtt/hb_payload.h"

#include <stdio.h>

typedef struct hb_live_config {
    hb_mqtt_opts mqtt;
    const char *readings_topic; /* pattern; "+" becomes the room name */
    const char *actuator_topic; /* pattern with "+" */
    int rooms;                  /* room-1 .. room-N */
    double speed;
    double connect_timeout_s;
    const hb_sim_config *scenario;
    FILE *trace; /* CSV trace of room-1, or NULL */
    /* Back-pressure: readings handed to the client but not yet written to the broker's socket
     * at most this many; beyond it simulated time stops until the connection drains, so memory
     * is bounded by configuration however fast the rooms run (0: no bound). */
    unsigned long max_queue;
    /* Where room-1's simulated time is published ({"t": seconds}, QoS 0, every simulated
     * minute), so `heatbench record --clock-topic` stamps rows with the room's own time even
     * when the room falls behind the wall clock; NULL: not published. */
    const char *clock_topic;
    int verbose;
} hb_live_config;

typedef struct hb_live_stats {
    unsigned long published;      /* readings handed to the client */
    unsigned long written;        /* of those, written to the broker's socket */
    unsigned long lost;           /* of those, lost with a broken connection */
    unsigned long publish_errors; /* readings the client refused (no connection) */
    unsigned long max_queued;     /* the longest the outgoing queue was */
    double stalled_s;             /* wall seconds simulated time stood still for back-pressure */
    unsigned long commands;
    unsigned long dropped[HB_DROP__COUNT];
    double wall_s;
    double sim_h;
    double mean_discomfort_kh; /* over all rooms */
    double worst_discomfort_kh;
} hb_live_stats;

/* Runs until the scenario's end or SIGINT/SIGTERM (hb_live_request_stop). ROOM1 receives the
 * KPIs of room-1. Returns 0, or 1 with a message in ERR. */
int hb_live_run(const hb_live_config *cfg, hb_kpis *room1, hb_live_stats *stats, char *err,
                size_t errlen);

void hb_live_request_stop(void);

#endif
