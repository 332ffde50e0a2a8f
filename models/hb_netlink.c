#include "hb_netlink.h"
#include "../util/hb_rng.h"
#include "../util/hb_error.h"

int hb_netlink_init(hb_netlink *l, const hb_netlink_config *cfg, unsigned long long seed,
                    const char *stream_name) {
    *l = (hb_netlink){.cfg = *cfg};
    l->rng = hb_rng_stream(seed, stream_name);
    return l->rng ? HB_OK : HB_ERR_NOMEM;
}

void hb_netlink_free(hb_netlink *l) {
    if (l->rng) {
        gsl_rng_free(l->rng);
        l->rng = NULL;
    }
}

bool hb_netlink_send(hb_netlink *l, double *delay) {
    double u_loss = gsl_rng_uniform(l->rng);
    double u_delay = gsl_rng_uniform(l->rng);
    l->sent++;
    if (u_loss < l->cfg.loss) {
        l->lost++;
        return false;
    }
    *delay = l->cfg.latency_s + u_delay * l->cfg.jitter_s;
    return true;
}
