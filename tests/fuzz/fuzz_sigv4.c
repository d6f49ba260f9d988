/* SigV4 canonicalisation and signing (aws/sigv4.c) of odd requests.
 *
 * Input: an HTTP request as in the signing suite's request.txt files:
 * "METHOD target HTTP/1.1", header lines ("Name:value", folded lines start
 * with a blank), an empty line, the body. Each input is signed with path
 * normalisation (every service but S3) and without it (with a session
 * token and the payload-hash header).
 *
 * Properties: signing never fails for a request with a Host header; the
 * canonical request is well formed (URI and query fully encoded with
 * upper-case hex, no empty or dot segments after normalisation, header
 * names lower case and strictly sorted, values trimmed and folded, the
 * signed header list matching); the canonical query equals an independent
 * reference (decode, re-encode, byte-wise sort); canonicalising the decoded
 * canonical URI changes nothing; signing is deterministic; the
 * Authorization header is built from the parts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "fuzz.h"
#include "util/buf.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE "20150830T123600Z"
#define SCOPE "20150830/us-east-1/service/aws4_request"

struct request {
    char *method;
    char *path;
    char *query; /* NULL when the target has no '?' */
    struct http_headers headers;
    char *body;
    size_t body_len;
};

static void parse_request(const uint8_t *data, size_t size, struct request *r)
{
    struct fuzz_in in = {data, size};
    memset(r, 0, sizeof(*r));
    char *line = fuzz_line(&in);
    char *sp = strchr(line, ' ');
    char *target = sp ? sp + 1 : line + strlen(line);
    r->method = fuzz_dup(line, sp ? (size_t)(sp - line) : strlen(line));
    /* The target runs to the last " HTTP/" (paths may hold spaces). */
    char *end = NULL;
    for (char *p = strstr(target, " HTTP/"); p; p = strstr(p + 1, " HTTP/"))
        end = p;
    if (end)
        *end = '\0';
    char *q = strchr(target, '?');
    r->path = fuzz_dup(target, q ? (size_t)(q - target) : strlen(target));
    r->query = q ? fuzz_dup(q + 1, strlen(q + 1)) : NULL;
    free(line);

    struct buf value = BUF_INIT;
    char *name = NULL;
    for (;;) {
        line = fuzz_line(&in);
        int blank_line = line[0] == '\0';
        if (!blank_line && (line[0] == ' ' || line[0] == '\t') && name) {
            buf_putc(&value, '\n'); /* a folded line continues the value */
            buf_puts(&value, line);
            free(line);
            continue;
        }
        if (name) {
            http_headers_add(&r->headers, name, buf_cstr(&value));
            free(name);
            name = NULL;
        }
        buf_reset(&value);
        if (blank_line) {
            free(line);
            break;
        }
        char *colon = strchr(line, ':');
        if (colon && colon != line) {
            name = fuzz_dup(line, (size_t)(colon - line));
            buf_puts(&value, colon + 1);
        }
        free(line);
    }
    buf_free(&value);
    if (!http_headers_get(&r->headers, "Host"))
        http_headers_add(&r->headers, "Host", "example.amazonaws.com");
    r->body = fuzz_rest(&in, &r->body_len);
}

static void request_free(struct request *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    http_headers_free(&r->headers);
    free(r->body);
}

/* ---- an independent canonical query, for comparison ------------------- */

static int hexdigit(int c)
{
    return (c >= '0' && c <= '9')   ? c - '0'
           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                    : -1;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Percent-decodes s[0..n) (bad escapes kept), then percent-encodes every
 * byte outside the unreserved set: bytes in, bytes out, NULs included. */
static char *reencode(const char *s, size_t n)
{
    struct buf out = BUF_INIT;
    buf_reserve(&out, 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0) {
            c = (unsigned char)(hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]));
            i += 2;
        }
        if (unreserved(c))
            buf_putc(&out, (char)c);
        else
            buf_printf(&out, "%%%02X", c);
    }
    return buf_steal(&out);
}

struct kv {
    char *k, *v;
};

static int cmp_kv(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static char *reference_query(const char *q)
{
    struct buf out = BUF_INIT;
    buf_reserve(&out, 0);
    if (!q)
        return buf_steal(&out);
    size_t n = 0, len = strlen(q);
    struct kv *v = calloc(len + 1, sizeof(*v));
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && q[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(q + i, '=', j - i);
            size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
            v[n].k = reencode(q + i, kl);
            v[n].v = eq ? reencode(eq + 1, j - i - kl - 1) : reencode("", 0);
            n++;
        }
        i = j + 1;
    }
    qsort(v, n, sizeof(*v), cmp_kv);
    for (size_t i = 0; i < n; i++) {
        buf_printf(&out, "%s%s=%s", i ? "&" : "", v[i].k, v[i].v);
        free(v[i].k);
        free(v[i].v);
    }
    free(v);
    return buf_steal(&out);
}

/* ---- checks on the canonical request ----------------------------------- */

/* Only unreserved bytes, upper-case %XX escapes and the `extra` delimiters. */
static void check_encoded(const char *s, size_t n, const char *extra, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            FUZZ_CHECK(i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
                           isxdigit((unsigned char)s[i + 2]) && !islower((unsigned char)s[i + 1]) &&
                           !islower((unsigned char)s[i + 2]),
                       "%s: bad escape at %zu in '%.*s'", what, i, (int)n, s);
            i += 2;
            continue;
        }
        FUZZ_CHECK(unreserved(c) || (c && strchr(extra, c)), "%s: raw byte 0x%02x in '%.*s'", what,
                   c, (int)n, s);
    }
}

static char *percent_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexdigit(s[i + 1]) >= 0 && hexdigit(s[i + 2]) >= 0) {
            *o++ = (char)(hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Splits s at '\n' (in place) into a new array of lines. */
static char **split_lines(char *s, size_t *n)
{
    size_t max = 1;
    for (const char *p = s; *p; p++)
        max += *p == '\n';
    char **lines = malloc(max * sizeof(*lines));
    *n = 0;
    lines[(*n)++] = s;
    for (char *p = s; *p; p++)
        if (*p == '\n') {
            *p = '\0';
            lines[(*n)++] = p + 1;
        }
    return lines;
}

static int sign(const struct request *r, const char *path, const char *query, int normalize,
                int with_token, struct sigv4_result *res, struct err *e)
{
    struct sigv4_request req = {.method = r->method,
                                .path = path,
                                .query = query,
                                .headers = &r->headers,
                                .payload = r->body,
                                .payload_len = r->body_len};
    struct sigv4_params p = {.access_key_id = AKID,
                             .secret_access_key = SECRET,
                             .session_token = with_token ? "FQoGZXIvYXdzEXAMPLETOKEN" : NULL,
                             .region = "us-east-1",
                             .service = "service",
                             .amz_date = DATE,
                             .normalize_path = normalize,
                             .content_sha256_header = with_token};
    return sigv4_sign(&req, &p, res, e);
}

static void check_variant(const struct request *r, int normalize)
{
    int with_token = !normalize;
    struct sigv4_result res;
    struct err e;
    FUZZ_CHECK(sign(r, r->path, r->query, normalize, with_token, &res, &e) == 0,
               "signing failed: %s", e.message);

    /* The method line may hold anything but '\n'; find the URI after it. */
    size_t mlen = strlen(r->method);
    FUZZ_CHECK(strncmp(res.canonical_request.data, r->method, mlen) == 0 &&
                   res.canonical_request.data[mlen] == '\n',
               "canonical request does not start with the method");
    char *cr =
        fuzz_dup(res.canonical_request.data + mlen + 1, res.canonical_request.len - mlen - 1);
    size_t nl;
    char **lines = split_lines(cr, &nl);
    FUZZ_CHECK(nl >= 6, "canonical request has %zu lines", nl);
    const char *uri = lines[0], *query = lines[1];

    /* URI */
    FUZZ_CHECK(uri[0] == '/', "canonical URI '%s' does not start with '/'", uri);
    check_encoded(uri, strlen(uri), "/", "URI");
    if (normalize) {
        FUZZ_CHECK(!strstr(uri, "//"), "normalised URI '%s' has an empty segment", uri);
        FUZZ_CHECK(!strstr(uri, "/./") && !strstr(uri, "/../") && !ends_with(uri, "/.") &&
                       !ends_with(uri, "/.."),
                   "normalised URI '%s' has a dot segment", uri);
        /* Canonicalising the (decoded) result again is a fixed point. */
        char *decoded = percent_decode(uri);
        struct sigv4_result again;
        FUZZ_CHECK(sign(r, decoded, r->query, 1, 0, &again, &e) == 0, "re-signing failed");
        const char *a = again.canonical_request.data + mlen + 1;
        FUZZ_CHECK(strncmp(a, uri, strlen(uri)) == 0 && a[strlen(uri)] == '\n',
                   "canonical URI is not stable: '%s' -> '%.*s'", uri, (int)strcspn(a, "\n"), a);
        sigv4_result_free(&again);
        free(decoded);
    } else {
        char *decoded = percent_decode(uri);
        const char *want = r->path + (r->path[0] == '/');
        FUZZ_CHECK(strcmp(decoded + 1, want) == 0, "unnormalised URI '%s' does not decode to '/%s'",
                   uri, want);
        free(decoded);
    }

    /* Query */
    char *ref = reference_query(r->query);
    FUZZ_CHECK(strcmp(query, ref) == 0, "canonical query '%s', reference '%s' (from '%s')", query,
               ref, r->query ? r->query : "");
    free(ref);
    check_encoded(query, strlen(query), "&=", "query");

    /* Headers, up to the empty line; then signed headers and payload hash. */
    size_t i = 2;
    struct buf names = BUF_INIT;
    const char *prev = NULL;
    int saw_host = 0, saw_date = 0;
    for (; i < nl && lines[i][0]; i++) {
        char *h = lines[i];
        char *colon = strchr(h, ':');
        FUZZ_CHECK(colon && colon != h, "header line '%s' without a name", h);
        *colon = '\0';
        const char *v = colon + 1;
        for (const char *c = h; *c; c++)
            FUZZ_CHECK(!isupper((unsigned char)*c), "header name '%s' not lower case", h);
        FUZZ_CHECK(!prev || strcmp(prev, h) < 0, "headers not sorted/unique: '%s' then '%s'", prev,
                   h);
        FUZZ_CHECK(strcmp(h, "authorization") != 0, "authorization is signed");
        size_t vl = strlen(v);
        FUZZ_CHECK(!vl || (v[0] != ' ' && v[vl - 1] != ' '), "header %s value '%s' not trimmed", h,
                   v);
        FUZZ_CHECK(!strstr(v, "  ") && !strpbrk(v, "\t\r"), "header %s value '%s' not folded", h,
                   v);
        saw_host |= strcmp(h, "host") == 0;
        if (strcmp(h, "x-amz-date") == 0) {
            saw_date = 1;
            FUZZ_CHECK(strcmp(v, DATE) == 0, "x-amz-date is '%s', not the signing date", v);
        }
        buf_printf(&names, "%s%s", prev ? ";" : "", h);
        prev = h;
    }
    FUZZ_CHECK(saw_host && saw_date, "host or x-amz-date not signed");
    FUZZ_CHECK(nl == i + 3, "canonical request has %zu lines after the headers", nl - i);
    FUZZ_CHECK(strcmp(lines[i + 1], names.data) == 0, "signed headers '%s', headers '%s'",
               lines[i + 1], names.data);
    FUZZ_CHECK(strlen(lines[i + 2]) == 64 && strspn(lines[i + 2], "0123456789abcdef") == 64,
               "payload hash '%s'", lines[i + 2]);

    /* Signature and Authorization. */
    FUZZ_CHECK(strlen(res.signature) == 64 && strspn(res.signature, "0123456789abcdef") == 64,
               "signature '%s'", res.signature);
    struct buf auth = BUF_INIT;
    buf_printf(&auth,
               "AWS4-HMAC-SHA256 Credential=" AKID "/" SCOPE ", SignedHeaders=%s, Signature=%s",
               names.data, res.signature);
    FUZZ_CHECK(strcmp(http_headers_get(&res.add_headers, "Authorization"), auth.data) == 0,
               "Authorization '%s'", http_headers_get(&res.add_headers, "Authorization"));
    FUZZ_CHECK(!with_token || http_headers_get(&res.add_headers, "X-Amz-Security-Token"),
               "no token header");
    static const char sts_head[] = "AWS4-HMAC-SHA256\n" DATE "\n" SCOPE "\n";
    FUZZ_CHECK(strncmp(res.string_to_sign.data, sts_head, sizeof(sts_head) - 1) == 0 &&
                   strlen(res.string_to_sign.data) == sizeof(sts_head) - 1 + 64,
               "string to sign '%s'", res.string_to_sign.data);

    /* Deterministic. */
    struct sigv4_result again;
    FUZZ_CHECK(sign(r, r->path, r->query, normalize, with_token, &again, &e) == 0,
               "re-sign failed");
    FUZZ_CHECK(strcmp(again.signature, res.signature) == 0, "signature not deterministic");
    sigv4_result_free(&again);

    buf_free(&auth);
    buf_free(&names);
    free(lines);
    free(cr);
    sigv4_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct request r;
    parse_request(data, size, &r);
    /* The method is a token in real requests; keep it one line. */
    if (!strchr(r.method, '\n')) {
        check_variant(&r, 1);
        check_variant(&r, 0);
    }
    request_free(&r);
    return 0;
}
