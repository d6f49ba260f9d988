/* The command line (cli_parse), with argv made of the input: arguments
 * separated by NUL bytes (the one byte an argument cannot hold), after
 * "ecs-rollout".
 *
 * Properties: the result is 0 or ERR_USAGE with a message; parsing a fresh
 * copy of the same arguments again gives the same answer (no state is
 * left behind between calls); on success every string points into argv,
 * the values are within their documented ranges and the options that a
 * command requires are there. */
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "fuzz.h"

#define MAX_ARGS 48

struct args {
    int argc;
    char *argv[MAX_ARGS + 2];
    char *mem; /* every argument, NUL-separated */
    size_t mem_len;
};

static void make_args(const uint8_t *data, size_t size, struct args *a)
{
    a->mem = malloc(size + 1 + sizeof("ecs-rollout"));
    memcpy(a->mem, "ecs-rollout", sizeof("ecs-rollout"));
    memcpy(a->mem + sizeof("ecs-rollout"), data, size);
    a->mem_len = sizeof("ecs-rollout") + size + 1;
    a->mem[a->mem_len - 1] = '\0';
    a->argc = 0;
    for (size_t i = 0; i < a->mem_len && a->argc < MAX_ARGS + 1;) {
        a->argv[a->argc++] = a->mem + i;
        i += strlen(a->mem + i) + 1;
    }
    a->argv[a->argc] = NULL;
}

static int inside(const struct args *a, const char *s)
{
    return !s || (s >= a->mem && s < a->mem + a->mem_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct args a, b;
    make_args(data, size, &a);
    make_args(data, size, &b);
    struct cli_options o, o2;
    struct err e, e2;
    err_clear(&e);
    err_clear(&e2);
    int rc = cli_parse(a.argc, a.argv, &o, &e);
    int rc2 = cli_parse(b.argc, b.argv, &o2, &e2);
    FUZZ_CHECK(rc == rc2 && strcmp(e.message, e2.message) == 0,
               "the same arguments parsed twice: %d \"%s\", then %d \"%s\"", rc, e.message, rc2,
               e2.message);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1 && e.kind == ERR_USAGE && e.message[0], "bad failure: %d %d", rc,
                   (int)e.kind);
    } else {
        FUZZ_CHECK(o.command == CMD_ROLLOUT || o.command == CMD_PLAN || o.command == CMD_STATUS ||
                       o.command == CMD_EXTERNAL,
                   "command %d", (int)o.command);
        FUZZ_CHECK(inside(&a, o.asg_name) && inside(&a, o.cluster_name) && inside(&a, o.region) &&
                       inside(&a, o.profile) && inside(&a, o.endpoint_url) &&
                       inside(&a, o.report) && inside(&a, o.rollout.ami),
                   "a string does not point into argv");
        if (!o.help && !o.version) {
            if (o.command != CMD_EXTERNAL)
                FUZZ_CHECK(o.asg_name && *o.asg_name && o.cluster_name && *o.cluster_name,
                           "accepted without --asg-name and --cluster-name");
            FUZZ_CHECK(o.rollout.batch_size >= 0 && o.rollout.batch_size <= 10000, "batch size %d",
                       o.rollout.batch_size);
            FUZZ_CHECK(o.rollout.drain_timeout_s >= 1 && o.rollout.instance_timeout_s >= 1,
                       "timeouts %ld %ld", o.rollout.drain_timeout_s, o.rollout.instance_timeout_s);
            FUZZ_CHECK(o.poll_interval == 0 || (o.poll_interval >= 0.05 && o.poll_interval <= 60),
                       "poll interval %g", o.poll_interval);
            FUZZ_CHECK(!(o.verbose && o.quiet), "verbose and quiet");
        }
    }
    free(a.mem);
    free(b.mem);
    return 0;
}
