/*
 * heatbench error codes. Every fallible public function in heatbench returns one of these (0 on
 * success), and hb_strerror() turns it into text, in the style of mosquitto_strerror().
 */
#ifndef HB_ERROR_H
#define HB_ERROR_H

enum hb_err {
    HB_OK = 0,
    HB_ERR_NOMEM,    /* an allocation failed */
    HB_ERR_INVAL,    /* an argument is outside what the function accepts */
    HB_ERR_IO,       /* a file could not be read or written (errno says more) */
    HB_ERR_PARSE,    /* input text is not what the format requires */
    HB_ERR_RANGE,    /* a value is outside its physical or configured range */
    HB_ERR_NOTFOUND, /* a named thing (file, key, handle) does not exist */
    HB_ERR_FULL,     /* a fixed capacity is exhausted */
    HB_ERR_NUMERIC,  /* a numerical method failed to converge or produced a non-finite value */
    HB_ERR_EXISTS,   /* the destination holds something heatbench did not write */
    HB_ERR__COUNT
};

/* Static, never NULL: unknown codes map to "unknown error". */
const char *hb_strerror(int err);

#endif
