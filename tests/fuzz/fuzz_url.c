/* Endpoint URLs (http_url_parse): they come from --endpoint-url,
 * AWS_ENDPOINT_URL* and the config file. Properties: a parsed URL has a
 * known scheme, a host without delimiters, a port in range, a path that
 * starts with '/' and a Host header built from them; printing the parts
 * back and parsing again gives the same parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/http.h"
#include "fuzz.h"
#include "util/buf.h"

static void check_same(const struct http_url *a, const struct http_url *b, const char *url)
{
    FUZZ_CHECK(strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
                   a->port == b->port && strcmp(a->path, b->path) == 0 &&
                   strcmp(a->host_header, b->host_header) == 0 && (!a->query) == (!b->query) &&
                   (!a->query || strcmp(a->query, b->query) == 0),
               "'%s' does not round-trip (host '%s' -> '%s', path '%s' -> '%s')", url, a->host,
               b->host, a->path, b->path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_dup(data, size);
    struct http_url u;
    struct err e;
    if (http_url_parse(url, &u, &e) != 0) {
        FUZZ_CHECK(e.kind == ERR_USAGE && e.message[0], "bad URL error");
        FUZZ_CHECK(!u.scheme && !u.host && !u.path && !u.query && !u.host_header,
                   "failed parse left fields");
        free(url);
        return 0;
    }
    FUZZ_CHECK(strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0, "scheme '%s'",
               u.scheme);
    FUZZ_CHECK(u.host[0] && !strpbrk(u.host, "/?#@"), "host '%s'", u.host);
    FUZZ_CHECK(u.port >= 1 && u.port <= 65535, "port %d", u.port);
    FUZZ_CHECK(u.path[0] == '/' && !strpbrk(u.path, "?#"), "path '%s'", u.path);
    FUZZ_CHECK(!u.query || !strchr(u.query, '#'), "query '%s'", u.query);
    FUZZ_CHECK(strstr(u.host_header, u.host) != NULL, "Host header '%s' lacks host '%s'",
               u.host_header, u.host);
    (void)http_host_bypasses_proxy(u.host);

    struct buf again = BUF_INIT;
    buf_printf(&again, "%s://%s", u.scheme, u.host_header);
    if (u.port != (strcmp(u.scheme, "https") == 0 ? 443 : 80)) {
        char port[16];
        snprintf(port, sizeof(port), ":%d", u.port);
        size_t hl = strlen(u.host_header), pl = strlen(port);
        FUZZ_CHECK(hl > pl && strcmp(u.host_header + hl - pl, port) == 0,
                   "Host header '%s' omits port %d", u.host_header, u.port);
    }
    buf_puts(&again, u.path);
    if (u.query)
        buf_printf(&again, "?%s", u.query);
    struct http_url v;
    FUZZ_CHECK(http_url_parse(again.data, &v, &e) == 0, "'%s' (from '%s') does not parse: %s",
               again.data, url, e.message);
    check_same(&u, &v, url);
    http_url_free(&v);
    buf_free(&again);
    http_url_free(&u);
    free(url);
    return 0;
}
