#include "hb_gsl.h"

#include <gsl/gsl_errno.h>
#include <pthread.h>

static pthread_once_t hb__gsl_once = PTHREAD_ONCE_INIT;

static void hb__gsl_off(void) {
    gsl_set_error_handler_off();
}

void hb_gsl_init(void) {
    pthread_once(&hb__gsl_once, hb__gsl_off);
}
