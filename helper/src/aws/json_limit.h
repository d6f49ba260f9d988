/* JSON parsing with a bound on the memory the parsed tree takes: a small
 * hostile answer ("[0,0,0,...]") would otherwise become a tree many times
 * its size. */
#ifndef ECSR_AWS_JSON_LIMIT_H
#define ECSR_AWS_JSON_LIMIT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* What the tree of a JSON answer may take, per byte of text: AWS's answers
 * make trees of three to seven times their size (cJSON spends 64 bytes on
 * each value), "[0,0,...]" forty. */
#define JSON_TREE_BYTES_PER_BODY_BYTE 8u

/* What an error says when json_parse_limited gave up for size. */
#define AWS_JSON_TOO_BIG                                                                           \
    "the JSON would take too much memory once parsed (too many values for an AWS answer)"

/* cJSON_ParseWithLengthOpts, except that it fails (NULL, and *too_big set
 * when too_big is not NULL) once the tree would take more than
 * max_tree_bytes, malloc's own overhead counted. */
cJSON *json_parse_limited(const char *text, size_t len, size_t max_tree_bytes,
                          const char **parse_end, int require_null_terminated, int *too_big);

/* A budget for a document of `len` bytes whose size no service limit
 * bounds (credentials, the external data query): what a real document of
 * that length takes, and far less than "[0,0,...]" of that length would. */
#define json_tree_budget_for(len) (JSON_TREE_BYTES_PER_BODY_BYTE * (size_t)(len) + 4096u)

/* Installs the counting allocator in cJSON (once; thread-safe). Called by
 * json_parse_limited, and early by aws_client_init, before any thread
 * uses cJSON. */
void json_limit_init(void);

#endif
