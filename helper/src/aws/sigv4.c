/* AWS Signature Version 4, header form, as specified in "Create a signed AWS
 * API request" and checked against AWS's signing test suite. Hashing and HMAC
 * go through mbedtls_md only, which exists unchanged in mbedTLS 2.28 and 3.x. */
#include "aws/sigv4.h"

#include <ctype.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/mem.h"
#include "util/strv.h"

#define SHA256_LEN 32

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md ? mbedtls_md(md, data, len, out) : -1;
}

static int hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                       unsigned char out[SHA256_LEN])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md ? mbedtls_md_hmac(md, key, key_len, data, len, out) : -1;
}

static int is_unreserved(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

/* RFC 3986 percent-encoding of everything but the unreserved set (and '/'
 * when keep_slash), upper-case hex, as SigV4 requires. */
static void uri_encode(struct buf *out, const char *s, size_t n, int keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_unreserved(ch) || (keep_slash && ch == '/')) {
            buf_putc(out, (char)ch);
        } else {
            char esc[3] = {'%', digits[ch >> 4], digits[ch & 15]};
            buf_append(out, esc, 3);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decoding of a query component; malformed escapes stay as they are.
 * *out_len counts every byte: "%00" decodes to a NUL that must be signed
 * as "%00", as the service will. */
static char *uri_decode(const char *s, size_t n, size_t *out_len)
{
    struct buf out = BUF_INIT;
    buf_reserve(&out, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            buf_putc(&out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            buf_putc(&out, s[i]);
        }
    }
    *out_len = out.len;
    return buf_steal(&out);
}

/* The canonical URI: dot segments and empty segments removed when
 * normalising (every service but S3), then each byte encoded. */
static void canonical_uri(struct buf *out, const char *path, int normalize)
{
    if (!path || !*path)
        path = "/";
    if (!normalize) {
        /* The canonical URI is absolute whatever the caller passed, as it
         * is when normalising. */
        if (path[0] != '/')
            buf_putc(out, '/');
        uri_encode(out, path, strlen(path), 1);
        return;
    }
    struct strv segs = STRV_INIT;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* drop */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (segs.n) {
                free(segs.v[segs.n - 1]);
                segs.n--;
            }
        } else {
            strv_push_owned(&segs, xstrndup(p, n));
        }
        p += n;
    }
    size_t len = strlen(path);
    int trailing = path[len - 1] == '/' || (len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
                   (len >= 3 && strcmp(path + len - 3, "/..") == 0);
    buf_putc(out, '/');
    for (size_t i = 0; i < segs.n; i++) {
        if (i)
            buf_putc(out, '/');
        uri_encode(out, segs.v[i], strlen(segs.v[i]), 0);
    }
    if (segs.n && trailing)
        buf_putc(out, '/');
    strv_free(&segs);
}

struct query_pair {
    char *key; /* encoded */
    char *value;
};

static int cmp_pair(const void *a, const void *b)
{
    const struct query_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* The canonical query: each name and value decoded then re-encoded, sorted
 * by encoded name then value. */
static void canonical_query(struct buf *out, const char *query)
{
    if (!query || !*query)
        return;
    struct query_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    const char *p = query;
    while (*p) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            size_t kn, vn = 0;
            char *k = uri_decode(p, klen, &kn);
            char *v = eq ? uri_decode(eq + 1, len - klen - 1, &vn) : xstrdup("");
            struct buf ek = BUF_INIT, ev = BUF_INIT;
            uri_encode(&ek, k, kn, 0);
            uri_encode(&ev, v, vn, 0);
            free(k);
            free(v);
            pairs = xgrow(pairs, &cap, n + 1, sizeof(*pairs));
            pairs[n].key = buf_steal(&ek);
            pairs[n].value = buf_steal(&ev);
            n++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    /* "&" alone has no pairs, and qsort must not be given NULL. */
    if (n)
        qsort(pairs, n, sizeof(*pairs), cmp_pair);
    for (size_t i = 0; i < n; i++) {
        buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

struct canon_header {
    char *name;       /* lower case */
    struct buf value; /* values of every header of that name, comma-joined */
};

static int cmp_header(const void *a, const void *b)
{
    return strcmp(((const struct canon_header *)a)->name, ((const struct canon_header *)b)->name);
}

/* Trim and collapse runs of whitespace (line folds included) to one space. */
static void append_trimmed(struct buf *out, const char *v)
{
    int pending_space = 0, started = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            pending_space = started;
            continue;
        }
        if (pending_space)
            buf_putc(out, ' ');
        pending_space = 0;
        started = 1;
        buf_putc(out, *v);
    }
    if (!out->data)
        buf_reserve(out, 0);
}

static void add_canon(struct canon_header **hs, size_t *n, size_t *cap, const char *name,
                      const char *value)
{
    struct canon_header *h = NULL;
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp((*hs)[i].name, name) == 0)
            h = &(*hs)[i];
    if (!h) {
        *hs = xgrow(*hs, cap, *n + 1, sizeof(**hs));
        h = &(*hs)[(*n)++];
        memset(h, 0, sizeof(*h));
        h->name = xstrdup(name);
        for (char *c = h->name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    } else {
        buf_putc(&h->value, ',');
    }
    append_trimmed(&h->value, value ? value : "");
}

static int skip_input_header(const char *name)
{
    /* The signer owns these; a stale copy from an earlier attempt must not
     * be signed twice. */
    return strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-amz-date") == 0 ||
           strcasecmp(name, "x-amz-security-token") == 0 ||
           strcasecmp(name, "x-amz-content-sha256") == 0;
}

void sigv4_format_date(long long unix_time, char out[17])
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void sigv4_result_free(struct sigv4_result *r)
{
    if (!r)
        return;
    /* The canonical request and add_headers hold the session token. */
    buf_free_secret(&r->canonical_request);
    buf_free(&r->string_to_sign);
    for (size_t i = 0; i < r->add_headers.n; i++)
        secure_zero(r->add_headers.v[i].value, strlen(r->add_headers.v[i].value));
    http_headers_free(&r->add_headers);
    memset(r->signature, 0, sizeof(r->signature));
}

static int valid_amz_date(const char *d)
{
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)d[i]))
            return 0;
    return 1;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *params,
               struct sigv4_result *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!params->access_key_id || !*params->access_key_id || !params->secret_access_key ||
        !*params->secret_access_key)
        return err_set(err, ERR_CREDENTIALS,
                       "cannot sign the request: no access key id or secret key");
    if (!params->region || !*params->region || !params->service || !*params->service)
        return err_set(err, ERR_INTERNAL, "cannot sign the request: no region or service name");
    if (!valid_amz_date(params->amz_date))
        return err_set(err, ERR_INTERNAL, "cannot sign the request: bad date '%s'",
                       params->amz_date ? params->amz_date : "");
    if (!req->headers || !http_headers_get(req->headers, "Host"))
        return err_set(err, ERR_INTERNAL, "cannot sign the request: it has no Host header");

    unsigned char digest[SHA256_LEN];
    char payload_hash[2 * SHA256_LEN + 1];
    if (sha256(req->payload ? req->payload : "", req->payload_len, digest) != 0)
        return err_set(err, ERR_INTERNAL, "SHA-256 failed");
    hex_encode(digest, SHA256_LEN, payload_hash);

    int with_token = params->session_token && *params->session_token;
    int sign_token = with_token && !params->omit_session_token;

    /* Canonical headers. */
    struct canon_header *hs = NULL;
    size_t nh = 0, caph = 0;
    for (size_t i = 0; i < req->headers->n; i++)
        if (!skip_input_header(req->headers->v[i].name))
            add_canon(&hs, &nh, &caph, req->headers->v[i].name, req->headers->v[i].value);
    add_canon(&hs, &nh, &caph, "x-amz-date", params->amz_date);
    if (sign_token)
        add_canon(&hs, &nh, &caph, "x-amz-security-token", params->session_token);
    if (params->content_sha256_header)
        add_canon(&hs, &nh, &caph, "x-amz-content-sha256", payload_hash);
    qsort(hs, nh, sizeof(*hs), cmp_header);

    struct buf signed_headers = BUF_INIT;
    struct buf *cr = &out->canonical_request;
    buf_printf(cr, "%s\n", req->method);
    canonical_uri(cr, req->path, params->normalize_path);
    buf_putc(cr, '\n');
    canonical_query(cr, req->query);
    buf_putc(cr, '\n');
    for (size_t i = 0; i < nh; i++) {
        buf_printf(cr, "%s:%s\n", hs[i].name, buf_cstr(&hs[i].value));
        buf_printf(&signed_headers, "%s%s", i ? ";" : "", hs[i].name);
        free(hs[i].name);
        buf_free(&hs[i].value);
    }
    free(hs);
    buf_printf(cr, "\n%s\n%s", buf_cstr(&signed_headers), payload_hash);

    /* String to sign. */
    char date[9];
    memcpy(date, params->amz_date, 8);
    date[8] = '\0';
    struct buf scope = BUF_INIT;
    buf_printf(&scope, "%s/%s/%s/aws4_request", date, params->region, params->service);
    char cr_hash[2 * SHA256_LEN + 1];
    sha256(cr->data, cr->len, digest);
    hex_encode(digest, SHA256_LEN, cr_hash);
    buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", params->amz_date, scope.data,
               cr_hash);

    /* Signing key: HMAC chain from "AWS4" + secret over date, region,
     * service and "aws4_request". Every intermediate is wiped. */
    struct buf k0 = BUF_INIT;
    buf_printf(&k0, "AWS4%s", params->secret_access_key);
    unsigned char k_date[SHA256_LEN], k_region[SHA256_LEN], k_service[SHA256_LEN],
        k_signing[SHA256_LEN], sig[SHA256_LEN];
    int rc = hmac_sha256(k0.data, k0.len, date, 8, k_date);
    rc |= hmac_sha256(k_date, SHA256_LEN, params->region, strlen(params->region), k_region);
    rc |= hmac_sha256(k_region, SHA256_LEN, params->service, strlen(params->service), k_service);
    rc |= hmac_sha256(k_service, SHA256_LEN, "aws4_request", 12, k_signing);
    rc |=
        hmac_sha256(k_signing, SHA256_LEN, out->string_to_sign.data, out->string_to_sign.len, sig);
    buf_free_secret(&k0);
    secure_zero(k_date, sizeof(k_date));
    secure_zero(k_region, sizeof(k_region));
    secure_zero(k_service, sizeof(k_service));
    secure_zero(k_signing, sizeof(k_signing));
    if (rc != 0) {
        buf_free(&scope);
        buf_free(&signed_headers);
        sigv4_result_free(out);
        return err_set(err, ERR_INTERNAL, "HMAC-SHA256 failed");
    }
    hex_encode(sig, SHA256_LEN, out->signature);

    struct buf auth = BUF_INIT;
    buf_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
               params->access_key_id, scope.data, signed_headers.data, out->signature);
    http_headers_add(&out->add_headers, "X-Amz-Date", params->amz_date);
    if (with_token)
        http_headers_add(&out->add_headers, "X-Amz-Security-Token", params->session_token);
    if (params->content_sha256_header)
        http_headers_add(&out->add_headers, "X-Amz-Content-Sha256", payload_hash);
    http_headers_add(&out->add_headers, "Authorization", auth.data);
    buf_free(&auth);
    buf_free(&scope);
    buf_free(&signed_headers);
    return 0;
}
