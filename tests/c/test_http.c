/* aws/http.c against the loopback server (and, for TLS, openssl s_server). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/http.h"
#include "loopback.h"
#include "test.h"

extern char **environ;

static struct http_client *new_client(long timeout_ms)
{
    struct http_options o = {.connect_timeout_ms = 2000, .request_timeout_ms = timeout_ms};
    struct err e;
    struct http_client *c = http_client_new(&o, &e);
    if (!c)
        fprintf(stderr, "http_client_new: %s\n", e.message);
    return c;
}

static int get(struct http_client *c, const char *url, struct http_response *resp, struct err *e)
{
    struct http_request req = {.method = "GET", .url = url};
    memset(resp, 0, sizeof(*resp));
    return http_send(c, &req, resp, e);
}

TEST(url_parsing)
{
    struct http_url u;
    struct err e;
    CHECK_INT(http_url_parse("https://ecs.us-east-1.amazonaws.com", &u, &e), 0);
    CHECK_STR(u.scheme, "https");
    CHECK_STR(u.host, "ecs.us-east-1.amazonaws.com");
    CHECK_INT(u.port, 443);
    CHECK_STR(u.path, "/");
    CHECK(u.query == NULL);
    CHECK_STR(u.host_header, "ecs.us-east-1.amazonaws.com");
    http_url_free(&u);

    CHECK_INT(http_url_parse("HTTP://127.0.0.1:5000/a/b?x=1#frag", &u, &e), 0);
    CHECK_STR(u.scheme, "http");
    CHECK_INT(u.port, 5000);
    CHECK_STR(u.path, "/a/b");
    CHECK_STR(u.query, "x=1");
    CHECK_STR(u.host_header, "127.0.0.1:5000");
    http_url_free(&u);

    /* libcurl omits the scheme's default port from Host even when given. */
    CHECK_INT(http_url_parse("https://sts.amazonaws.com:443/", &u, &e), 0);
    CHECK_STR(u.host_header, "sts.amazonaws.com");
    http_url_free(&u);
    CHECK_INT(http_url_parse("http://h:80", &u, &e), 0);
    CHECK_STR(u.host_header, "h");
    http_url_free(&u);
    CHECK_INT(http_url_parse("http://h:443", &u, &e), 0);
    CHECK_STR(u.host_header, "h:443");
    http_url_free(&u);

    CHECK_INT(http_url_parse("http://[fd00:ec2::254]/latest", &u, &e), 0);
    CHECK_STR(u.host, "fd00:ec2::254");
    CHECK_INT(u.port, 80);
    CHECK_STR(u.host_header, "[fd00:ec2::254]");
    http_url_free(&u);
    CHECK_INT(http_url_parse("http://[::1]:8080?q", &u, &e), 0);
    CHECK_STR(u.host_header, "[::1]:8080");
    CHECK_STR(u.path, "/");
    CHECK_STR(u.query, "q");
    http_url_free(&u);

    CHECK_INT(http_url_parse("http://[fe80::1%25eth0]:8080/", &u, &e), 0);
    CHECK_STR(u.host_header, "[fe80::1%25eth0]:8080");
    http_url_free(&u);

    /* "http://[[h]" (found by fuzz_url) made the Host header "[h", which
     * is no host at all; hosts are checked now. */
    const char *bad[] = {"ecs.amazonaws.com", "ftp://h/",      "http://",      "http://h:0/",
                         "http://h:70000/",   "http://h:12a/", "http://[::1/", "http://[::1]x/",
                         "http://[[h]",       "http://[h]/",   "http://a b/",  "http://h\x01/",
                         "http://a[b/",       "http://h;x/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_MSG(http_url_parse(bad[i], &u, &e) == -1, "accepted %s", bad[i]);
        CHECK_INT(e.kind, ERR_USAGE);
    }
    CHECK_INT(http_url_parse("https://user:hunter2@h/", &u, &e), -1);
    CHECK_MSG(strstr(e.message, "hunter2") == NULL, "echoed the password: %s", e.message);
}

TEST(proxy_bypass_hosts)
{
    const char *direct[] = {"127.0.0.1",     "127.1.2.3", "localhost",     "169.254.169.254",
                            "169.254.170.2", "::1",       "fd00:ec2::254", "fe80::1"};
    const char *proxied[] = {"ecs.us-east-1.amazonaws.com",
                             "10.0.0.1",
                             "169.253.1.1",
                             "fd00:ec2::253",
                             "2001:db8::1",
                             "128.0.0.1"};
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
        CHECK_MSG(http_host_bypasses_proxy(direct[i]), "%s would use a proxy", direct[i]);
    for (size_t i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++)
        CHECK_MSG(!http_host_bypasses_proxy(proxied[i]), "%s would skip the proxy", proxied[i]);
}

TEST(reuses_one_connection_and_sends_user_agent_and_host)
{
    struct loopback *lb = loopback_start();
    struct http_client *c = new_client(10000);
    CHECK(c);
    const int N = 5;
    loopback_push_n(lb, N, 200, "Content-Type: text/plain\r\nX-Amzn-RequestId: r-1\r\n", "hello");
    for (int i = 0; i < N; i++) {
        struct http_headers h = HTTP_HEADERS_INIT;
        http_headers_add(&h, "Content-Type", "application/x-amz-json-1.1");
        http_headers_add(&h, "X-Custom", "");
        struct http_request req = {.method = "POST",
                                   .url = loopback_url(lb),
                                   .headers = &h,
                                   .body = "{\"a\":1}",
                                   .body_len = 7};
        struct http_response resp;
        memset(&resp, 0, sizeof(resp));
        struct err e;
        int rc = http_send(c, &req, &resp, &e);
        http_headers_free(&h);
        CHECK_MSG(rc == 0, "send %d: %s", i, e.message);
        CHECK_INT(resp.status, 200);
        CHECK_STR(buf_cstr(&resp.body), "hello");
        CHECK_STR(http_headers_get(&resp.headers, "x-amzn-requestid"), "r-1");
        http_response_free(&resp);
    }
    CHECK_INT(loopback_request_count(lb), N);
    CHECK_INT(loopback_connection_count(lb), 1);
    struct http_stats st;
    http_client_stats(c, &st);
    CHECK_INT(st.requests, N);
    CHECK_INT(st.connections, 1);
    const struct loopback_request *r = loopback_request_at(lb, N - 1);
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->body, "{\"a\":1}");
    CHECK_STR(loopback_request_header(r, "User-Agent"), "ecs-rollout/" ECSR_VERSION);
    CHECK_STR(loopback_request_header(r, "Content-Type"), "application/x-amz-json-1.1");
    CHECK_STR(loopback_request_header(r, "X-Custom"), "");
    CHECK(loopback_request_header(r, "Expect") == NULL);
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", loopback_port(lb));
    CHECK_STR(loopback_request_header(r, "Host"), host);
    CHECK_INT(loopback_request_header_count(r, "Host"), 1);
    http_client_free(c);
    loopback_stop(lb);
}

TEST(sends_the_host_header_it_is_given_and_no_default_content_type)
{
    struct loopback *lb = loopback_start();
    struct http_client *c = new_client(10000);
    loopback_push(lb, 200, NULL, "");
    loopback_push(lb, 200, NULL, "token");
    struct http_headers h = HTTP_HEADERS_INIT;
    http_headers_add(&h, "Host", "signed.example:1234");
    struct http_request req = {.method = "POST", .url = loopback_url(lb), .headers = &h};
    struct http_response resp;
    memset(&resp, 0, sizeof(resp));
    struct err e;
    CHECK_INT(http_send(c, &req, &resp, &e), 0);
    http_response_free(&resp);
    http_headers_free(&h);
    const struct loopback_request *r = loopback_request_at(lb, 0);
    CHECK_STR(loopback_request_header(r, "Host"), "signed.example:1234");
    CHECK_INT(loopback_request_header_count(r, "Host"), 1);
    CHECK(loopback_request_header(r, "Content-Type") == NULL);
    CHECK_STR(loopback_request_header(r, "Content-Length"), "0");
    /* An IMDSv2-style token PUT. */
    struct http_headers h2 = HTTP_HEADERS_INIT;
    http_headers_add(&h2, "X-aws-ec2-metadata-token-ttl-seconds", "21600");
    char url[128];
    snprintf(url, sizeof(url), "%s/latest/api/token", loopback_url(lb));
    struct http_request put = {.method = "PUT", .url = url, .headers = &h2};
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(http_send(c, &put, &resp, &e), 0);
    CHECK_STR(buf_cstr(&resp.body), "token");
    http_response_free(&resp);
    http_headers_free(&h2);
    r = loopback_request_at(lb, 1);
    CHECK_STR(r->method, "PUT");
    CHECK_STR(r->path, "/latest/api/token");
    CHECK_STR(loopback_request_header(r, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    http_client_free(c);
    loopback_stop(lb);
}

TEST(any_status_is_a_response)
{
    struct loopback *lb = loopback_start();
    struct http_client *c = new_client(10000);
    loopback_push(lb, 503, "Content-Type: text/html\r\n", "<html>busy</html>");
    struct http_response resp;
    struct err e;
    CHECK_INT(get(c, loopback_url(lb), &resp, &e), 0);
    CHECK_INT(resp.status, 503);
    CHECK_STR(http_headers_get(&resp.headers, "content-type"), "text/html");
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
}

/* A port nothing listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

TEST(refused_connection_names_host_and_port)
{
    struct http_client *c = new_client(10000);
    char url[64], where[64];
    int port = closed_port();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    snprintf(where, sizeof(where), "127.0.0.1:%d", port);
    struct http_response resp;
    struct err e;
    CHECK_INT(get(c, url, &resp, &e), -1);
    CHECK_INT(e.kind, ERR_NETWORK);
    CHECK_CONTAINS(e.message, where);
    CHECK_CONTAINS(e.message, "refused");
    http_response_free(&resp);
    http_client_free(c);
}

TEST(broken_connections_are_network_errors_naming_the_peer)
{
    struct loopback *lb = loopback_start();
    struct http_client *c = new_client(10000);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%d", loopback_port(lb));
    loopback_push_action(lb, LOOPBACK_RESET);
    loopback_push_action(lb, LOOPBACK_CLOSE);
    struct loopback_spec half = {.action = LOOPBACK_CLOSE_MID_BODY,
                                 .status = 200,
                                 .body = "<Response>0123456789</Response>"};
    loopback_push_spec(lb, &half);
    struct loopback_spec raw = {.action = LOOPBACK_RAW, .body = "\x16\x03garbage\r\n\r\n"};
    loopback_push_spec(lb, &raw);
    const char *want[] = {"reset", "without answering", "cut short", "did not answer with HTTP"};
    for (int i = 0; i < 4; i++) {
        struct http_response resp;
        struct err e;
        CHECK_INT(get(c, loopback_url(lb), &resp, &e), -1);
        http_response_free(&resp);
        CHECK_MSG(e.kind == ERR_NETWORK, "case %d: kind %s: %s", i, err_kind_name(e.kind),
                  e.message);
        CHECK_CONTAINS(e.message, where);
        if (i == 0) {
            /* A reset can surface as "reset" or, when it lands before the
             * request is read, as an empty reply. */
            CHECK_MSG(strstr(e.message, "reset") || strstr(e.message, "without answering"),
                      "reset: %s", e.message);
        } else {
            CHECK_CONTAINS(e.message, want[i]);
        }
    }
    http_client_free(c);
    loopback_stop(lb);
}

TEST(request_timeout)
{
    struct loopback *lb = loopback_start();
    struct http_client *c = new_client(300);
    struct loopback_spec slow = {.status = 200, .body = "late", .delay_ms = 60000};
    loopback_push_spec(lb, &slow);
    loopback_push(lb, 200, NULL, "fine");
    struct http_response resp;
    struct err e;
    CHECK_INT(get(c, loopback_url(lb), &resp, &e), -1);
    http_response_free(&resp);
    CHECK_INT(e.kind, ERR_TIMEOUT);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%d", loopback_port(lb));
    CHECK_CONTAINS(e.message, where);
    CHECK_CONTAINS(e.message, "300 ms");
    /* The handle recovers: the next request works on a new connection. */
    CHECK_INT(get(c, loopback_url(lb), &resp, &e), 0);
    CHECK_STR(buf_cstr(&resp.body), "fine");
    http_response_free(&resp);
    /* A per-request timeout overrides the client's. */
    struct loopback_spec slow2 = {.status = 200, .delay_ms = 60000};
    loopback_push_spec(lb, &slow2);
    http_client_free(c);
    c = new_client(60000);
    struct http_request req = {.method = "GET", .url = loopback_url(lb), .timeout_ms = 200};
    memset(&resp, 0, sizeof(resp));
    CHECK_INT(http_send(c, &req, &resp, &e), -1);
    CHECK_INT(e.kind, ERR_TIMEOUT);
    CHECK_CONTAINS(e.message, "200 ms");
    http_response_free(&resp);
    http_client_free(c);
    loopback_stop(lb);
}

TEST(tls_to_a_plain_server_is_a_tls_error)
{
    struct loopback *lb = loopback_start();
    loopback_set_greeting(lb, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    struct http_client *c = new_client(5000);
    char url[64], where[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", loopback_port(lb));
    snprintf(where, sizeof(where), "127.0.0.1:%d", loopback_port(lb));
    struct http_response resp;
    struct err e;
    CHECK_INT(get(c, url, &resp, &e), -1);
    http_response_free(&resp);
    CHECK_MSG(e.kind == ERR_TLS, "kind %s: %s", err_kind_name(e.kind), e.message);
    CHECK_CONTAINS(e.message, where);
    CHECK_CONTAINS(e.message, "AWS_CA_BUNDLE");
    http_client_free(c);
    loopback_stop(lb);
}

TEST(unreadable_ca_bundle_is_refused)
{
    setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem", 1);
    struct err e;
    struct http_client *c = http_client_new(NULL, &e);
    unsetenv("AWS_CA_BUNDLE");
    CHECK(c == NULL);
    CHECK_INT(e.kind, ERR_CONFIG);
    CHECK_CONTAINS(e.message, "AWS_CA_BUNDLE");
    CHECK_CONTAINS(e.message, "/nonexistent/ca.pem");
    struct http_options o = {.ca_bundle = "/nonexistent/other.pem"};
    c = http_client_new(&o, &e);
    CHECK(c == NULL);
    CHECK_CONTAINS(e.message, "/nonexistent/other.pem");
}

/* ---- real TLS with openssl s_server --------------------------------------- */

static int run(char *const argv[])
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int wait_listening(int port)
{
    for (int i = 0; i < 400; i++) { /* up to 20 s for a slow machine */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        close(fd);
        if (ok)
            return 0;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

TEST(tls_verification_is_on_and_aws_ca_bundle_is_honoured)
{
    char dir[] = "/tmp/ecsr-tls-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char key[128], cert[128];
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    char *gen[] = {"openssl",  "req",
                   "-x509",    "-newkey",
                   "rsa:2048", "-nodes",
                   "-keyout",  key,
                   "-out",     cert,
                   "-days",    "2",
                   "-subj",    "/CN=127.0.0.1",
                   "-addext",  "subjectAltName=IP:127.0.0.1",
                   NULL};
    CHECK_MSG(run(gen) == 0, "openssl req failed (is openssl installed?)");
    int port = closed_port();
    char accept_arg[32];
    snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", port);
    char *srv[] = {"openssl", "s_server", "-accept", accept_arg, "-cert", cert,
                   "-key",    key,        "-www",    "-quiet",   NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int spawned = posix_spawnp(&pid, "openssl", &fa, NULL, srv, environ);
    posix_spawn_file_actions_destroy(&fa);
    CHECK_MSG(spawned == 0, "cannot start openssl s_server");
    int ready = wait_listening(port);
    char url[64], where[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
    snprintf(where, sizeof(where), "127.0.0.1:%d", port);

    struct err e1, e2, e3;
    int untrusted = -2, trusted = -2, trusted_env = -2;
    long status2 = 0, status3 = 0;
    if (ready == 0) {
        struct http_response resp;
        struct http_client *c = new_client(10000);
        untrusted = get(c, url, &resp, &e1);
        http_response_free(&resp);
        http_client_free(c);

        struct http_options o = {.ca_bundle = cert};
        c = http_client_new(&o, &e2);
        trusted = c ? get(c, url, &resp, &e2) : -1;
        status2 = resp.status;
        http_response_free(&resp);
        http_client_free(c);

        setenv("AWS_CA_BUNDLE", cert, 1);
        c = http_client_new(NULL, &e3);
        unsetenv("AWS_CA_BUNDLE");
        trusted_env = c ? get(c, url, &resp, &e3) : -1;
        status3 = resp.status;
        http_response_free(&resp);
        http_client_free(c);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(key);
    unlink(cert);
    rmdir(dir);
    CHECK_MSG(ready == 0, "openssl s_server did not start on %s", where);
    CHECK_MSG(untrusted == -1, "a self-signed certificate was accepted");
    CHECK_INT(e1.kind, ERR_TLS);
    CHECK_CONTAINS(e1.message, where);
    CHECK_MSG(trusted == 0, "with the CA bundle: %s", e2.message);
    CHECK_INT(status2, 200);
    CHECK_MSG(trusted_env == 0, "with AWS_CA_BUNDLE: %s", e3.message);
    CHECK_INT(status3, 200);
}

/* ---- proxies ------------------------------------------------------------------ */

TEST(proxy_variables_are_used_but_not_for_loopback)
{
    struct loopback *target = loopback_start();
    struct loopback *proxy = loopback_start();
    loopback_push(target, 200, NULL, "direct");
    loopback_push(proxy, 200, NULL, "via proxy");
    setenv("http_proxy", loopback_url(proxy), 1);
    struct http_client *c = new_client(10000);
    struct http_response resp;
    struct err e;
    int rc1 = get(c, loopback_url(target), &resp, &e);
    char body1[32];
    snprintf(body1, sizeof(body1), "%s", buf_cstr(&resp.body));
    http_response_free(&resp);
    /* A name that is never resolved: the proxy gets it in absolute form. */
    int rc2 = get(c, "http://ecs.example.invalid/path?x=1", &resp, &e);
    char body2[32];
    snprintf(body2, sizeof(body2), "%s", buf_cstr(&resp.body));
    http_response_free(&resp);
    unsetenv("http_proxy");
    http_client_free(c);
    CHECK_INT(rc1, 0);
    CHECK_STR(body1, "direct");
    CHECK_MSG(rc2 == 0, "via proxy: %s", e.message);
    CHECK_STR(body2, "via proxy");
    CHECK_INT(loopback_request_count(target), 1);
    CHECK_INT(loopback_request_count(proxy), 1);
    CHECK_STR(loopback_request_at(proxy, 0)->target, "http://ecs.example.invalid/path?x=1");
    CHECK_STR(loopback_request_header(loopback_request_at(proxy, 0), "Host"),
              "ecs.example.invalid");
    loopback_stop(target);
    loopback_stop(proxy);
}
