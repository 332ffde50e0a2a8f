/*
 * Running a sweep in this process: the runs of one shard on N threads, each result one JSON line
 * appended to the results file, and a resume that skips the runs the file already holds.
 *
 * Atomicity: the file is opened with O_APPEND and every line goes out in one write(), so lines
 * of concurrent threads (or of two processes on one file) never interleave. After a kill -9 the
 * file holds whole lines only, except perhaps a last line cut by a crash of the machine (or a
 * full disk): a resume finds such a tail (no final newline), cuts it off and runs that run again.
 *
 * fsync policy: none per line (a killed process loses nothing the kernel has: lines are in the
 * page cache once write() returns); fdatasync at most every 2 s of wall time and at the end, so
 * a power cut loses at most the last 2 s of results, which the resume runs again.
 */
#ifndef HB_SWEEP_EXEC_H
#define HB_SWEEP_EXEC_H

#include "../metrics/hb_kpi.h"
#include "hb_sweep.h"

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

typedef struct hb_sweep_exec_opts {
    const char *out_path; /* results file (appended, resumed); "-": stdout, no resume */
    int jobs;             /* threads, >= 1 */
    size_t shard, shards; /* run shard SHARD (1-based) of SHARDS (1 of 1: all) */
    const char *only_id;  /* run only this id (NULL: every run of the shard) */
    bool progress;        /* a progress line with ETA on stderr */
    const char *version;  /* written into every line */
    struct cJSON *(*kpi_json)(const hb_kpis *k); /* the KPIs as a JSON object */
} hb_sweep_exec_opts;

typedef struct hb_sweep_stats {
    size_t planned; /* runs of this shard */
    size_t skipped; /* already in the file */
    size_t ran;
    size_t failed; /* error lines of this shard, old and new */
    size_t floors; /* energy floors solved */
} hb_sweep_stats;

/* Runs the sweep. HB_OK when every run was attempted (runs may have failed: see stats);
 * HB_ERR_IO when the results file cannot be read, cut or written (message in ERR);
 * HB_ERR_NOTFOUND when ONLY_ID is not a run of the sweep. */
int hb_sweep_exec(const hb_sweep *s, const hb_sweep_exec_opts *o, hb_sweep_stats *st, char *err,
                  size_t errlen);

/* True when RUN index I belongs to shard SHARD of SHARDS (deterministic round robin, which
 * spreads slow controllers and long scenarios evenly over the shards). */
bool hb_sweep_in_shard(size_t i, size_t shard, size_t shards);

/* The id at the start of a results line ({"id":"<16 hex>", ...) into ID (17 bytes); false when
 * the line does not start like one. */
bool hb_sweep_line_id(const char *line, size_t len, char *id);

#endif
