/*
 * GSL's error handler, set once for the whole process.
 *
 * GSL reports errors through one process-wide handler that aborts by default. heatbench checks
 * every GSL return code itself, so the handler must be off; but switching it around each call
 * (save, turn off, restore) races between the tuner's threads, where one thread can restore the
 * aborting handler while another is inside a solver. So it is turned off once, thread-safely,
 * and never turned back on: every module that calls a GSL routine able to fail calls
 * hb_gsl_init() first (it costs one atomic check after the first time).
 */
#ifndef HB_GSL_H
#define HB_GSL_H

void hb_gsl_init(void);

#endif
