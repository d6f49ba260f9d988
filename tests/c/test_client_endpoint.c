/* Endpoint resolution and partitions. */
#include "client_fixture.h"

static void clear_endpoint_env(void)
{
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_ECS");
    unsetenv("AWS_ENDPOINT_URL_AUTO_SCALING");
    unsetenv("AWS_ENDPOINT_URL_EC2");
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
}

static char *endpoint(const char *region, const char *flag, const struct aws_service *svc)
{
    struct aws_client c;
    aws_client_init(&c, NULL, NULL, region, flag);
    char *url = aws_endpoint_for(&c, svc);
    aws_client_cleanup(&c);
    return url;
}

#define CHECK_ENDPOINT(region, flag, svc, want)                                                    \
    do {                                                                                           \
        char *got_ = endpoint(region, flag, svc);                                                  \
        int same_ = got_ && strcmp(got_, want) == 0;                                               \
        char copy_[256];                                                                           \
        snprintf(copy_, sizeof(copy_), "%s", got_ ? got_ : "(null)");                              \
        free(got_);                                                                                \
        CHECK_MSG(same_, "%s in %s: %s, want %s", (svc)->name, region ? region : "(none)", copy_,  \
                  want);                                                                           \
    } while (0)

TEST(regional_endpoints_per_partition)
{
    clear_endpoint_env();
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_AUTOSCALING,
                   "https://autoscaling.us-east-1.amazonaws.com/");
    CHECK_ENDPOINT("eu-west-1", NULL, &AWS_SVC_ECS, "https://ecs.eu-west-1.amazonaws.com/");
    CHECK_ENDPOINT("ap-southeast-2", NULL, &AWS_SVC_EC2,
                   "https://ec2.ap-southeast-2.amazonaws.com/");
    /* STS: the regional endpoint, never the global sts.amazonaws.com. */
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_STS, "https://sts.us-east-1.amazonaws.com/");
    CHECK_ENDPOINT("cn-north-1", NULL, &AWS_SVC_ECS, "https://ecs.cn-north-1.amazonaws.com.cn/");
    CHECK_ENDPOINT("cn-northwest-1", NULL, &AWS_SVC_STS,
                   "https://sts.cn-northwest-1.amazonaws.com.cn/");
    CHECK_ENDPOINT("us-gov-west-1", NULL, &AWS_SVC_AUTOSCALING,
                   "https://autoscaling.us-gov-west-1.amazonaws.com/");
    CHECK_STR(aws_partition_of("us-east-1"), "aws");
    CHECK_STR(aws_partition_of("cn-north-1"), "aws-cn");
    CHECK_STR(aws_partition_of("us-gov-east-1"), "aws-us-gov");
    CHECK_STR(aws_dns_suffix_of("cn-north-1"), "amazonaws.com.cn");
    CHECK_STR(aws_dns_suffix_of("us-gov-east-1"), "amazonaws.com");
    CHECK_STR(aws_dns_suffix_of("eu-central-1"), "amazonaws.com");
}

TEST(override_order)
{
    clear_endpoint_env();
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1000", 1);
    setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:2000", 1);
    setenv("AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:3000", 1);
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4000", 1);
    setenv("AWS_ENDPOINT_URL_EC2", "", 1); /* empty: not set */
    /* The flag wins over everything. */
    CHECK_ENDPOINT("us-east-1", "http://127.0.0.1:9999", &AWS_SVC_ECS, "http://127.0.0.1:9999");
    CHECK_ENDPOINT("us-east-1", "http://127.0.0.1:9999", &AWS_SVC_STS, "http://127.0.0.1:9999");
    /* Then the service's own variable, then the general one. */
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_ECS, "http://127.0.0.1:2000");
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_AUTOSCALING, "http://127.0.0.1:3000");
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_STS, "http://127.0.0.1:4000");
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_EC2, "http://127.0.0.1:1000");
    /* An override needs no region. */
    CHECK_ENDPOINT(NULL, NULL, &AWS_SVC_ECS, "http://127.0.0.1:2000");
    unsetenv("AWS_ENDPOINT_URL_ECS");
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_ECS, "http://127.0.0.1:1000");
    /* Ignoring configured endpoints skips the variables, not the flag. */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    CHECK_ENDPOINT("us-east-1", NULL, &AWS_SVC_ECS, "https://ecs.us-east-1.amazonaws.com/");
    CHECK_ENDPOINT("us-east-1", "http://127.0.0.1:9999", &AWS_SVC_ECS, "http://127.0.0.1:9999");
    clear_endpoint_env();
}

TEST(missing_or_bad_region)
{
    clear_endpoint_env();
    CHECK(endpoint(NULL, NULL, &AWS_SVC_ECS) == NULL);
    CHECK(endpoint("", NULL, &AWS_SVC_ECS) == NULL);
    CHECK(endpoint("us-east-1.evil.example/", NULL, &AWS_SVC_ECS) == NULL);
    CHECK(endpoint("US-EAST-1", NULL, &AWS_SVC_ECS) == NULL);
    struct aws_client c;
    aws_client_init(&c, NULL, NULL, NULL, NULL);
    char *url;
    const char *source;
    struct err e;
    CHECK_INT(aws_endpoint_resolve(&c, &AWS_SVC_ECS, &url, &source, &e), -1);
    CHECK_INT(e.kind, ERR_USAGE);
    CHECK_CONTAINS(e.message, "AWS_REGION");
    aws_client_cleanup(&c);
}

TEST(calls_report_bad_endpoints_and_missing_regions)
{
    clear_endpoint_env();
    struct fixture f;
    fixture_start(&f);
    free(f.client.endpoint_url);
    f.client.endpoint_url = NULL;
    setenv("AWS_ENDPOINT_URL_STS", "localhost:4566", 1);
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_INT(e.kind, ERR_USAGE);
    CHECK_CONTAINS(e.message, "GetCallerIdentity: the endpoint from AWS_ENDPOINT_URL_STS: ");
    CHECK_CONTAINS(e.message, "localhost:4566");
    clear_endpoint_env();

    free(f.client.region);
    f.client.region = NULL;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_INT(e.kind, ERR_USAGE);
    CHECK_CONTAINS(e.message, "GetCallerIdentity: no AWS region");
    /* With an endpoint but no region, a signed call cannot be signed. */
    f.client.endpoint_url = xstrdup(loopback_url(f.lb));
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              -1);
    CHECK_CONTAINS(e.message, "no AWS region to sign");
    CHECK_INT(loopback_request_count(f.lb), 0);
    fixture_stop(&f);
}

TEST(endpoint_with_a_path_is_used_as_given)
{
    clear_endpoint_env();
    struct fixture f;
    fixture_start(&f);
    free(f.client.endpoint_url);
    char url[128];
    snprintf(url, sizeof(url), "%s/prefix/", loopback_url(f.lb));
    f.client.endpoint_url = xstrdup(url);
    loopback_push(f.lb, 200, XML_HDR, "<GetCallerIdentityResponse/>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(aws_query_call(&f.client, &AWS_SVC_STS, "GetCallerIdentity", "2011-06-15", NULL, 0,
                             &root, &e),
              0);
    xml_free(root);
    const struct loopback_request *r = loopback_request_at(f.lb, 0);
    CHECK_STR(r->path, "/prefix/");
    const char *why = fixture_verify_signature(r, "sts", NULL);
    CHECK_MSG(why == NULL, "%s", why);
    fixture_stop(&f);
}
