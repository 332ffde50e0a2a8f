/*
 * Helpers that write the field tables of hb_schema (private to the scenario library: scenario
 * files and the daemon's configuration share them).
 */
#ifndef HB_SCHEMA_DEF_H
#define HB_SCHEMA_DEF_H

#include "hb_schema.h"

#include <stddef.h>

/* Field table helpers: closed range [lo, hi]; the _GT variants exclude lo. The member
 * arguments are designators inside offsetof/sizeof and cannot be parenthesised. */
// NOLINTBEGIN(bugprone-macro-parentheses)
#define NUM(k, st, m, lo, hi, u, d)                                                                \
    {                                                                                              \
        .key = k, .type = HB_F_NUM, .offset = offsetof(st, m), .min = lo, .max = hi, .unit = u,    \
        .doc = d                                                                                   \
    }
#define NUM_GT(k, st, m, lo, hi, u, d)                                                             \
    {                                                                                              \
        .key = k, .type = HB_F_NUM, .offset = offsetof(st, m), .min = lo, .max = hi,               \
        .min_open = true, .unit = u, .doc = d                                                      \
    }
#define NUM_S(k, st, m, lo, hi, sc, u, d)                                                          \
    {                                                                                              \
        .key = k, .type = HB_F_NUM, .offset = offsetof(st, m), .min = lo, .max = hi,               \
        .min_open = true, .scale = sc, .unit = u, .doc = d                                         \
    }
#define INT(k, st, m, lo, hi, d)                                                                   \
    { .key = k, .type = HB_F_INT, .offset = offsetof(st, m), .min = lo, .max = hi, .doc = d }
#define SIZE(k, st, m, lo, hi, d)                                                                  \
    { .key = k, .type = HB_F_SIZE, .offset = offsetof(st, m), .min = lo, .max = hi, .doc = d }
#define STR(k, st, m, minlen, d)                                                                   \
    {                                                                                              \
        .key = k, .type = HB_F_STR, .offset = offsetof(st, m), .min = minlen,                      \
        .str_size = sizeof(((st *)0)->m), .doc = d                                                 \
    }
#define ENUM(k, st, m, names_, d)                                                                  \
    { .key = k, .type = HB_F_ENUM, .offset = offsetof(st, m), .names = names_, .doc = d }
#define OBJ(k, st, m, sub_, d)                                                                     \
    { .key = k, .type = HB_F_OBJ, .offset = offsetof(st, m), .sub = &sub_, .doc = d }
#define ARR(k, st, m, cnt, sub_, minn, def, d)                                                     \
    {                                                                                              \
        .key = k, .type = HB_F_ARRAY, .offset = offsetof(st, m), .sub = &sub_, .min = minn,        \
        .elem_size = sizeof(((st *)0)->m[0]), .count_offset = offsetof(st, cnt),                   \
        .max_count = sizeof(((st *)0)->m) / sizeof(((st *)0)->m[0]), .elem_default = def, .doc = d \
    }
/* An object whose keys are described relative to the enclosing struct. */
#define OBJ0(k, sub_, d)                                                                           \
    { .key = k, .type = HB_F_OBJ, .offset = 0, .sub = &sub_, .doc = d }
#define SCHEMA(arr)                                                                                \
    { arr, sizeof arr / sizeof arr[0] }
// NOLINTEND(bugprone-macro-parentheses)

#endif
