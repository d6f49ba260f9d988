#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "util/strv.h"

TEST(buf_grows_and_formats)
{
    struct buf b = BUF_INIT;
    CHECK_STR(buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    CHECK_INT(b.len, 3890);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    char *s = buf_steal(&b);
    CHECK_INT(b.len, 0);
    CHECK(b.data == NULL);
    free(s);
}

/* Found by fuzz_sigv4: a reserved but empty buffer was not terminated, so
 * the canonical query of "a=" (and an empty header value) read garbage. */
TEST(buf_reserved_but_empty_is_an_empty_string)
{
    struct buf b = BUF_INIT;
    buf_reserve(&b, 64);
    CHECK(b.data != NULL);
    CHECK_STR(buf_cstr(&b), "");
    char *s = buf_steal(&b);
    CHECK_STR(s, "");
    free(s);
    buf_puts(&b, "abc");
    buf_reset(&b);
    buf_reserve(&b, 4096);
    CHECK_STR(buf_cstr(&b), "");
    buf_free(&b);
}

TEST(strv_push_sort_contains)
{
    struct strv sv = STRV_INIT;
    strv_push(&sv, "b");
    strv_pushf(&sv, "%s", "a");
    strv_sort(&sv);
    CHECK_STR(sv.v[0], "a");
    CHECK(strv_contains(&sv, "b"));
    CHECK(!strv_contains(&sv, "c"));
    strv_free(&sv);
}

TEST(err_format_service_error)
{
    struct err e;
    err_service(&e, 400, "ThrottlingException", "Rate exceeded", "abc-123");
    err_prefix(&e, "DescribeTasks: ");
    struct buf b = BUF_INIT;
    err_format(&e, &b);
    CHECK_STR(buf_cstr(&b),
              "ThrottlingException: DescribeTasks: Rate exceeded (HTTP 400, request id abc-123)");
    buf_free(&b);
}

TEST(err_format_names_a_missing_permission)
{
    struct err e;
    err_service(&e, 403, "AccessDenied", "User: arn:aws:iam::1:user/u is not authorized", "r-1");
    err_prefix(&e, "SetDesiredCapacity: ");
    snprintf(e.permission, sizeof(e.permission), "autoscaling:SetDesiredCapacity");
    struct buf b = BUF_INIT;
    err_format(&e, &b);
    CHECK_STR(buf_cstr(&b),
              "AccessDenied: SetDesiredCapacity: User: arn:aws:iam::1:user/u is not authorized "
              "(HTTP 403, request id r-1). This is a permissions problem: the credentials in use "
              "are not allowed autoscaling:SetDesiredCapacity; grant it in their IAM policy (the "
              "ecs-cluster module's rollout_iam_policy_json output holds every permission "
              "ecs-rollout needs)");
    buf_free(&b);
    /* err_clear and err_set forget it. */
    err_set(&e, ERR_NETWORK, "reset");
    CHECK_STR(e.permission, "");
}

TEST(secrets_are_scrubbed_from_errors)
{
    log_add_secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    struct err e;
    err_set(&e, ERR_CREDENTIALS,
            "process printed wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY twice: "
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    CHECK_STR(e.message, "process printed **** twice: ****");
    log_clear_secrets();
}

TEST(file_read_all_reads_everything_and_stops_past_its_limit)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    char text[10000];
    memset(text, 'x', sizeof(text));
    CHECK(write(fds[1], text, sizeof(text)) == (ssize_t)sizeof(text));
    close(fds[1]);
    struct buf b = BUF_INIT;
    int e = -1;
    CHECK_INT(file_read_all(fds[0], &b, sizeof(text), &e), FILE_READ_OK);
    close(fds[0]);
    CHECK_INT(b.len, sizeof(text));
    CHECK_INT(e, 0);
    buf_free(&b);

    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], text, sizeof(text)) == (ssize_t)sizeof(text));
    close(fds[1]);
    CHECK_INT(file_read_all(fds[0], &b, sizeof(text) - 1, &e), FILE_READ_TOO_BIG);
    close(fds[0]);
    CHECK(b.len < sizeof(text));
    buf_free(&b);

    CHECK_INT(file_read_all(-1, &b, 100, &e), FILE_READ_FAILED);
    CHECK_INT(e, EBADF);
    buf_free(&b);
}
