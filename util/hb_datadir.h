/*
 * Where heatbench's data files are: the gnuplot templates (plots/) and the shipped scenarios
 * (scenarios/), found relative to the running binary, so an installed heatbench works with the
 * source tree gone and a build works from its build directory.
 *
 * For NAME ("plots" or "scenarios") the first directory that exists wins:
 *   1. $HEATBENCH_PLOTS or $HEATBENCH_SCENARIOS (that directory itself);
 *   2. $HEATBENCH_DATADIR/NAME;
 *   3. <binary's directory>/../share/heatbench/NAME (an installed heatbench: bin/ and share/);
 *   4. <binary's directory>/../NAME (a build directory inside the source tree, build/heatbench);
 *   5. <source tree>/NAME, the tree the binary was built from (compiled in: a build directory
 *      anywhere else, `cmake -S . -B /elsewhere/build`, needs no variable either).
 */
#ifndef HB_DATADIR_H
#define HB_DATADIR_H

#include <stddef.h>

/* The directory of NAME into OUT (LEN bytes). HB_OK, or HB_ERR_NOTFOUND with OUT holding the
 * installed location that was expected (for a message). */
int hb_datadir(const char *name, char *out, size_t len);

#endif
