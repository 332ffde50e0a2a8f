#include "hb_bkpi.h"

#include <math.h>
#include <string.h>

/* BOPTEST converts J to kWh with this rounded factor; using it keeps the figures comparable to
 * the digits it prints. */
#define HB_BKPI_J_TO_KWH 2.77778e-7
#define HB_BKPI_BIN_S 900.0

void hb_bkpi_init(hb_bkpi *k, double area_m2, bool has_co2, const bool *has_src) {
    memset(k, 0, sizeof *k);
    k->area_m2 = area_m2 > 0.0 ? area_m2 : 1.0;
    k->has_co2 = has_co2;
    for (int i = 0; i < HB_BKPI_NSRC; i++) {
        k->has_src[i] = has_src ? has_src[i] : false;
    }
}

static void hb__bkpi_close_bin(hb_bkpi *k) {
    if (k->bin_n == 0) {
        return;
    }
    for (int i = 0; i < HB_BKPI_NSRC; i++) {
        double mean = k->bin_sum[i] / (double)k->bin_n;
        if (mean > k->peak_w[i]) {
            k->peak_w[i] = mean;
        }
        k->bin_sum[i] = 0.0;
    }
    k->bin_n = 0;
}

/* Distance of X outside [LO, HI]: below and above are both discomfort. */
static double hb__bkpi_out_of(double x, double lo, double hi) {
    return (x < lo ? lo - x : 0.0) + (x > hi ? x - hi : 0.0);
}

void hb_bkpi_add(hb_bkpi *k, const hb_bkpi_sample *s) {
    long bin = (long)floor(s->t / HB_BKPI_BIN_S);
    if (k->started && bin != k->bin) {
        hb__bkpi_close_bin(k);
    }
    k->bin = bin;
    for (int i = 0; i < HB_BKPI_NSRC; i++) {
        k->bin_sum[i] += s->power[i];
    }
    k->bin_n++;
    if (k->started) {
        const hb_bkpi_sample *a = &k->last;
        double dt = s->t - a->t;
        double h = dt / 3600.0;
        /* BOPTEST integrates the two deviations separately; their sum is the same. */
        k->tdis_kh += 0.5 * h *
                      (hb__bkpi_out_of(a->t_air, a->t_lo, a->t_hi) +
                       hb__bkpi_out_of(s->t_air, s->t_lo, s->t_hi));
        if (k->has_co2) {
            double da = a->co2 > a->co2_hi ? a->co2 - a->co2_hi : 0.0;
            double db = s->co2 > s->co2_hi ? s->co2 - s->co2_hi : 0.0;
            k->idis_ppmh += 0.5 * h * (da + db);
        }
        for (int i = 0; i < HB_BKPI_NSRC; i++) {
            if (!k->has_src[i]) {
                continue;
            }
            k->ener_wh += 0.5 * dt * (a->power[i] + s->power[i]);
            k->cost += 0.5 * dt * (a->power[i] * a->price[i] + s->power[i] * s->price[i]);
            k->emis += 0.5 * dt * (a->power[i] * a->emission[i] + s->power[i] * s->emission[i]);
        }
    }
    k->last = *s;
    k->started = true;
}

void hb_bkpi_add_ratio(hb_bkpi *k, double ratio) {
    k->ratio_sum += ratio;
    k->ratio_n++;
}

void hb_bkpi_result(const hb_bkpi *k, hb_bkpi_out *out) {
    double a = k->area_m2;
    out->tdis_tot = k->tdis_kh;
    out->idis_tot = k->has_co2 ? k->idis_ppmh : NAN;
    /* ener_wh holds J until here (power × s). */
    out->ener_tot = k->ener_wh * HB_BKPI_J_TO_KWH / a;
    out->cost_tot = k->cost * HB_BKPI_J_TO_KWH / a;
    out->emis_tot = k->emis * HB_BKPI_J_TO_KWH / a;
    double peak[HB_BKPI_NSRC];
    for (int i = 0; i < HB_BKPI_NSRC; i++) {
        double p = k->peak_w[i];
        if (k->bin_n > 0) {
            double open = k->bin_sum[i] / (double)k->bin_n; /* the bin still filling counts too */
            p = open > p ? open : p;
        }
        peak[i] = k->has_src[i] && k->started ? p / a / 1000.0 : NAN;
    }
    out->pele_tot = peak[HB_BKPI_ELE];
    out->pgas_tot = peak[HB_BKPI_GAS];
    out->pdih_tot = peak[HB_BKPI_DIH];
    out->time_rat = k->ratio_n > 0 ? k->ratio_sum / (double)k->ratio_n : NAN;
}
