/*
 * A trace of a real room, built from what crosses its MQTT topics: the latest reading of each
 * sensor, the last valve command and the outdoor temperature, sampled into one row per interval
 * with the simulator's column names (time_s, t_out, sensor_1.., level_cmd), so `identify`,
 * `report` and a spreadsheet read it like a `run` trace. No clock and no I/O but the file: the
 * caller says what time it is.
 *
 * The file is always whole: it is rewritten through a temporary file and a rename
 * (util/hb_ofile.h), as often as the caller likes, so an interrupted recording leaves the
 * previous complete file, never half a row.
 */
#ifndef HB_RECORDER_H
#define HB_RECORDER_H

#include <stdbool.h>
#include <stddef.h>

#define HB_RECORDER_MAX_SENSORS 16

typedef struct hb_recorder hb_recorder;

/* A recorder of one row every INTERVAL_S from T0_S (NaN: from the first event). IDS (N of them, may
 * be 0) are the first sensor columns, in that order; other ids follow in natural order ("sensor-2"
 * before "sensor-10"), so sensor-1..sensor-5 are sensor_1..sensor_5 as in a `run` trace. WITH_T_OUT
 * adds the t_out column. HB_OK, HB_ERR_INVAL or HB_ERR_NOMEM. */
int hb_recorder_create(double interval_s, double t0_s, const char *const *ids, size_t n,
                       bool with_t_out, hb_recorder **out);
void hb_recorder_destroy(hb_recorder *r);

/* A reading of sensor ID at time T (seconds). HB_OK, or HB_ERR_FULL when ID would be a column
 * beyond HB_RECORDER_MAX_SENSORS (the reading is dropped). Rows before T are emitted first; a
 * row at T will hold it. */
int hb_recorder_reading(hb_recorder *r, double t, const char *id, double value);

/* A valve command (0..100 %) / an outdoor temperature at time T. */
int hb_recorder_command(hb_recorder *r, double t, double level);
int hb_recorder_outdoor(hb_recorder *r, double t, double t_out_c);

/* Emits the rows of every interval boundary up to T. HB_OK or HB_ERR_NOMEM. */
int hb_recorder_advance(hb_recorder *r, double t);

size_t hb_recorder_rows(const hb_recorder *r);
size_t hb_recorder_sensors(const hb_recorder *r);
/* The id of the I-th sensor to report (0-based), or NULL. */
const char *hb_recorder_sensor_id(const hb_recorder *r, size_t i);
/* COL[k] = which of those ids the file's sensor_<k+1> column holds (hb_recorder_sensors()). */
void hb_recorder_order(const hb_recorder *r, size_t *col);

/* Writes every row so far to PATH ("-": stdout) atomically. HB_OK or HB_ERR_IO (errno set). */
int hb_recorder_write(const hb_recorder *r, const char *path);

#endif
