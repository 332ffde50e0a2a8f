/*
 * The parts of `heatbench control` (hb_control.h) and what they share: the loop and the
 * counters (hb_control.c), the MQTT callbacks (hb_ctl_mqtt.c), the pair's leadership
 * (hb_ctl_pair.c), the household's wishes, hub and reload (hb_ctl_household.c), what outlives
 * the process (hb_ctl_persist.c) and what the daemon says (hb_ctl_out.c). Internal to daemon/.
 */
#ifndef HB_CTL_H
#define HB_CTL_H

#include "../mqtt/hb_session.h"
#include "../mqtt/hb_simclock.h"
#include "../util/hb_error.h"
#include "hb_control.h"
#include "hb_ha.h"
#include "hb_rooms.h"
#include "hb_sign.h"
#include "hb_statefile.h"

#include <mosquitto.h>
#include <stdbool.h>
#include <stdint.h>

/* Saved controller states waiting for their room (hb_ctl_persist.c). */
typedef struct hb_ctl_pending hb_ctl_pending;

/* One instance's state. Grouped by size (the analyzer asks for it); the comments say what goes
 * together. */
typedef struct hb_ctl {
    const hb_control_config *cfg;
    hb_session *sess;    /* connects, reconnects and runs the network loop (mqtt/hb_session.h) */
    struct mosquitto *m; /* the session's client, for publishing and subscribing */
    hb_rooms *rooms;
    hb_control_stats st;
    hb_home home; /* the settings in force */
    hb_ha_ctx ha;
    double t0;          /* monotonic start */
    double t_connected; /* monotonic time of the last CONNACK */
    double week0;       /* the schedule clock at start (seconds since Monday 00:00) */
    double week_s;      /* the schedule clock now */
    double week_swept;  /* the schedule clock at the last sweep (NaN before the first) */
    double next_save;   /* monotonic time of the next state-file write */
    /* controller time (hb_ctl_out.c): wall time × speed from t0, then the followed clock */
    hb_simclock clk;
    double fast_t0;       /* controller time the current count of readings began */
    unsigned long fast_n; /* readings counted since */
    bool fast_warned;     /* readings faster than the clock allows: said once */
    /* rate-limited logging, per drop reason */
    double last_log[HB_DROP__COUNT];
    unsigned long logged[HB_DROP__COUNT];
    /* leadership (see the header) */
    double t_decide;      /* monotonic: the start-up look ends then (NaN before connecting) */
    double t_leader_seen; /* monotonic time of the last heartbeat of another leader */
    double t_heartbeat;   /* monotonic time of our next heartbeat */
    unsigned long term, max_term; /* ours; the highest verified one heard (ours included) */
    /* the lease (hb_ctl_pair.c): boot-clock seconds */
    double t_lease;          /* when the last heartbeat of ours that came back was sent */
    double t_led;            /* when this instance took the lead */
    double lease_s;          /* commands stop this long after t_lease: shorter than takeover_s */
    uint64_t n_base;         /* our messages' counter: n_base + boot-clock microseconds */
    uint64_t peer_n;         /* the counter of the last live heartbeat of PEER_ID */
    hb_ctl_pending *pending; /* saved states of rooms not running yet (never rooms themselves) */
    int takeovers_in_row;    /* consecutive take-overs: each doubles the wait before returning */
    int short_in_row;        /* connections in a row closed within seconds of the CONNACK */
    int budget; /* announcements, states and controller states this sweep may still publish */
    bool connected;
    bool home_owned;  /* HOME is the daemon's (a default or a reload), freed at the end */
    bool active;      /* this instance commands */
    bool decided;     /* the start-up look for a live leader is over */
    bool leader_seen; /* another live leader was heard */
    char client_id[HB_MQTT_CLIENT_ID_MAX + 1];
    char peer_id[HB_MQTT_CLIENT_ID_MAX + 1];
    char leader_topic[300];
    char hub_status_topic[300]; /* <discovery prefix>/status: Home Assistant's birth and will */
    char ctl_sub[160];          /* <prefix>/+/ctl: the rooms' retained controller states */
    char cmd_sub[160];          /* <prefix>/+/+/set: the household's commands */
} hb_ctl;

#define HB_CTL_HEARTBEAT_S 1.0
#define HB_CTL_SHOW_PER_SWEEP 200 /* per 0.25 s sweep: 800 announcements or states a second */
#define HB_CTL_LOOK_S 0.5 /* how long an instance started without --standby looks for a leader */

/* hb_control.c */
bool hb_ctl_stopping(void); /* a stop was requested (SIGINT/SIGTERM) */
/* The periodic work of a quarter second: the rooms that are due (EVERY: all of them, as before
 * the due times, for the benchmark's comparison), then what they publish within the budget. */
void hb_ctl_sweep(hb_ctl *c, bool every);

/* hb_ctl_out.c */
double hb_ctl_now(const hb_ctl *c);
void hb_ctl_on_clock(hb_ctl *c, const struct mosquitto_message *msg);
void hb_ctl_count_reading(hb_ctl *c, double t);
double hb_ctl_epoch_now(void);
void hb_ctl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Counts MSG dropped for REASON and logs it (rate-limited) with the reason and the value. */
void hb_ctl_drop(hb_ctl *c, int reason, const struct mosquitto_message *msg);
bool hb_ctl_publish_retained(hb_ctl *c, const char *topic, const char *payload, int qos);
void hb_ctl_publish_level(hb_ctl *c, hb_room *r, int level);

/* hb_ctl_household.c */
double hb_ctl_calendar_week_s(void);
double hb_ctl_week_now(const hb_ctl *c);
void hb_ctl_apply_wishes(hb_ctl *c, hb_room *room);
void hb_ctl_resume_wishes(hb_ctl *c, hb_room *room, const hb_saved_room *s);
bool hb_ctl_show(hb_ctl *c, hb_room *room, double t, bool now);
void hb_ctl_announce(hb_ctl *c, hb_room *room, bool remove);
void hb_ctl_room_created(hb_room *room, void *ud);
void hb_ctl_room_removing(hb_room *room, void *ud);
void hb_ctl_reannounce(hb_room *room, void *ud);
int hb_ctl_command(hb_ctl *c, const char *topic, const struct mosquitto_message *msg);
void hb_ctl_household_due(hb_ctl *c, hb_room *room, double t); /* a coalesced wish acts now */
void hb_ctl_reload(hb_ctl *c);

/* hb_ctl_pair.c */
double hb_ctl_boot_now(void);
bool hb_ctl_commanding(const hb_ctl *c); /* leading with a valid lease: may publish for rooms */
bool hb_ctl_lease_lost(const hb_ctl *c); /* leading, but the lease ran out: stand down now */
void hb_ctl_stand_down(hb_ctl *c, const char *why);
bool hb_ctl_fence(hb_ctl *c); /* stands down when the lease ran out; whether it did */
int hb_ctl_sign(hb_ctl *c, const char *topic, const char *body, char *out, size_t outlen);
/* Whether a pair message is authentic (always, without a key); counts a forgery. */
bool hb_ctl_authentic(hb_ctl *c, const struct mosquitto_message *msg, uint64_t *counter);
void hb_ctl_resign(hb_ctl *c);
int hb_ctl_subscribe_leader(hb_ctl *c);
void hb_ctl_on_leader(hb_ctl *c, const struct mosquitto_message *msg);
void hb_ctl_leadership(hb_ctl *c, double now);

/* hb_ctl_persist.c */
void hb_ctl_publish_ctl(hb_ctl *c, hb_room *room);
void hb_ctl_on_ctl(hb_ctl *c, const struct mosquitto_message *msg);
void hb_ctl_save(hb_ctl *c);
void hb_ctl_restore(hb_ctl *c);
int hb_ctl_pending_reset(hb_ctl *c); /* empties (or creates) the table of saved states */
void hb_ctl_pending_free(hb_ctl *c);
void hb_ctl_pending_take(hb_ctl *c, hb_room *room); /* a new room: its saved state, if any */

/* hb_ctl_mqtt.c: the session's callbacks (hb_session_config) */
void hb_ctl_on_connect(void *ud, int rc);
void hb_ctl_on_disconnect(void *ud, int rc, const mosquitto_property *p);
void hb_ctl_on_message(void *ud, const struct mosquitto_message *msg);

#endif
