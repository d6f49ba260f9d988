/* SigV4 against two independent references: every case of AWS's signing test
 * suite (vendored in tests/vectors/aws-signing-test-suite/v4), and libcurl's
 * own CURLOPT_AWS_SIGV4 signer talking to the loopback server. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/sigv4.h"
#include "loopback.h"
#include "test.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/strv.h"

static int read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[4096];
    size_t n;
    buf_reserve(out, 0);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(out, tmp, n);
    fclose(f);
    return 0;
}

static void chomp(struct buf *b)
{
    while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
        b->data[--b->len] = '\0';
}

/* A request.txt of the suite: request line, headers (continuation lines
 * start with whitespace and are kept with their line break, duplicate names
 * kept in order), an empty line, the body. */
struct suite_request {
    char *method;
    char *path;
    char *query;
    struct http_headers headers;
    struct buf body;
};

static void suite_request_free(struct suite_request *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    http_headers_free(&r->headers);
    buf_free(&r->body);
}

static int parse_request(const char *text, struct suite_request *r, char *why, size_t whylen)
{
    memset(r, 0, sizeof(*r));
    const char *eol = strchr(text, '\n');
    size_t len = eol ? (size_t)(eol - text) : strlen(text);
    char *line = xstrndup(text, len);
    if (len && line[len - 1] == '\r')
        line[len - 1] = '\0';
    char *sp = strchr(line, ' ');
    char *ver = strstr(line, " HTTP/");
    if (!sp || !ver || ver < sp) {
        snprintf(why, whylen, "bad request line '%s'", line);
        free(line);
        return -1;
    }
    r->method = xstrndup(line, (size_t)(sp - line));
    char *target = xstrndup(sp + 1, (size_t)(ver - sp - 1));
    free(line);
    char *q = strchr(target, '?');
    if (q) {
        r->query = xstrdup(q + 1);
        *q = '\0';
    }
    r->path = target;

    const char *p = eol ? eol + 1 : text + len;
    struct buf value = BUF_INIT;
    char *name = NULL;
    while (*p) {
        eol = strchr(p, '\n');
        len = eol ? (size_t)(eol - p) : strlen(p);
        const char *next = eol ? eol + 1 : p + len;
        if (len && p[len - 1] == '\r')
            len--;
        if (len == 0) {
            p = next;
            buf_append(&r->body, p, strlen(p));
            break;
        }
        if ((p[0] == ' ' || p[0] == '\t') && name) {
            buf_putc(&value, '\n');
            buf_append(&value, p, len);
        } else {
            if (name)
                http_headers_add(&r->headers, name, buf_cstr(&value));
            free(name);
            name = NULL;
            buf_reset(&value);
            const char *colon = memchr(p, ':', len);
            if (!colon) {
                snprintf(why, whylen, "header line without ':'");
                buf_free(&value);
                return -1;
            }
            name = xstrndup(p, (size_t)(colon - p));
            buf_append(&value, colon + 1, len - (size_t)(colon - p) - 1);
        }
        p = next;
    }
    if (name)
        http_headers_add(&r->headers, name, buf_cstr(&value));
    free(name);
    buf_free(&value);
    return 0;
}

/* The value of "Name:" in a signed-request.txt, or NULL. */
static char *signed_request_header(const char *text, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            return xstrndup(v, strcspn(v, "\r\n"));
        }
    }
    return NULL;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int json_bool(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* Runs one case directory. Returns 0, or -1 with `why`. */
static int run_case(const char *dir, char *why, size_t whylen)
{
    struct buf path = BUF_INIT;
    struct buf request_txt = BUF_INIT, context_txt = BUF_INIT, want_cr = BUF_INIT,
               want_sts = BUF_INIT, want_sig = BUF_INIT, want_signed = BUF_INIT;
    struct suite_request req;
    struct sigv4_result res;
    cJSON *ctx = NULL;
    int rc = -1;
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));

    const struct {
        const char *name;
        struct buf *b;
    } files[] = {{"request.txt", &request_txt},
                 {"context.json", &context_txt},
                 {"header-canonical-request.txt", &want_cr},
                 {"header-string-to-sign.txt", &want_sts},
                 {"header-signature.txt", &want_sig},
                 {"header-signed-request.txt", &want_signed}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", dir, files[i].name);
        if (read_file(path.data, files[i].b) != 0) {
            snprintf(why, whylen, "cannot read %s: %s", path.data, strerror(errno));
            goto out;
        }
    }
    chomp(&want_cr);
    chomp(&want_sts);
    chomp(&want_sig);
    if (parse_request(request_txt.data, &req, why, whylen) != 0)
        goto out;
    ctx = cJSON_Parse(context_txt.data);
    const cJSON *creds = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
    const char *ts = json_str(ctx, "timestamp");
    if (!ctx || !creds || !ts) {
        snprintf(why, whylen, "context.json lacks credentials or timestamp");
        goto out;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        snprintf(why, whylen, "bad timestamp '%s'", ts);
        goto out;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    char amz_date[17];
    sigv4_format_date((long long)timegm(&tm), amz_date);

    struct sigv4_request sreq = {
        .method = req.method,
        .path = req.path,
        .query = req.query,
        .headers = &req.headers,
        .payload = req.body.data,
        .payload_len = req.body.len,
    };
    struct sigv4_params params = {
        .access_key_id = json_str(creds, "access_key_id"),
        .secret_access_key = json_str(creds, "secret_access_key"),
        .session_token = json_str(creds, "token"),
        .region = json_str(ctx, "region"),
        .service = json_str(ctx, "service"),
        .amz_date = amz_date,
        .normalize_path = json_bool(ctx, "normalize"),
        .omit_session_token = json_bool(ctx, "omit_session_token"),
        .content_sha256_header = json_bool(ctx, "sign_body"),
    };
    struct err e;
    if (sigv4_sign(&sreq, &params, &res, &e) != 0) {
        snprintf(why, whylen, "sigv4_sign failed: %s", e.message);
        goto out;
    }
    if (strcmp(buf_cstr(&res.canonical_request), want_cr.data) != 0) {
        snprintf(why, whylen, "canonical request differs:\n--- got\n%s\n--- want\n%s",
                 buf_cstr(&res.canonical_request), want_cr.data);
        goto out;
    }
    if (strcmp(buf_cstr(&res.string_to_sign), want_sts.data) != 0) {
        snprintf(why, whylen, "string to sign differs:\n--- got\n%s\n--- want\n%s",
                 buf_cstr(&res.string_to_sign), want_sts.data);
        goto out;
    }
    if (strcmp(res.signature, want_sig.data) != 0) {
        snprintf(why, whylen, "signature %s, want %s", res.signature, want_sig.data);
        goto out;
    }
    /* Every header the signer adds must appear in the signed request with
     * the same value, and the signed request must have no Authorization we
     * did not produce. */
    char *want_auth = signed_request_header(want_signed.data, "Authorization");
    const char *got_auth = http_headers_get(&res.add_headers, "Authorization");
    int auth_ok = want_auth && got_auth && strcmp(want_auth, got_auth) == 0;
    if (!auth_ok)
        snprintf(why, whylen, "Authorization:\n  got  %s\n  want %s",
                 got_auth ? got_auth : "(none)", want_auth ? want_auth : "(none)");
    free(want_auth);
    if (!auth_ok)
        goto out;
    for (size_t i = 0; i < res.add_headers.n; i++) {
        char *want = signed_request_header(want_signed.data, res.add_headers.v[i].name);
        int same = want && strcmp(want, res.add_headers.v[i].value) == 0;
        if (!same)
            snprintf(why, whylen, "header %s: got '%s', signed request has '%s'",
                     res.add_headers.v[i].name, res.add_headers.v[i].value, want ? want : "(none)");
        free(want);
        if (!same)
            goto out;
    }
    char *want_token = signed_request_header(want_signed.data, "X-Amz-Security-Token");
    int token_ok = !want_token == !http_headers_get(&res.add_headers, "X-Amz-Security-Token");
    free(want_token);
    if (!token_ok) {
        snprintf(why, whylen, "X-Amz-Security-Token presence differs from the signed request");
        goto out;
    }
    rc = 0;
out:
    buf_free(&path);
    cJSON_Delete(ctx);
    suite_request_free(&req);
    sigv4_result_free(&res);
    buf_free(&request_txt);
    buf_free(&context_txt);
    buf_free(&want_cr);
    buf_free(&want_sts);
    buf_free(&want_sig);
    buf_free(&want_signed);
    return rc;
}

TEST(aws_signing_test_suite)
{
    /* tests/run starts programs in the repository root and sets REPO_ROOT. */
    struct buf suite = BUF_INIT;
    buf_printf(&suite, "%s/tests/vectors/aws-signing-test-suite/v4", test_env("REPO_ROOT", "."));
    const char *root = buf_cstr(&suite);
    DIR *d = opendir(root);
    if (!d) {
        test_fail(__FILE__, __LINE__, "%s: %s (run from the repository root or set REPO_ROOT)",
                  root, strerror(errno));
        buf_free(&suite);
        return;
    }
    struct strv cases = STRV_INIT;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        struct buf p = BUF_INIT;
        struct stat st;
        buf_printf(&p, "%s/%s/request.txt", root, de->d_name);
        if (stat(p.data, &st) == 0)
            strv_push(&cases, de->d_name);
        buf_free(&p);
    }
    closedir(d);
    strv_sort(&cases);
    if (cases.n == 0) {
        strv_free(&cases);
        test_fail(__FILE__, __LINE__, "%s holds no case directory", root);
        buf_free(&suite);
        return;
    }
    size_t failed = 0;
    for (size_t i = 0; i < cases.n; i++) {
        char why[4096] = "";
        struct buf dir = BUF_INIT;
        buf_printf(&dir, "%s/%s", root, cases.v[i]);
        int ok = run_case(dir.data, why, sizeof(why)) == 0;
        buf_free(&dir);
        if (ok) {
            printf("PASS test_sigv4/suite/%s\n", cases.v[i]);
        } else {
            /* One line for tests/run; the detail below it. */
            char *nl = strchr(why, '\n');
            printf("FAIL test_sigv4/suite/%s: %.*s\n", cases.v[i],
                   nl ? (int)(nl - why) : (int)strlen(why), why);
            if (nl)
                printf("%s\n", nl + 1);
            failed++;
        }
    }
    size_t total = cases.n;
    strv_free(&cases);
    buf_free(&suite);
    CHECK_MSG(failed == 0, "%zu of %zu suite cases failed", failed, total);
}

TEST(format_date)
{
    char d[17];
    sigv4_format_date(1440938160LL, d);
    CHECK_STR(d, "20150830T123600Z");
    sigv4_format_date(0, d);
    CHECK_STR(d, "19700101T000000Z");
}

TEST(rejects_requests_it_cannot_sign)
{
    struct http_headers h = HTTP_HEADERS_INIT;
    http_headers_add(&h, "Content-Type", "x");
    struct sigv4_request req = {.method = "GET", .path = "/", .headers = &h};
    struct sigv4_params p = {.access_key_id = "AKID",
                             .secret_access_key = "secret-key",
                             .region = "us-east-1",
                             .service = "sts",
                             .amz_date = "20150830T123600Z",
                             .normalize_path = 1};
    struct sigv4_result r;
    struct err e;
    CHECK_INT(sigv4_sign(&req, &p, &r, &e), -1);
    CHECK_CONTAINS(e.message, "Host");
    http_headers_add(&h, "Host", "sts.amazonaws.com");
    p.amz_date = "2015-08-30";
    CHECK_INT(sigv4_sign(&req, &p, &r, &e), -1);
    CHECK_CONTAINS(e.message, "bad date");
    p.amz_date = "20150830T123600Z";
    p.secret_access_key = "";
    CHECK_INT(sigv4_sign(&req, &p, &r, &e), -1);
    CHECK_INT(e.kind, ERR_CREDENTIALS);
    p.secret_access_key = "secret-key";
    CHECK_INT(sigv4_sign(&req, &p, &r, &e), 0);
    sigv4_result_free(&r);
    http_headers_free(&h);
}

/* The canonical request of GET `path`?`query` with Host and one header. */
static char *canonical_of(const char *path, const char *query, int normalize,
                          const char *header_value)
{
    struct http_headers h = HTTP_HEADERS_INIT;
    http_headers_add(&h, "Host", "example.amazonaws.com");
    http_headers_add(&h, "X-Empty", header_value);
    struct sigv4_request req = {.method = "GET", .path = path, .query = query, .headers = &h};
    struct sigv4_params p = {.access_key_id = "AKID",
                             .secret_access_key = "secret-key",
                             .region = "us-east-1",
                             .service = "service",
                             .amz_date = "20150830T123600Z",
                             .normalize_path = normalize};
    struct sigv4_result r;
    struct err e;
    char *out = NULL;
    if (sigv4_sign(&req, &p, &r, &e) == 0)
        out = strdup(r.canonical_request.data);
    sigv4_result_free(&r);
    http_headers_free(&h);
    return out;
}

#define CANON_TAIL(hdr)                                                                            \
    "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-empty:" hdr "\n\n"                 \
    "host;x-amz-date;x-empty\n"                                                                    \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Cases fuzz_sigv4 found (tests/fuzz/corpus/sigv4/regress-*): empty
 * values and keys read an unterminated buffer, "&" alone passed NULL to
 * qsort, "%00" cut the name short, and an unnormalised path without a
 * leading '/' gave a relative canonical URI. */
TEST(canonical_odd_queries_and_paths)
{
    char *c = canonical_of("/", "b=&=a&&a", 1, "");
    CHECK_STR(c, "GET\n/\n=a&a=&b=\n" CANON_TAIL(""));
    free(c);
    c = canonical_of("/", "&", 1, "  ");
    CHECK_STR(c, "GET\n/\n\n" CANON_TAIL(""));
    free(c);
    c = canonical_of("/", "a%00b=%00&a=1", 1, "v");
    CHECK_STR(c, "GET\n/\na=1&a%00b=%00\n" CANON_TAIL("v"));
    free(c);
    c = canonical_of("x/y", NULL, 0, "v");
    CHECK_STR(c, "GET\n/x/y\n\n" CANON_TAIL("v"));
    free(c);
    c = canonical_of("x/y", NULL, 1, "v");
    CHECK_STR(c, "GET\n/x/y\n\n" CANON_TAIL("v"));
    free(c);
}

TEST(resigning_replaces_stale_signature_headers)
{
    /* A retry signs a header list that may still carry the last attempt's
     * signature headers: they must not be signed again. */
    struct http_headers h = HTTP_HEADERS_INIT;
    http_headers_add(&h, "Host", "ecs.us-east-1.amazonaws.com");
    struct sigv4_request req = {.method = "POST", .path = "/", .headers = &h};
    struct sigv4_params p = {.access_key_id = "AKID",
                             .secret_access_key = "secret-key",
                             .session_token = "token-value",
                             .region = "us-east-1",
                             .service = "ecs",
                             .amz_date = "20240101T000000Z",
                             .normalize_path = 1};
    struct sigv4_result first, second;
    struct err e;
    CHECK_INT(sigv4_sign(&req, &p, &first, &e), 0);
    for (size_t i = 0; i < first.add_headers.n; i++)
        http_headers_add(&h, first.add_headers.v[i].name, first.add_headers.v[i].value);
    CHECK_INT(sigv4_sign(&req, &p, &second, &e), 0);
    CHECK_STR(second.signature, first.signature);
    CHECK_CONTAINS(http_headers_get(&second.add_headers, "Authorization"),
                   "SignedHeaders=host;x-amz-date;x-amz-security-token,");
    sigv4_result_free(&first);
    sigv4_result_free(&second);
    http_headers_free(&h);
}

/* "k1=v1, k2=v2" field of an Authorization header value. */
static char *auth_field(const char *auth, const char *key)
{
    const char *p = strstr(auth, key);
    if (!p)
        return NULL;
    p += strlen(key);
    return xstrndup(p, strcspn(p, ", "));
}

TEST(agrees_with_libcurl_aws_sigv4)
{
    struct loopback *lb = loopback_start();
    loopback_push(lb, 200, NULL, "");
    CURL *h = curl_easy_init();
    char url[256];
    /* libcurl 7.88 neither re-encodes the path nor sorts the query, so
     * both are given in canonical form here: what is compared is the
     * signing itself, the Host header with its port and the headers. */
    snprintf(url, sizeof(url), "%s/?Action=GetCallerIdentity&Version=2011-06-15", loopback_url(lb));
    const char *body = "Action=GetCallerIdentity&Version=2011-06-15&Note=a%20b~";
    struct curl_slist *hdrs =
        curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    hdrs = curl_slist_append(hdrs, "X-Amz-Target:   Some.Target  ");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-west-2:sts");
    curl_easy_setopt(h, CURLOPT_USERNAME, "AKIDEXAMPLE");
    curl_easy_setopt(h, CURLOPT_PASSWORD, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    CHECK_MSG(cc == CURLE_OK, "curl: %s", curl_easy_strerror(cc));
    const struct loopback_request *got = loopback_request_at(lb, 0);
    CHECK(got != NULL);
    const char *auth = loopback_request_header(got, "Authorization");
    const char *date = loopback_request_header(got, "X-Amz-Date");
    CHECK(auth && date);
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", loopback_port(lb));
    CHECK_STR(loopback_request_header(got, "Host"), host);

    /* Re-sign what the server received, with the headers libcurl signed. */
    char *signed_list = auth_field(auth, "SignedHeaders=");
    char *curl_sig = auth_field(auth, "Signature=");
    CHECK(signed_list && curl_sig);
    CHECK_MSG(strstr(signed_list, "host") != NULL, "libcurl did not sign host: %s", signed_list);
    struct http_headers mine = HTTP_HEADERS_INIT;
    char *list = xstrdup(signed_list);
    for (char *save = NULL, *name = strtok_r(list, ";", &save); name;
         name = strtok_r(NULL, ";", &save)) {
        const char *v = loopback_request_header(got, name);
        if (v)
            http_headers_add(&mine, name, v);
    }
    free(list);
    struct sigv4_request sreq = {.method = got->method,
                                 .path = got->path,
                                 .query = got->query,
                                 .headers = &mine,
                                 .payload = got->body,
                                 .payload_len = got->body_len};
    struct sigv4_params p = {.access_key_id = "AKIDEXAMPLE",
                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             .region = "us-west-2",
                             .service = "sts",
                             .amz_date = date,
                             .normalize_path = 1,
                             .content_sha256_header =
                                 loopback_request_header(got, "x-amz-content-sha256") != NULL};
    struct sigv4_result res;
    struct err e;
    int rc = sigv4_sign(&sreq, &p, &res, &e);
    char ours[1024];
    snprintf(ours, sizeof(ours), "%s",
             rc == 0 ? http_headers_get(&res.add_headers, "Authorization") : e.message);
    char canon[4096], theirs[1024];
    snprintf(canon, sizeof(canon), "%s", buf_cstr(&res.canonical_request));
    snprintf(theirs, sizeof(theirs), "%s", auth);
    sigv4_result_free(&res);
    http_headers_free(&mine);
    free(signed_list);
    free(curl_sig);
    loopback_stop(lb);
    CHECK_MSG(rc == 0, "sign: %s", ours);
    CHECK_MSG(strcmp(ours, theirs) == 0, "libcurl: %s\nours:    %s\ncanonical request:\n%s", theirs,
              ours, canon);
}
