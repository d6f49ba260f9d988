/* Writes the ecs-rollout(1) man page (roff) from the option table and the
 * texts that --help prints, so the two never disagree. */
#include <stdio.h>
#include <string.h>

#include "cli/options.h"

/* roff: escape backslashes and leading dots/quotes, hyphens as \-. */
static void roff(const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", stdout);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", stdout);
        else if (*s == '-')
            fputs("\\-", stdout);
        else
            putchar(*s);
    }
}

int main(void)
{
    printf(".TH ECS-ROLLOUT 1 \"\" \"ecs-rollout %s\" \"User Commands\"\n", ECSR_VERSION);
    /* No hyphenation, ragged right: option and variable names must never be
     * split across lines (a reader copies them). */
    printf(".nh\n.ad l\n");
    printf(".SH NAME\necs\\-rollout \\- replace the EC2 instances of an ECS cluster with zero "
           "downtime\n");
    printf(".SH SYNOPSIS\n.B ecs\\-rollout\n[\\fIcommand\\fR] \\fB\\-\\-asg\\-name\\fR "
           "\\fINAME\\fR \\fB\\-\\-cluster\\-name\\fR \\fINAME\\fR [\\fIoptions\\fR]\n");
    printf(".SH DESCRIPTION\n");
    roff(cli_description);
    printf("\n.SH COMMANDS\n");
    for (size_t i = 0; i < sizeof(cli_command_docs) / sizeof(cli_command_docs[0]); i++) {
        printf(".TP\n.B %s\n", cli_command_docs[i].name);
        roff(cli_command_docs[i].summary);
        printf("\n");
    }
    printf(".SH OPTIONS\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        const struct cli_option_doc *d = &cli_option_docs[i];
        printf(".TP\n");
        if (d->letter)
            printf("\\fB\\-%c\\fR, ", d->letter);
        printf("\\fB\\-\\-");
        roff(d->name);
        printf("\\fR");
        if (d->arg) {
            printf(" \\fI");
            roff(d->arg);
            printf("\\fR");
        }
        printf("\n");
        roff(d->help);
        printf("\n");
    }
    printf(".SH EXIT STATUS\n");
    for (size_t i = 0; i < sizeof(cli_exit_docs) / sizeof(cli_exit_docs[0]); i++) {
        printf(".TP\n.B %d\n", cli_exit_docs[i].code);
        roff(cli_exit_docs[i].meaning);
        printf("\n");
    }
    printf(".SH ENVIRONMENT\n");
    for (size_t i = 0; i < cli_n_env_docs; i++) {
        printf(".TP\n.B ");
        roff(cli_env_docs[i].name);
        printf("\n");
        roff(cli_env_docs[i].meaning);
        printf("\n");
    }
    printf(".SH EXAMPLES\n.nf\n");
    printf("ecs\\-rollout plan \\-\\-asg\\-name web \\-\\-cluster\\-name prod \\-\\-aws\\-region "
           "us\\-east\\-1\n");
    printf("ecs\\-rollout \\-\\-asg\\-name web \\-\\-cluster\\-name prod \\-\\-aws\\-region "
           "us\\-east\\-1 \\-\\-batch\\-size 2\n");
    printf("ecs\\-rollout status \\-\\-asg\\-name web \\-\\-cluster\\-name prod \\-o json\n");
    printf(".fi\n");
    printf(".SH SEE ALSO\n.BR aws (1),\n.BR terraform (1)\n");
    return 0;
}
