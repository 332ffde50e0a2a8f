/*
 * A report's output directory: heatbench writes only what it owns.
 *
 * A report directory holds a manifest, `.heatbench-report`, naming every file the report wrote.
 * Writing a report into DIR:
 *   - DIR absent (with or without a trailing slash, parents too): created, the whole report
 *     renamed into place at once;
 *   - DIR empty, or holding a previous report (its manifest): the new files replace the old
 *     ones one by one (each by an atomic rename), files of the old report that the new one does
 *     not have are removed, and every other file in DIR is left alone;
 *   - DIR holding anything else: refused (HB_ERR_EXISTS), unless FORCE; even then a file that
 *     has the name of a report file but is not in the manifest is never overwritten.
 * So `tune --report tuning` typed in the source tree refuses instead of replacing the folder.
 */
#ifndef HB_OUTDIR_H
#define HB_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#define HB_OUTDIR_MANIFEST ".heatbench-report"

/* Whether a report may be written into DIR (see above), before any work is done. HB_OK, or
 * HB_ERR_EXISTS / HB_ERR_INVAL (not a directory, the root) with a message in ERR. */
int hb_outdir_check(const char *dir, bool force, char *err, size_t errlen);

/* Creates the staging directory for DIR: a fresh "DIR.tmp.XXXXXX" next to it (parents created
 * as needed), into TMP (LEN bytes). HB_OK or HB_ERR_IO with a message. */
int hb_outdir_stage(const char *dir, char *tmp, size_t len, char *err, size_t errlen);

/* Signals (SIGINT, SIGTERM, SIGHUP) are deferred from a successful hb_outdir_stage until the
 * report is committed or discarded (util/hb_sigclean.h), so an interrupted report leaves neither
 * TMP nor a half-written DIR: the writer polls hb_outdir_interrupted() between steps, and the
 * discard re-raises the signal. */

/* Moves the complete report staged in TMP (regular files only) into DIR, writes the manifest and
 * removes TMP. HB_OK, HB_ERR_EXISTS / HB_ERR_INVAL (refused: nothing in DIR changed), or
 * HB_ERR_IO; HB_ERR_IO "interrupted" too when a signal came while staging. On an error TMP stays:
 * the caller discards it. */
int hb_outdir_commit(const char *tmp, const char *dir, bool force, char *err, size_t errlen);

/* Removes the staged TMP (when TMP is not "") and sets it to ""; then a signal deferred since the
 * stage is re-raised (the call does not return). */
void hb_outdir_discard(char *tmp);

/* Whether a signal came since the report was staged: the writer stops and discards. */
bool hb_outdir_interrupted(void);

#endif
