/* The `external` command's query: the JSON object Terraform's external
 * data source writes on stdin (external_parse_query).
 *
 * Properties: accepted only for a JSON object (checked with cJSON on its
 * own) whose members are all strings with known keys, each once, and that
 * has non-empty asg_name and cluster_name; every field read equals the
 * document's value; a refusal is ERR_USAGE with a message. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/external.h"
#include "fuzz.h"

static const char *value_of(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void same(const char *field, const char *got, const char *want)
{
    FUZZ_CHECK((!got && !want) || (got && want && strcmp(got, want) == 0),
               "%s is \"%s\", the query says \"%s\"", field, got ? got : "(none)",
               want ? want : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct external_query q;
    struct err e;
    err_clear(&e);
    if (external_parse_query((const char *)data, size, &q, &e) != 0) {
        FUZZ_CHECK(e.kind == ERR_USAGE && e.message[0], "bad refusal");
        FUZZ_CHECK(!q.asg_name && !q.cluster_name && !q.region && !q.profile && !q.endpoint_url &&
                       !q.ami,
                   "a refused query left fields");
        return 0;
    }
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    FUZZ_CHECK(cJSON_IsObject(doc), "accepted a query that is not a JSON object");
    size_t members = 0;
    for (const cJSON *it = doc->child; it; it = it->next) {
        members++;
        FUZZ_CHECK(cJSON_IsString(it), "accepted a member \"%s\" that is no string", it->string);
    }
    FUZZ_CHECK(q.asg_name && *q.asg_name && q.cluster_name && *q.cluster_name,
               "accepted without asg_name and cluster_name");
    same("asg_name", q.asg_name, value_of(doc, "asg_name"));
    same("cluster_name", q.cluster_name, value_of(doc, "cluster_name"));
    same("region", q.region, value_of(doc, "aws_region"));
    same("profile", q.profile, value_of(doc, "profile"));
    same("endpoint_url", q.endpoint_url, value_of(doc, "endpoint_url"));
    same("ami", q.ami, value_of(doc, "ami"));
    size_t set =
        !!q.asg_name + !!q.cluster_name + !!q.region + !!q.profile + !!q.endpoint_url + !!q.ami;
    FUZZ_CHECK(members == set, "%zu members but %zu fields set", members, set);
    cJSON_Delete(doc);
    external_query_free(&q);
    return 0;
}
