/*
 * Merging the results files of a sweep's shards: one file, every id once, sorted by id, checked
 * against the plan.
 *
 * Streamed with an external sort: lines are gathered in a bounded buffer, each full buffer is
 * sorted and spilled to an unlinked temporary file beside the output, and the sorted runs are
 * merged. Memory is the buffer (HB_SWEEP_MERGE_CHUNK) whatever the number of lines; the plan's
 * ids go through the same sorter, so a completeness check of a million runs is streamed too.
 */
#ifndef HB_SWEEP_MERGE_H
#define HB_SWEEP_MERGE_H

#include "hb_sweep.h"

#include <stddef.h>
#include <stdio.h>

#define HB_SWEEP_MERGE_CHUNK ((size_t)64 << 20)

typedef struct hb_sweep_merge_stats {
    size_t lines;      /* result lines read */
    size_t written;    /* distinct ids written */
    size_t duplicates; /* lines dropped as a second copy of an id */
    size_t bad;        /* lines that are not results (no id, or cut short) */
    size_t failed;     /* error lines written */
    size_t missing;    /* ids of the plan with no line (PLAN given) */
    size_t extra;      /* ids not in the plan (PLAN given) */
} hb_sweep_merge_stats;

/* Merges the N files PARTS into OUT (written atomically: a temporary file renamed at the end).
 * Of two lines with one id, a result wins over an error line, else the first read. With PLAN,
 * every id of the plan missing from the parts is printed to MISSING, one per line. HB_OK or
 * HB_ERR_IO / HB_ERR_NOMEM with a message in ERR. CHUNK: the buffer in bytes (0: the default). */
int hb_sweep_merge(const char *const *parts, size_t n, const char *out, const hb_sweep *plan,
                   size_t chunk, FILE *missing, hb_sweep_merge_stats *st, char *err, size_t errlen);

#endif
