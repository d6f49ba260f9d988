/* The command line: every option, every bad combination, the external query. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/external.h"
#include "cli/options.h"
#include "test.h"

static int parse(struct cli_options *o, struct err *e, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "ecs-rollout";
    va_list ap;
    va_start(ap, e);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && argc < 63)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return cli_parse(argc, argv, o, e);
}

#define REQ "--asg-name", "g", "--cluster-name", "c"

TEST(old_script_flags_still_work)
{
    struct cli_options o;
    struct err e;
    CHECK_INT(parse(&o, &e, "--asg-name", "my-asg", "--cluster-name", "my-cluster", "--aws-region",
                    "eu-west-1", "--timeout", "1200", "--keep-max-size", NULL),
              0);
    CHECK_INT(o.command, CMD_ROLLOUT);
    CHECK_STR(o.asg_name, "my-asg");
    CHECK_STR(o.cluster_name, "my-cluster");
    CHECK_STR(o.region, "eu-west-1");
    CHECK(o.rollout.keep_max_size);
    CHECK_INT(o.rollout.drain_timeout_s, 1200);
    CHECK_INT(o.rollout.instance_timeout_s, 1200);
}

/* Found by fuzz_cli (corpus/cli/regress-getopt-state): a parse that
 * stopped inside "-qqw" left getopt pointing into that argv, so the next
 * parse of other arguments went on from there. */
TEST(a_failed_parse_leaves_nothing_behind)
{
    struct cli_options o;
    struct err e;
    char first[] = "-qqw";
    CHECK_INT(parse(&o, &e, first, NULL), -1);
    CHECK_CONTAINS(e.message, "--quiet is given twice");
    memset(first, 'v', 3); /* that argv is gone now */
    CHECK_INT(parse(&o, &e, "-y", REQ, NULL), 0);
    CHECK(o.yes);
    CHECK(!o.verbose);
    CHECK(!o.quiet);
}

TEST(bulk_terminate_from_defaults_to_auto_scalings_burst_and_0_turns_it_off)
{
    struct cli_options o;
    struct err e;
    CHECK_INT(parse(&o, &e, REQ, NULL), 0);
    CHECK_INT(o.rollout.bulk_terminate_from, 50);
    CHECK_INT(parse(&o, &e, REQ, "--bulk-terminate-from", "0", NULL), 0);
    CHECK_INT(o.rollout.bulk_terminate_from, 0);
    CHECK_INT(parse(&o, &e, REQ, "--bulk-terminate-from", "7", NULL), 0);
    CHECK_INT(o.rollout.bulk_terminate_from, 7);
    CHECK_INT(parse(&o, &e, REQ, "--bulk-terminate-from", "-1", NULL), -1);
    CHECK_CONTAINS(e.message, "--bulk-terminate-from expects a whole number");
    CHECK_INT(parse(&o, &e, REQ, "--bulk-terminate-from", "5", "plan", NULL), -1);
    CHECK_CONTAINS(e.message, "does not apply to the plan command");
}

TEST(defaults)
{
    struct cli_options o;
    struct err e;
    CHECK_INT(parse(&o, &e, REQ, NULL), 0);
    CHECK_INT(o.rollout.batch_size, 0);
    CHECK_INT(o.rollout.drain_timeout_s, 900);
    CHECK_INT(o.rollout.standalone, STANDALONE_WAIT);
    CHECK_INT(o.output, OUTPUT_TEXT);
    CHECK(o.region == NULL);
}

TEST(commands_and_options_in_any_order)
{
    struct cli_options o;
    struct err e;
    CHECK_INT(parse(&o, &e, "plan", REQ, "--batch-size", "2", NULL), 0);
    CHECK_INT(o.command, CMD_PLAN);
    CHECK_INT(o.rollout.batch_size, 2);
    CHECK_INT(parse(&o, &e, REQ, "status", "-o", "json", NULL), 0);
    CHECK_INT(o.command, CMD_STATUS);
    CHECK_INT(o.output, OUTPUT_JSON);
    CHECK_INT(parse(&o, &e, "external", NULL), 0);
    CHECK_INT(o.command, CMD_EXTERNAL);
}

TEST(every_option_is_parsed)
{
    struct cli_options o;
    struct err e;
    CHECK_INT(parse(&o, &e, REQ, "--region", "us-gov-west-1", "--profile", "prod", "--endpoint-url",
                    "http://127.0.0.1:5000", "--ami", "ami-0123456789abcdef0", "--max-surge", "3",
                    "--drain-timeout", "60", "--instance-timeout", "30", "--standalone-tasks",
                    "stop", "--report", "r.html", "--poll-interval", "0.5", "-y", "-vv",
                    "--no-color", NULL),
              0);
    CHECK_STR(o.profile, "prod");
    CHECK_STR(o.endpoint_url, "http://127.0.0.1:5000");
    CHECK_STR(o.rollout.ami, "ami-0123456789abcdef0");
    CHECK_INT(o.rollout.batch_size, 3);
    CHECK_INT(o.rollout.drain_timeout_s, 60);
    CHECK_INT(o.rollout.instance_timeout_s, 30);
    CHECK_INT(o.rollout.standalone, STANDALONE_STOP);
    CHECK_STR(o.report, "r.html");
    CHECK(o.poll_interval > 0.49 && o.poll_interval < 0.51);
    CHECK(o.yes);
    CHECK_INT(o.verbose, 2);
    CHECK(o.no_color);
}

struct bad_case {
    const char *args[12];
    const char *message;
};

TEST(bad_flag_combinations_get_specific_messages)
{
    static const struct bad_case cases[] = {
        {{"--cluster-name", "c"}, "--asg-name is required"},
        {{"--asg-name", "g"}, "--cluster-name is required"},
        {{REQ, "--batch-size", "0"}, "--batch-size expects a whole number from 1"},
        {{REQ, "--batch-size", "two"}, "not \"two\""},
        {{REQ, "--batch-size", "2", "--max-surge", "3"}, "disagree"},
        {{REQ, "--timeout", "-5"}, "--timeout expects a number of seconds"},
        {{REQ, "--drain-timeout", "1e400"}, "--drain-timeout"},
        {{REQ, "--standalone-tasks", "kill"}, "\"wait\" or \"stop\""},
        {{REQ, "--output", "yaml"}, "\"text\" or \"json\""},
        {{REQ, "--ami", "ubuntu"}, "AMI id"},
        {{REQ, "--endpoint-url", "127.0.0.1:5000"}, "https:// or http://"},
        {{REQ, "--aws-region", "US East"}, "not a Region name"},
        {{REQ, "--aws-region", "us-east-1", "--region", "us-east-2"}, "once"},
        {{REQ, "-v", "-q"}, "contradict"},
        {{REQ, "--frobnicate"}, "unknown option --frobnicate"},
        {{REQ, "-x"}, "unknown option -x"},
        {{REQ, "--asg-name"}, "needs a value"},
        {{REQ, "deploy"}, "unknown command \"deploy\""},
        {{REQ, "plan", "extra"}, "unexpected argument \"extra\""},
        {{REQ, "status", "--batch-size", "2"}, "--batch-size does not apply to the status command"},
        {{REQ, "plan", "--yes"}, "--yes does not apply to the plan command"},
        {{REQ, "--keep-max-size", "--keep-max-size"}, "given twice"},
        {{"--asg-name", "", "--cluster-name", "c"}, "--asg-name must be"},
        {{REQ, "--poll-interval", "0"}, "--poll-interval"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[16];
        int argc = 0;
        argv[argc++] = "ecs-rollout";
        for (int k = 0; cases[i].args[k]; k++)
            argv[argc++] = (char *)cases[i].args[k];
        argv[argc] = NULL;
        struct cli_options o;
        struct err e;
        err_clear(&e);
        CHECK_MSG(cli_parse(argc, argv, &o, &e) == -1, "case %zu was accepted", i);
        CHECK_INT(e.kind, ERR_USAGE);
        CHECK_CONTAINS(e.message, cases[i].message);
    }
}

TEST(help_covers_every_documented_option)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_print_help(f, 0);
    fclose(f);
    for (int i = 0; i < OPT_COUNT; i++) {
        char name[64];
        snprintf(name, sizeof(name), "--%s", cli_option_docs[i].name);
        CHECK_CONTAINS(text, name);
    }
    CHECK_CONTAINS(text, "Exit codes:");
    CHECK_CONTAINS(text, "AWS_ENDPOINT_URL");
    free(text);
}

TEST(external_query_is_validated)
{
    struct external_query q;
    struct err e;
    const char *good = "{\"asg_name\":\"g\",\"cluster_name\":\"c\",\"aws_region\":\"us-east-1\"}";
    CHECK_INT(external_parse_query(good, strlen(good), &q, &e), 0);
    CHECK_STR(q.asg_name, "g");
    CHECK_STR(q.region, "us-east-1");
    external_query_free(&q);

    static const char *const bad[][2] = {
        {"", "not valid JSON"},
        {"{\"asg_name\":", "not valid JSON"},
        {"[1,2]", "must be a JSON object"},
        {"{\"asg_name\":\"g\"}", "non-empty"},
        {"{\"asg_name\":\"g\",\"cluster_name\":3}", "must be a string"},
        {"{\"asg_name\":\"g\",\"cluster_name\":\"c\",\"color\":\"x\"}", "unknown key \"color\""},
        {"{\"asg_name\":\"g\",\"asg_name\":\"h\",\"cluster_name\":\"c\"}", "given twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&e);
        CHECK_MSG(external_parse_query(bad[i][0], strlen(bad[i][0]), &q, &e) == -1,
                  "query %zu accepted", i);
        CHECK_CONTAINS(e.message, bad[i][1]);
    }
}
