#include "hb_batch.h"
#include "../sim/hb_energy.h"
#include "../util/hb_error.h"

#include <glpk.h>
#include <pthread.h>

typedef struct hb__pool {
    hb_batch_job *jobs;
    int n;
    int next;
    pthread_mutex_t lock;
} hb__pool;

static void hb__run_job(hb_batch_job *j) {
    hb_sim *s;
    j->rc = hb_sim_create(&j->cfg, &s);
    if (j->rc == HB_OK) {
        j->rc = hb_sim_run(s);
        j->k = *hb_sim_kpis(s);
        hb_sim_destroy(s);
    }
}

static void *hb__worker(void *arg) {
    hb__pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n) {
            return NULL;
        }
        hb__run_job(&p->jobs[i]);
    }
}

/* A spawned worker: GLPK keeps an environment per thread (the MPC and the energy floor solve
 * their programs in the thread that runs the simulation), which the thread must free before it
 * ends, or each batch of an MPC tuning leaks one per thread. The calling thread keeps its own. */
static void *hb__thread(void *arg) {
    hb__worker(arg);
    glp_free_env();
    return NULL;
}

void hb_batch_run(hb_batch_job *jobs, int n, int threads) {
    if (threads <= 1 || n <= 1) {
        for (int i = 0; i < n; i++) {
            hb__run_job(&jobs[i]);
        }
        return;
    }
    hb__pool p = {.jobs = jobs, .n = n};
    pthread_mutex_init(&p.lock, NULL);
    int nt = threads < n ? threads : n;
    pthread_t tid[64];
    int started = 0;
    for (int i = 0; i < nt && i < 64; i++) {
        if (pthread_create(&tid[i], NULL, hb__thread, &p) == 0) {
            started++;
        }
    }
    hb__worker(&p); /* the calling thread works too, and finishes alone if none started */
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
    }
    pthread_mutex_destroy(&p.lock);
}

void hb_batch_score_many(const hb_batch_set *b, int seeds, uint64_t first, hb_batch_apply_fn apply,
                         const void *candidates, size_t size, int n, const hb_cost_weights *w,
                         bool worst, double *costs, hb_kpis *kpis) {
    int per = (int)b->n_scen * seeds;
    for (int c = 0; c < n; c++) {
        const void *cand = (const char *)candidates + (size_t)c * size;
        for (size_t s = 0; s < b->n_scen; s++) {
            for (int k = 0; k < seeds; k++) {
                hb_batch_job *j = &b->jobs[(size_t)c * (size_t)per + s * (size_t)seeds + (size_t)k];
                j->cfg = b->scen[s];
                j->cfg.plan = &b->plans[s];
                j->cfg.seed = b->scen[s].seed + first + (uint64_t)k;
                apply(&j->cfg, cand);
            }
        }
    }
    hb_batch_run(b->jobs, n * per, b->threads);
    for (int c = 0; c < n; c++) {
        const hb_batch_job *jobs = &b->jobs[(size_t)c * (size_t)per];
        double sum = 0;
        double max = 0;
        for (int i = 0; i < per; i++) {
            double v = jobs[i].rc == HB_OK ? hb_cost(&jobs[i].k, w) : HB_COST_FAILED;
            sum += v;
            max = v > max ? v : max;
        }
        costs[c] = worst ? max : sum / per;
        if (kpis) {
            kpis[c] = jobs[0].k;
        }
    }
}

double hb_batch_score(const hb_batch_set *b, int seeds, uint64_t first, hb_batch_apply_fn apply,
                      const void *candidate, const hb_cost_weights *w, bool worst, hb_kpis *kpis) {
    double cost;
    hb_batch_score_many(b, seeds, first, apply, candidate, 0, 1, w, worst, &cost, kpis);
    return cost;
}
