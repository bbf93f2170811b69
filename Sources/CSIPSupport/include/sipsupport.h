#ifndef SIPMETER_SIPSUPPORT_H
#define SIPMETER_SIPSUPPORT_H
#include <stddef.h>
#include <stdio.h>

/// Fields copied out of one parsed SIP message. Every pointer refers to
/// memory owned by the parsed libosip2 message and is valid only until
/// `sipm_message_free` is called on it.
typedef struct {
    int is_request;
    int status_code;
    int via_count;
    int has_from;
    int has_to;
    const char *method;
    const char *reason_phrase;
    const char *ruri_scheme;
    const char *ruri_user;
    const char *ruri_host;
    const char *callid_number;
    const char *callid_host;
    const char *cseq_number;
    const char *cseq_method;
    const char *from_user;
    const char *from_host;
    const char *from_tag;
    const char *to_user;
    const char *to_tag;
    const char *via_branch;
    const char *via_host;
    const char *pai;
    const char *session_expires;
    const char *reason;
    /// Content-Length's value; -1 when absent or not a number.
    long content_length_value;
    size_t body_length;
} sipm_fields;

/// Initialises libosip2 once: its static parser tables and a silent log
/// sink. Must run before any thread parses (libosip2 otherwise sets up its
/// logger lazily, racily, and prints to stdout).
void sipm_osip_setup(void);

/// Parses exactly one framed SIP message. Returns an opaque message handle
/// (free it with `sipm_message_free`) and fills `out`, or NULL on failure
/// with `*error` set to libosip2's error code. With `complete` 0, libosip2
/// parses only the start line and the headers metering reads (Via, From,
/// To, Call-ID, CSeq, P-Asserted-Identity, Session-Expires, Reason), each
/// line handed to it as split here; the body and Content-Length are
/// measured here. With 2, the same lines are copied into a message of their
/// own for libosip2's whole-message parse (the reference for 0). With 1 it
/// parses everything.
/// With `use_arena` 1, libosip2 allocates the message in a per-thread arena
/// (pointer bumps, reused by the next parse on the thread): the handle must
/// be freed on the thread that parsed, before that thread parses again.
void *sipm_message_parse(const char *buf, size_t len, int complete, int use_arena, sipm_fields *out, int *error);
void sipm_message_free(void *message);

/// Opens a file for reading through zlib, so gzip-compressed and plain files
/// read the same, as a stdio stream (for libpcap's `pcap_fopen_offline`).
FILE *sipm_gzfopen(const char *path);

/// zlib reading of plain or gzip-compressed files (zlib reads plain files
/// transparently). `sipm_gzread` returns bytes read, 0 at end, -1 on error.
void *sipm_gzopen(const char *path);
int sipm_gzread(void *file, void *buf, unsigned len);
void sipm_gzclose(void *file);
const char *sipm_gzerror(void *file);

/// Inflates a gzip (or zlib) buffer into `out` (capacity `out_cap`). Returns
/// the inflated length; -1 when the input is not one valid compressed
/// stream (bytes after its end included);
/// -2 when the output would exceed `out_cap` (a bound against zip bombs).
long sipm_gunzip(const unsigned char *in, unsigned long in_len, unsigned char *out, unsigned long out_cap);

/// Deflates `in` as gzip into `out` (capacity at least sipm_gzip_bound(in_len)).
/// Returns the compressed length, or -1 on failure.
long sipm_gzip(const unsigned char *in, unsigned long in_len, unsigned char *out, unsigned long out_cap, int level);
unsigned long sipm_gzip_bound(unsigned long in_len);

/// MD5 digest of `len` bytes into `out` (16 bytes), through libosip2.
void sipm_md5(const unsigned char *data, unsigned int len, unsigned char *out);

#endif
