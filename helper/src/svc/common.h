/* Shared by the service calls: typed access to response fields, and error
 * context for batched calls.
 *
 * A response field that is missing, empty when required, or of the wrong
 * type becomes ERR_PROTOCOL naming the call and where in the response it is
 * ("DescribeTasks: malformed response: tasks[3].taskArn is not a string"),
 * so a broken or hostile endpoint produces an error, never a crash. */
#ifndef ECSR_SVC_COMMON_H
#define ECSR_SVC_COMMON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws/xml.h"
#include "util/err.h"
#include "util/strv.h"

struct svc_parse {
    const char *call; /* "DescribeAutoScalingGroups" */
    char path[256];   /* where the parser is: "AutoScalingGroups[2].Instances[0]" */
    struct err *err;
};

void svc_parse_init(struct svc_parse *p, const char *call, struct err *err);
/* Descend: appends ".name" or "[i]" to the path; returns the old length for
 * svc_parse_pop. */
size_t svc_parse_push(struct svc_parse *p, const char *name);
size_t svc_parse_push_index(struct svc_parse *p, size_t index);
void svc_parse_pop(struct svc_parse *p, size_t old_len);
/* ERR_PROTOCOL "CALL: malformed response: PATH.FIELD WHAT"; returns -1. */
int svc_parse_fail(struct svc_parse *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum svc_field {
    SVC_OPTIONAL = 0,
    SVC_REQUIRED = 1, /* present and, for strings, not empty */
};

/* XML (Query protocol). Children are looked up by name directly under
 * `node`. Absent optional strings are NULL; absent optional numbers and
 * booleans keep the default the caller stored in *out. */
int svc_xml_str(struct svc_parse *p, const struct xml_node *node, const char *name,
                enum svc_field req, char **out);
int svc_xml_int(struct svc_parse *p, const struct xml_node *node, const char *name,
                enum svc_field req, int *out);
int svc_xml_long(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, long *out);
int svc_xml_bool(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, int *out);
/* A list element (<Name><member>..</member>...</Name>, or <item> for EC2):
 * *list is the element or NULL when absent and optional. */
int svc_xml_list(struct svc_parse *p, const struct xml_node *node, const char *name,
                 enum svc_field req, const struct xml_node **list);
/* Appends the text of each <member> of an optional string list. */
int svc_xml_strv(struct svc_parse *p, const struct xml_node *node, const char *name,
                 struct strv *out);

/* JSON (ECS). JSON null counts as absent. */
int svc_json_str(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                 char **out);
int svc_json_int(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                 int *out);
int svc_json_bool(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                  int *out);
/* An array member; *arr is NULL when absent and optional. */
int svc_json_array(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                   const cJSON **arr);
/* An object member; *child is NULL when absent and optional. */
int svc_json_object(struct svc_parse *p, const cJSON *obj, const char *name, enum svc_field req,
                    const cJSON **child);
/* Appends every element of an optional array of strings. */
int svc_json_strv(struct svc_parse *p, const cJSON *obj, const char *name, struct strv *out);

/* Parses an array of objects into a new array of `size`-byte elements:
 * *page (NULL when empty) and *count. On error every parsed element is
 * released with free_one and *page is NULL. */
typedef int (*svc_item_parse_fn)(struct svc_parse *p, const cJSON *o, void *item);
typedef void (*svc_item_free_fn)(void *item);
int svc_json_parse_items(struct svc_parse *p, const cJSON *arr, const char *name, size_t size,
                         svc_item_parse_fn parse, svc_item_free_fn free_one, void **page,
                         size_t *count);
/* Appends `count` elements of `size` bytes to the array `base` holding *n;
 * returns the (reallocated) array and frees nothing. */
void *svc_append(void *base, size_t *n, const void *items, size_t count, size_t size);

/* A next-page token equal to the previous one (a service that would page
 * forever) is ERR_PROTOCOL; NULL tokens always pass. */
int svc_next_token_check(struct svc_parse *p, const char *token, const char *previous);

/* Building JSON requests; these abort on out of memory like xmalloc. */
cJSON *svc_json_new_object(void);
void svc_json_add_str(cJSON *obj, const char *name, const char *value);
void svc_json_add_int(cJSON *obj, const char *name, int value);
void svc_json_add_strings(cJSON *obj, const char *name, const char *const *v, size_t n);

/* A paginated Query call (Auto Scaling, EC2): the request is sent again
 * with NextToken until the answer has none. `params` holds the request's
 * own parameters (NextToken is added per page); `parse` appends one page's
 * items and returns its next token (a new string, NULL on the last page).
 * A token repeated from the page before is ERR_PROTOCOL naming
 * `token_field` (where the answer carries it). */
struct aws_client;
struct aws_service;
struct aws_params;
typedef int (*svc_query_page_fn)(const struct xml_node *root, void *items, char **next_token,
                                 struct err *err);
struct svc_query_pages {
    const struct aws_service *service;
    const char *version;
    const char *action;
    const char *token_field;
    svc_query_page_fn parse;
    void *items; /* passed to parse */
};
int svc_query_pages(struct aws_client *c, const struct svc_query_pages *q,
                    const struct aws_params *params, struct err *err);

/* Appends " (DONE of TOTAL WHAT before this error)" to err's message, so a
 * batched call that fails midway says how far it got. */
void svc_err_progress(struct err *err, size_t done, size_t total, const char *what);

#endif
