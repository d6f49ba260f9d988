/* AWS's clock from the Date header of its answers (RFC 9110 section 6.6.1),
 * kept with local elapsed-time bounds: what the lease is measured against,
 * so that a machine whose wall clock is wrong does not take over early. */
#include "client_fixture.h"
#include "util/clock.h"

static int query(struct fixture *f, const char *action, struct err *e)
{
    struct xml_node *root = NULL;
    int rc =
        aws_query_call(&f->client, &AWS_SVC_AUTOSCALING, action, "2011-01-01", NULL, 0, &root, e);
    xml_free(root);
    return rc;
}

TEST(http_dates_in_the_three_forms_a_recipient_must_accept)
{
    long long t = 0;
    /* RFC 9110 section 5.6.7's own example, in its three forms. */
    CHECK_INT(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), -1); /* before 2000 */
    CHECK_INT(http_date_parse("Sun, 06 Dec 2026 23:12:05 GMT", &t), 0);
    CHECK_INT(t, 1796598725LL);
    CHECK_INT(http_date_parse("Sunday, 06-Dec-26 23:12:05 GMT", &t), 0);
    CHECK_INT(t, 1796598725LL);
    CHECK_INT(http_date_parse("Sun Dec  6 23:12:05 2026", &t), 0);
    CHECK_INT(t, 1796598725LL);
    CHECK_INT(http_date_parse("", &t), -1);
    CHECK_INT(http_date_parse(NULL, &t), -1);
    CHECK_INT(http_date_parse("soon", &t), -1);
}

TEST(no_date_no_aws_time)
{
    struct fixture f;
    fixture_start(&f);
    loopback_push(f.lb, 200, XML_HDR, "<DescribeAutoScalingGroupsResponse/>");
    struct err e;
    double lo, hi;
    CHECK_INT(aws_client_aws_time(&f.client, clock_elapsed_s(), &lo, &hi), -1);
    CHECK_MSG(query(&f, "DescribeAutoScalingGroups", &e) == 0, "%s", e.message);
    /* The loopback server sends no Date of its own. */
    CHECK_INT(aws_client_aws_time(&f.client, clock_elapsed_s(), &lo, &hi), -1);
    fixture_stop(&f);
}

TEST(aws_time_follows_the_date_of_the_latest_answer_not_the_local_wall_clock)
{
    struct fixture f;
    fixture_start(&f);
    /* AWS's clock five years before this machine's, say. */
    loopback_push(f.lb, 200, XML_HDR "Date: Thu, 01 Jan 2015 00:00:10 GMT\r\n",
                  "<DescribeAutoScalingGroupsResponse/>");
    struct err e;
    double before = clock_elapsed_s();
    CHECK_MSG(query(&f, "DescribeAutoScalingGroups", &e) == 0, "%s", e.message);
    double after = clock_elapsed_s();
    double lo, hi;
    CHECK_INT(aws_client_aws_time(&f.client, after, &lo, &hi), 0);
    const double date = 1420070410.0;
    CHECK_MSG(lo >= date && lo <= date + (after - before), "earliest %.3f", lo);
    CHECK_MSG(hi >= date + 1.0 && hi <= date + 1.0 + (after - before), "latest %.3f", hi);
    /* Ten seconds later on the local elapsed clock, AWS's time moved ten. */
    double lo2, hi2;
    CHECK_INT(aws_client_aws_time(&f.client, after + 10.0, &lo2, &hi2), 0);
    CHECK_MSG(lo2 - lo > 9.999 && lo2 - lo < 10.001, "%.3f", lo2 - lo);
    CHECK_MSG(hi2 - hi > 9.999 && hi2 - hi < 10.001, "%.3f", hi2 - hi);
    /* An error answer carries AWS's time too; the latest one counts. */
    loopback_push(f.lb, 400, XML_HDR "Date: Thu, 01 Jan 2015 01:00:00 GMT\r\n",
                  query_error_body("ValidationError", "no"));
    CHECK_INT(query(&f, "DescribeAutoScalingGroups", &e), -1);
    CHECK_INT(aws_client_aws_time(&f.client, clock_elapsed_s(), &lo, &hi), 0);
    CHECK_MSG(lo >= 1420074000.0 && lo < 1420074000.0 + 5, "earliest %.3f", lo);
    /* An unreadable Date keeps what is known. */
    loopback_push(f.lb, 200, XML_HDR "Date: tomorrow\r\n", "<DescribeAutoScalingGroupsResponse/>");
    CHECK_MSG(query(&f, "DescribeAutoScalingGroups", &e) == 0, "%s", e.message);
    CHECK_INT(aws_client_aws_time(&f.client, clock_elapsed_s(), &lo, &hi), 0);
    CHECK_MSG(lo >= 1420074000.0 && lo < 1420074000.0 + 5, "earliest %.3f", lo);
    fixture_stop(&f);
}
