/* ecs-rollout: the command line. Parses options, builds the AWS client,
 * runs one command, and maps its outcome to a documented exit code. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__ /* defined by the C library's headers above */
#include <malloc.h>
#endif

#include "cli/external.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "cli/views.h"
#include "rollout/engine.h"
#include "rollout/inspect.h"
#include "svc/sts.h"
#include "util/log.h"

/* A rollout survives AWS hiccups better with more attempts per request. */
#define ROLLOUT_MAX_ATTEMPTS 8
/* The adaptive retry mode's client-side rate limit is opt-in
 * (AWS_RETRY_MODE=adaptive), as in the SDKs: against the simulator's Auto
 * Scaling bucket (50, 20 per second), 1,000 instances met 52 throttles
 * instead of 550 but took 8 s longer (180.4 s against 172.5 s): after a
 * throttle, CUBIC cuts the rate below what the bucket allows, and the drains
 * waited for ECS's limiter. */
#define ROLLOUT_ADAPTIVE 0

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGINT (Ctrl-C), SIGTERM (Terraform, CI runners) and SIGHUP (a closed
 * terminal or SSH session) ask for a stop at the next safe point: a request
 * under way ends within about a second (aws/http.c), the run releases its
 * lease and exits 4, resumable. No SA_RESTART, so a blocking call returns
 * at once. */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    /* A second signal kills at once: the state on the group is resumable. */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Writing to a closed pipe (`ecs-rollout status | head -1`, a reader that
 * went away) fails with EPIPE instead of killing the process mid-rollout.
 * Children (credential_process) get the default back (creds/process.c). */
static void no_sigpipe(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
}

/* Credentials live in this process's memory (and its environment): a core
 * dump would write them to disk, wherever the system's core pattern points.
 * Not dumpable also means that other processes of the same user cannot
 * ptrace it or read its /proc/PID/mem and /proc/PID/environ. For the whole
 * run: secrets are loaded at its start and held until its end. */
static void no_core_dumps(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
#ifdef __linux__
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* A small heap at a thousand instances (issue 16): one malloc arena for
 * every thread (each of the fan-out's workers would otherwise keep one of
 * its own after it ends), and blocks of 64 kB and more (answers of many
 * instances, arrays over all members) mapped apart and unmapped when freed
 * instead of staying in the heap between polls; glibc grows that threshold
 * by itself after the first such free unless it is set. */
static void small_heap(void)
{
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
}

static int exit_for_error(const struct err *e)
{
    switch (e->kind) {
    case ERR_USAGE:
        return EXIT_USAGE;
    case ERR_INTERRUPTED:
        return EXIT_RESUMABLE;
    case ERR_STATE:
        return EXIT_FAILED;
    default:
        return EXIT_ACCESS;
    }
}

static int fail(const struct err *e)
{
    struct buf b = BUF_INIT;
    err_format(e, &b);
    fprintf(stderr, "ecs-rollout: %s\n", buf_cstr(&b));
    buf_free(&b);
    return exit_for_error(e);
}

static int exit_for_result(enum rollout_result r)
{
    switch (r) {
    case ROLLOUT_DONE:
    case ROLLOUT_NOTHING_TO_DO:
        return EXIT_DONE;
    case ROLLOUT_ROLLED_BACK:
    case ROLLOUT_REFUSED:
        return EXIT_FAILED;
    case ROLLOUT_INTERRUPTED:
    case ROLLOUT_STUCK:
    case ROLLOUT_INCOMPLETE:
        return EXIT_RESUMABLE;
    case ROLLOUT_BUSY:
        return EXIT_BUSY;
    case ROLLOUT_ERROR:
        return EXIT_ACCESS;
    }
    return EXIT_FAILED;
}

static void set_log_level(const struct cli_options *o)
{
    if (o->quiet)
        log_set_level(LOG_ERROR);
    else if (o->verbose >= 2)
        log_set_level(LOG_TRACE);
    else if (o->verbose == 1)
        log_set_level(LOG_DEBUG);
    else
        log_set_level(LOG_WARN);
}

static void rollout_config_from(const struct cli_options *o, struct rollout_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->asg_name = o->asg_name;
    cfg->cluster_name = o->cluster_name;
    cfg->options = o->rollout;
    cfg->poll_min_s = o->poll_interval > 0 ? o->poll_interval : 1.0;
    cfg->poll_max_s = cfg->poll_min_s * 2;
    cfg->stop = &stop_requested;
}

static int print_json(cJSON *o)
{
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return EXIT_ACCESS;
    log_scrub(text);
    printf("%s\n", text);
    free(text);
    return EXIT_DONE;
}

/* On a terminal, show the plan and ask before changing anything. */
static int confirm(struct cli_aws *a, const struct cli_options *o, const struct rollout_config *cfg)
{
    if (o->yes || o->output == OUTPUT_JSON || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return 1;
    struct rollout_plan p;
    struct err err;
    struct svc_ops ops = svc_ops_aws(&a->client);
    if (rollout_inspect(&ops, cfg, &p, &err) != 0)
        return 1; /* the rollout reports the same error */
    int go = 1;
    if (p.outdated > 0 && !p.in_progress) {
        view_print_plan(stdout, &p);
        printf("Roll out now? [y/N] ");
        fflush(stdout);
        char answer[16] = "";
        go = fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
        if (!go)
            printf("Nothing changed.\n");
    }
    rollout_plan_free(&p);
    return go;
}

/* A rollout that a stop request ended before its loop (while it looked at
 * the group or took the lease) is as resumable as one stopped later. */
static int exit_for_run(enum rollout_result r, const struct err *err)
{
    if (r == ROLLOUT_ERROR && err->kind == ERR_INTERRUPTED)
        return EXIT_RESUMABLE;
    return exit_for_result(r);
}

static int run_rollout(struct cli_aws *a, const struct cli_options *o)
{
    struct rollout_config cfg;
    rollout_config_from(o, &cfg);
    if (!confirm(a, o, &cfg))
        return EXIT_FAILED;
    struct output out;
    output_init(&out, o, stdout);
    struct report rep;
    report_init(&rep, o->asg_name, o->cluster_name);
    struct event_tee tee = {&out, o->report ? &rep : NULL};
    cfg.on_event = event_tee_fn;
    cfg.userdata = &tee;

    struct rollout_summary sum;
    struct err err;
    struct svc_ops ops = svc_ops_aws(&a->client);
    enum rollout_result r = rollout_run(&ops, &cfg, &sum, &err);
    output_finish(&out);
    if (o->report) {
        struct err rerr;
        if (report_write(&rep, o->report, &rerr) != 0)
            fail(&rerr);
        else if (!o->quiet && o->output == OUTPUT_TEXT)
            printf("report: %s\n", o->report);
    }
    report_free(&rep);
    /* Text output already ended with the reason; JSON consumers get it on stderr. */
    if (r != ROLLOUT_DONE && r != ROLLOUT_NOTHING_TO_DO && o->output == OUTPUT_JSON) {
        struct buf b = BUF_INIT;
        err_format(&err, &b);
        fprintf(stderr, "ecs-rollout: %s\n", buf_cstr(&b));
        buf_free(&b);
    }
    return exit_for_run(r, &err);
}

static int run_view(struct cli_aws *a, const struct cli_options *o)
{
    struct rollout_config cfg;
    rollout_config_from(o, &cfg);
    struct rollout_plan p;
    struct err err;
    struct svc_ops ops = svc_ops_aws(&a->client);
    if (rollout_inspect(&ops, &cfg, &p, &err) != 0)
        return fail(&err);
    int rc = EXIT_DONE;
    if (o->output == OUTPUT_JSON)
        rc = print_json(view_plan_json(&p));
    else if (o->command == CMD_PLAN)
        view_print_plan(stdout, &p);
    else
        view_print_status(stdout, &p);
    if (o->command == CMD_PLAN && p.problems.n)
        rc = EXIT_FAILED;
    rollout_plan_free(&p);
    return rc;
}

static int run_external(struct cli_options *o)
{
    struct external_query q;
    struct err err;
    if (external_read_query(stdin, &q, &err) != 0)
        return fail(&err);
    /* The query goes through the same validation as the flags. */
    char *argv[16];
    int argc = 0;
    argv[argc++] = "ecs-rollout";
    argv[argc++] = "status";
    argv[argc++] = "--asg-name";
    argv[argc++] = q.asg_name;
    argv[argc++] = "--cluster-name";
    argv[argc++] = q.cluster_name;
    if (q.region && *q.region) {
        argv[argc++] = "--aws-region";
        argv[argc++] = q.region;
    }
    if (q.profile && *q.profile) {
        argv[argc++] = "--profile";
        argv[argc++] = q.profile;
    }
    if (q.endpoint_url && *q.endpoint_url) {
        argv[argc++] = "--endpoint-url";
        argv[argc++] = q.endpoint_url;
    }
    if (q.ami && *q.ami) {
        argv[argc++] = "--ami";
        argv[argc++] = q.ami;
    }
    argv[argc] = NULL;
    struct cli_options eo;
    int rc;
    if (cli_parse(argc, argv, &eo, &err) != 0) {
        rc = fail(&err);
    } else {
        eo.quiet = o->quiet;
        struct cli_aws a;
        if (cli_aws_open(&a, &eo, 0, 0, &stop_requested, &err) != 0) {
            rc = fail(&err);
        } else {
            struct rollout_config cfg;
            rollout_config_from(&eo, &cfg);
            struct rollout_plan p;
            struct svc_ops ops = svc_ops_aws(&a.client);
            if (rollout_inspect(&ops, &cfg, &p, &err) != 0) {
                rc = fail(&err);
            } else {
                cJSON *out = view_external_json(&p, a.client.region);
                char *text = cJSON_PrintUnformatted(out);
                cJSON_Delete(out);
                printf("%s\n", text ? text : "{}");
                free(text);
                rollout_plan_free(&p);
                rc = EXIT_DONE;
            }
            cli_aws_close(&a);
        }
    }
    external_query_free(&q);
    return rc;
}

int main(int argc, char **argv)
{
    no_core_dumps();
    no_sigpipe();
    small_heap();
    struct cli_options o;
    struct err err;
    if (cli_parse(argc, argv, &o, &err) != 0) {
        fprintf(stderr, "ecs-rollout: %s\n", err.message);
        return EXIT_USAGE;
    }
    if (o.version) {
        printf("ecs-rollout %s\n", ECSR_VERSION);
        return EXIT_DONE;
    }
    if (o.help) {
        cli_print_help(stdout, 0);
        return EXIT_DONE;
    }
    set_log_level(&o);
    install_signals();
    if (o.command == CMD_EXTERNAL) {
        int rc = run_external(&o);
        log_clear_secrets();
        return rc;
    }
    struct cli_aws a;
    int rollout = o.command == CMD_ROLLOUT;
    if (cli_aws_open(&a, &o, rollout ? ROLLOUT_MAX_ATTEMPTS : 0, rollout ? ROLLOUT_ADAPTIVE : 0,
                     &stop_requested, &err) != 0)
        return fail(&err);
    int rc = o.command == CMD_ROLLOUT ? run_rollout(&a, &o) : run_view(&a, &o);
    cli_aws_close(&a);
    log_clear_secrets();
    return rc;
}
