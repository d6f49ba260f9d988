/* The expat DOM. */
#include <stdlib.h>

#include "aws/xml.h"
#include "test.h"
#include "util/buf.h"

static const char *const ASG_RESPONSE =
    "<?xml version=\"1.0\"?>\n"
    "<DescribeAutoScalingGroupsResponse "
    "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\n"
    "  <DescribeAutoScalingGroupsResult>\n"
    "    <AutoScalingGroups>\n"
    "      <member>\n"
    "        <AutoScalingGroupName>web &amp; api</AutoScalingGroupName>\n"
    "        <Instances>\n"
    "          <member><InstanceId>i-1</InstanceId></member>\n"
    "          <member><InstanceId>i-2</InstanceId></member>\n"
    "          <other/>\n"
    "          <member><InstanceId>i-3</InstanceId></member>\n"
    "        </Instances>\n"
    "        <Empty></Empty>\n"
    "        <Note><![CDATA[a <b> c]]></Note>\n"
    "      </member>\n"
    "    </AutoScalingGroups>\n"
    "    <NextToken>tok</NextToken>\n"
    "  </DescribeAutoScalingGroupsResult>\n"
    "  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\n"
    "</DescribeAutoScalingGroupsResponse>\n";

TEST(parses_and_walks_a_query_answer)
{
    struct xml_node *root;
    struct err e;
    CHECK_INT(xml_parse(ASG_RESPONSE, strlen(ASG_RESPONSE), &root, &e), 0);
    CHECK_STR(root->name, "DescribeAutoScalingGroupsResponse");
    CHECK_STR(root->text, "");
    CHECK_STR(xml_text(root, "ResponseMetadata/RequestId"), "req-1");
    CHECK_STR(xml_text(root, "DescribeAutoScalingGroupsResult/NextToken"), "tok");
    const struct xml_node *g =
        xml_path(root, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member");
    CHECK(g != NULL);
    CHECK_STR(xml_text(g, "AutoScalingGroupName"), "web & api");
    CHECK_STR(xml_text(g, "Empty"), "");
    CHECK_STR(xml_text(g, "Note"), "a <b> c");
    CHECK(xml_text(g, "Missing") == NULL);
    CHECK(xml_path(g, "Instances/member/Nope") == NULL);
    CHECK(xml_next_same(g) == NULL);
    /* member lists skip other siblings */
    const char *want[] = {"i-1", "i-2", "i-3"};
    int n = 0;
    for (const struct xml_node *m = xml_path(g, "Instances/member"); m; m = xml_next_same(m)) {
        CHECK(n < 3);
        CHECK_STR(xml_text(m, "InstanceId"), want[n]);
        CHECK(m->parent == xml_child(g, "Instances"));
        n++;
    }
    CHECK_INT(n, 3);
    CHECK_STR(xml_text(g, ""), "");
    xml_free(root);
}

TEST(namespace_prefixes_are_dropped)
{
    const char *doc = "<a:Root xmlns:a=\"urn:x\" xmlns:b=\"urn:y\"><b:Child>v</b:Child></a:Root>";
    struct xml_node *root;
    struct err e;
    CHECK_INT(xml_parse(doc, strlen(doc), &root, &e), 0);
    CHECK_STR(root->name, "Root");
    CHECK_STR(xml_text(root, "Child"), "v");
    xml_free(root);
}

TEST(truncated_documents_fail_with_position)
{
    size_t len = strlen(ASG_RESPONSE);
    for (size_t cut = 0; cut < len - 2; cut += 7) {
        struct xml_node *root = (struct xml_node *)1;
        struct err e;
        CHECK_MSG(xml_parse(ASG_RESPONSE, cut, &root, &e) == -1, "accepted a document cut at %zu",
                  cut);
        CHECK(root == NULL);
        CHECK_INT(e.kind, ERR_PROTOCOL);
        CHECK_CONTAINS(e.message, "malformed XML at line");
    }
}

TEST(rejects_doctype_garbage_and_junk)
{
    const char *bad[] = {
        ("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
         "\"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>"),
        "<html><body>502 Bad Gateway</body></html> trailing",
        "<a></a><b></b>",
        "\x01\x02\xff\xfe garbage",
        "",
        "   ",
        "<a>&undefined;</a>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xml_node *root;
        struct err e;
        CHECK_MSG(xml_parse(bad[i], strlen(bad[i]), &root, &e) == -1, "accepted case %zu", i);
        CHECK_INT(e.kind, ERR_PROTOCOL);
    }
    struct xml_node *root;
    struct err e;
    const char *dt = "<!DOCTYPE x><x/>";
    CHECK_INT(xml_parse(dt, strlen(dt), &root, &e), -1);
    CHECK_CONTAINS(e.message, "DOCTYPE");
}

TEST(deep_nesting_is_refused_and_wide_documents_are_fine)
{
    struct buf deep = BUF_INIT;
    for (int i = 0; i < 300; i++)
        buf_puts(&deep, "<a>");
    for (int i = 0; i < 300; i++)
        buf_puts(&deep, "</a>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(xml_parse(deep.data, deep.len, &root, &e), -1);
    CHECK_CONTAINS(e.message, "nested too deeply");
    buf_free(&deep);

    struct buf wide = BUF_INIT;
    buf_puts(&wide, "<r>");
    for (int i = 0; i < 20000; i++)
        buf_printf(&wide, "<member><Id>%d</Id></member>", i);
    buf_puts(&wide, "</r>");
    CHECK_INT(xml_parse(wide.data, wide.len, &root, &e), 0);
    int n = 0;
    const struct xml_node *m;
    for (m = xml_child(root, "member"); m && xml_next_same(m); m = xml_next_same(m))
        n++;
    CHECK_INT(n, 19999);
    CHECK_STR(xml_text(m, "Id"), "19999");
    xml_free(root);
    buf_free(&wide);

    /* 200 levels is within the limit, and freeing does not recurse. */
    struct buf ok = BUF_INIT;
    for (int i = 0; i < 200; i++)
        buf_puts(&ok, "<a>");
    buf_puts(&ok, "x");
    for (int i = 0; i < 200; i++)
        buf_puts(&ok, "</a>");
    CHECK_INT(xml_parse(ok.data, ok.len, &root, &e), 0);
    xml_free(root);
    buf_free(&ok);
}

/* A tree holds each element name once, and no copy of an empty text
 * (issue 16: names and blank texts made a third of a large answer's tree);
 * past the names it keeps, and for long texts, it still gives every node its
 * own right text. */
TEST(names_are_stored_once_and_texts_packed)
{
    struct buf doc = BUF_INIT;
    buf_puts(&doc, "<r>");
    for (int i = 0; i < 300; i++)
        buf_printf(&doc, "<member><Id>%d</Id><E></E><N%d>t%d</N%d></member>", i, i, i, i);
    buf_puts(&doc, "<Long>");
    for (int i = 0; i < 70000; i++)
        buf_putc(&doc, (char)('a' + i % 26));
    buf_puts(&doc, "</Long></r>");
    struct xml_node *root;
    struct err e;
    CHECK_INT(xml_parse(doc.data, doc.len, &root, &e), 0);
    const struct xml_node *first = xml_child(root, "member");
    int n = 0;
    char name[16], text[16];
    for (const struct xml_node *m = first; m; m = xml_next_same(m), n++) {
        CHECK(m->name == first->name);
        CHECK(xml_child(m, "Id")->name == xml_child(first, "Id")->name);
        CHECK(xml_child(m, "E")->text == xml_child(first, "E")->text);
        CHECK(m->text == xml_child(first, "E")->text);
        snprintf(name, sizeof(name), "N%d", n);
        snprintf(text, sizeof(text), "t%d", n);
        CHECK_STR(xml_text(m, name), text);
        snprintf(text, sizeof(text), "%d", n);
        CHECK_STR(xml_text(m, "Id"), text);
    }
    CHECK_INT(n, 300);
    const char *long_text = xml_text(root, "Long");
    CHECK(long_text != NULL && strlen(long_text) == 70000 && long_text[69999] == 'a' + 69999 % 26);
    xml_free(root);
    buf_free(&doc);
}

TEST(null_safe_helpers)
{
    CHECK(xml_child(NULL, "a") == NULL);
    CHECK(xml_path(NULL, "a/b") == NULL);
    CHECK(xml_text(NULL, "a") == NULL);
    CHECK(xml_next_same(NULL) == NULL);
    xml_free(NULL);
}
