/*
 * The honest energy references of a run, computed before it from the scenario alone (perfect
 * knowledge of the weather, the gains and the schedule; the same start state):
 *
 * - the floor: the least heat taken from the heating water that keeps the air temperature inside
 *   the comfort band in force at every point of a grid after the warm-up. A linear program
 *   (GLPK) over the room's two-node model, its inputs integrated exactly over the plant's steps
 *   (a pulse counts for as long as it lasts), with the radiator as a heat store whose emission
 *   is bounded by its hottest water and by the chord of its power law: a relaxation of the
 *   plant, so no controller can keep the band with less. Where the band cannot be held at all
 *   (a radiator too small, sun that overheats the room) the program accepts the least
 *   violation first, and says how much (violation_kh).
 * - the ideal: the heat into the room (emitted, not taken from the water) of holding the air
 *   exactly on the setpoint path from the start state (no cooling: where gains alone overheat
 *   the room it floats). A controller may come in below it by ending the run with its radiator
 *   and walls emptier than they started.
 *
 * docs/model.md states the program.
 */
#ifndef HB_ENERGY_H
#define HB_ENERGY_H

#include "hb_sim.h"

#include <stddef.h>

/* Runs longer than this get no floor (NaN): the program's inputs are integrated over every
 * plant step (a year takes about half a second). Up to it, a longer run gets a coarser grid. */
#define HB_ENERGY_MAX_DAYS 366.0

typedef struct hb_energy_plan {
    double floor_kwh;
    double ideal_kwh;
    double violation_kh; /* ∫ distance outside the band the floor could not avoid, K·h */
    double step_s;       /* grid of the program */
    size_t n;            /* grid intervals */
    double *cum_floor_j; /* n + 1 values: water heat of the floor solution up to each point */
    double t0;
} hb_energy_plan;

/* Solves the floor and the ideal for CFG. HB_OK; HB_ERR_RANGE when the run is longer than
 * HB_ENERGY_MAX_DAYS (the plan then holds NaN and no series); HB_ERR_NUMERIC when the program
 * cannot be solved; HB_ERR_NOMEM. The plan must be freed either way. */
int hb_energy_plan_solve(const hb_sim_config *cfg, hb_energy_plan *plan);
void hb_energy_plan_free(hb_energy_plan *plan);

/* The floor's water heat up to time T (J), linear between grid points; NaN without a series. */
double hb_energy_floor_at(const hb_energy_plan *plan, double t);

#endif
