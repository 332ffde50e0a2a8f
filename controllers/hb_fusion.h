/*
 * Sensor fusion: one temperature estimate from the latest reading of each sensor in a room.
 *
 * Only fresh readings count (younger than stale_s). With three or more, readings further than
 * outlier_k from their median are rejected and the rest averaged: the median makes one broken
 * sensor of five unable to move the estimate, and averaging the inliers keeps the noise of the
 * healthy ones low. With one or two fresh readings there is no majority to vote a liar out, so
 * they are averaged as they are.
 *
 * A split: with an even count the readings can form two equal clusters further apart than
 * 2 * outlier_k, so that no reading lies within outlier_k of the median (2 sensors at 19 °C and
 * 2 at 25 °C). No reading is then an inlier, and the estimate is the median itself (the mean of
 * the two middle readings), the estimator with the highest breakdown point there is; n_used is
 * 0, which tells the caller that the sensors do not agree. The estimate is always finite.
 *
 * Sensor slots: a room keeps expected_sensors ids (the seed's room has 5). A new id takes a free
 * slot, or the slot of the stalest known sensor once that one is stale; while every known sensor
 * is fresh a new id is refused (HB_ERR_FULL) and gets no vote. So a flood of forged ids can
 * neither outvote nor crowd out the real sensors, and memory is bounded per room.
 */
#ifndef HB_FUSION_H
#define HB_FUSION_H

#include <stddef.h>

#define HB_FUSION_ID_MAX 40 /* bytes including the NUL: a UUID (36) or a MAC (17) fits */
#define HB_FUSION_MAX_SENSORS 64

typedef struct hb_fusion_config {
    double stale_s;          /* a reading older than this is ignored (default 900 s) */
    double outlier_k;        /* rejection distance from the median, K (default 1.5) */
    size_t expected_sensors; /* ids kept and voting, 1..HB_FUSION_MAX_SENSORS (default 5) */
} hb_fusion_config;

typedef struct hb_fusion hb_fusion;

/* HB_OK when CFG is one hb_fusion_create accepts, HB_ERR_INVAL otherwise. */
int hb_fusion_check(const hb_fusion_config *cfg);

hb_fusion *hb_fusion_create(const hb_fusion_config *cfg);

/* New settings for a fusion in use (CFG must pass hb_fusion_check). The readings are kept; with
 * fewer expected sensors than ids held, the ids added last are forgotten. */
void hb_fusion_set_config(hb_fusion *f, const hb_fusion_config *cfg);
void hb_fusion_destroy(hb_fusion *f);

/* Records VALUE from sensor ID at time T. HB_ERR_RANGE for a non-finite value or an id that is
 * empty or too long, HB_ERR_FULL when no slot can be had. */
int hb_fusion_add(hb_fusion *f, double t, const char *id, double value);

/* A caller's handle on the slot of one sensor id, for hb_fusion_add_ref: start it as
 * HB_FUSION_REF_INIT. */
typedef struct hb_fusion_ref {
    size_t slot;
    unsigned gen; /* 0: none yet */
} hb_fusion_ref;
#define HB_FUSION_REF_INIT ((hb_fusion_ref){0, 0})

/* hb_fusion_add for a caller that keeps REF per sensor id: the same result, without hashing the
 * id while the slot still holds it (the simulation's hot path). */
int hb_fusion_add_ref(hb_fusion *f, double t, const char *id, double value, hb_fusion_ref *ref);

/* The estimate at time T from fresh readings (always finite). HB_ERR_NOTFOUND when none is
 * fresh. N_USED (the readings that agree, 0 in a split) and N_REJECTED may be NULL. */
int hb_fusion_estimate(const hb_fusion *f, double t, double *estimate, int *n_used,
                       int *n_rejected);

/* Number of sensor ids currently held. */
size_t hb_fusion_count(const hb_fusion *f);

/* When the first reading fresh at T goes stale (INFINITY: none is fresh). Without a new reading
 * the estimate and the count of agreeing sensors stay what they are at T until just after then:
 * a caller that polls on a timer knows when to look again. */
double hb_fusion_next_stale(const hb_fusion *f, double t);

#endif
