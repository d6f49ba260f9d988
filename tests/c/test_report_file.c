/* The HTML report file: written owner-only and atomically, never through a
 * link planted at its temporary name, and free of registered secrets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/report.h"
#include "test.h"
#include "util/buf.h"
#include "util/log.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/ecsr-report-XXXXXX");
    if (!mkdtemp(dir))
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

static void one_event(struct report *r, const char *message)
{
    struct rollout_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = EV_WARNING;
    ev.time = 1700000000.0;
    ev.phase = "drain";
    ev.message = message;
    report_event(&ev, r);
}

TEST(report_is_owner_only_even_with_a_permissive_umask)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    /* An existing world-readable file is replaced, not rewritten in place. */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    chmod(path, 0644);
    mode_t saved = umask(0);
    struct report r;
    report_init(&r, "prod-asg", "prod");
    one_event(&r, "AWS is failing, retrying");
    struct err e;
    CHECK_INT(report_write(&r, path, &e), 0);
    umask(saved);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    char *text = slurp(path);
    CHECK(text && strstr(text, "AWS is failing, retrying"));
    free(text);
    report_free(&r);
    unlink(path);
    rmdir(dir);
}

TEST(a_link_at_the_temporary_name_is_not_followed)
{
    make_dir();
    char path[128], tmp[160], victim[128];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("keep me", f);
        fclose(f);
    }
    CHECK_INT(symlink(victim, tmp), 0);
    struct report r;
    report_init(&r, "prod-asg", "prod");
    one_event(&r, "hello");
    struct err e;
    CHECK_INT(report_write(&r, path, &e), 0);
    char *v = slurp(victim);
    CHECK_STR(v ? v : "", "keep me");
    free(v);
    struct stat st;
    CHECK_INT(lstat(path, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_INT(lstat(tmp, &st), -1);
    report_free(&r);
    unlink(path);
    unlink(victim);
    rmdir(dir);
}

TEST(registered_secrets_never_reach_the_report)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY";
    log_add_secret(secret);
    struct report r;
    report_init(&r, "prod-asg", "prod");
    one_event(&r,
              "a credential process printed wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY by mistake");
    struct err e;
    CHECK_INT(report_write(&r, path, &e), 0);
    char *text = slurp(path);
    CHECK(text != NULL);
    CHECK(text && strstr(text, secret) == NULL);
    CHECK(text && strstr(text, "by mistake"));
    free(text);
    report_free(&r);
    log_clear_secrets();
    unlink(path);
    rmdir(dir);
}
