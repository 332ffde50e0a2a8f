#include "hb_schema.h"
#include "hb_error.h"
#include "hb_strutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(enum hb_ftype) == sizeof(int), "enums are stored as int");

static void hb__join(char *out, size_t len, const char *path, const char *key) {
    if (path && *path) {
        snprintf(out, len, "%s.%s", path, key);
    } else {
        snprintf(out, len, "%s", key);
    }
}

void hb_schema_expected(const hb_field *f, char *buf, size_t len) {
    const char *what = "a number";
    if (f->type == HB_F_INT || f->type == HB_F_SIZE || f->type == HB_F_U64) {
        what = "an integer";
    }
    snprintf(buf, len, "%s in %c%.16g, %.16g%c%s%s", what, f->min_open ? '(' : '[', f->min, f->max,
             f->max_open ? ')' : ']', f->unit && *f->unit ? " " : "", f->unit ? f->unit : "");
}

static const char *hb__json_type(const cJSON *v) {
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsBool(v)) {
        return "a boolean";
    }
    if (cJSON_IsNull(v)) {
        return "null";
    }
    if (cJSON_IsArray(v)) {
        return "an array";
    }
    return "an object";
}

static int hb__schema_number(const hb_field *f, const cJSON *v, const char *kp, double *out,
                             char *err, size_t errlen) {
    char exp[128];
    hb_schema_expected(f, exp, sizeof exp);
    if (!cJSON_IsNumber(v)) {
        snprintf(err, errlen, "%s: expected %s, got %s", kp, exp, hb__json_type(v));
        return HB_ERR_PARSE;
    }
    double d = v->valuedouble;
    bool integral = f->type != HB_F_NUM;
    bool bad = !isfinite(d) || (integral && d != floor(d)) ||
               (f->min_open ? !(d > f->min) : !(d >= f->min)) ||
               (f->max_open ? !(d < f->max) : !(d <= f->max));
    if (bad) {
        snprintf(err, errlen, "%s: expected %s, got %.10g", kp, exp, d);
        return HB_ERR_RANGE;
    }
    *out = d;
    return HB_OK;
}

static int hb__field(const hb_field *f, const cJSON *v, void *base, const char *kp, char *err,
                     size_t errlen) {
    char *dst = (char *)base + f->offset;
    double d;
    int rc;
    switch (f->type) {
    case HB_F_NUM:
        if ((rc = hb__schema_number(f, v, kp, &d, err, errlen)) != HB_OK) {
            return rc;
        }
        d *= f->scale != 0 ? f->scale : 1.0;
        memcpy(dst, &d, sizeof d);
        return HB_OK;
    case HB_F_INT: {
        if ((rc = hb__schema_number(f, v, kp, &d, err, errlen)) != HB_OK) {
            return rc;
        }
        int i = (int)d;
        memcpy(dst, &i, sizeof i);
        return HB_OK;
    }
    case HB_F_SIZE: {
        if ((rc = hb__schema_number(f, v, kp, &d, err, errlen)) != HB_OK) {
            return rc;
        }
        size_t z = (size_t)d;
        memcpy(dst, &z, sizeof z);
        return HB_OK;
    }
    case HB_F_U64: {
        if ((rc = hb__schema_number(f, v, kp, &d, err, errlen)) != HB_OK) {
            return rc;
        }
        uint64_t u = (uint64_t)d;
        memcpy(dst, &u, sizeof u);
        return HB_OK;
    }
    case HB_F_STR: {
        if (!cJSON_IsString(v)) {
            snprintf(err, errlen, "%s: expected a string, got %s", kp, hb__json_type(v));
            return HB_ERR_PARSE;
        }
        size_t n = strlen(v->valuestring);
        if (n >= f->str_size || (f->min > 0 && n < (size_t)f->min)) {
            snprintf(err, errlen, "%s: expected a string of %zu to %zu characters, got %zu", kp,
                     (size_t)f->min, f->str_size - 1, n);
            return HB_ERR_RANGE;
        }
        memcpy(dst, v->valuestring, n + 1);
        return HB_OK;
    }
    case HB_F_ENUM: {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; f->names[i]; i++) {
            int w =
                snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", f->names[i]);
            if (w > 0 && (size_t)w < sizeof list - used) {
                used += (size_t)w;
            }
        }
        if (!cJSON_IsString(v)) {
            snprintf(err, errlen, "%s: expected one of %s, got %s", kp, list, hb__json_type(v));
            return HB_ERR_PARSE;
        }
        size_t count = 0;
        for (; f->names[count]; count++) {
            if (strcmp(f->names[count], v->valuestring) == 0) {
                int i = (int)count;
                memcpy(dst, &i, sizeof i);
                return HB_OK;
            }
        }
        const char *hint = hb_str_suggest(v->valuestring, f->names, count);
        if (hint) {
            snprintf(err, errlen,
                     "%s: unknown value \"%s\" (did you mean \"%s\"?); expected one "
                     "of %s",
                     kp, v->valuestring, hint, list);
        } else {
            snprintf(err, errlen, "%s: unknown value \"%s\"; expected one of %s", kp,
                     v->valuestring, list);
        }
        return HB_ERR_RANGE;
    }
    case HB_F_BOOL: {
        if (!cJSON_IsBool(v)) {
            snprintf(err, errlen, "%s: expected true or false, got %s", kp, hb__json_type(v));
            return HB_ERR_PARSE;
        }
        bool b = cJSON_IsTrue(v);
        memcpy(dst, &b, sizeof b);
        return HB_OK;
    }
    case HB_F_OBJ:
        if (!cJSON_IsObject(v)) {
            snprintf(err, errlen, "%s: expected an object, got %s", kp, hb__json_type(v));
            return HB_ERR_PARSE;
        }
        return hb_schema_apply(f->sub, v, dst, kp, err, errlen);
    case HB_F_ARRAY: {
        if (!cJSON_IsArray(v)) {
            snprintf(err, errlen, "%s: expected an array of objects, got %s", kp, hb__json_type(v));
            return HB_ERR_PARSE;
        }
        size_t n = (size_t)cJSON_GetArraySize(v);
        if (n > f->max_count || n < (size_t)f->min) {
            snprintf(err, errlen, "%s: expected %zu to %zu entries, got %zu", kp, (size_t)f->min,
                     f->max_count, n);
            return HB_ERR_RANGE;
        }
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            char ep[330]; /* room for the path and "[index]" */
            snprintf(ep, sizeof ep, "%s[%zu]", kp, i);
            if (!cJSON_IsObject(e)) {
                snprintf(err, errlen, "%s: expected an object, got %s", ep, hb__json_type(e));
                return HB_ERR_PARSE;
            }
            void *elem = dst + i * f->elem_size;
            if (f->elem_default) {
                f->elem_default(elem, i);
            } else {
                memset(elem, 0, f->elem_size);
            }
            if ((rc = hb_schema_apply(f->sub, e, elem, ep, err, errlen)) != HB_OK) {
                return rc;
            }
            i++;
        }
        memcpy((char *)base + f->count_offset, &n, sizeof n);
        return HB_OK;
    }
    }
    return HB_ERR_INVAL;
}

int hb_schema_apply(const hb_schema *s, const cJSON *obj, void *base, const char *path, char *err,
                    size_t errlen) {
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        if (!v->string) { /* only object members come here; this keeps the analyzer sure */
            continue;
        }
        char kp[300];
        hb__join(kp, sizeof kp, path, v->string);
        const hb_field *f = NULL;
        for (size_t i = 0; i < s->n; i++) {
            if (strcmp(s->fields[i].key, v->string) == 0) {
                f = &s->fields[i];
                break;
            }
        }
        if (!f) {
            const char *keys[64];
            size_t nk = s->n < 64 ? s->n : 64;
            for (size_t i = 0; i < nk; i++) {
                keys[i] = s->fields[i].key;
            }
            const char *hint = hb_str_suggest(v->string, keys, nk);
            if (hint) {
                char hp[256];
                hb__join(hp, sizeof hp, path, hint);
                snprintf(err, errlen, "%s: unknown key (did you mean \"%s\"?)", kp, hp);
            } else {
                snprintf(err, errlen, "%s: unknown key; %s accepts: ", kp,
                         *path ? path : "the top level");
                size_t used = strlen(err);
                for (size_t i = 0; i < s->n && used + 2 < errlen; i++) {
                    int w = snprintf(err + used, errlen - used, "%s%s", i ? ", " : "",
                                     s->fields[i].key);
                    if (w < 0 || (size_t)w >= errlen - used) {
                        break;
                    }
                    used += (size_t)w;
                }
            }
            return HB_ERR_PARSE;
        }
        /* JSON allows a key twice and cJSON keeps both; the later would silently win. */
        for (const cJSON *w = obj->child; w && w != v; w = w->next) {
            if (w->string && strcmp(w->string, v->string) == 0) {
                snprintf(err, errlen, "%s: key given twice", kp);
                return HB_ERR_PARSE;
            }
        }
        int rc = hb__field(f, v, base, kp, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    return HB_OK;
}

int hb_schema_walk(const hb_schema *s, const void *base, const char *prefix, hb_schema_visit_fn fn,
                   void *ud) {
    for (size_t i = 0; i < s->n; i++) {
        const hb_field *f = &s->fields[i];
        const char *value = (const char *)base + f->offset;
        char kp[256];
        hb__join(kp, sizeof kp, prefix, f->key);
        fn(kp, f, value, ud);
        if (f->type == HB_F_OBJ) {
            int rc = hb_schema_walk(f->sub, value, kp, fn, ud);
            if (rc != HB_OK) {
                return rc;
            }
        } else if (f->type == HB_F_ARRAY) {
            char ap[260];
            snprintf(ap, sizeof ap, "%s[]", kp);
            void *elem = calloc(1, f->elem_size);
            if (!elem) {
                return HB_ERR_NOMEM;
            }
            if (f->elem_default) {
                f->elem_default(elem, 0);
            }
            int rc = hb_schema_walk(f->sub, elem, ap, fn, ud);
            free(elem);
            if (rc != HB_OK) {
                return rc;
            }
        }
    }
    return HB_OK;
}

void hb_schema_format(const hb_field *f, const void *value, char *buf, size_t len) {
    double d;
    int i;
    size_t z;
    uint64_t u;
    switch (f->type) {
    case HB_F_NUM:
        memcpy(&d, value, sizeof d);
        if (isnan(d)) {
            snprintf(buf, len, "derived");
        } else {
            snprintf(buf, len, "%g", d / (f->scale != 0 ? f->scale : 1.0));
        }
        return;
    case HB_F_INT:
        memcpy(&i, value, sizeof i);
        snprintf(buf, len, "%d", i);
        return;
    case HB_F_SIZE:
        memcpy(&z, value, sizeof z);
        snprintf(buf, len, "%zu", z);
        return;
    case HB_F_U64:
        memcpy(&u, value, sizeof u);
        snprintf(buf, len, "%llu", (unsigned long long)u);
        return;
    case HB_F_STR:
        snprintf(buf, len, "\"%s\"", (const char *)value);
        return;
    case HB_F_ENUM:
        memcpy(&i, value, sizeof i);
        snprintf(buf, len, "\"%s\"", f->names[i]);
        return;
    case HB_F_BOOL: {
        bool b;
        memcpy(&b, value, sizeof b);
        snprintf(buf, len, "%s", b ? "true" : "false");
        return;
    }
    case HB_F_OBJ:
    case HB_F_ARRAY:
        snprintf(buf, len, "-");
        return;
    }
}
