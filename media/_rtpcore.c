/* The video receive path's per-packet work in C: SRTP, RTP, H.264 depacketization, frame assembly, statistics.
 *
 * This is `media.rtp_video.H264Assembler` and the per-packet part of `media.fast_video.FastVideo` compiled: the
 * same policy, the same counters, the same frames out for the same packets in (tests/media/test_rtpcore.py runs
 * the Python and the C assembler side by side on random packet sequences; fuzz/fuzz_rtpcore.py feeds it arbitrary
 * datagrams). The Python modules stay the reference and the fallback: `media.fast_video` uses this module when it
 * was compiled (`pip install -e .` builds it when a C compiler is there) and TRUNKDESK_VIDEO_PATH is not "python".
 *
 * Two types:
 * - `Assembler`: the assembler alone, with H264Assembler's interface (tests, fuzzing);
 * - `VideoPath`: one session's video, from the datagram uvloop read to the whole frame handed to Python. Its
 *   `tap(original, data_received, component)` gives the callable that replaces an aioice protocol's
 *   `datagram_received`; video RTP never enters Python, everything else goes where it went before.
 *
 * SRTP: the packets are decrypted with the libsrtp session aiortc set up (pylibsrtp's), through the function
 * pointer and session pointer `media.fast_video` looks up with cffi; this module links no libsrtp of its own.
 * Everything runs on the worker's event-loop thread, with the GIL held (a packet costs a few microseconds).
 *
 * Memory is bounded: at most RING sequence numbers are held (the assembler restarts a stream whose held span would
 * exceed it, as the Python one does with `max_span`), each packet's bytes are malloc'd once and freed when its frame
 * is handed out or given up.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 4096 /* held sequence numbers; a power of two, and the assembler's max_span */
#define MASK (RING - 1)
#define DATAGRAM_MAX 2048
#define PLI_INTERVAL 0.5
#define VIDEO_CLOCK 90000
#define EARLY 64

enum { EMPTY = 0, HELD = 1, MISSING = 2 };

typedef struct {
    int64_t ext;
    unsigned char *data; /* Annex B bytes (malloc'd; NULL when len is 0) */
    double since;        /* MISSING: when first missed */
    uint32_t timestamp;
    uint32_t len;
    uint8_t state, marker, begins, key, bad, tries;
} Slot;

typedef struct {
    double max_wait, nack_retry;
    long max_packets, max_gap, nack_tries, max_span;
    Slot *ring;
    long held, missing;
    int has_highest, has_ts_base, need_key, fresh, want_keyframe;
    int64_t highest, next, scan;
    uint32_t ts_base;
    double renack_at;
    uint16_t *nacks;
    Py_ssize_t n_nacks, cap_nacks;
    /* counters, as H264Assembler's */
    long long received, duplicates, late, malformed, lost, nacked, recovered, frames, dropped_frames, resets;
} Core;

static const unsigned char START[4] = {0, 0, 0, 1};

/* ----- the assembler core (no Python objects but the frames list) ------------------------------------------- */

static int core_init(Core *c, double max_wait, long max_packets, long max_gap, double nack_retry, long nack_tries,
                     long max_span) {
    memset(c, 0, sizeof(*c));
    if (max_span > RING || max_span < 2) {
        PyErr_Format(PyExc_ValueError, "max_span must be between 2 and %d", RING);
        return -1;
    }
    c->max_wait = max_wait;
    c->max_packets = max_packets;
    c->max_gap = max_gap;
    c->nack_retry = nack_retry;
    c->nack_tries = nack_tries;
    c->max_span = max_span;
    c->ring = PyMem_Calloc(RING, sizeof(Slot));
    if (c->ring == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    c->need_key = 1;
    c->fresh = 1;
    return 0;
}

static void slot_clear(Slot *s) {
    free(s->data);
    s->data = NULL;
    s->len = 0;
    s->state = EMPTY;
}

static void core_clear_all(Core *c) {
    if (c->ring == NULL)
        return;
    for (int i = 0; i < RING; i++)
        if (c->ring[i].state != EMPTY)
            slot_clear(&c->ring[i]);
    c->held = c->missing = 0;
}

static void core_free(Core *c) {
    core_clear_all(c);
    PyMem_Free(c->ring);
    c->ring = NULL;
    PyMem_Free(c->nacks);
    c->nacks = NULL;
}

static inline Slot *slot_at(Core *c, int64_t ext) { return &c->ring[(uint64_t)ext & MASK]; }

static inline Slot *held_at(Core *c, int64_t ext) {
    Slot *s = slot_at(c, ext);
    return (s->state == HELD && s->ext == ext) ? s : NULL;
}

static inline Slot *missing_at(Core *c, int64_t ext) {
    Slot *s = slot_at(c, ext);
    return (s->state == MISSING && s->ext == ext) ? s : NULL;
}

/* take a slot for ``ext`` (whatever stale entry it had is dropped: cannot happen while the span holds) */
static Slot *slot_take(Core *c, int64_t ext) {
    Slot *s = slot_at(c, ext);
    if (s->state != EMPTY) {
        if (s->state == HELD)
            c->held--;
        else
            c->missing--;
        slot_clear(s);
    }
    s->ext = ext;
    return s;
}

static void slot_drop(Core *c, Slot *s) {
    if (s->state == HELD)
        c->held--;
    else if (s->state == MISSING)
        c->missing--;
    slot_clear(s);
}

static int nack_push(Core *c, int64_t ext) {
    if (c->n_nacks == c->cap_nacks) {
        Py_ssize_t cap = c->cap_nacks ? c->cap_nacks * 2 : 64;
        uint16_t *grown = PyMem_Realloc(c->nacks, (size_t)cap * sizeof(uint16_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->nacks = grown;
        c->cap_nacks = cap;
    }
    c->nacks[c->n_nacks++] = (uint16_t)((uint64_t)ext & 0xFFFF);
    return 0;
}

static void core_reset_to(Core *c, int64_t start) { /* H264Assembler._reset */
    c->lost += c->missing;
    c->resets++;
    core_clear_all(c);
    c->next = start;
    c->scan = start - 1;
    c->need_key = 1;
    c->fresh = 1;
    c->want_keyframe = 1;
}

static void core_forget(Core *c) { /* H264Assembler.reset */
    core_clear_all(c);
    c->n_nacks = 0;
    c->has_highest = 0;
    c->has_ts_base = 0;
    c->need_key = 1;
    c->fresh = 1;
}

/* depayload_h264 into a fresh malloc'd buffer; returns 0, or -1 for a malformed payload (nothing allocated) */
static int depayload(const unsigned char *p, Py_ssize_t n, unsigned char **out, uint32_t *out_len, uint8_t *begins,
                     uint8_t *key) {
    *out = NULL;
    *out_len = 0;
    *begins = *key = 0;
    if (n < 2)
        return -1;
    unsigned header = p[0], nal_type = header & 0x1F;
    if (nal_type > 0 && nal_type < 24) {
        unsigned char *d = malloc((size_t)n + 4);
        if (d == NULL)
            return -2;
        memcpy(d, START, 4);
        memcpy(d + 4, p, (size_t)n);
        *out = d;
        *out_len = (uint32_t)(n + 4);
        *begins = 1;
        *key = nal_type == 5 || nal_type == 7;
        return 0;
    }
    if (nal_type == 28) { /* FU-A */
        unsigned fu = p[1], original = fu & 0x1F;
        *key = original == 5 || original == 7;
        if (fu & 0x80) {
            unsigned char *d = malloc((size_t)n + 3);
            if (d == NULL)
                return -2;
            memcpy(d, START, 4);
            d[4] = (unsigned char)((header & 0xE0) | original);
            memcpy(d + 5, p + 2, (size_t)(n - 2));
            *out = d;
            *out_len = (uint32_t)(n + 3);
            *begins = 1;
            return 0;
        }
        if (n > 2) {
            unsigned char *d = malloc((size_t)(n - 2));
            if (d == NULL)
                return -2;
            memcpy(d, p + 2, (size_t)(n - 2));
            *out = d;
            *out_len = (uint32_t)(n - 2);
        }
        return 0;
    }
    if (nal_type == 24) { /* STAP-A: check it whole first, then copy */
        Py_ssize_t at = 1, total = 0;
        int any_key = 0;
        while (at < n) {
            if (at + 2 > n)
                return -1;
            Py_ssize_t size = (p[at] << 8) | p[at + 1];
            at += 2;
            if (size == 0 || at + size > n)
                return -1;
            any_key |= (p[at] & 0x1F) == 5 || (p[at] & 0x1F) == 7;
            total += 4 + size;
            at += size;
        }
        unsigned char *d = total ? malloc((size_t)total) : NULL;
        if (total && d == NULL)
            return -2;
        Py_ssize_t w = 0;
        at = 1;
        while (at < n) {
            Py_ssize_t size = (p[at] << 8) | p[at + 1];
            at += 2;
            memcpy(d + w, START, 4);
            memcpy(d + w + 4, p + at, (size_t)size);
            w += 4 + size;
            at += size;
        }
        *out = d;
        *out_len = (uint32_t)total;
        *begins = 1;
        *key = (uint8_t)any_key;
        return 0;
    }
    return -1;
}

/* one whole frame out, as (bytes, pts, keyframe); H264Assembler._finish */
static int core_finish(Core *c, int64_t first, int64_t last, PyObject *frames) {
    c->fresh = 0;
    Slot *content_first = NULL;
    int bad = 0, key = 0;
    size_t total = 0;
    for (int64_t s = first; s <= last; s++) {
        Slot *e = held_at(c, s);
        if (e == NULL)
            continue; /* cannot happen: the run is contiguous */
        if (e->len || e->bad) {
            if (content_first == NULL)
                content_first = e;
            bad |= e->bad;
            key |= e->key;
            total += e->len;
        }
    }
    int result = 0;
    if (content_first == NULL) {
        /* padding only */
    } else if (!content_first->begins || bad || (c->need_key && !key)) {
        c->dropped_frames++;
        c->need_key = 1;
        c->want_keyframe = 1;
    } else {
        c->need_key = 0;
        c->frames++;
        uint32_t base = c->has_ts_base ? c->ts_base : content_first->timestamp;
        uint32_t pts = content_first->timestamp - base;
        PyObject *data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
        if (data == NULL) {
            result = -1;
        } else {
            char *w = PyBytes_AS_STRING(data);
            for (int64_t s = first; s <= last; s++) {
                Slot *e = held_at(c, s);
                if (e != NULL && e->len) {
                    memcpy(w, e->data, e->len);
                    w += e->len;
                }
            }
            PyObject *item = Py_BuildValue("(NkO)", data, (unsigned long)pts, key ? Py_True : Py_False);
            if (item == NULL || PyList_Append(frames, item) < 0)
                result = -1;
            Py_XDECREF(item);
        }
    }
    for (int64_t s = first; s <= last; s++) {
        Slot *e = held_at(c, s);
        if (e != NULL)
            slot_drop(c, e);
    }
    return result;
}

static int core_advance(Core *c, PyObject *frames) { /* H264Assembler._advance */
    int64_t at = c->scan + 1;
    Slot *entry = held_at(c, at);
    while (entry != NULL) {
        if (at > c->next) {
            Slot *first = held_at(c, c->next);
            if (first != NULL && entry->timestamp != first->timestamp) {
                if (core_finish(c, c->next, at - 1, frames) < 0)
                    return -1;
                c->next = at;
            }
        }
        c->scan = at;
        if (entry->marker) {
            if (core_finish(c, c->next, at, frames) < 0)
                return -1;
            c->next = at + 1;
        }
        at++;
        entry = held_at(c, at);
    }
    return 0;
}

static int core_give_up(Core *c, int64_t gap, PyObject *frames) { /* H264Assembler._give_up */
    int64_t highest = c->has_highest ? c->highest : gap, end = 0;
    int found = 0;
    for (int64_t s = gap + 1; s <= highest; s++) {
        Slot *e = held_at(c, s);
        if (e != NULL && e->marker) {
            end = s;
            found = 1;
            break;
        }
    }
    if (!found) {
        if (c->held > c->max_packets)
            core_reset_to(c, highest + 1);
        return 0;
    }
    c->fresh = 0;
    for (int64_t s = c->next; s <= end; s++) {
        Slot *e = slot_at(c, s);
        if (e->ext != s || e->state == EMPTY)
            continue;
        if (e->state == MISSING)
            c->lost++;
        slot_drop(c, e);
    }
    c->dropped_frames++;
    c->next = end + 1;
    c->scan = end;
    c->need_key = 1;
    c->want_keyframe = 1;
    return core_advance(c, frames);
}

static int core_repair(Core *c, double now, PyObject *frames) { /* H264Assembler._repair */
    if (now >= c->renack_at) {
        c->renack_at = now + c->nack_retry;
        if (c->has_highest) {
            for (int64_t s = c->next; s <= c->highest && c->missing; s++) {
                Slot *e = missing_at(c, s);
                if (e != NULL && e->tries < c->nack_tries && now - e->since >= c->nack_retry * e->tries) {
                    e->tries++;
                    if (nack_push(c, s) < 0)
                        return -1;
                }
            }
        }
    }
    int64_t gap = c->scan + 1;
    if (!c->has_highest || gap > c->highest)
        return 0;
    Slot *noted = missing_at(c, gap);
    int too_old = noted == NULL || now - noted->since > c->max_wait;
    if (too_old || c->held > c->max_packets)
        return core_give_up(c, gap, frames);
    return 0;
}

/* H264Assembler.packet; frames completed are appended to ``frames`` */
static int core_packet(Core *c, unsigned sequence, uint32_t timestamp, int marker, const unsigned char *payload,
                       Py_ssize_t n, double now, PyObject *frames) {
    c->received++;
    int64_t ext, highest;
    if (!c->has_highest) {
        c->has_highest = 1;
        c->highest = highest = sequence;
        c->next = sequence;
        c->scan = (int64_t)sequence - 1;
        c->ts_base = timestamp;
        c->has_ts_base = 1;
        ext = sequence;
    } else {
        highest = c->highest;
        unsigned delta = (sequence - (unsigned)((uint64_t)highest & 0xFFFF)) & 0xFFFF;
        ext = delta < 0x8000 ? highest + delta : highest + delta - 0x10000;
    }
    int64_t low = ext < c->next ? ext : c->next, high = ext > highest ? ext : highest;
    if (ext - highest > c->max_gap || c->next - ext > c->max_gap || high - low >= c->max_span) {
        core_reset_to(c, ext);
        c->highest = highest = ext;
    } else if (ext < c->next) {
        if (!(c->fresh && c->next - ext < EARLY)) {
            c->late++;
            return 0;
        }
        for (int64_t earlier = ext + 1; earlier < c->next; earlier++) {
            Slot *m = slot_take(c, earlier);
            m->state = MISSING;
            m->since = now;
            m->tries = 1;
            c->missing++;
        }
        c->next = ext;
        c->scan = ext - 1;
    } else if (held_at(c, ext) != NULL) {
        c->duplicates++;
        return 0;
    }
    unsigned char *data = NULL;
    uint32_t len = 0;
    uint8_t begins = 0, key = 0, bad = 0;
    if (n > 0) {
        int r = depayload(payload, n, &data, &len, &begins, &key);
        if (r == -2) {
            PyErr_NoMemory();
            return -1;
        }
        if (r < 0) {
            bad = 1;
            c->malformed++;
        }
    }
    int was_missing = missing_at(c, ext) != NULL;
    Slot *s = slot_take(c, ext);
    /* slot_take drops a MISSING mark: counted below as recovered, as H264Assembler's dict pop does */
    s->state = HELD;
    s->timestamp = timestamp;
    s->marker = (uint8_t)(marker != 0);
    s->data = data;
    s->len = len;
    s->begins = begins;
    s->key = key;
    s->bad = bad;
    c->held++;
    if (ext > highest) {
        for (int64_t missed = highest + 1; missed < ext; missed++) {
            Slot *m = slot_take(c, missed);
            m->state = MISSING;
            m->since = now;
            m->tries = 1;
            c->missing++;
            if (nack_push(c, missed) < 0)
                return -1;
            c->nacked++;
        }
        c->highest = ext;
    } else if (was_missing) {
        c->recovered++;
    }
    if (core_advance(c, frames) < 0)
        return -1;
    if (c->missing && core_repair(c, now, frames) < 0)
        return -1;
    return 0;
}

static PyObject *core_take_nacks(Core *c) {
    PyObject *list = PyList_New(c->n_nacks);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < c->n_nacks; i++)
        PyList_SET_ITEM(list, i, PyLong_FromLong(c->nacks[i]));
    c->n_nacks = 0;
    return list;
}

/* ----- RTP ---------------------------------------------------------------------------------------------------- */

typedef struct {
    unsigned payload_type, marker, sequence;
    uint32_t timestamp, ssrc;
    Py_ssize_t start, end;
} Header;

/* parse_rtp; NULL or the reason it is not RTP */
static const char *parse_rtp(const unsigned char *d, Py_ssize_t n, Header *h) {
    if (n < 12)
        return "RTP packet shorter than its 12-byte header";
    unsigned first = d[0], second = d[1];
    if (first >> 6 != 2)
        return "RTP version is not 2";
    Py_ssize_t start = 12 + 4 * (first & 0x0F), end = n;
    if (first & 0x10) {
        if (end < start + 4)
            return "RTP header extension is truncated";
        start += 4 + 4 * ((d[start + 2] << 8) | d[start + 3]);
    }
    if (first & 0x20) {
        unsigned padding = d[n - 1];
        if (padding == 0)
            return "RTP padding of length 0";
        end -= padding;
    }
    if (start > end)
        return "RTP header and padding exceed the packet";
    h->payload_type = second & 0x7F;
    h->marker = (second & 0x80) != 0;
    h->sequence = (d[2] << 8) | d[3];
    h->timestamp = ((uint32_t)d[4] << 24) | ((uint32_t)d[5] << 16) | ((uint32_t)d[6] << 8) | d[7];
    h->ssrc = ((uint32_t)d[8] << 24) | ((uint32_t)d[9] << 16) | ((uint32_t)d[10] << 8) | d[11];
    h->start = start;
    h->end = end;
    return NULL;
}

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ----- Assembler ---------------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Core core;
} Assembler;

static int Assembler_init(Assembler *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"max_wait", "max_packets", "max_gap", "nack_retry", "nack_tries", "max_span", NULL};
    double max_wait = 0.25, nack_retry = 0.05;
    long max_packets = 2048, max_gap = 1000, nack_tries = 3, max_span = RING;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|$dlldll", names, &max_wait, &max_packets, &max_gap,
                                     &nack_retry, &nack_tries, &max_span))
        return -1;
    core_free(&self->core);
    return core_init(&self->core, max_wait, max_packets, max_gap, nack_retry, nack_tries, max_span);
}

static void Assembler_dealloc(Assembler *self) {
    core_free(&self->core);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Assembler_packet(Assembler *self, PyObject *args) {
    unsigned int sequence;
    unsigned long timestamp;
    int marker;
    Py_buffer payload;
    double now;
    if (!PyArg_ParseTuple(args, "Ikpy*d", &sequence, &timestamp, &marker, &payload, &now))
        return NULL;
    PyObject *frames = PyList_New(0);
    if (frames != NULL && core_packet(&self->core, sequence & 0xFFFF, (uint32_t)timestamp, marker,
                                      payload.buf, payload.len, now, frames) < 0)
        Py_CLEAR(frames);
    PyBuffer_Release(&payload);
    return frames;
}

static PyObject *Assembler_take_nacks(Assembler *self, PyObject *Py_UNUSED(ignored)) {
    return core_take_nacks(&self->core);
}

static PyObject *Assembler_reset(Assembler *self, PyObject *Py_UNUSED(ignored)) {
    core_forget(&self->core);
    Py_RETURN_NONE;
}

#define COUNTER(type, field)                                                                                         \
    static PyObject *type##_get_##field(type *self, void *Py_UNUSED(closure)) {                                      \
        return PyLong_FromLongLong(self->core.field);                                                                \
    }

COUNTER(Assembler, received)
COUNTER(Assembler, duplicates)
COUNTER(Assembler, late)
COUNTER(Assembler, malformed)
COUNTER(Assembler, lost)
COUNTER(Assembler, nacked)
COUNTER(Assembler, recovered)
COUNTER(Assembler, frames)
COUNTER(Assembler, dropped_frames)
COUNTER(Assembler, resets)

static PyObject *Assembler_get_waiting(Assembler *self, void *Py_UNUSED(closure)) {
    return PyLong_FromLong(self->core.held);
}

static PyObject *Assembler_get_want_keyframe(Assembler *self, void *Py_UNUSED(closure)) {
    return PyBool_FromLong(self->core.want_keyframe);
}

static int Assembler_set_want_keyframe(Assembler *self, PyObject *value, void *Py_UNUSED(closure)) {
    int truth = value == NULL ? 0 : PyObject_IsTrue(value);
    if (truth < 0)
        return -1;
    self->core.want_keyframe = truth;
    return 0;
}

#define GETTER(type, field) {#field, (getter)type##_get_##field, NULL, NULL, NULL}

static PyGetSetDef Assembler_getset[] = {
    GETTER(Assembler, received), GETTER(Assembler, duplicates), GETTER(Assembler, late),
    GETTER(Assembler, malformed), GETTER(Assembler, lost), GETTER(Assembler, nacked),
    GETTER(Assembler, recovered), GETTER(Assembler, frames), GETTER(Assembler, dropped_frames),
    GETTER(Assembler, resets), GETTER(Assembler, waiting),
    {"want_keyframe", (getter)Assembler_get_want_keyframe, (setter)Assembler_set_want_keyframe, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Assembler_methods[] = {
    {"packet", (PyCFunction)Assembler_packet, METH_VARARGS,
     "packet(sequence, timestamp, marker, payload, now) -> [(data, pts, keyframe), ...]"},
    {"take_nacks", (PyCFunction)Assembler_take_nacks, METH_NOARGS, "sequence numbers to ask again now"},
    {"reset", (PyCFunction)Assembler_reset, METH_NOARGS, "forget the stream"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AssemblerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "media._rtpcore.Assembler",
    .tp_basicsize = sizeof(Assembler),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "H.264 packets of one stream in, whole frames out (media.rtp_video.H264Assembler, compiled).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Assembler_init,
    .tp_dealloc = (destructor)Assembler_dealloc,
    .tp_methods = Assembler_methods,
    .tp_getset = Assembler_getset,
};

/* ----- VideoPath ---------------------------------------------------------------------------------------------- */

typedef int (*srtp_unprotect_fn)(void *ctx, void *packet, int *len);

typedef struct {
    PyObject_HEAD
    Core core;
    unsigned char kinds[128]; /* payload type: 0 unknown, 1 H.264, 2 RTX of H.264 */
    int has_media;
    /* Python side */
    PyObject *owner;    /* aiortc's DTLS transport: its _rx_srtp */
    PyObject *decoder;  /* the session's InlineDecoder: its `ended` */
    PyObject *learn;    /* () -> (media payload types, RTX payload types) */
    PyObject *resolve;  /* (pylibsrtp Session) -> (srtp_unprotect address, srtp_t address) */
    PyObject *on_frame; /* (data, pts) */
    PyObject *on_nacks; /* (sorted unique sequence numbers) */
    PyObject *on_keyframe; /* () */
    PyObject *on_source;   /* (new ssrc) */
    PyObject *on_unparsable; /* (count, reason) */
    PyObject *session;  /* the pylibsrtp Session the pointers below belong to (held) */
    srtp_unprotect_fn unprotect;
    void *ctx;
    int closed;
    int has_ssrc;
    uint32_t ssrc;
    double last_pli;
    /* statistics (aiortc's StreamStatistics fields, RFC 3550 A.3/A.8) */
    int has_max_seq, has_arrival;
    unsigned base_seq, max_seq;
    long long cycles, packets_received, jitter_q4, last_arrival;
    uint32_t last_timestamp;
    /* counters */
    long long packets, bytes, undecryptable, unparsable, keyframe_requests;
    uint32_t buffer[DATAGRAM_MAX / 4];
} VideoPath;

static PyObject *str_rx_srtp, *str_ended;

static int VideoPath_init(VideoPath *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"owner", "decoder", "learn", "resolve", "on_frame", "on_nacks", "on_keyframe",
                            "on_source", "on_unparsable", "max_wait", "max_packets", "max_gap", "nack_retry",
                            "nack_tries", NULL};
    PyObject *owner, *decoder, *learn, *resolve, *on_frame, *on_nacks, *on_keyframe, *on_source, *on_unparsable;
    double max_wait = 0.25, nack_retry = 0.05;
    long max_packets = 2048, max_gap = 1000, nack_tries = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOOOO|$dlldl", names, &owner, &decoder, &learn, &resolve,
                                     &on_frame, &on_nacks, &on_keyframe, &on_source, &on_unparsable, &max_wait,
                                     &max_packets, &max_gap, &nack_retry, &nack_tries))
        return -1;
    if (self->core.ring != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a VideoPath is initialised once");
        return -1;
    }
    if (core_init(&self->core, max_wait, max_packets, max_gap, nack_retry, nack_tries, RING) < 0)
        return -1;
#define KEEP(name) Py_INCREF(name); self->name = name;
    KEEP(owner) KEEP(decoder) KEEP(learn) KEEP(resolve) KEEP(on_frame) KEEP(on_nacks) KEEP(on_keyframe)
    KEEP(on_source) KEEP(on_unparsable)
#undef KEEP
    self->last_pli = -PLI_INTERVAL;
    return 0;
}

static int VideoPath_traverse(VideoPath *self, visitproc visit, void *arg) {
    Py_VISIT(self->owner);
    Py_VISIT(self->decoder);
    Py_VISIT(self->learn);
    Py_VISIT(self->resolve);
    Py_VISIT(self->on_frame);
    Py_VISIT(self->on_nacks);
    Py_VISIT(self->on_keyframe);
    Py_VISIT(self->on_source);
    Py_VISIT(self->on_unparsable);
    Py_VISIT(self->session);
    return 0;
}

static int VideoPath_clear(VideoPath *self) {
    Py_CLEAR(self->owner);
    Py_CLEAR(self->decoder);
    Py_CLEAR(self->learn);
    Py_CLEAR(self->resolve);
    Py_CLEAR(self->on_frame);
    Py_CLEAR(self->on_nacks);
    Py_CLEAR(self->on_keyframe);
    Py_CLEAR(self->on_source);
    Py_CLEAR(self->on_unparsable);
    Py_CLEAR(self->session);
    self->unprotect = NULL;
    self->ctx = NULL;
    self->closed = 1;
    return 0;
}

static void VideoPath_dealloc(VideoPath *self) {
    PyObject_GC_UnTrack(self);
    VideoPath_clear(self);
    core_free(&self->core);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ask Python for the payload types negotiated; 0: none yet, -1: error */
static int path_learn(VideoPath *self) {
    if (self->learn == NULL)
        return 0;
    PyObject *answer = PyObject_CallNoArgs(self->learn);
    if (answer == NULL)
        return -1;
    int result = 0;
    PyObject *media = NULL, *rtx = NULL;
    if (answer != Py_None) {
        if (!PyArg_ParseTuple(answer, "OO", &media, &rtx)) {
            Py_DECREF(answer);
            return -1;
        }
        for (int pass = 0; pass < 2 && result == 0; pass++) {
            PyObject *seq = PySequence_Fast(pass ? rtx : media, "payload types must be a sequence");
            if (seq == NULL) {
                result = -1;
                break;
            }
            for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
                long pt = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
                if (pt == -1 && PyErr_Occurred()) {
                    result = -1;
                    break;
                }
                if (pt >= 0 && pt < 128) {
                    self->kinds[pt] = (unsigned char)(pass ? 2 : 1);
                    self->has_media |= !pass;
                }
            }
            Py_DECREF(seq);
        }
    }
    Py_DECREF(answer);
    return result < 0 ? -1 : self->has_media;
}

/* the SRTP session now (0: no keys yet, 1: ready, -1: error) */
static int path_srtp(VideoPath *self) {
    PyObject *session = PyObject_GetAttr(self->owner, str_rx_srtp);
    if (session == NULL)
        return -1;
    if (session == Py_None) {
        Py_DECREF(session);
        return 0;
    }
    if (session == self->session) {
        Py_DECREF(session);
        return 1;
    }
    PyObject *answer = PyObject_CallOneArg(self->resolve, session);
    if (answer == NULL) {
        Py_DECREF(session);
        return -1;
    }
    unsigned long long fn = 0, ctx = 0;
    if (!PyArg_ParseTuple(answer, "KK", &fn, &ctx) || fn == 0 || ctx == 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "resolve gave no SRTP function or session");
        Py_DECREF(answer);
        Py_DECREF(session);
        return -1;
    }
    Py_DECREF(answer);
    Py_XSETREF(self->session, session); /* holds the session (and so its srtp_t) while its pointer is used */
    self->unprotect = (srtp_unprotect_fn)(uintptr_t)fn;
    self->ctx = (void *)(uintptr_t)ctx;
    return 1;
}

static void path_count(VideoPath *self, unsigned sequence, uint32_t timestamp, double now) {
    /* ReceptionStatistics.count */
    int in_order = !self->has_max_seq || (((sequence - self->max_seq) & 0xFFFF) > 0 &&
                                          ((sequence - self->max_seq) & 0xFFFF) < 0x8000);
    self->packets_received++;
    if (self->packets_received == 1)
        self->base_seq = sequence;
    if (in_order) {
        long long arrival = (long long)(now * VIDEO_CLOCK);
        if (self->has_max_seq && sequence < self->max_seq)
            self->cycles += 1 << 16;
        self->max_seq = sequence;
        self->has_max_seq = 1;
        if (timestamp != self->last_timestamp && self->packets_received > 1 && self->has_arrival) {
            long long diff = (arrival - self->last_arrival) - ((long long)timestamp - (long long)self->last_timestamp);
            if (diff < 0)
                diff = -diff;
            self->jitter_q4 += diff - ((self->jitter_q4 + 8) >> 4);
        }
        self->last_arrival = arrival;
        self->has_arrival = 1;
        self->last_timestamp = timestamp;
    }
}

static int path_unparsable(VideoPath *self, const char *reason) {
    self->unparsable++;
    if (self->unparsable == 1 || self->unparsable % 100 == 0) {
        PyObject *r = PyObject_CallFunction(self->on_unparsable, "Ls", self->unparsable, reason);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

static int compare_u16(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* a datagram that may be this session's video: 1 handled, 0 not ours (aiortc's path), -1 error */
static int path_video(VideoPath *self, const unsigned char *data, Py_ssize_t n) {
    if (n < 12)
        return 0;
    unsigned second = data[1];
    if (second > 191 && second < 224)
        return 0; /* RTCP */
    unsigned pt = second & 0x7F;
    if (!self->kinds[pt]) {
        if (self->has_media)
            return 0;
        int learned = path_learn(self);
        if (learned <= 0)
            return learned;
        if (!self->kinds[pt])
            return 0;
    }
    if (self->closed)
        return 1;
    int ready = path_srtp(self);
    if (ready <= 0)
        return ready;
    PyObject *ended = PyObject_GetAttr(self->decoder, str_ended);
    if (ended == NULL)
        return -1;
    int is_ended = PyObject_IsTrue(ended);
    Py_DECREF(ended);
    if (is_ended)
        return is_ended < 0 ? -1 : 1;
    self->packets++;
    self->bytes += n;
    if (n > DATAGRAM_MAX) {
        self->undecryptable++;
        return 1;
    }
    unsigned char *plain = (unsigned char *)self->buffer;
    memcpy(plain, data, (size_t)n);
    int length = (int)n;
    if (self->unprotect(self->ctx, plain, &length) != 0 || length < 0 || length > n) {
        self->undecryptable++;
        return 1;
    }
    Header h;
    const char *error = parse_rtp(plain, length, &h);
    if (error != NULL)
        return path_unparsable(self, error) < 0 ? -1 : 1;
    const unsigned char *payload = plain + h.start;
    Py_ssize_t size = h.end - h.start;
    unsigned sequence = h.sequence;
    double now = monotonic();
    if (self->kinds[pt] == 2) {
        if (size == 0)
            return 1; /* padding-only probe */
        if (size < 2)
            return path_unparsable(self, "RTX payload without its original sequence number") < 0 ? -1 : 1;
        sequence = (payload[0] << 8) | payload[1];
        payload += 2;
        size -= 2;
    } else {
        if (!self->has_ssrc || h.ssrc != self->ssrc) {
            /* told first, so that Python can keep the old source's statistics before they start again */
            PyObject *r = PyObject_CallFunction(self->on_source, "k", (unsigned long)h.ssrc);
            if (r == NULL)
                return -1;
            Py_DECREF(r);
            if (self->has_ssrc)
                core_forget(&self->core);
            self->ssrc = h.ssrc;
            self->has_ssrc = 1;
            self->has_max_seq = self->has_arrival = 0;
            self->base_seq = 0;
            self->cycles = self->packets_received = self->jitter_q4 = 0;
            self->last_timestamp = 0;
        }
        path_count(self, sequence, h.timestamp, now);
    }
    if (!self->has_ssrc)
        return 1; /* a retransmission before any media packet: nothing to place it in */
    Core *c = &self->core;
    PyObject *frames = PyList_New(0);
    if (frames == NULL)
        return -1;
    int result = core_packet(c, sequence, h.timestamp, h.marker, payload, size, now, frames);
    for (Py_ssize_t i = 0; result == 0 && i < PyList_GET_SIZE(frames); i++) {
        PyObject *item = PyList_GET_ITEM(frames, i);
        PyObject *r = PyObject_CallFunctionObjArgs(self->on_frame, PyTuple_GET_ITEM(item, 0),
                                                   PyTuple_GET_ITEM(item, 1), NULL);
        if (r == NULL)
            result = -1;
        Py_XDECREF(r);
    }
    Py_DECREF(frames);
    if (result < 0)
        return -1;
    if (c->n_nacks) {
        /* sorted, each once */
        uint16_t *v = c->nacks;
        Py_ssize_t k = c->n_nacks;
        qsort(v, (size_t)k, sizeof(uint16_t), compare_u16);
        PyObject *list = PyList_New(0);
        if (list == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < k; i++) {
            if (i && v[i] == v[i - 1])
                continue;
            PyObject *number = PyLong_FromLong(v[i]);
            if (number == NULL || PyList_Append(list, number) < 0) {
                Py_XDECREF(number);
                Py_DECREF(list);
                return -1;
            }
            Py_DECREF(number);
        }
        c->n_nacks = 0;
        PyObject *r = PyObject_CallOneArg(self->on_nacks, list);
        Py_DECREF(list);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    if (c->want_keyframe && now - self->last_pli >= PLI_INTERVAL) {
        self->last_pli = now;
        c->want_keyframe = 0;
        self->keyframe_requests++;
        PyObject *r = PyObject_CallNoArgs(self->on_keyframe);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 1;
}

static PyObject *VideoPath_packet(VideoPath *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int handled = path_video(self, view.buf, view.len);
    PyBuffer_Release(&view);
    if (handled < 0)
        return NULL;
    return PyBool_FromLong(handled);
}

static PyObject *VideoPath_count(VideoPath *self, PyObject *args) {
    unsigned int sequence;
    unsigned long timestamp;
    if (!PyArg_ParseTuple(args, "Ik", &sequence, &timestamp))
        return NULL;
    path_count(self, sequence & 0xFFFF, (uint32_t)timestamp, monotonic());
    Py_RETURN_NONE;
}

static PyObject *VideoPath_close(VideoPath *self, PyObject *Py_UNUSED(ignored)) {
    self->closed = 1;
    Py_CLEAR(self->session);
    self->unprotect = NULL;
    self->ctx = NULL;
    core_clear_all(&self->core);
    Py_RETURN_NONE;
}

static PyObject *VideoPath_take_nacks(VideoPath *self, PyObject *Py_UNUSED(ignored)) {
    return core_take_nacks(&self->core);
}

#define PATHCOUNTER(field)                                                                                           \
    static PyObject *VideoPath_get_##field(VideoPath *self, void *Py_UNUSED(closure)) {                              \
        return PyLong_FromLongLong(self->field);                                                                     \
    }
PATHCOUNTER(packets)
PATHCOUNTER(bytes)
PATHCOUNTER(undecryptable)
PATHCOUNTER(unparsable)
PATHCOUNTER(keyframe_requests)
PATHCOUNTER(cycles)
PATHCOUNTER(packets_received)
PATHCOUNTER(jitter_q4)
COUNTER(VideoPath, received)
COUNTER(VideoPath, duplicates)
COUNTER(VideoPath, late)
COUNTER(VideoPath, malformed)
COUNTER(VideoPath, lost)
COUNTER(VideoPath, nacked)
COUNTER(VideoPath, recovered)
COUNTER(VideoPath, frames)
COUNTER(VideoPath, dropped_frames)
COUNTER(VideoPath, resets)

static PyObject *VideoPath_get_waiting(VideoPath *self, void *Py_UNUSED(closure)) {
    return PyLong_FromLong(self->core.held);
}

static PyObject *VideoPath_get_base_seq(VideoPath *self, void *Py_UNUSED(closure)) {
    if (self->packets_received == 0)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(self->base_seq);
}

static PyObject *VideoPath_get_max_seq(VideoPath *self, void *Py_UNUSED(closure)) {
    if (!self->has_max_seq)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(self->max_seq);
}

static PyObject *VideoPath_get_ssrc(VideoPath *self, void *Py_UNUSED(closure)) {
    if (!self->has_ssrc)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(self->ssrc);
}

static PyObject *VideoPath_get_closed(VideoPath *self, void *Py_UNUSED(closure)) {
    return PyBool_FromLong(self->closed);
}

static PyObject *VideoPath_get_want_keyframe(VideoPath *self, void *Py_UNUSED(closure)) {
    return PyBool_FromLong(self->core.want_keyframe);
}

static int VideoPath_set_want_keyframe(VideoPath *self, PyObject *value, void *Py_UNUSED(closure)) {
    int truth = value == NULL ? 0 : PyObject_IsTrue(value);
    if (truth < 0)
        return -1;
    self->core.want_keyframe = truth;
    return 0;
}

static PyGetSetDef VideoPath_getset[] = {
    GETTER(VideoPath, packets), GETTER(VideoPath, bytes), GETTER(VideoPath, undecryptable),
    GETTER(VideoPath, unparsable), GETTER(VideoPath, keyframe_requests), GETTER(VideoPath, cycles),
    GETTER(VideoPath, packets_received), GETTER(VideoPath, jitter_q4), GETTER(VideoPath, base_seq),
    GETTER(VideoPath, max_seq), GETTER(VideoPath, ssrc), GETTER(VideoPath, closed),
    GETTER(VideoPath, received), GETTER(VideoPath, duplicates), GETTER(VideoPath, late),
    GETTER(VideoPath, malformed), GETTER(VideoPath, lost), GETTER(VideoPath, nacked),
    GETTER(VideoPath, recovered), GETTER(VideoPath, frames), GETTER(VideoPath, dropped_frames),
    GETTER(VideoPath, resets), GETTER(VideoPath, waiting),
    {"want_keyframe", (getter)VideoPath_get_want_keyframe, (setter)VideoPath_set_want_keyframe, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ----- Tap: what replaces an aioice protocol's datagram_received -------------------------------------------- */

typedef struct {
    PyObject_HEAD
    VideoPath *path;
    PyObject *original;      /* the protocol's own datagram_received(data, addr) */
    PyObject *data_received; /* the ICE connection's data_received(data, component) */
    PyObject *component;
    vectorcallfunc vectorcall;
} Tap;

static PyObject *tap_deliver(Tap *self, PyObject *data, PyObject *addr) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *d = view.buf;
    Py_ssize_t n = view.len;
    int rtp = n > 1 && d[0] > 127 && d[0] < 192; /* RTP or RTCP: never STUN (00) or DTLS (20-63) */
    int handled = rtp && self->path != NULL ? path_video(self->path, d, n) : 0;
    PyBuffer_Release(&view);
    if (handled < 0) {
        /* our own failure must not end aiortc's transport: report it and drop the datagram */
        PyErr_WriteUnraisable((PyObject *)self);
        Py_RETURN_NONE;
    }
    if (handled)
        Py_RETURN_NONE;
    if (rtp)
        return PyObject_CallFunctionObjArgs(self->data_received, data, self->component, NULL);
    return PyObject_CallFunctionObjArgs(self->original, data, addr, NULL);
}

static PyObject *Tap_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 2 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "datagram_received(data, addr)");
        return NULL;
    }
    return tap_deliver((Tap *)callable, args[0], args[1]);
}

static int Tap_traverse(Tap *self, visitproc visit, void *arg) {
    Py_VISIT(self->path);
    Py_VISIT(self->original);
    Py_VISIT(self->data_received);
    Py_VISIT(self->component);
    return 0;
}

static int Tap_clear(Tap *self) {
    Py_CLEAR(self->path);
    Py_CLEAR(self->original);
    Py_CLEAR(self->data_received);
    Py_CLEAR(self->component);
    return 0;
}

static void Tap_dealloc(Tap *self) {
    PyObject_GC_UnTrack(self);
    Tap_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject TapType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "media._rtpcore.Tap",
    .tp_basicsize = sizeof(Tap),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "datagram_received(data, addr) of one ICE component, video RTP taken by its VideoPath",
    .tp_vectorcall_offset = offsetof(Tap, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = (destructor)Tap_dealloc,
    .tp_traverse = (traverseproc)Tap_traverse,
    .tp_clear = (inquiry)Tap_clear,
};

static PyObject *VideoPath_tap(VideoPath *self, PyObject *args) {
    PyObject *original, *data_received, *component;
    if (!PyArg_ParseTuple(args, "OOO", &original, &data_received, &component))
        return NULL;
    Tap *tap = PyObject_GC_New(Tap, &TapType);
    if (tap == NULL)
        return NULL;
    Py_INCREF(self);
    tap->path = self;
    Py_INCREF(original);
    tap->original = original;
    Py_INCREF(data_received);
    tap->data_received = data_received;
    Py_INCREF(component);
    tap->component = component;
    tap->vectorcall = Tap_vectorcall;
    PyObject_GC_Track(tap);
    return (PyObject *)tap;
}

static PyMethodDef VideoPath_methods[] = {
    {"packet", (PyCFunction)VideoPath_packet, METH_O,
     "packet(datagram) -> bool: take it if it is this session's video RTP (True), else leave it (False)"},
    {"tap", (PyCFunction)VideoPath_tap, METH_VARARGS,
     "tap(original, data_received, component) -> the callable to use as the protocol's datagram_received"},
    {"close", (PyCFunction)VideoPath_close, METH_NOARGS, "take no more packets; free what is held"},
    {"count", (PyCFunction)VideoPath_count, METH_VARARGS,
     "count(sequence, timestamp): a packet of the source that took aiortc's path, in the statistics"},
    {"take_nacks", (PyCFunction)VideoPath_take_nacks, METH_NOARGS, "pending NACKs (normally handed on at once)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject VideoPathType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "media._rtpcore.VideoPath",
    .tp_basicsize = sizeof(VideoPath),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One session's video packets, from the datagram to the whole frame (see the module docstring).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)VideoPath_init,
    .tp_dealloc = (destructor)VideoPath_dealloc,
    .tp_traverse = (traverseproc)VideoPath_traverse,
    .tp_clear = (inquiry)VideoPath_clear,
    .tp_methods = VideoPath_methods,
    .tp_getset = VideoPath_getset,
};

/* ----- parse_rtp for tests and fuzzing ------------------------------------------------------------------------ */

static PyObject *rtpcore_parse_rtp(PyObject *Py_UNUSED(module), PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Header h;
    const char *error = parse_rtp(view.buf, view.len, &h);
    PyBuffer_Release(&view);
    if (error != NULL) {
        PyErr_SetString(PyExc_ValueError, error);
        return NULL;
    }
    return Py_BuildValue("(IOIkknn)", h.payload_type, h.marker ? Py_True : Py_False, h.sequence,
                         (unsigned long)h.timestamp, (unsigned long)h.ssrc, h.start, h.end);
}

/* ----- the tile write (media/frames.py's seqlock slot), for the decode thread ------------------------------- */

/* slot header offsets, bytes (media/frames.py: u64 words _SEQ 0, _FRAMES 4, _PTS 6; u32 words _WIDTH 4, _HEIGHT 5,
 * _FORMAT 6; f64 word _TIMESTAMP 5) */
#define SLOT_SEQ 0
#define SLOT_FRAMES 32
#define SLOT_PTS 48
#define SLOT_WIDTH 16
#define SLOT_HEIGHT 20
#define SLOT_FORMAT 24
#define SLOT_TIMESTAMP 40
#define SLOT_HEADER 64
#define FORMAT_YUV420P 1

static int copy_plane(unsigned char *dst, PyObject *plane, Py_ssize_t line, Py_ssize_t rows, Py_ssize_t row_bytes) {
    Py_buffer view;
    if (PyObject_GetBuffer(plane, &view, PyBUF_SIMPLE) < 0)
        return -1;
    if (line < row_bytes || rows < 1 || view.len < (rows - 1) * line + row_bytes) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "a plane of %zd bytes cannot hold %zd rows of %zd bytes %zd apart", view.len,
                     rows, row_bytes, line);
        return -1;
    }
    const unsigned char *src = view.buf;
    if (line == row_bytes) {
        memcpy(dst, src, (size_t)(rows * row_bytes));
    } else {
        for (Py_ssize_t r = 0; r < rows; r++)
            memcpy(dst + r * row_bytes, src + r * line, (size_t)row_bytes);
    }
    PyBuffer_Release(&view);
    return 0;
}

static PyObject *rtpcore_write_yuv(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *memory, *y, *u, *v;
    Py_ssize_t slot, slot_size, y_line, u_line, v_line, width, height;
    long long pts;
    double timestamp;
    if (!PyArg_ParseTuple(args, "OnnOnOnOnnnLd", &memory, &slot, &slot_size, &y, &y_line, &u, &u_line, &v, &v_line,
                          &width, &height, &pts, &timestamp))
        return NULL;
    if (width < 2 || height < 2 || width % 2 || height % 2) {
        PyErr_Format(PyExc_ValueError, "a %zdx%zd picture is not an even size", width, height);
        return NULL;
    }
    Py_buffer wall;
    if (PyObject_GetBuffer(memory, &wall, PyBUF_WRITABLE) < 0)
        return NULL;
    Py_ssize_t need = SLOT_HEADER + width * height * 3 / 2;
    if (slot < 0 || slot % 8 || need > slot_size || slot + slot_size > wall.len) {
        PyBuffer_Release(&wall);
        PyErr_Format(PyExc_ValueError, "a %zdx%zd picture does not fit the slot at %zd", width, height, slot);
        return NULL;
    }
    unsigned char *base = (unsigned char *)wall.buf + slot;
    uint64_t *seq = (uint64_t *)(base + SLOT_SEQ);
    uint64_t odd = __atomic_load_n(seq, __ATOMIC_RELAXED) | 1;
    __atomic_store_n(seq, odd, __ATOMIC_RELAXED); /* odd: writing */
    __atomic_thread_fence(__ATOMIC_RELEASE);      /* ... before any of the picture */
    unsigned char *data = base + SLOT_HEADER;
    int failed = copy_plane(data, y, y_line, height, width) < 0 ||
                 copy_plane(data + width * height, u, u_line, height / 2, width / 2) < 0 ||
                 copy_plane(data + width * height + (width / 2) * (height / 2), v, v_line, height / 2, width / 2) < 0;
    if (!failed) {
        *(uint32_t *)(base + SLOT_WIDTH) = (uint32_t)width;
        *(uint32_t *)(base + SLOT_HEIGHT) = (uint32_t)height;
        *(uint32_t *)(base + SLOT_FORMAT) = FORMAT_YUV420P;
        *(uint64_t *)(base + SLOT_FRAMES) += 1;
        *(int64_t *)(base + SLOT_PTS) = pts;
        *(double *)(base + SLOT_TIMESTAMP) = timestamp;
    } else {
        *(uint32_t *)(base + SLOT_FORMAT) = 0; /* a half-written picture is not shown: the tile reads empty */
    }
    __atomic_store_n(seq, odd + 1, __ATOMIC_RELEASE); /* even: done */
    PyBuffer_Release(&wall);
    if (failed)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"write_yuv", rtpcore_write_yuv, METH_VARARGS,
     "write_yuv(memory, slot, slot_size, y, y_line, u, u_line, v, v_line, width, height, pts, timestamp): one "
     "I420 picture into a frame-wall slot under its seqlock (media/frames.py)"},
    {"parse_rtp", rtpcore_parse_rtp, METH_O,
     "parse_rtp(data) -> (payload_type, marker, sequence, timestamp, ssrc, start, end); ValueError if not RTP"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "media._rtpcore",
    "The video receive path's per-packet work in C (see media/_rtpcore.c and media/fast_video.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__rtpcore(void) {
    if (PyType_Ready(&AssemblerType) < 0 || PyType_Ready(&VideoPathType) < 0 || PyType_Ready(&TapType) < 0)
        return NULL;
    str_rx_srtp = PyUnicode_InternFromString("_rx_srtp");
    str_ended = PyUnicode_InternFromString("ended");
    if (str_rx_srtp == NULL || str_ended == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "RING", RING) < 0 || PyModule_AddObjectRef(m, "Assembler", (PyObject *)&AssemblerType) < 0 ||
        PyModule_AddObjectRef(m, "VideoPath", (PyObject *)&VideoPathType) < 0 ||
        PyModule_AddObjectRef(m, "Tap", (PyObject *)&TapType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
