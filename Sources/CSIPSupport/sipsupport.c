#define _GNU_SOURCE
#include "sipsupport.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_md5.h>

static void sipm_silent_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap) {
    (void)fi; (void)li; (void)level; (void)chfr; (void)ap;
}

/* A per-thread arena for the parse of one message. libosip2 makes some
   fifty small allocations per message (every header, URI, parameter and
   string) and frees them all when the message is freed, microseconds
   later, on the same thread: with the arena each is a pointer bump and
   each free is nothing, and the whole arena is reused by the next message.
   Outside a parse, when the arena is full (a huge message), and on threads
   that never parse, libosip2 gets malloc/realloc/free as before; a free
   tells the two apart by address. */
typedef struct {
    char *base;
    size_t used;
    size_t capacity;
    int active;
    /* An allocation of this parse went to malloc (the arena was full). */
    int spilled;
} sipm_arena;

static __thread sipm_arena arena;
static pthread_key_t arena_key;

enum { ARENA_CAPACITY = 64 * 1024, ARENA_ALIGN = 16 };

static void arena_release(void *base) { free(base); }

static int in_arena(const void *p) {
    return arena.base != NULL && (const char *)p >= arena.base && (const char *)p < arena.base + arena.capacity;
}

static void *arena_malloc(size_t size) {
    if (arena.active) {
        size_t need = (size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
        if (need >= size && need <= arena.capacity - arena.used) {
            void *p = arena.base + arena.used;
            arena.used += need;
            return p;
        }
        arena.spilled = 1;
    }
    return malloc(size);
}

static void *arena_realloc(void *p, size_t size) {
    if (p == NULL) { return arena_malloc(size); }
    if (!in_arena(p)) {
        if (arena.active) { arena.spilled = 1; }
        return realloc(p, size);
    }
    void *q = arena_malloc(size);
    if (q != NULL) {
        /* The old block ends at or before the arena's high mark; copying up
           to there (or `size`) covers it without storing block sizes. */
        size_t available = (size_t)(arena.base + arena.used - (char *)p);
        memcpy(q, p, size < available ? size : available);
    }
    return q;
}

static void arena_free(void *p) {
    if (!in_arena(p)) { free(p); }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIPM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SIPM_ASAN 1
#endif

/* Starts a parse on this thread: the arena is emptied and used. Under
   AddressSanitizer (the fuzzer's build) it stays off, so that each of
   libosip2's allocations is its own and an overrun is caught. */
static void arena_begin(void) {
#ifndef SIPM_ASAN
    if (arena.base == NULL) {
        arena.base = malloc(ARENA_CAPACITY);
        if (arena.base == NULL) { return; }
        arena.capacity = ARENA_CAPACITY;
        /* Freed when the thread ends (the daemon starts parser threads per input). */
        pthread_setspecific(arena_key, arena.base);
    }
    arena.used = 0;
    arena.spilled = 0;
    arena.active = 1;
#endif
}

/* Ends a parse: later allocations on this thread go to malloc. */
static void arena_end(void) { arena.active = 0; }

/* Frees a message parsed on this thread. When every allocation of its
   parse is in the arena, there is nothing to free one by one: walking
   libosip2's structures only to free nothing each time is skipped, and the
   next parse reuses the arena whole. */
static void arena_message_free(osip_message_t *msg) {
    if (!(arena.active && !arena.spilled)) { osip_message_free(msg); }
    arena_end();
}

void sipm_osip_setup(void) {
    pthread_key_create(&arena_key, arena_release);
    osip_set_allocators(arena_malloc, arena_realloc, arena_free);
    osip_trace_initialize_func(END_TRACE_LEVEL, sipm_silent_trace);
    for (int level = 0; level < END_TRACE_LEVEL; level++) {
        osip_trace_disable_level((osip_trace_level_t)level);
    }
    parser_init();
}

static const char *header_value(osip_message_t *msg, const char *name, const char *compact) {
    osip_header_t *h = NULL;
    if (osip_message_header_get_byname(msg, name, 0, &h) >= 0 && h != NULL && h->hvalue != NULL) {
        return h->hvalue;
    }
    if (compact != NULL && osip_message_header_get_byname(msg, compact, 0, &h) >= 0 && h != NULL && h->hvalue != NULL) {
        return h->hvalue;
    }
    return NULL;
}

static const char *generic_param(osip_list_t *params, const char *name) {
    osip_generic_param_t *p = NULL;
    if (osip_generic_param_get_byname(params, (char *)name, &p) >= 0 && p != NULL) {
        return p->gvalue != NULL ? p->gvalue : "";
    }
    return NULL;
}

/* Whether `name` (`n` bytes) equals the lowercase `word`, ignoring ASCII case. */
static int name_is(const char *name, size_t n, const char *word, size_t w) {
    if (n != w) { return 0; }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 'A' && c <= 'Z') { c = (unsigned char)(c + ('a' - 'A')); }
        if (c != (unsigned char)word[i]) { return 0; }
    }
    return 1;
}
#define NAME_IS(name, n, word) name_is((name), (n), (word), sizeof(word) - 1)

/* What a header line is to metering (header_class). The kinds from
   HEADER_VIA on are kept, and their values go to libosip2's own parser for
   that header without the name lookup first (set_header). */
enum {
    HEADER_DROP = 0, HEADER_KEEP, HEADER_CONTENT_LENGTH,
    HEADER_VIA, HEADER_FROM, HEADER_TO, HEADER_CALL_ID, HEADER_CSEQ
};

/* What a header line (name up to the colon) is to metering: one it reads
   (Via, From, To, Call-ID, CSeq, P-Asserted-Identity, Session-Expires and
   Reason, in long or compact form: RFC 3261 §7.3.3, RFC 4028 `x`),
   Content-Length (measured here, not passed on), or another. A line that
   is not a header is kept, for libosip2 to judge. Sets `*colon` to the
   index of the colon. Called once per header line of every message: the
   name is classified by its length first, so most lines cost a compare or
   two. */
static int header_class(const char *line, size_t n, size_t *colon) {
    size_t k = 0;
    while (k < n && line[k] != ':' && line[k] != ' ' && line[k] != '\t') { k++; }
    size_t c = k;
    while (c < n && (line[c] == ' ' || line[c] == '\t')) { c++; }
    *colon = c;
    if (c >= n || line[c] != ':') { return HEADER_KEEP; }
    switch (k) {
    case 1: {
        char x = line[0];
        if (x >= 'A' && x <= 'Z') { x = (char)(x + ('a' - 'A')); }
        switch (x) {
        case 'l': return HEADER_CONTENT_LENGTH;
        case 'v': return HEADER_VIA;
        case 'f': return HEADER_FROM;
        case 't': return HEADER_TO;
        case 'i': return HEADER_CALL_ID;
        case 'x': return HEADER_KEEP;
        default: return HEADER_DROP;
        }
    }
    case 2: return NAME_IS(line, k, "to") ? HEADER_TO : HEADER_DROP;
    case 3: return NAME_IS(line, k, "via") ? HEADER_VIA : HEADER_DROP;
    case 4: return NAME_IS(line, k, "from") ? HEADER_FROM : NAME_IS(line, k, "cseq") ? HEADER_CSEQ : HEADER_DROP;
    case 6: return NAME_IS(line, k, "reason");
    case 7: return NAME_IS(line, k, "call-id") ? HEADER_CALL_ID : HEADER_DROP;
    case 14: return NAME_IS(line, k, "content-length") ? HEADER_CONTENT_LENGTH : HEADER_DROP;
    case 15: return NAME_IS(line, k, "session-expires");
    case 19: return NAME_IS(line, k, "p-asserted-identity");
    default: return HEADER_DROP;
    }
}

/* The value of a Content-Length header, [v, e) after its colon: digits
   between optional spaces or tabs, else -1. */
static long content_length_value(const char *v, const char *e) {
    while (v < e && (*v == ' ' || *v == '\t')) { v++; }
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) { e--; }
    if (v >= e || e - v > 12) { return -1; }
    long value = 0;
    for (const char *c = v; c < e; c++) {
        if (*c < '0' || *c > '9') { return -1; }
        value = value * 10 + (*c - '0');
    }
    return value;
}

/* Copies the start line and the headers metering reads into `out`
   (capacity >= len + 4), without the body, and returns the copy's length:
   a message of its own for osip_message_parse, the reference that
   metering_parse is tested against (`complete` 2).
   Sets the body's length and the Content-Length value (-1 when absent or
   not a number). Folded continuation lines follow their header. */
static size_t metering_subset(const char *buf, size_t len, char *out, size_t *body_length, long *content_length) {
    size_t o = 0, i = 0;
    int keep = 1, first = 1;
    *content_length = -1;
    *body_length = 0;
    /* libosip2 skips line ends before the start line. */
    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) { i++; }
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : len;
        size_t text = end - i;
        while (text > 0 && (buf[i + text - 1] == '\n' || buf[i + text - 1] == '\r')) { text--; }
        if (text == 0 && !first) {
            *body_length = len - end;
            break;
        }
        const char *line = buf + i;
        if (first) {
            keep = 1;
        } else if (line[0] != ' ' && line[0] != '\t') {
            size_t k = 0;
            int kind = header_class(line, text, &k);
            keep = kind != HEADER_DROP && kind != HEADER_CONTENT_LENGTH;
            if (kind == HEADER_CONTENT_LENGTH) { *content_length = content_length_value(line + k + 1, line + text); }
        }
        if (keep) {
            memcpy(out + o, line, end - i);
            o += end - i;
        }
        first = 0;
        i = end;
    }
    /* End the headers as the lines end (CRLF, or a bare LF in a log). */
    int crlf = !(o >= 1 && out[o - 1] == '\n' && (o < 2 || out[o - 2] != '\r'));
    if (o > 0 && out[o - 1] != '\n') { out[o++] = '\r'; out[o++] = '\n'; }
    if (crlf) { out[o++] = '\r'; }
    out[o++] = '\n';
    return o;
}

/* `n` bytes at `p` without the spaces, tabs, CRs and LFs at either end,
   as a C string libosip2 allocated: what osip_clrncpy makes, which cannot
   be used here, as it scans for the first other byte without a bound and
   `p` is not a C string. */
static char *trimmed_copy(const char *p, size_t n) {
    size_t b = 0, e = n;
    while (b < e && (p[b] == ' ' || p[b] == '\t' || p[b] == '\r' || p[b] == '\n')) { b++; }
    while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r' || p[e - 1] == '\n')) { e--; }
    char *out = osip_malloc(e - b + 1);
    if (out != NULL) {
        memcpy(out, p + b, e - b);
        out[e - b] = '\0';
    }
    return out;
}

/* Sets one header on `msg` as libosip2's own header loop would
   (msg_headers_parse): the name and the value up to the line's end, each
   trimmed as osip_clrncpy trims, then osip_message_set_multiple_header, which
   splits comma-separated values and hands each to the header's own
   libosip2 parser. `line` is one header with its folded continuation
   lines, `n` bytes, its own line end excluded; `folded` says whether it
   spans lines. Returns 0 or libosip2's error. */
static int set_header(osip_message_t *msg, int kind, const char *line, size_t n, int folded) {
    if (memchr(line, '\0', n) != NULL) { return OSIP_SYNTAXERROR; }
    char stack[1024];
    const char *text = line;
    char *joined = NULL;
    if (folded) {
        /* libosip2 first turns each line break and the spaces or tabs that
           open the next line into spaces (osip_util_replace_all_lws). */
        joined = n <= sizeof stack ? stack : osip_malloc(n);
        if (joined == NULL) { return OSIP_NOMEM; }
        memcpy(joined, line, n);
        for (size_t k = 0; k < n; k++) {
            if (joined[k] != '\r' && joined[k] != '\n') { continue; }
            while (k < n && (joined[k] == '\r' || joined[k] == '\n')) { joined[k++] = ' '; }
            while (k < n && (joined[k] == ' ' || joined[k] == '\t')) { joined[k++] = ' '; }
            k--;
        }
        text = joined;
    }
    int rc = OSIP_SYNTAXERROR;
    const char *colon = memchr(text, ':', n);
    if (colon != NULL && kind >= HEADER_VIA) {
        /* A header libosip2 parses itself, named as header_class found:
           straight to its parser, as osip_message_set_multiple_header
           would call it after lowercasing and looking up the name. Only a
           Via value with a comma goes through it (several Vias). */
        size_t value_length = n - (size_t)(colon - text) - 1;
        char *hvalue = value_length > 0 ? trimmed_copy(colon + 1, value_length) : NULL;
        if (value_length > 0 && hvalue == NULL) { rc = OSIP_NOMEM; }
        else {
            switch (kind) {
            case HEADER_VIA:
                if (hvalue != NULL && strchr(hvalue, ',') != NULL) {
                    char hname[] = "via";
                    rc = osip_message_set_multiple_header(msg, hname, hvalue);
                } else {
                    rc = osip_message_set_via(msg, hvalue);
                }
                break;
            case HEADER_FROM: rc = osip_message_set_from(msg, hvalue); break;
            case HEADER_TO: rc = osip_message_set_to(msg, hvalue); break;
            case HEADER_CALL_ID: rc = osip_message_set_call_id(msg, hvalue); break;
            default: rc = osip_message_set_cseq(msg, hvalue); break;
            }
            rc = rc == 0 ? 0 : OSIP_SYNTAXERROR;
        }
        osip_free(hvalue);
    } else if (colon != NULL && colon != text) {
        size_t name_length = (size_t)(colon - text);
        size_t value_length = n - name_length - 1;
        char *hname = trimmed_copy(text, name_length);
        char *hvalue = value_length > 0 ? trimmed_copy(colon + 1, value_length) : NULL;
        if (hname == NULL || (value_length > 0 && hvalue == NULL)) {
            rc = OSIP_NOMEM;
        } else {
            rc = osip_message_set_multiple_header(msg, hname, hvalue) == 0 ? 0 : OSIP_SYNTAXERROR;
        }
        osip_free(hname);
        osip_free(hvalue);
    }
    if (joined != NULL && joined != stack) { osip_free(joined); }
    return rc;
}

/* Parses the start line and the headers metering reads into `msg`, the
   others skipped unparsed (see header_class). libosip2 parses the start
   line (osip_message_parse of that line alone) and each header's value
   (set_header); the lines are split here, once, so that libosip2 neither
   copies the message nor scans it for folding and line ends again. Sets
   the body's length and the Content-Length value (-1 when absent or not a
   number). The same judgement as osip_message_parse of the metering
   subset (metering_subset), which the tests hold it to. */
static int metering_parse(osip_message_t *msg, const char *buf, size_t len, size_t *body_length, long *content_length) {
    *content_length = -1;
    *body_length = 0;
    size_t i = 0;
    /* libosip2 skips line ends before the start line. */
    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) { i++; }
    int first = 1;
    while (i < len) {
        /* One header: its first line (`head` bytes without the line end)
           and any folded lines after it (`text` bytes in all). */
        size_t start = i;
        const char *line = buf + start;
        const char *nl = memchr(line, '\n', len - start);
        size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : len;
        size_t head = end - start;
        while (head > 0 && (line[head - 1] == '\n' || line[head - 1] == '\r')) { head--; }
        if (head == 0 && !first) {
            *body_length = len - end;
            break;
        }
        int folded = 0;
        while (end < len && (buf[end] == ' ' || buf[end] == '\t')) {
            folded = 1;
            nl = memchr(buf + end, '\n', len - end);
            end = nl != NULL ? (size_t)(nl - buf) + 1 : len;
        }
        size_t text = end - start;
        while (text > 0 && (line[text - 1] == '\n' || line[text - 1] == '\r')) { text--; }
        i = end;
        if (first) {
            first = 0;
            /* The start line alone, ended by an empty line. A status line
               with no reason phrase and no space before it ("SIP/2.0 200")
               gets that space: libosip2 looks for it past the line's end
               and would take the next header for the reason phrase. */
            int pad = 0;
            if (text > 4 && memcmp(line, "SIP/", 4) == 0) {
                const char *sp = memchr(line, ' ', text);
                pad = sp != NULL && memchr(sp + 1, ' ', (size_t)(line + text - (sp + 1))) == NULL;
            }
            char stack[512];
            size_t need = text + (size_t)pad + 4;
            char *only = need <= sizeof stack ? stack : malloc(need);
            if (only == NULL) { return OSIP_NOMEM; }
            memcpy(only, line, text);
            if (pad) { only[text] = ' '; }
            memcpy(only + text + pad, "\r\n\r\n", 4);
            int rc = osip_message_parse(msg, only, need);
            if (only != stack) { free(only); }
            if (rc != 0) { return rc; }
            /* libosip2 gave that bodiless message a Content-Length of 0;
               a Content-Length header that reaches libosip2 below (one
               folded before its colon) must not find it already set. */
            if (msg->content_length != NULL) {
                osip_content_length_free(msg->content_length);
                msg->content_length = NULL;
            }
            continue;
        }
        size_t colon = 0;
        int kind = header_class(line, head, &colon);
        switch (kind) {
        case HEADER_DROP: break;
        case HEADER_CONTENT_LENGTH: *content_length = content_length_value(line + colon + 1, line + head); break;
        default: {
            int rc = set_header(msg, kind, line, text, folded);
            if (rc != 0) { return rc; }
        }
        }
    }
    return first ? OSIP_SYNTAXERROR : 0;
}

void *sipm_message_parse(const char *buf, size_t len, int complete, int use_arena, sipm_fields *out, int *error) {
    memset(out, 0, sizeof(*out));
    if (use_arena) { arena_begin(); }
    osip_message_t *msg = NULL;
    int rc = osip_message_init(&msg);
    if (rc != 0) { *error = rc; arena_end(); return NULL; }
    if (complete == 1) {
        rc = osip_message_parse(msg, buf, len);
    } else if (complete == 0) {
        rc = metering_parse(msg, buf, len, &out->body_length, &out->content_length_value);
    } else {
        char stack[4096];
        char *subset = len + 4 <= sizeof stack ? stack : malloc(len + 4);
        if (subset == NULL) { *error = OSIP_NOMEM; arena_message_free(msg); return NULL; }
        size_t n = metering_subset(buf, len, subset, &out->body_length, &out->content_length_value);
        rc = osip_message_parse(msg, subset, n);
        if (subset != stack) { free(subset); }
    }
    if (rc != 0) { *error = rc; arena_message_free(msg); return NULL; }
    *error = 0;
    out->is_request = MSG_IS_REQUEST(msg) ? 1 : 0;
    out->status_code = msg->status_code;
    out->method = msg->sip_method;
    out->reason_phrase = msg->reason_phrase;
    if (msg->req_uri != NULL) {
        out->ruri_scheme = msg->req_uri->scheme;
        out->ruri_user = msg->req_uri->username;
        out->ruri_host = msg->req_uri->host;
    }
    if (msg->call_id != NULL) {
        out->callid_number = msg->call_id->number;
        out->callid_host = msg->call_id->host;
    }
    if (msg->cseq != NULL) {
        out->cseq_number = msg->cseq->number;
        out->cseq_method = msg->cseq->method;
    }
    if (msg->from != NULL) {
        out->has_from = 1;
        if (msg->from->url != NULL) {
            out->from_user = msg->from->url->username;
            out->from_host = msg->from->url->host;
        }
        out->from_tag = generic_param(&msg->from->gen_params, "tag");
    }
    if (msg->to != NULL) {
        out->has_to = 1;
        if (msg->to->url != NULL) {
            out->to_user = msg->to->url->username;
        }
        out->to_tag = generic_param(&msg->to->gen_params, "tag");
    }
    out->via_count = osip_list_size(&msg->vias);
    osip_via_t *via = (osip_via_t *)osip_list_get(&msg->vias, 0);
    if (via != NULL) {
        out->via_branch = generic_param(&via->via_params, "branch");
        out->via_host = via->host;
    }
    out->pai = header_value(msg, "p-asserted-identity", NULL);
    out->session_expires = header_value(msg, "session-expires", "x");
    out->reason = header_value(msg, "reason", NULL);
    if (complete == 1) {
        out->content_length_value = -1;
        if (msg->content_length != NULL && msg->content_length->value != NULL) {
            char *end = NULL;
            long value = strtol(msg->content_length->value, &end, 10);
            if (end != msg->content_length->value && *end == '\0' && value >= 0) { out->content_length_value = value; }
        }
        osip_body_t *body = (osip_body_t *)osip_list_get(&msg->bodies, 0);
        if (body != NULL) {
            out->body_length = body->length;
        }
    }
    return msg;
}

void sipm_message_free(void *message) {
    if (message != NULL) {
        arena_message_free((osip_message_t *)message);
    } else {
        arena_end();
    }
}

static ssize_t sipm_gz_read(void *cookie, char *buf, size_t size) {
    int n = gzread((gzFile)cookie, buf, (unsigned)(size > (1u << 30) ? (1u << 30) : size));
    return n < 0 ? -1 : (ssize_t)n;
}

static int sipm_gz_close(void *cookie) {
    return gzclose((gzFile)cookie) == Z_OK ? 0 : -1;
}

FILE *sipm_gzfopen(const char *path) {
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) { return NULL; }
    gzbuffer(gz, 1u << 17);
    cookie_io_functions_t io = { sipm_gz_read, NULL, NULL, sipm_gz_close };
    FILE *f = fopencookie(gz, "r", io);
    if (f == NULL) { gzclose(gz); }
    return f;
}

void sipm_md5(const unsigned char *data, unsigned int len, unsigned char *out) {
    osip_MD5_CTX ctx;
    osip_MD5Init(&ctx);
    osip_MD5Update(&ctx, (unsigned char *)data, len);
    osip_MD5Final(out, &ctx);
}

void *sipm_gzopen(const char *path) {
    gzFile gz = gzopen(path, "rb");
    if (gz != NULL) { gzbuffer(gz, 1u << 17); }
    return gz;
}

int sipm_gzread(void *file, void *buf, unsigned len) {
    return gzread((gzFile)file, buf, len);
}

void sipm_gzclose(void *file) {
    if (file != NULL) { gzclose((gzFile)file); }
}

const char *sipm_gzerror(void *file) {
    int code = 0;
    return gzerror((gzFile)file, &code);
}

long sipm_gunzip(const unsigned char *in, unsigned long in_len, unsigned char *out, unsigned long out_cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 32 + MAX_WBITS: accept gzip and zlib headers. */
    if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return -1;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = out;
    zs.avail_out = (uInt)out_cap;
    int rc = inflate(&zs, Z_FINISH);
    long produced = (long)zs.total_out;
    uInt left = zs.avail_in;
    inflateEnd(&zs);
    /* Bytes after the end of the stream (a second gzip member, junk) would
       be dropped unread: the input is not one stream. */
    if (rc == Z_STREAM_END) return left == 0 ? produced : -1;
    if ((rc == Z_BUF_ERROR || rc == Z_OK) && zs.avail_out == 0) return -2;
    return -1;
}

unsigned long sipm_gzip_bound(unsigned long in_len) {
    return compressBound(in_len) + 32;
}

long sipm_gzip(const unsigned char *in, unsigned long in_len, unsigned char *out, unsigned long out_cap, int level) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 16 + MAX_WBITS: a gzip wrapper. */
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = out;
    zs.avail_out = (uInt)out_cap;
    int rc = deflate(&zs, Z_FINISH);
    long produced = (long)zs.total_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? produced : -1;
}
