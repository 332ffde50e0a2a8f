/*
 * Sensor fusion: one temperature estimate from the latest reading of each sensor in a room.
 *
 * Only fresh readings count (younger than stale_s). With three or more, readings further than
 * outlier_k from their median are rejected and the rest averaged: the median makes one broken
 * sensor of five unable to move the estimate, and averaging the inliers keeps the noise of the
 * healthy ones low. With one or two fresh readings there is no majority to vote a liar out, so
 * they are averaged as they are.
 *
 * Memory is bounded: at most max_sensors ids are kept; a new id takes the slot of the stalest
 * stale one, and is refused (HB_ERR_FULL) when every slot is fresh.
 */
#ifndef HB_FUSION_H
#define HB_FUSION_H

#include <stddef.h>

#define HB_FUSION_ID_MAX 40 /* bytes including the NUL: a UUID (36) or a MAC (17) fits */
#define HB_FUSION_MAX_SENSORS 64

typedef struct hb_fusion_config {
    double stale_s;     /* a reading older than this is ignored (default 900 s) */
    double outlier_k;   /* rejection distance from the median, K (default 1.5) */
    size_t max_sensors; /* 1..HB_FUSION_MAX_SENSORS (default 16) */
} hb_fusion_config;

typedef struct hb_fusion hb_fusion;

hb_fusion *hb_fusion_create(const hb_fusion_config *cfg);
void hb_fusion_destroy(hb_fusion *f);

/* Records VALUE from sensor ID at time T. HB_ERR_RANGE for a non-finite value or an id that is
 * empty or too long, HB_ERR_FULL when no slot can be had. */
int hb_fusion_add(hb_fusion *f, double t, const char *id, double value);

/* The estimate at time T from fresh readings. HB_ERR_NOTFOUND when none is fresh. N_USED and
 * N_REJECTED may be NULL. */
int hb_fusion_estimate(const hb_fusion *f, double t, double *estimate, int *n_used,
                       int *n_rejected);

/* Number of sensor ids currently held. */
size_t hb_fusion_count(const hb_fusion *f);

#endif
