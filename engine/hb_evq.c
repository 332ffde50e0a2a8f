#include "hb_evq.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

typedef struct hb__slot {
    hb_event_rec rec;
    uint32_t heap_pos; /* index in heap[], or UINT32_MAX when free */
    uint32_t gen;      /* bumped each time the slot is released */
    uint32_t next_free;
} hb__slot;

/* The heap holds the ordering key next to the slot index, so sifting compares contiguous
 * memory instead of chasing each entry into the slot array. */
typedef struct hb__node {
    double t;
    uint64_t seq;
    uint32_t slot;
} hb__node;

struct hb_evq {
    hb__slot *slots;
    hb__node *heap;
    uint32_t n;   /* events in the heap */
    uint32_t cap; /* slots allocated */
    uint32_t free_head;
    uint64_t next_seq;
};

#define HB__NONE UINT32_MAX
#define HB__MAX_CAP (UINT32_MAX / 2) /* slots; HB__NONE stays out of range */

static int hb__grow(hb_evq *q, uint32_t new_cap) {
    hb__slot *s = realloc(q->slots, (size_t)new_cap * sizeof *s);
    if (!s) {
        return HB_ERR_NOMEM;
    }
    q->slots = s;
    hb__node *h = realloc(q->heap, (size_t)new_cap * sizeof *h);
    if (!h) {
        return HB_ERR_NOMEM;
    }
    q->heap = h;
    /* Thread the new slots onto the free list in index order, so slot reuse is deterministic. */
    for (uint32_t i = q->cap; i < new_cap; i++) {
        s[i].heap_pos = HB__NONE;
        s[i].gen = 1;
        s[i].next_free = (i + 1 < new_cap) ? i + 1 : q->free_head;
    }
    q->free_head = q->cap;
    q->cap = new_cap;
    return HB_OK;
}

hb_evq *hb_evq_create(size_t capacity_hint) {
    hb_evq *q = calloc(1, sizeof *q);
    if (!q) {
        return NULL;
    }
    q->free_head = HB__NONE;
    /* A hint beyond what the 32-bit slot indices address would wrap around to a tiny table. */
    if (capacity_hint > HB__MAX_CAP) {
        hb_evq_destroy(q);
        return NULL;
    }
    uint32_t cap = capacity_hint < 16 ? 16 : (uint32_t)capacity_hint;
    if (hb__grow(q, cap) != HB_OK) {
        hb_evq_destroy(q);
        return NULL;
    }
    return q;
}

void hb_evq_destroy(hb_evq *q) {
    if (q) {
        free(q->slots);
        free(q->heap);
        free(q);
    }
}

static inline bool hb__less(const hb__node *x, const hb__node *y) {
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static inline void hb__place(hb_evq *q, uint32_t pos, hb__node n) {
    q->heap[pos] = n;
    q->slots[n.slot].heap_pos = pos;
}

static void hb__sift_up(hb_evq *q, uint32_t pos) {
    hb__node n = q->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!hb__less(&n, &q->heap[parent])) {
            break;
        }
        hb__place(q, pos, q->heap[parent]);
        pos = parent;
    }
    hb__place(q, pos, n);
}

static void hb__sift_down(hb_evq *q, uint32_t pos) {
    hb__node n = q->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= q->n) {
            break;
        }
        if (child + 1 < q->n && hb__less(&q->heap[child + 1], &q->heap[child])) {
            child++;
        }
        if (!hb__less(&q->heap[child], &n)) {
            break;
        }
        hb__place(q, pos, q->heap[child]);
        pos = child;
    }
    hb__place(q, pos, n);
}

static hb_event_id hb__make_id(uint32_t slot, uint32_t gen) {
    return ((uint64_t)gen << 32) | (uint64_t)slot;
}

int hb_evq_push(hb_evq *q, double t, hb_event_fn fn, void *ctx, intptr_t arg, hb_event_id *id) {
    if (!q || !fn || !isfinite(t)) {
        return HB_ERR_INVAL;
    }
    if (q->free_head == HB__NONE) {
        if (q->cap > HB__MAX_CAP / 2) {
            return HB_ERR_FULL;
        }
        int rc = hb__grow(q, q->cap * 2);
        if (rc != HB_OK) {
            return rc;
        }
    }
    uint32_t slot = q->free_head;
    hb__slot *s = &q->slots[slot];
    q->free_head = s->next_free;
    s->rec = (hb_event_rec){.t = t, .seq = q->next_seq++, .fn = fn, .ctx = ctx, .arg = arg};
    q->heap[q->n] = (hb__node){.t = t, .seq = s->rec.seq, .slot = slot};
    s->heap_pos = q->n;
    q->n++;
    hb__sift_up(q, q->n - 1);
    if (id) {
        *id = hb__make_id(slot, s->gen);
    }
    return HB_OK;
}

static void hb__release(hb_evq *q, uint32_t slot) {
    hb__slot *s = &q->slots[slot];
    s->heap_pos = HB__NONE;
    s->gen++;
    if (s->gen == 0) {
        s->gen = 1; /* keep 0 out of valid handles */
    }
    s->next_free = q->free_head;
    q->free_head = slot;
}

static void hb__remove_at(hb_evq *q, uint32_t pos) {
    uint32_t slot = q->heap[pos].slot;
    q->n--;
    if (pos != q->n) {
        hb__place(q, pos, q->heap[q->n]);
        /* The moved element may belong above or below its new position. */
        if (pos > 0 && hb__less(&q->heap[pos], &q->heap[(pos - 1) / 2])) {
            hb__sift_up(q, pos);
        } else {
            hb__sift_down(q, pos);
        }
    }
    hb__release(q, slot);
}

int hb_evq_cancel(hb_evq *q, hb_event_id id) {
    uint32_t slot = (uint32_t)(id & 0xffffffffu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (!q || id == 0 || slot >= q->cap) {
        return HB_ERR_NOTFOUND;
    }
    hb__slot *s = &q->slots[slot];
    if (s->gen != gen || s->heap_pos == HB__NONE) {
        return HB_ERR_NOTFOUND;
    }
    hb__remove_at(q, s->heap_pos);
    return HB_OK;
}

bool hb_evq_pop(hb_evq *q, hb_event_rec *out) {
    if (!q || q->n == 0) {
        return false;
    }
    /* The heap property at the root: nothing queued is earlier than what leaves. */
    assert(q->n < 2 || !hb__less(&q->heap[1], &q->heap[0]));
    assert(q->n < 3 || !hb__less(&q->heap[2], &q->heap[0]));
    *out = q->slots[q->heap[0].slot].rec;
    hb__remove_at(q, 0);
    return true;
}

double hb_evq_peek_time(const hb_evq *q) {
    return (q && q->n) ? q->heap[0].t : INFINITY;
}

size_t hb_evq_size(const hb_evq *q) {
    return q ? q->n : 0;
}
