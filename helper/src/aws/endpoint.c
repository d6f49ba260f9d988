/* Service descriptions, partitions and endpoint resolution. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/client_impl.h"
#include "util/buf.h"
#include "util/mem.h"

#define MIB (1024u * 1024u)

/* Answer limits, from the largest answer each service can give to the calls
 * we make: every paginated or batched call asks for at most 100 items. Auto
 * Scaling describes one group with all its instances (about 600 bytes of
 * XML each) and up to 50 tags: 10,000 instances stay under 8 MiB. EC2
 * describes 100 instances (up to ~20 KB each with interfaces and tags), ECS
 * 100 tasks or container instances (up to ~30 KB each with attributes and
 * overrides): under 4 MiB. STS answers hold one set of credentials. */
const struct aws_service AWS_SVC_AUTOSCALING = {"Auto Scaling", "autoscaling", "autoscaling",
                                                "AUTO_SCALING", 16 * MIB,      NULL};
const struct aws_service AWS_SVC_ECS = {"ECS", "ecs", "ecs", "ECS", 8 * MIB, NULL};
const struct aws_service AWS_SVC_EC2 = {"EC2", "ec2", "ec2", "EC2", 8 * MIB, NULL};
/* Regional STS (sts.<region>.amazonaws.com), the SDKs' default since 2022. */
const struct aws_service AWS_SVC_STS = {"STS", "sts", "sts", "STS", 1 * MIB, NULL};
/* DescribeAlarms of at most 100 alarms (about 2 KB of XML each). The
 * SDKs' service id is "CloudWatch": AWS_ENDPOINT_URL_CLOUDWATCH. */
const struct aws_service AWS_SVC_CLOUDWATCH = {"CloudWatch", "monitoring", "monitoring",
                                               "CLOUDWATCH", 1 * MIB,      "cloudwatch"};

size_t aws_max_response_bytes(const struct aws_service *svc)
{
    return svc->max_response_bytes ? svc->max_response_bytes : HTTP_DEFAULT_MAX_RESPONSE_BYTES;
}

size_t aws_max_xml_tree_bytes(const struct aws_service *svc)
{
    return XML_TREE_BYTES_PER_BODY_BYTE * aws_max_response_bytes(svc);
}

size_t aws_max_json_tree_bytes(const struct aws_service *svc)
{
    return JSON_TREE_BYTES_PER_BODY_BYTE * aws_max_response_bytes(svc);
}

struct partition {
    const char *region_prefix;
    const char *name;
    const char *dns_suffix;
};

/* Longer prefixes first: "us-isob-" before "us-iso-". */
static const struct partition partitions[] = {
    {"cn-", "aws-cn", "amazonaws.com.cn"},
    {"us-gov-", "aws-us-gov", "amazonaws.com"},
    {"us-isob-", "aws-iso-b", "sc2s.sgov.gov"},
    {"us-iso-", "aws-iso", "c2s.ic.gov"},
};

static const struct partition *partition_for(const char *region)
{
    static const struct partition standard = {"", "aws", "amazonaws.com"};
    for (size_t i = 0; region && i < sizeof(partitions) / sizeof(partitions[0]); i++)
        if (strncmp(region, partitions[i].region_prefix, strlen(partitions[i].region_prefix)) == 0)
            return &partitions[i];
    return &standard;
}

const char *aws_partition_of(const char *region)
{
    return partition_for(region)->name;
}

const char *aws_dns_suffix_of(const char *region)
{
    return partition_for(region)->dns_suffix;
}

/* Region names are lower-case letters, digits and dashes; anything else
 * would end up inside a host name. */
static int valid_region(const char *r)
{
    if (!r || !*r || strlen(r) > 64 || r[0] == '-')
        return 0;
    for (const char *p = r; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return 0;
    return 1;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && strcasecmp(v, "true") == 0;
}

int aws_endpoint_resolve(const struct aws_client *c, const struct aws_service *svc, char **url,
                         const char **source, struct err *err)
{
    *url = NULL;
    *source = NULL;
    if (c->endpoint_url && *c->endpoint_url) {
        *url = xstrdup(c->endpoint_url);
        *source = "--endpoint-url";
        return 0;
    }
    if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        /* The variable names are fixed strings so *source can point at them. */
        static const struct {
            const char *suffix;
            const char *var;
        } vars[] = {{"AUTO_SCALING", "AWS_ENDPOINT_URL_AUTO_SCALING"},
                    {"ECS", "AWS_ENDPOINT_URL_ECS"},
                    {"EC2", "AWS_ENDPOINT_URL_EC2"},
                    {"STS", "AWS_ENDPOINT_URL_STS"},
                    {"CLOUDWATCH", "AWS_ENDPOINT_URL_CLOUDWATCH"}};
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
            if (strcmp(vars[i].suffix, svc->env_suffix) != 0)
                continue;
            const char *v = getenv(vars[i].var);
            if (v && *v) {
                *url = xstrdup(v);
                *source = vars[i].var;
                return 0;
            }
        }
        const char *v = getenv("AWS_ENDPOINT_URL");
        if (v && *v) {
            *url = xstrdup(v);
            *source = "AWS_ENDPOINT_URL";
            return 0;
        }
    }
    if (!c->region || !*c->region)
        return err_set(err, ERR_USAGE,
                       "no AWS region: set --aws-region, AWS_REGION or AWS_DEFAULT_REGION, or "
                       "region in the profile");
    if (!valid_region(c->region))
        return err_set(err, ERR_USAGE, "'%s' is not an AWS region name (e.g. us-east-1)",
                       c->region);
    struct buf b = BUF_INIT;
    buf_printf(&b, "https://%s.%s.%s/", svc->endpoint_prefix, c->region,
               aws_dns_suffix_of(c->region));
    *url = buf_steal(&b);
    *source = "region";
    return 0;
}

int aws_endpoint_transport_check(const struct aws_client *c, const struct aws_service *svc,
                                 const char *action, const char *url, const char *source,
                                 int bearer_secret, struct err *err)
{
    struct http_url u;
    if (http_url_parse(url, &u, err) != 0)
        return err_prefix(err, "the %s endpoint from %s: ", svc->name, source);
    int rc = 0;
    if (strcmp(u.scheme, "http") == 0 && !http_host_is_loopback(u.host)) {
        if (bearer_secret)
            rc = err_set(err, ERR_USAGE,
                         "%s: the %s endpoint %s (from %s) is plain http:// to %s, which is not "
                         "this machine, and this call carries a token: tokens are never sent "
                         "unencrypted beyond this machine (--allow-plain-http does not change "
                         "that); use an https:// endpoint",
                         action ? action : svc->name, svc->name, url, source, u.host);
        else if (!c->allow_plain_http)
            rc = err_set(err, ERR_USAGE,
                         "the %s endpoint %s (from %s) is plain http:// to %s, which is not this "
                         "machine: requests and the session token that signs them would cross "
                         "the network unencrypted. Use an https:// endpoint, or, if that network "
                         "is trusted, pass --allow-plain-http (or set "
                         "ECS_ROLLOUT_ALLOW_PLAIN_HTTP=true)",
                         svc->name, url, source, u.host);
    }
    http_url_free(&u);
    return rc;
}

char *aws_endpoint_for(const struct aws_client *c, const struct aws_service *svc)
{
    char *url;
    const char *source;
    struct err e;
    return aws_endpoint_resolve(c, svc, &url, &source, &e) == 0 ? url : NULL;
}
