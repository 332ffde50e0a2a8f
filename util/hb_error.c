#include "hb_error.h"

const char *hb_strerror(int err) {
    switch (err) {
    case HB_OK:
        return "success";
    case HB_ERR_NOMEM:
        return "out of memory";
    case HB_ERR_INVAL:
        return "invalid argument";
    case HB_ERR_IO:
        return "input/output error";
    case HB_ERR_PARSE:
        return "parse error";
    case HB_ERR_RANGE:
        return "value out of range";
    case HB_ERR_NOTFOUND:
        return "not found";
    case HB_ERR_FULL:
        return "capacity exhausted";
    case HB_ERR_NUMERIC:
        return "numerical failure";
    case HB_ERR_EXISTS:
        return "destination holds files heatbench did not write";
    default:
        return "unknown error";
    }
}
