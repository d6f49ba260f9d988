/* The command line: commands, options (defined once in options.def), exit
 * codes, and the documentation text shared by --help and the man page. */
#ifndef ECSR_CLI_OPTIONS_H
#define ECSR_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "rollout/model.h"
#include "util/err.h"

enum cli_command {
    CMD_ROLLOUT = 1,
    CMD_PLAN = 2,
    CMD_STATUS = 4,
    CMD_EXTERNAL = 8,
};
#define CMD_AWS (CMD_ROLLOUT | CMD_PLAN | CMD_STATUS)
#define CMD_ALL (CMD_ROLLOUT | CMD_PLAN | CMD_STATUS | CMD_EXTERNAL)

enum cli_option_id {
#define OPT(id, name, letter, arg, commands, help) OPT_##id,
#include "cli/options.def"
#undef OPT
    OPT_COUNT
};

struct cli_option_doc {
    const char *name;
    char letter;
    const char *arg;
    int commands;
    const char *help;
};
extern const struct cli_option_doc cli_option_docs[OPT_COUNT];

struct cli_command_doc {
    enum cli_command command;
    const char *name;
    const char *summary;
};
extern const struct cli_command_doc cli_command_docs[4];

/* Exit codes, documented in --help and the man page. */
enum cli_exit {
    EXIT_DONE = 0,      /* done, or nothing to do */
    EXIT_FAILED = 1,    /* failed; rolled back or refused, the cluster serves as before */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_ACCESS = 3,    /* credentials, permissions, configuration or AWS unreachable */
    EXIT_RESUMABLE = 4, /* stopped midway, or incomplete: re-run once the cause is gone */
    EXIT_BUSY = 5,      /* another rollout of the group is running */
};

struct cli_exit_doc {
    int code;
    const char *meaning;
};
extern const struct cli_exit_doc cli_exit_docs[6];

/* Environment variables the program reads, for the documentation. */
struct cli_env_doc {
    const char *name;
    const char *meaning;
};
extern const struct cli_env_doc cli_env_docs[];
extern const size_t cli_n_env_docs;

extern const char cli_description[];

enum cli_output {
    OUTPUT_TEXT = 0,
    OUTPUT_JSON,
};

struct cli_options {
    enum cli_command command;
    const char *asg_name;
    const char *cluster_name;
    const char *region;
    const char *profile;
    const char *endpoint_url;
    const char *report;
    struct rollout_options rollout;
    double poll_interval;
    enum cli_output output;
    int yes;
    int allow_plain_http; /* --allow-plain-http */
    int verbose;
    int quiet;
    int no_color;
    int help;
    int version;
};

/* Parses argv. Returns 0, or -1 with an ERR_USAGE message naming the
 * option and what it accepts. Strings point into argv. */
int cli_parse(int argc, char **argv, struct cli_options *out, struct err *err);

/* --help for one command (0: the overview). */
void cli_print_help(FILE *out, enum cli_command command);

#endif
