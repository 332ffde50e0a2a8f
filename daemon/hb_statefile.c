#define _POSIX_C_SOURCE 200809L
#include "hb_statefile.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "../util/hb_ofile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

static int hb__state_num(char *buf, size_t len, const char *key, double v) {
    return isfinite(v) ? snprintf(buf, len, ",\"%s\":%.17g", key, v)
                       : snprintf(buf, len, ",\"%s\":null", key);
}

int hb_statefile_format_room(char *buf, size_t len, const hb_room *room, double at) {
    hb_room_ctl_state s;
    hb_room_ctl_save(room->ctl, &s);
    size_t n = 0;
    int k;
#define HB__PUT(expr)                                                                              \
    do {                                                                                           \
        k = (expr);                                                                                \
        if (k < 0 || (size_t)k >= len - n) {                                                       \
            return -1;                                                                             \
        }                                                                                          \
        n += (size_t)k;                                                                            \
    } while (0)
    /* Room names are plain (letters, digits, '-', '_', '.'): no escaping needed. */
    HB__PUT(snprintf(buf + n, len - n, "{\"room\":\"%s\"", room->name));
    HB__PUT(hb__state_num(buf + n, len - n, "level", s.level));
    HB__PUT(hb__state_num(buf + n, len - n, "integral", s.integral));
    HB__PUT(hb__state_num(buf + n, len - n, "avg", s.avg));
    HB__PUT(snprintf(buf + n, len - n, ",\"mode\":\"%s\",\"preset\":\"%s\"",
                     hb_mode_name(room->th.mode), hb_preset_name(room->th.preset)));
    HB__PUT(hb__state_num(buf + n, len - n, "manual_c", room->th.manual_c));
    HB__PUT(snprintf(buf + n, len - n, ",\"period\":%d", room->th.period));
    HB__PUT(isfinite(at) ? snprintf(buf + n, len - n, ",\"at\":%.3f}", at)
                         : snprintf(buf + n, len - n, "}"));
#undef HB__PUT
    return (int)n;
}

typedef struct {
    FILE *f;
    size_t n;
    double at;
    bool failed;
} hb__writer;

static void hb__write_room(const hb_room *room, void *ud) {
    hb__writer *w = ud;
    char buf[HB_STATEFILE_ROOM_MAX];
    if (hb_statefile_format_room(buf, sizeof buf, room, w->at) < 0) {
        w->failed = true;
        return;
    }
    fprintf(w->f, "%s\n  %s", w->n ? "," : "", buf);
    w->n++;
}

int hb_statefile_write(const char *path, hb_rooms *rooms, double at, char *err, size_t errlen) {
    int e = HB_OK;
    hb_ofile *o = hb_ofile_open(path, &e);
    if (!o) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return HB_ERR_IO;
    }
    hb__writer w = {.f = hb_ofile_stream(o), .at = at};
    /* The file holds the household's habits (when rooms are heated, who is away): the daemon's
     * user only, whatever the umask. The temporary file is renamed into place with its mode. */
    if (fchmod(fileno(w.f), 0600) != 0) {
        snprintf(err, errlen, "%s: cannot make it private: %s", path, strerror(errno));
        hb_ofile_abort(o);
        return HB_ERR_IO;
    }
    fputs("{\"version\":1,\"rooms\":[", w.f);
    hb_rooms_each_read(rooms, hb__write_room, &w);
    fputs(w.n ? "\n]}\n" : "]}\n", w.f);
    int rc;
    if (ferror(w.f) || w.failed) {
        hb_ofile_abort(o);
        rc = HB_ERR_IO;
    } else {
        rc = hb_ofile_commit(o); /* frees O either way */
    }
    if (rc != HB_OK) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return HB_ERR_IO;
    }
    return HB_OK;
}

static double hb__get(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *hb__str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* One entry (for ROOM when not NULL, see hb_statefile_parse_room); false when it is not one a
 * room can take. */
static bool hb__read_room(const cJSON *o, const char *room, hb_saved_room *r) {
    const char *name = hb__str(o, "room");
    if (room && *name && strcmp(name, room) != 0) {
        return false;
    }
    name = room ? room : name;
    if (!hb_room_name_ok(name)) {
        return false;
    }
    snprintf(r->name, sizeof r->name, "%s", name);
    r->ctl = (hb_room_ctl_state){
        .level = hb__get(o, "level"), .integral = hb__get(o, "integral"), .avg = hb__get(o, "avg")};
    /* The integral is the valve's bias: outside the valve's range it only ever winds the loop up.
     */
    if (isfinite(r->ctl.integral)) {
        r->ctl.integral = fmin(100.0, fmax(0.0, r->ctl.integral));
    }
    hb_thermostat_init(&r->th);
    int mode = hb_mode_parse(hb__str(o, "mode"));
    int preset = hb_preset_parse(hb__str(o, "preset"));
    double period = hb__get(o, "period");
    double manual = hb__get(o, "manual_c");
    r->th.manual_c = (float)manual;
    bool ok = mode >= 0 && preset >= 0 && isfinite(period) && period >= -1 &&
              period < HB_SCHEDULE_MAX_PERIODS && r->ctl.level >= 0 && r->ctl.level <= 100 &&
              isfinite(r->ctl.integral) &&
              (isnan(r->ctl.avg) || (r->ctl.avg >= 0 && r->ctl.avg <= 100)) &&
              (isnan(manual) || (manual >= -50 && manual <= 100));
    r->th.mode = (unsigned char)(mode < 0 ? 0 : mode);
    r->th.preset = (unsigned char)(preset < 0 ? 0 : preset);
    r->th.period = (short)(ok ? period : -1);
    r->at = hb__get(o, "at"); /* absent in files of earlier versions: not judged */
    return ok;
}

int hb_statefile_parse_for(const char *text, size_t len, const char *room, hb_saved_room *out) {
    cJSON *o = cJSON_ParseWithLength(text, len);
    bool ok = cJSON_IsObject(o) && hb__read_room(o, room, out);
    cJSON_Delete(o);
    return ok ? HB_OK : HB_ERR_PARSE;
}

bool hb_saved_room_fresh(const hb_saved_room *s, double now, double max_age_s) {
    return isfinite(s->at) && now - s->at <= max_age_s && s->at - now <= 300.0;
}

size_t hb_statefile_max_bytes(size_t max_rooms) {
    /* Every entry at its largest, its separator and indentation, and the header. */
    return max_rooms * (HB_STATEFILE_ROOM_MAX + 4) + 64;
}

static const char *hb__ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }
    return p;
}

/* Expects the tokens of WANT in order (a blank in WANT: any whitespace). */
static const char *hb__expect(const char *p, const char *end, const char *want) {
    for (; *want; want++) {
        if (*want == ' ') {
            p = hb__ws(p, end);
        } else if (p < end && *p == *want) {
            p++;
        } else {
            return NULL;
        }
    }
    return p;
}

/* The end (one past the '}') of the flat object at P, strings skipped; NULL when there is none
 * or it nests. */
static const char *hb__object_end(const char *p, const char *end) {
    bool in_str = false;
    for (const char *q = p + 1; q < end; q++) {
        if (in_str) {
            if (*q == '\\') {
                q++;
            } else if (*q == '"') {
                in_str = false;
            }
        } else if (*q == '"') {
            in_str = true;
        } else if (*q == '}') {
            return q + 1;
        } else if (*q == '{' || *q == '[') {
            return NULL;
        }
    }
    return NULL;
}

/* The MAX most recent entries: a min-heap on "at" (undated ones oldest), the oldest at a[0]. */
typedef struct {
    hb_saved_room *a;
    size_t n, max;
    size_t over;
} hb__recent;

static double hb__age_key(const hb_saved_room *r) {
    return isnan(r->at) ? -INFINITY : r->at;
}

/* Most recently written first. */
static int hb__newer_first(const void *pa, const void *pb) {
    double a = hb__age_key(pa);
    double b = hb__age_key(pb);
    return (a < b) - (a > b);
}

static void hb__state_sift_down(hb__recent *h, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && hb__age_key(&h->a[l]) < hb__age_key(&h->a[m])) {
            m = l;
        }
        if (r < h->n && hb__age_key(&h->a[r]) < hb__age_key(&h->a[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        hb_saved_room t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
}

static void hb__keep(hb__recent *h, const hb_saved_room *r) {
    if (h->n < h->max) {
        size_t i = h->n++;
        h->a[i] = *r;
        while (i > 0 && hb__age_key(&h->a[(i - 1) / 2]) > hb__age_key(&h->a[i])) {
            hb_saved_room t = h->a[i];
            h->a[i] = h->a[(i - 1) / 2];
            h->a[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    h->over++;
    if (h->max > 0 && hb__age_key(r) > hb__age_key(&h->a[0])) {
        h->a[0] = *r;
        hb__state_sift_down(h, 0);
    }
}

/* The entries of TEXT, one small JSON object at a time: memory stays the file's and one
 * entry's, where a parse of the whole document would take forty times the file. */
static int hb__scan(const char *text, size_t len, hb__recent *h, size_t *skipped,
                    bool (*stop)(void)) {
    const char *end = text + len;
    const char *p = hb__expect(text, end, " { \"version\" : 1 , \"rooms\" : [ ");
    if (!p) {
        return HB_ERR_PARSE;
    }
    if (p < end && *p == ']') {
        p = hb__expect(p, end, "] } ");
        return p == end ? HB_OK : HB_ERR_PARSE;
    }
    for (size_t k = 0;; k++) {
        if (stop && (k & 1023) == 0 && stop()) {
            return HB_ERR_INVAL;
        }
        const char *e = p < end && *p == '{' ? hb__object_end(p, end) : NULL;
        if (!e) {
            return HB_ERR_PARSE;
        }
        hb_saved_room r;
        cJSON *o = (size_t)(e - p) < HB_STATEFILE_ROOM_MAX
                       ? cJSON_ParseWithLength(p, (size_t)(e - p))
                       : NULL;
        if (cJSON_IsObject(o) && hb__read_room(o, NULL, &r)) {
            hb__keep(h, &r);
        } else {
            (*skipped)++;
        }
        cJSON_Delete(o);
        p = hb__ws(e, end);
        if (p < end && *p == ',') {
            p = hb__ws(p + 1, end);
            continue;
        }
        p = hb__expect(p, end, "] } ");
        return p == end ? HB_OK : HB_ERR_PARSE;
    }
}

int hb_statefile_load(const char *path, size_t max_rooms, bool (*stop)(void), hb_saved_room **out,
                      size_t *n, size_t *skipped, size_t *over, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    *skipped = 0;
    *over = 0;
    struct stat st;
    int sr = stat(path, &st);
    if (sr != 0 && errno == ENOENT) {
        return HB_ERR_NOTFOUND;
    }
    size_t max = hb_statefile_max_bytes(max_rooms);
    if (sr == 0 && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
        snprintf(err, errlen,
                 "%s: %lld bytes, more than %zu rooms (--max-rooms) could need (%zu bytes): set "
                 "aside unread",
                 path, (long long)st.st_size, max_rooms, max);
        return HB_ERR_FULL;
    }
    size_t len;
    char *text = hb_file_read(path, "state file", max, err, errlen, &len);
    if (!text) {
        return HB_ERR_IO;
    }
    hb__recent h = {.max = max_rooms};
    /* At most one entry per 40 bytes of file: no more slots than that. */
    size_t cap = len / 40 + 1 < max_rooms ? len / 40 + 1 : max_rooms;
    h.a = calloc(cap ? cap : 1, sizeof *h.a);
    h.max = cap;
    if (!h.a) {
        free(text);
        snprintf(err, errlen, "%s: out of memory", path);
        return HB_ERR_NOMEM;
    }
    int rc = hb__scan(text, len, &h, skipped, stop);
    free(text);
    if (rc != HB_OK) {
        free(h.a);
        if (rc == HB_ERR_PARSE) {
            snprintf(err, errlen, "%s: not a heatbench state file (version 1 with \"rooms\")",
                     path);
        } else {
            snprintf(err, errlen, "%s: reading stopped (a stop was requested)", path);
        }
        return rc;
    }
    qsort(h.a, h.n, sizeof *h.a, hb__newer_first);
    *out = h.a;
    *n = h.n;
    *over = h.over;
    return HB_OK;
}

/* The interfaces of before (until the daemon moves to the ones above). */
int hb_statefile_parse_room(const char *text, size_t len, hb_saved_room *out) {
    return hb_statefile_parse_for(text, len, NULL, out);
}

int hb_statefile_read(const char *path, hb_saved_room **out, size_t *n, size_t *skipped, char *err,
                      size_t errlen) {
    size_t over;
    return hb_statefile_load(path, HB_STATEFILE_MAX_ROOMS, NULL, out, n, skipped, &over, err,
                             errlen);
}
