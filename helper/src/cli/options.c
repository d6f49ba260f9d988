#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout/bulk.h"

const struct cli_option_doc cli_option_docs[OPT_COUNT] = {
#define OPT(id, name, letter, arg, commands, help) {name, letter, arg, commands, help},
#include "cli/options.def"
#undef OPT
};

const struct cli_command_doc cli_command_docs[4] = {
    {CMD_ROLLOUT, "rollout",
     "Replace every out-of-date instance of the group with zero downtime (the default command)."},
    {CMD_PLAN, "plan",
     "Show which instances are out of date and why, the batches and capacity a rollout needs, "
     "and what it would change. Makes no change."},
    {CMD_STATUS, "status",
     "Show the group and cluster now, including a rollout in progress or interrupted."},
    {CMD_EXTERNAL, "external",
     "Terraform's external data protocol: read a JSON object (asg_name, cluster_name, "
     "aws_region, profile, endpoint_url, ami) on stdin, print a flat JSON object of strings."},
};

const struct cli_exit_doc cli_exit_docs[6] = {
    {EXIT_DONE, "Done: every instance is current (or already was)."},
    {EXIT_FAILED, "Failed: the rollout was refused before any change, or failed and was rolled "
                  "back; the cluster serves as before. The message says why."},
    {EXIT_USAGE, "Bad command line."},
    {EXIT_ACCESS, "Credentials, permissions, configuration, or AWS unreachable; nothing was "
                  "changed by this run."},
    {EXIT_RESUMABLE, "Stopped midway (SIGINT/SIGTERM/SIGHUP, AWS failing during a rollback, or "
                     "AWS busy with the group for 15 minutes), or finished incomplete: "
                     "out-of-date instances that could not be replaced safely (a disconnected "
                     "ECS agent, someone else's drain holding tasks) are named and left serving. "
                     "The cluster serves. Run the same command again to continue."},
    {EXIT_BUSY, "Another rollout of this group is running, or took this one over (its lease ran "
                "out while it was held up); this run stopped without writing anything more."},
};

const struct cli_env_doc cli_env_docs[] = {
    {"AWS_REGION, AWS_DEFAULT_REGION", "The Region, when --aws-region is not given."},
    {"AWS_PROFILE, AWS_DEFAULT_PROFILE",
     "The profile, when --profile is not given (AWS_PROFILE first)."},
    {"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN", "Credentials."},
    {"AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE", "The shared config and credentials files."},
    {"AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME",
     "Web identity federation (EKS, GitHub Actions, ...)."},
    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI, "
     "AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
     "Credentials of an ECS task or other container."},
    {"AWS_EC2_METADATA_DISABLED", "\"true\": never ask the instance metadata service."},
    {"AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL_AUTO_SCALING, "
     "AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_SSO, "
     "AWS_ENDPOINT_URL_SSO_OIDC",
     "Endpoints for all or one service."},
    {"AWS_MAX_ATTEMPTS", "Attempts per AWS request (default 3; a rollout uses 8 unless set)."},
    {"AWS_RETRY_MODE",
     "\"adaptive\": once a service throttles, wait for a client-side rate limit; \"standard\" "
     "(the default) or \"legacy\": retries only."},
    {"AWS_CA_BUNDLE", "Trust these certificates (PEM file) for HTTPS."},
    {"ECS_ROLLOUT_ALLOW_PLAIN_HTTP", "\"true\" or \"1\": as --allow-plain-http."},
    {"HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "Proxies, as curl understands them."},
    {"NO_COLOR", "No colors."},
};
const size_t cli_n_env_docs = sizeof(cli_env_docs) / sizeof(cli_env_docs[0]);

const char cli_description[] =
    "ecs-rollout replaces every out-of-date EC2 instance of an ECS cluster's Auto Scaling group "
    "with zero downtime: it launches new instances first, waits until they are registered in "
    "the cluster, drains the old ones until their tasks run elsewhere and their services are "
    "whole again, removes exactly those instances, and restores the group. An instance is out "
    "of date when it was launched from another launch template version (or launch "
    "configuration) than the group's, or runs another AMI than --ami. Its progress is kept on "
    "the group as tags: a rollout that was stopped, even killed, continues when the same "
    "command runs again, from any machine; one that fails is rolled back.";

static int command_of(const char *word)
{
    for (size_t i = 0; i < sizeof(cli_command_docs) / sizeof(cli_command_docs[0]); i++)
        if (strcmp(cli_command_docs[i].name, word) == 0)
            return cli_command_docs[i].command;
    return 0;
}

static const char *command_name(int command)
{
    for (size_t i = 0; i < sizeof(cli_command_docs) / sizeof(cli_command_docs[0]); i++)
        if (cli_command_docs[i].command == (enum cli_command)command)
            return cli_command_docs[i].name;
    return "?";
}

static int parse_count(const char *opt, const char *v, long min, long max, long *out,
                       struct err *err)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !*v || *end || n < min || n > max)
        return err_set(err, ERR_USAGE, "--%s expects a whole number from %ld to %ld, not \"%s\"",
                       opt, min, max, v);
    *out = n;
    return 0;
}

static int parse_seconds(const char *opt, const char *v, double min, double max, double *out,
                         struct err *err)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || !*v || *end || !isfinite(d) || d < min || d > max)
        return err_set(err, ERR_USAGE, "--%s expects a number of seconds from %g to %g, not \"%s\"",
                       opt, min, max, v);
    *out = d;
    return 0;
}

static int valid_ami(const char *v)
{
    size_t n = strlen(v);
    if (n < 12 || n > 21 || strncmp(v, "ami-", 4) != 0)
        return 0;
    for (size_t i = 4; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return 0;
    return 1;
}

static int valid_name(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return 0;
    return 1;
}

static int valid_region(const char *v)
{
    size_t n = strlen(v);
    if (n < 4 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
            return 0;
    return 1;
}

int cli_parse(int argc, char **argv, struct cli_options *o, struct err *err)
{
    memset(o, 0, sizeof(*o));
    o->command = CMD_ROLLOUT;
    o->rollout.standalone = STANDALONE_WAIT;
    o->rollout.bulk_terminate_from = ROLLOUT_BULK_FROM_DEFAULT;

    struct option longopts[OPT_COUNT + 1];
    char shortopts[2 * OPT_COUNT + 2];
    size_t ns = 0;
    shortopts[ns++] = ':'; /* report a missing argument as ':' */
    for (int i = 0; i < OPT_COUNT; i++) {
        longopts[i].name = cli_option_docs[i].name;
        longopts[i].has_arg = cli_option_docs[i].arg ? required_argument : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 1000 + i;
        if (cli_option_docs[i].letter) {
            shortopts[ns++] = cli_option_docs[i].letter;
            if (cli_option_docs[i].arg)
                shortopts[ns++] = ':';
        }
    }
    shortopts[ns] = '\0';
    memset(&longopts[OPT_COUNT], 0, sizeof(longopts[0]));

    int seen[OPT_COUNT] = {0};
    long batch = 0, surge = 0;
    double timeout = 900, drain = -1, instance = -1;
    /* 0, not 1: glibc (and musl) then also forget the position inside a
     * cluster of short options ("-qqv") left by an earlier call that
     * stopped midway, which would point into that call's argv. */
    optind = 0;
    opterr = 0;
    int c, longindex;
    while ((c = getopt_long(argc, argv, shortopts, longopts, &longindex)) != -1) {
        int id = -1;
        if (c >= 1000) {
            id = c - 1000;
        } else if (c == '?' || c == ':') {
            const char *what = argv[optind - 1];
            if (c == ':')
                return err_set(err, ERR_USAGE, "option %s needs a value (see --help)", what);
            if (optopt)
                return err_set(err, ERR_USAGE, "unknown option -%c (see --help)", optopt);
            return err_set(err, ERR_USAGE, "unknown option %s (see --help)", what);
        } else {
            for (int i = 0; i < OPT_COUNT; i++)
                if (cli_option_docs[i].letter == c)
                    id = i;
        }
        if (id < 0)
            return err_set(err, ERR_USAGE, "unknown option (see --help)");
        const char *name = cli_option_docs[id].name;
        const char *v = optarg;
        if (seen[id]++ && id != OPT_VERBOSE)
            return err_set(err, ERR_USAGE, "--%s is given twice", name);
        long n = 0;
        switch ((enum cli_option_id)id) {
        case OPT_ASG_NAME:
            if (!valid_name(v, 255))
                return err_set(err, ERR_USAGE, "--asg-name must be 1 to 255 printable characters");
            o->asg_name = v;
            break;
        case OPT_CLUSTER_NAME:
            if (!valid_name(v, 255))
                return err_set(err, ERR_USAGE,
                               "--cluster-name must be 1 to 255 printable characters");
            o->cluster_name = v;
            break;
        case OPT_AWS_REGION:
        case OPT_REGION:
            if (o->region)
                return err_set(err, ERR_USAGE, "give either --aws-region or --region, once");
            if (!valid_region(v))
                return err_set(err, ERR_USAGE, "--%s \"%s\" is not a Region name such as us-east-1",
                               name, v);
            o->region = v;
            break;
        case OPT_PROFILE:
            if (!valid_name(v, 128))
                return err_set(err, ERR_USAGE, "--profile must be a profile name");
            o->profile = v;
            break;
        case OPT_ENDPOINT_URL:
            if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
                return err_set(err, ERR_USAGE,
                               "--endpoint-url must start with https:// or http://, not \"%s\"", v);
            o->endpoint_url = v;
            break;
        case OPT_AMI:
            if (!valid_ami(v))
                return err_set(err, ERR_USAGE,
                               "--ami expects an AMI id such as ami-0123456789abcdef0, not \"%s\"",
                               v);
            o->rollout.ami = v;
            break;
        case OPT_BATCH_SIZE:
        case OPT_MAX_SURGE:
            if (parse_count(name, v, 1, 10000, &n, err) != 0)
                return -1;
            if (id == OPT_BATCH_SIZE)
                batch = n;
            else
                surge = n;
            break;
        case OPT_KEEP_MAX_SIZE:
            o->rollout.keep_max_size = 1;
            break;
        case OPT_TIMEOUT:
            if (parse_seconds(name, v, 1, 7 * 86400, &timeout, err) != 0)
                return -1;
            break;
        case OPT_DRAIN_TIMEOUT:
            if (parse_seconds(name, v, 1, 7 * 86400, &drain, err) != 0)
                return -1;
            break;
        case OPT_INSTANCE_TIMEOUT:
            if (parse_seconds(name, v, 1, 7 * 86400, &instance, err) != 0)
                return -1;
            break;
        case OPT_BULK_TERMINATE_FROM:
            if (parse_count(name, v, 0, 100000, &n, err) != 0)
                return -1;
            o->rollout.bulk_terminate_from = (int)n;
            break;
        case OPT_STANDALONE_TASKS:
            if (strcmp(v, "wait") == 0)
                o->rollout.standalone = STANDALONE_WAIT;
            else if (strcmp(v, "stop") == 0)
                o->rollout.standalone = STANDALONE_STOP;
            else
                return err_set(err, ERR_USAGE,
                               "--standalone-tasks expects \"wait\" or \"stop\", not \"%s\"", v);
            break;
        case OPT_OUTPUT:
            if (strcmp(v, "text") == 0)
                o->output = OUTPUT_TEXT;
            else if (strcmp(v, "json") == 0)
                o->output = OUTPUT_JSON;
            else
                return err_set(err, ERR_USAGE, "--output expects \"text\" or \"json\", not \"%s\"",
                               v);
            break;
        case OPT_REPORT:
            if (!*v)
                return err_set(err, ERR_USAGE, "--report needs a file name");
            o->report = v;
            break;
        case OPT_POLL_INTERVAL:
            if (parse_seconds(name, v, 0.05, 60, &o->poll_interval, err) != 0)
                return -1;
            break;
        case OPT_YES:
            o->yes = 1;
            break;
        case OPT_ALLOW_PLAIN_HTTP:
            o->allow_plain_http = 1;
            break;
        case OPT_VERBOSE:
            o->verbose++;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case OPT_NO_COLOR:
            o->no_color = 1;
            break;
        case OPT_HELP:
            o->help = 1;
            break;
        case OPT_VERSION:
            o->version = 1;
            break;
        case OPT_COUNT:
            break;
        }
    }

    if (optind < argc) {
        int cmd = command_of(argv[optind]);
        if (!cmd)
            return err_set(err, ERR_USAGE,
                           "unknown command \"%s\": use rollout, plan, status or external",
                           argv[optind]);
        o->command = (enum cli_command)cmd;
        optind++;
        /* getopt_long moved every option ahead, so anything left is extra. */
        if (optind < argc)
            return err_set(err, ERR_USAGE, "unexpected argument \"%s\" (see --help)", argv[optind]);
    }
    if (o->help || o->version)
        return 0;

    for (int i = 0; i < OPT_COUNT; i++)
        if (seen[i] && !(cli_option_docs[i].commands & (int)o->command))
            return err_set(err, ERR_USAGE, "--%s does not apply to the %s command",
                           cli_option_docs[i].name, command_name(o->command));
    if (batch && surge && batch != surge)
        return err_set(err, ERR_USAGE, "--batch-size %ld and --max-surge %ld disagree: give one",
                       batch, surge);
    o->rollout.batch_size = (int)(batch ? batch : surge);
    if (o->verbose && o->quiet)
        return err_set(err, ERR_USAGE, "--verbose and --quiet contradict each other");
    if (o->command != CMD_EXTERNAL) {
        if (!o->asg_name)
            return err_set(err, ERR_USAGE, "--asg-name is required (the Auto Scaling group)");
        if (!o->cluster_name)
            return err_set(err, ERR_USAGE, "--cluster-name is required (the ECS cluster)");
    }
    o->rollout.drain_timeout_s = (long)(drain > 0 ? drain : timeout);
    o->rollout.instance_timeout_s = (long)(instance > 0 ? instance : timeout);
    return 0;
}

static void wrap(FILE *out, const char *text, int indent, int width)
{
    int col = indent;
    const char *p = text;
    fprintf(out, "%*s", indent, "");
    while (*p) {
        const char *sp = strchr(p, ' ');
        int len = sp ? (int)(sp - p) : (int)strlen(p);
        if (col > indent && col + 1 + len > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", len, p);
        col += len;
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

void cli_print_help(FILE *out, enum cli_command command)
{
    fprintf(out, "Usage: ecs-rollout [COMMAND] --asg-name NAME --cluster-name NAME [OPTIONS]\n\n");
    wrap(out, cli_description, 0, 79);
    fprintf(out, "\nCommands:\n");
    for (size_t i = 0; i < sizeof(cli_command_docs) / sizeof(cli_command_docs[0]); i++) {
        fprintf(out, "  %s\n", cli_command_docs[i].name);
        wrap(out, cli_command_docs[i].summary, 6, 79);
    }
    fprintf(out, "\nOptions%s%s:\n", command ? " of " : "", command ? command_name(command) : "");
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct cli_option_doc *d = &cli_option_docs[i];
        if (command && !(d->commands & (int)command))
            continue;
        char head[96];
        int n = 0;
        if (d->letter)
            n = snprintf(head, sizeof(head), "  -%c, --%s", d->letter, d->name);
        else
            n = snprintf(head, sizeof(head), "      --%s", d->name);
        if (d->arg)
            snprintf(head + n, sizeof(head) - (size_t)n, " %s", d->arg);
        fprintf(out, "%s\n", head);
        wrap(out, d->help, 10, 79);
    }
    fprintf(out, "\nExit codes:\n");
    for (size_t i = 0; i < sizeof(cli_exit_docs) / sizeof(cli_exit_docs[0]); i++) {
        fprintf(out, "  %d\n", cli_exit_docs[i].code);
        wrap(out, cli_exit_docs[i].meaning, 6, 79);
    }
    fprintf(out, "\nEnvironment:\n");
    for (size_t i = 0; i < cli_n_env_docs; i++) {
        wrap(out, cli_env_docs[i].name, 2, 79);
        wrap(out, cli_env_docs[i].meaning, 6, 79);
    }
    fprintf(out, "\nSee ecs-rollout(1) for more.\n");
}
