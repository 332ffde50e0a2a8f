/*
 * A one-way network link (sensor -> backend or backend -> valve): each message is lost with a
 * probability, or delivered after a fixed latency plus a uniformly distributed jitter, so messages
 * can overtake each other as they do over a real radio hop and broker.
 */
#ifndef HB_NETLINK_H
#define HB_NETLINK_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>

typedef struct hb_netlink_config {
    double latency_s; /* fixed part of the delay, s */
    double jitter_s;  /* extra delay uniform in [0, jitter], s */
    double loss;      /* probability in [0, 1] */
} hb_netlink_config;

typedef struct hb_netlink {
    hb_netlink_config cfg;
    gsl_rng *rng;
    unsigned long sent, lost;
} hb_netlink;

int hb_netlink_init(hb_netlink *l, const hb_netlink_config *cfg, unsigned long long seed,
                    const char *stream_name);
void hb_netlink_free(hb_netlink *l);

/* Decides the fate of one message: returns false when it is lost, else sets *DELAY. Draws one
 * number per message, lost or not. */
bool hb_netlink_send(hb_netlink *l, double *delay);

#endif
