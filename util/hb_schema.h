/*
 * A small table-driven JSON-to-struct binder.
 *
 * A schema lists the keys an object may have, each with its type, where it lands in the C
 * struct, its unit, its range and a one-line description. One table thus drives parsing, the
 * error messages (a wrong key gets a "did you mean", a wrong value names the key path, the
 * expected type and the range with its unit) and the key reference that tests check the docs
 * against, so they cannot drift apart.
 */
#ifndef HB_SCHEMA_H
#define HB_SCHEMA_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum hb_ftype {
    HB_F_NUM,  /* double; stored = json * scale */
    HB_F_INT,  /* int */
    HB_F_SIZE, /* size_t */
    HB_F_U64,  /* uint64_t, 0 .. 2^53 */
    HB_F_STR,  /* char[str_size] */
    HB_F_ENUM, /* int, one of names[] (values are the indices) */
    HB_F_BOOL, /* bool, JSON true or false */
    HB_F_OBJ,  /* nested object described by sub */
    HB_F_ARRAY /* array of objects described by sub, count at count_offset */
};

typedef struct hb_schema hb_schema;

typedef struct hb_field {
    const char *key;
    enum hb_ftype type;
    bool min_open, max_open; /* ranges are inclusive unless these are set */
    size_t offset;
    double min, max;
    double scale; /* 0 means 1 */
    const char *unit;
    const char *doc;
    const char *const *names;                       /* HB_F_ENUM, NULL-terminated */
    const hb_schema *sub;                           /* HB_F_OBJ, HB_F_ARRAY */
    size_t str_size;                                /* HB_F_STR */
    size_t elem_size;                               /* HB_F_ARRAY */
    size_t count_offset;                            /* HB_F_ARRAY: size_t count */
    size_t max_count;                               /* HB_F_ARRAY */
    void (*elem_default)(void *elem, size_t index); /* HB_F_ARRAY */
} hb_field;

struct hb_schema {
    const hb_field *fields;
    size_t n;
};

/* Applies the JSON object OBJ onto the struct at BASE. PATH is the key path of OBJ for messages
 * ("" at the top). On error returns HB_ERR_PARSE or HB_ERR_RANGE with a message in ERR. */
int hb_schema_apply(const hb_schema *s, const cJSON *obj, void *base, const char *path, char *err,
                    size_t errlen);

/* Calls FN for every key path in S ("room.ua_w_per_k", "sensors[].faults[].kind", ...) with a
 * pointer to the field's value in the struct at BASE (array fields get a default element, made
 * by elem_default, so their keys show their defaults too). */
typedef void (*hb_schema_visit_fn)(const char *path, const hb_field *f, const void *value,
                                   void *ud);
int hb_schema_walk(const hb_schema *s, const void *base, const char *prefix, hb_schema_visit_fn fn,
                   void *ud);

/* Formats the value of F at VALUE for documentation ("30", "\"pid\"", "steady state" for a
 * NaN default). */
void hb_schema_format(const hb_field *f, const void *value, char *buf, size_t len);

/* Describes the accepted range of a numeric field, e.g. "a number in (0, 1e+06] W/K". */
void hb_schema_expected(const hb_field *f, char *buf, size_t len);

#endif
