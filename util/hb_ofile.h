/*
 * Output files that are never left half-written.
 *
 * A regular file (or a path that does not exist yet) is written to a temporary file in the same
 * directory and renamed over the target only when hb_ofile_commit() succeeds, so a crash, a full
 * disk or an error mid-way leaves the previous good file in place. "-" means stdout. A path that
 * exists but is not a regular file (/dev/null, a FIFO, a terminal) is written directly: renaming
 * over it would replace the device node or the pipe with a plain file.
 */
#ifndef HB_OFILE_H
#define HB_OFILE_H

#include <stdio.h>

typedef struct hb_ofile hb_ofile;

/* Opens PATH for writing as described above. On failure returns NULL and sets *err (HB_ERR_*)
 * with errno left as the failing call set it. */
hb_ofile *hb_ofile_open(const char *path, int *err);

/* The stream to write to. Valid until commit or abort. */
FILE *hb_ofile_stream(hb_ofile *f);

/* Flushes, syncs and renames into place; frees F whatever happens. Returns HB_OK or HB_ERR_IO. */
int hb_ofile_commit(hb_ofile *f);

/* Discards everything written (removes the temporary file) and frees F. NULL is a no-op. */
void hb_ofile_abort(hb_ofile *f);

#endif
