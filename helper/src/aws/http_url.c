/* URLs as the client uses them (scheme, host, port, path, query, and the
 * Host header SigV4 signs), and what kind of host one names: this machine,
 * or one that is reached without a proxy. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/http.h"
#include "util/buf.h"
#include "util/mem.h"

void http_url_free(struct http_url *u)
{
    if (!u)
        return;
    free(u->scheme);
    free(u->host);
    free(u->path);
    free(u->query);
    free(u->host_header);
    memset(u, 0, sizeof(*u));
}

/* What the Host header and SigV4 can carry unchanged: a DNS name or IPv4
 * address, or inside brackets an IPv6 address (with a zone id such as
 * "%25eth0"). Anything else would make a Host header that is not the host. */
static int valid_host(const char *host, int bracketed)
{
    int colons = 0;
    for (const char *p = host; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        colons += ch == ':';
        if (!(isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
              (bracketed && (ch == ':' || ch == '%'))))
            return 0;
    }
    return !bracketed || colons > 0;
}

int http_url_parse(const char *url, struct http_url *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!url || !sep)
        return err_set(err, ERR_USAGE,
                       "'%s' is not a URL: expected http://host[:port]/ or https://host[:port]/",
                       url ? url : "");
    out->scheme = xstrndup(url, (size_t)(sep - url));
    for (char *p = out->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    int default_port;
    if (strcmp(out->scheme, "https") == 0) {
        default_port = 443;
    } else if (strcmp(out->scheme, "http") == 0) {
        default_port = 80;
    } else {
        err_set(err, ERR_USAGE, "unsupported URL scheme '%s' in '%s': use http:// or https://",
                out->scheme, url);
        http_url_free(out);
        return -1;
    }
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    if (memchr(auth, '@', auth_len)) {
        /* Do not echo the URL: the user information may hold a password. */
        http_url_free(out);
        return err_set(err, ERR_USAGE,
                       "endpoint URLs with a user name or password are not supported");
    }
    const char *host = auth, *host_end, *port_str = NULL;
    const char *auth_end = auth + auth_len;
    if (*host == '[') {
        host_end = memchr(host, ']', auth_len);
        if (!host_end) {
            err_set(err, ERR_USAGE, "'%s' is not a URL: unclosed '[' in the host", url);
            http_url_free(out);
            return -1;
        }
        out->host = xstrndup(host + 1, (size_t)(host_end - host - 1));
        if (host_end + 1 < auth_end) {
            if (host_end[1] != ':') {
                err_set(err, ERR_USAGE, "'%s' is not a URL: junk after the host", url);
                http_url_free(out);
                return -1;
            }
            port_str = host_end + 2;
        }
    } else {
        const char *colon = memchr(host, ':', auth_len);
        host_end = colon ? colon : auth_end;
        out->host = xstrndup(host, (size_t)(host_end - host));
        if (colon)
            port_str = colon + 1;
    }
    if (!out->host[0]) {
        err_set(err, ERR_USAGE, "'%s' is not a URL: no host name", url);
        http_url_free(out);
        return -1;
    }
    if (!valid_host(out->host, *host == '[')) {
        err_set(err, ERR_USAGE,
                "'%s' is not a URL: the host may only hold letters, digits, '-', '.', '_' and "
                "'~' (or be an IPv6 address in brackets)",
                url);
        http_url_free(out);
        return -1;
    }
    out->port = default_port;
    int explicit_port = 0;
    if (port_str && port_str < auth_end) {
        long port = 0;
        for (const char *p = port_str; p < auth_end; p++) {
            if (!isdigit((unsigned char)*p) || port > 65535) {
                port = -1;
                break;
            }
            port = port * 10 + (*p - '0');
        }
        if (port < 1 || port > 65535) {
            err_set(err, ERR_USAGE, "'%s' is not a URL: bad port number", url);
            http_url_free(out);
            return -1;
        }
        out->port = (int)port;
        explicit_port = 1;
    }
    const char *rest = auth_end;
    size_t path_len = strcspn(rest, "?#");
    out->path = path_len ? xstrndup(rest, path_len) : xstrdup("/");
    if (rest[path_len] == '?') {
        const char *q = rest + path_len + 1;
        out->query = xstrndup(q, strcspn(q, "#"));
    }
    /* libcurl leaves the port out of Host for the scheme's default port,
     * even when the URL spells it. */
    int bracket = strchr(out->host, ':') != NULL;
    struct buf hh = BUF_INIT;
    buf_printf(&hh, "%s%s%s", bracket ? "[" : "", out->host, bracket ? "]" : "");
    if (explicit_port && out->port != default_port)
        buf_printf(&hh, ":%d", out->port);
    out->host_header = buf_steal(&hh);
    return 0;
}

int http_host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, loop6, 16) == 0;
}

/* Loopback and link-local hosts (instance metadata at 169.254.169.254 and
 * fd00:ec2::254, the ECS container endpoint at 169.254.170.2, EKS Pod
 * Identity at 169.254.170.23 and fd00:ec2::23) never go through a proxy: a
 * proxy cannot reach them on our behalf, and the container endpoints'
 * authorization token must not reach it (Amazon ECS Developer Guide, "HTTP
 * proxy configuration for Linux container instances": NO_PROXY holds
 * 169.254.169.254 and 169.254.170.2). */
int http_host_bypasses_proxy(const char *host)
{
    if (http_host_is_loopback(host))
        return 1;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 169 && a[1] == 254;
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char imds6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                0,    0,    0,    0,    0, 0, 0x02, 0x54};
        static const unsigned char eks6[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                               0,    0,    0,    0,    0, 0, 0, 0x23};
        return memcmp(a, imds6, 16) == 0 || memcmp(a, eks6, 16) == 0 ||
               (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
    }
    return 0;
}
