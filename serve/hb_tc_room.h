/* A heatbench scenario as a test case of `heatbench serve` (hb_tc_room.c). */
#ifndef HB_TC_ROOM_H
#define HB_TC_ROOM_H

#include "../sim/hb_sim.h"
#include "hb_tcase.h"

/* The floor area and the heat's price for the BOPTEST KPIs of heatbench rooms (docs/serve.md). */
#define HB_TC_ROOM_AREA_M2 20.0
#define HB_TC_ROOM_PRICE 0.07

struct cJSON;
/* Turns heatbench's own KPIs into JSON (cli's hb_kpi_json), to stand next to BOPTEST's. */
typedef struct cJSON *(*hb_tc_room_kpi_fn)(const hb_kpis *k);

/* A test case of scenario CFG (borrowed; it must outlive every test made from it). */
int hb_tc_room_create(const hb_sim_config *cfg, hb_tc_room_kpi_fn kpi_json, hb_tcase **out);

#endif
