/*
 * Deterministic event queue: a binary min-heap keyed by (time, sequence).
 *
 * The sequence number is a counter taken at scheduling time, so two events at the same instant
 * fire in the order they were scheduled. That tie rule is what makes a simulation reproducible:
 * the heap's internal layout never decides which handler runs first (cf. libuv's timer heap, which
 * breaks ties with a start_id the same way).
 *
 * Event storage is a slab of slots reused through a free list, so a steady-state simulation does
 * not allocate. Handles carry a generation count: cancelling an event that already fired, or
 * whose slot was reused, is detected and reported instead of cancelling a stranger.
 */
#ifndef HB_EVQ_H
#define HB_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hb_evq hb_evq;

/* An event handler. T is the event time; ARG is the integer given at scheduling. */
typedef void (*hb_event_fn)(void *ctx, double t, intptr_t arg);

/* Opaque handle: 0 is never a valid handle. */
typedef uint64_t hb_event_id;

typedef struct hb_event_rec {
    double t;
    uint64_t seq;
    hb_event_fn fn;
    void *ctx;
    intptr_t arg;
} hb_event_rec;

hb_evq *hb_evq_create(size_t capacity_hint);
void hb_evq_destroy(hb_evq *q);

/* Schedules FN at time T (finite). ID may be NULL. Returns HB_OK, HB_ERR_INVAL or HB_ERR_NOMEM. */
int hb_evq_push(hb_evq *q, double t, hb_event_fn fn, void *ctx, intptr_t arg, hb_event_id *id);

/* Removes a pending event. HB_ERR_NOTFOUND if it already fired or was cancelled. */
int hb_evq_cancel(hb_evq *q, hb_event_id id);

/* Removes the earliest event into *OUT. Returns false when the queue is empty. */
bool hb_evq_pop(hb_evq *q, hb_event_rec *out);

/* Time of the earliest event, or +INFINITY when empty. */
double hb_evq_peek_time(const hb_evq *q);

size_t hb_evq_size(const hb_evq *q);

#endif
