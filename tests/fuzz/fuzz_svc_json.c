/* The ECS (JSON 1.1) response parsers of the service layer, each given the
 * same document: DescribeClusters, DescribeCapacityProviders,
 * DescribeContainerInstances, DescribeTasks, DescribeServices, the List*
 * pages (ecs_parse_arn_page) and the "failures" of Describe/Update answers.
 *
 * Input: a raw JSON answer (seeds: moto captures and tests/c/fixtures/svc).
 *
 * Properties: a failure is ERR_PROTOCOL naming the call (ERR_SERVICE with a
 * code for reported failures) and leaves the caller's arrays as they were;
 * a success fills every required field, and parsing the same document
 * again appends exactly as many equal records. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "svc/ecs.h"

static int nonempty(const char *s)
{
    return s && *s;
}

static void check_error(const struct err *e, const char *call)
{
    FUZZ_CHECK(e->kind == ERR_PROTOCOL, "%s: error kind %d", call, (int)e->kind);
    FUZZ_CHECK(strncmp(e->message, call, strlen(call)) == 0 && e->message[strlen(call)] == ':',
               "%s: message does not start with the call: %s", call, e->message);
}

/* Parse twice into one array: the second call must append the same count.
 * `first` checks the records of the first call. */
#define TWICE(call, type, parse, free_all, first_check)                                            \
    do {                                                                                           \
        type *v = NULL;                                                                            \
        size_t n = 0;                                                                              \
        struct err e;                                                                              \
        if (parse != 0) {                                                                          \
            FUZZ_CHECK(!v && !n, "%s: a failed parse changed the result", call);                   \
            check_error(&e, call);                                                                 \
            break;                                                                                 \
        }                                                                                          \
        size_t k = n;                                                                              \
        for (size_t i = 0; i < k; i++)                                                             \
            FUZZ_CHECK(first_check, "%s: record %zu incomplete", call, i);                         \
        FUZZ_CHECK(parse == 0 && n == 2 * k, "%s: second parse gave %zu, not %zu", call, n - k,    \
                   k);                                                                             \
        free_all;                                                                                  \
    } while (0)

static void clusters_free(struct ecs_cluster *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ecs_cluster_free(&v[i]);
    free(v);
}

static void arn_page(const cJSON *doc, const char *call, const char *key)
{
    struct strv arns = STRV_INIT;
    strv_push(&arns, "arn:already:there");
    char *token = NULL;
    struct err e;
    if (ecs_parse_arn_page(doc, call, key, &arns, &token, &e) != 0) {
        FUZZ_CHECK(arns.n == 1 && !token, "%s: a failed parse changed the result", call);
        check_error(&e, call);
    } else {
        FUZZ_CHECK(!token || *token, "%s: empty next token", call);
        for (size_t i = 1; i < arns.n; i++)
            FUZZ_CHECK(arns.v[i][0], "%s: empty ARN %zu", call, i);
    }
    free(token);
    strv_free(&arns);
}

static void failures(const cJSON *doc, int missing_ok)
{
    size_t n_failed = 99;
    struct err e;
    err_clear(&e);
    if (ecs_parse_failures(doc, "DescribeTasks", missing_ok, &n_failed, &e) == 0) {
        FUZZ_CHECK(n_failed == 0, "success with %zu failures", n_failed);
        return;
    }
    if (e.kind == ERR_SERVICE) {
        FUZZ_CHECK(n_failed > 0 && e.code[0], "service error without failures or code");
        FUZZ_CHECK(!missing_ok || strcmp(e.code, "MISSING") != 0, "MISSING not ignored");
    } else {
        check_error(&e, "DescribeTasks");
    }
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "failures");
    FUZZ_CHECK(n_failed <= (size_t)cJSON_GetArraySize(arr), "more failures than listed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return 0;
    }
    TWICE("DescribeClusters", struct ecs_cluster, ecs_parse_describe_clusters(doc, &v, &n, &e),
          clusters_free(v, n), nonempty(v[i].arn) && nonempty(v[i].name) && nonempty(v[i].status));
    char *tok = NULL;
    TWICE("DescribeCapacityProviders", struct ecs_capacity_provider,
          (free(tok), tok = NULL, ecs_parse_capacity_providers(doc, &v, &n, &tok, &e)),
          ecs_capacity_providers_free(v, n), nonempty(v[i].name) && nonempty(v[i].arn));
    free(tok);
    TWICE("DescribeContainerInstances", struct ecs_container_instance,
          ecs_parse_container_instances(doc, &v, &n, &e), ecs_container_instances_free(v, n),
          nonempty(v[i].arn) && nonempty(v[i].status));
    TWICE("DescribeTasks", struct ecs_task, ecs_parse_tasks(doc, &v, &n, &e), ecs_tasks_free(v, n),
          nonempty(v[i].arn) && nonempty(v[i].last_status) && nonempty(v[i].desired_status));
    TWICE("DescribeServices", struct ecs_service, ecs_parse_services(doc, &v, &n, &e),
          ecs_services_free(v, n),
          nonempty(v[i].arn) && nonempty(v[i].name) && nonempty(v[i].status));
    arn_page(doc, "ListTasks", "taskArns");
    arn_page(doc, "ListContainerInstances", "containerInstanceArns");
    arn_page(doc, "ListServices", "serviceArns");
    failures(doc, 0);
    failures(doc, 1);
    cJSON_Delete(doc);
    return 0;
}
