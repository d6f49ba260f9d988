/* One AWS shared config or credentials file, parsed the way the AWS SDKs
 * parse it (the cross-SDK cases in tests/vectors/profile-parser pass):
 * `[default]` / `[profile NAME]` sections in the config file, `[NAME]`
 * sections in the credentials file, `[sso-session NAME]` and
 * `[services NAME]` sections in the config file, `#` and `;` comments,
 * values continued on indented lines, and sub-properties (`s3 =` followed by
 * indented `key = value` lines) kept as one multi-line value. */
#ifndef ECSR_AWS_PROFILE_FILE_H
#define ECSR_AWS_PROFILE_FILE_H

#include <stddef.h>

#include "util/err.h"

enum aws_profile_file_kind {
    AWS_PROFILE_FILE_CONFIG,      /* ~/.aws/config */
    AWS_PROFILE_FILE_CREDENTIALS, /* ~/.aws/credentials */
};

struct aws_profile_prop {
    char *key;   /* lower-cased, as botocore does */
    char *value; /* may hold a secret: wiped when freed */
};

/* A profile, sso-session or services section. */
struct aws_profile {
    char *name;
    struct aws_profile_prop *props;
    size_t n_props, cap_props;
    int from_profile_prefix; /* `[profile default]` rather than `[default]` */
};

struct aws_profile_file {
    enum aws_profile_file_kind kind;
    char *path; /* the file read (after ~ expansion), for messages */
    int exists; /* 0: the file does not exist (not an error) */
    struct aws_profile *profiles;
    size_t n_profiles, cap_profiles;
    struct aws_profile *sso_sessions; /* [sso-session NAME] (config file only) */
    size_t n_sso_sessions, cap_sso_sessions;
    struct aws_profile *services; /* [services NAME] (config file only) */
    size_t n_services, cap_services;
};

/* Parse `text` as a file of the given kind; `path` is used in messages.
 * Malformed lines are ERR_CONFIG errors naming the file and the line (never
 * the line's contents, which may hold a secret). */
int aws_profile_file_parse(struct aws_profile_file *f, enum aws_profile_file_kind kind,
                           const char *path, const char *text, size_t len, struct err *err);

/* Read and parse `path` ("~/" is expanded). A file that does not exist is
 * fine (f->exists = 0); one that exists but cannot be read is an ERR_CONFIG
 * error naming the file and the system's reason. */
int aws_profile_file_load(struct aws_profile_file *f, enum aws_profile_file_kind kind,
                          const char *path, struct err *err);

void aws_profile_file_free(struct aws_profile_file *f);

const struct aws_profile *aws_profile_file_find(const struct aws_profile_file *f, const char *name);
const struct aws_profile *aws_profile_file_find_sso_session(const struct aws_profile_file *f,
                                                            const char *name);
const struct aws_profile *aws_profile_file_find_services(const struct aws_profile_file *f,
                                                         const char *name);
/* The value of `key` (case-insensitive), or NULL when absent. */
const char *aws_profile_get(const struct aws_profile *p, const char *key);
/* The value of `sub_key` inside the sub-properties of `key` (`s3 =` then
 * indented `max_concurrent_requests = 20`), or NULL. A new string. */
char *aws_profile_get_sub(const struct aws_profile *p, const char *key, const char *sub_key);

/* "~/x" -> "$HOME/x" (or the password database's home). A new string. */
char *aws_expand_home(const char *path);

#endif
