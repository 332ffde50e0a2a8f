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
    /* One draw decides both: lost when u < loss; otherwise (u - loss) / (1 - loss) is again
     * uniform on [0, 1) and sets the jitter. Every message consumes exactly one number, so the
     * delays do not depend on which messages were lost. */
    double u = gsl_rng_uniform(l->rng);
    l->sent++;
    if (u < l->cfg.loss) {
        l->lost++;
        return false;
    }
    double f = l->cfg.loss < 1.0 ? (u - l->cfg.loss) / (1.0 - l->cfg.loss) : 0.0;
    *delay = l->cfg.latency_s + f * l->cfg.jitter_s;
    return true;
}
