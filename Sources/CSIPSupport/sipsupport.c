#define _GNU_SOURCE
#include "sipsupport.h"

#include <stdarg.h>
#include <string.h>
#include <zlib.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_md5.h>

static void sipm_silent_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap) {
    (void)fi; (void)li; (void)level; (void)chfr; (void)ap;
}

void sipm_osip_setup(void) {
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

void *sipm_message_parse(const char *buf, size_t len, sipm_fields *out, int *error) {
    memset(out, 0, sizeof(*out));
    osip_message_t *msg = NULL;
    int rc = osip_message_init(&msg);
    if (rc != 0) { *error = rc; return NULL; }
    rc = osip_message_parse(msg, buf, len);
    if (rc != 0) { *error = rc; osip_message_free(msg); return NULL; }
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
    if (msg->content_length != NULL) {
        out->content_length = msg->content_length->value;
    }
    osip_body_t *body = (osip_body_t *)osip_list_get(&msg->bodies, 0);
    if (body != NULL) {
        out->body_length = body->length;
    }
    return msg;
}

void sipm_message_free(void *message) {
    if (message != NULL) {
        osip_message_free((osip_message_t *)message);
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
    inflateEnd(&zs);
    if (rc == Z_STREAM_END) return produced;
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
