/* Fixtures for the service-call tests: response bodies captured from
 * moto_server (moto-*) or shaped after the AWS API reference (aws-*), in
 * tests/c/fixtures/svc/. */
#ifndef ECSR_TEST_SVC_FIXTURE_H
#define ECSR_TEST_SVC_FIXTURE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws/xml.h"
#include "util/err.h"

/* The file's contents (NUL-terminated), or NULL after reporting a test
 * failure. Free with free(). */
char *svc_fixture_read(const char *name, size_t *len);
/* The parsed fixture, or NULL after reporting a test failure. */
struct xml_node *svc_fixture_xml(const char *name);
cJSON *svc_fixture_json(const char *name);

/* Robustness sweeps for parsers. `parse` must return 0, or -1 with
 * ERR_PROTOCOL and a message starting with `call`; anything else (another
 * error kind, a crash, a leak under ASan) fails the test. Each returns the
 * number of variants tried, or -1 after reporting a failure. */
typedef int (*svc_xml_parse_fn)(const struct xml_node *root, struct err *err);
typedef int (*svc_json_parse_fn)(const cJSON *resp, struct err *err);
/* Every element removed in turn, then every leaf's text replaced by a few
 * wrong values in turn. */
long svc_sweep_xml(const char *fixture, const char *call, svc_xml_parse_fn parse);
/* Every value removed in turn, then replaced by values of other types. */
long svc_sweep_json(const char *fixture, const char *call, svc_json_parse_fn parse);
/* How many variants of the last sweep the parser rejected. */
extern long svc_sweep_rejected;

#endif
