/* Terraform's external data protocol: one JSON object of strings on stdin,
 * one flat JSON object of strings on stdout, errors as one line on stderr. */
#include "cli/external.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/json_limit.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_QUERY_BYTES (64 * 1024)

void external_query_free(struct external_query *q)
{
    free(q->asg_name);
    free(q->cluster_name);
    free(q->region);
    free(q->profile);
    free(q->endpoint_url);
    free(q->ami);
    memset(q, 0, sizeof(*q));
}

static const char *const keys[] = {"asg_name", "cluster_name", "aws_region",
                                   "profile",  "endpoint_url", "ami"};

int external_parse_query(const char *text, size_t len, struct external_query *q, struct err *err)
{
    memset(q, 0, sizeof(*q));
    if (len > MAX_QUERY_BYTES)
        return err_set(err, ERR_USAGE, "the query on stdin is larger than %d bytes",
                       MAX_QUERY_BYTES);
    const char *end = NULL;
    int too_big = 0;
    cJSON *root = json_parse_limited(text, len, json_tree_budget_for(len), &end, 0, &too_big);
    if (!root && too_big)
        return err_set(err, ERR_USAGE,
                       "the query on stdin holds too many values: Terraform's "
                       "external data source sends an object of a few strings");
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        return err_set(err, ERR_USAGE,
                       "the query on stdin is not valid JSON (near byte %zu): Terraform's "
                       "external data source sends an object such as {\"asg_name\": \"...\", "
                       "\"cluster_name\": \"...\"}",
                       at);
    }
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = err_set(err, ERR_USAGE, "the query on stdin must be a JSON object");
        goto out;
    }
    char **slots[] = {&q->asg_name, &q->cluster_name, &q->region,
                      &q->profile,  &q->endpoint_url, &q->ami};
    for (cJSON *it = root->child; it; it = it->next) {
        size_t k = 0;
        while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], it->string) != 0)
            k++;
        if (k == sizeof(keys) / sizeof(keys[0])) {
            rc = err_set(err, ERR_USAGE,
                         "unknown key \"%.64s\" in the query; known keys: asg_name, cluster_name, "
                         "aws_region, profile, endpoint_url, ami",
                         it->string);
            goto out;
        }
        if (!cJSON_IsString(it) || !it->valuestring) {
            rc = err_set(err, ERR_USAGE, "query key \"%s\" must be a string", keys[k]);
            goto out;
        }
        if (*slots[k]) {
            rc = err_set(err, ERR_USAGE, "query key \"%s\" is given twice", keys[k]);
            goto out;
        }
        *slots[k] = xstrdup(it->valuestring);
    }
    if (!q->asg_name || !*q->asg_name || !q->cluster_name || !*q->cluster_name)
        rc = err_set(err, ERR_USAGE,
                     "the query must contain non-empty \"asg_name\" and \"cluster_name\"");
out:
    cJSON_Delete(root);
    if (rc != 0)
        external_query_free(q);
    return rc;
}

int external_read_query(FILE *in, struct external_query *q, struct err *err)
{
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
        buf_append(&b, chunk, n);
        if (b.len > MAX_QUERY_BYTES)
            break;
    }
    if (ferror(in)) {
        buf_free(&b);
        return err_set(err, ERR_IO, "could not read the query from stdin");
    }
    int rc = external_parse_query(buf_cstr(&b), b.len, q, err);
    buf_free(&b);
    return rc;
}
