"""tests/lib/tfprovider.py's move of the AWS provider's endpoints block into a
shared provider's environment: the example's block becomes one
AWS_ENDPOINT_URL_<SERVICE> variable per service it names, the rest of the
file is left as it was, and a block it cannot carry over exactly (another
value, a service without a known variable, none or two blocks) is refused."""
# tier: quick  (make check: under a second)
import pathlib
import tempfile
import unittest

import testlib
import tfprovider

EXAMPLE_VERSIONS = testlib.ROOT / "examples" / "local-simulator" / "versions.tf"
URL = "http://127.0.0.1:47111"

PROVIDER = '''provider "aws" {
  region = "us-east-1"

  endpoints {
%s
  }
}
'''


class EndpointsToEnvironment(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, text):
        path = pathlib.Path(self.tmp.name, "versions.tf")
        path.write_text(text)
        return path

    def test_the_examples_block_becomes_one_variable_per_service(self):
        original = EXAMPLE_VERSIONS.read_text()
        path = self.write(original)
        environ = tfprovider.endpoints_to_environment(path, "var.aws_endpoint_url", URL)
        self.assertEqual(environ, {
            "AWS_ENDPOINT_URL_AUTO_SCALING": URL, "AWS_ENDPOINT_URL_EC2": URL, "AWS_ENDPOINT_URL_ECS": URL,
            "AWS_ENDPOINT_URL_IAM": URL, "AWS_ENDPOINT_URL_SSM": URL, "AWS_ENDPOINT_URL_STS": URL})
        text = path.read_text()
        self.assertNotIn("endpoints", text)
        # Nothing else of the file changed: it is the original less the
        # block's lines, from `  endpoints {` to its `  }`.
        lines = original.splitlines(keepends=True)
        start = lines.index("  endpoints {\n")
        end = lines.index("  }\n", start)
        self.assertEqual(end - start, 7, lines[start:end + 1])
        self.assertEqual(text, "".join(lines[:start] + lines[end + 1:]))

    def test_a_value_other_than_the_expression_is_refused(self):
        path = self.write(PROVIDER % "    ec2 = var.aws_endpoint_url\n    ecs = \"http://elsewhere\"")
        with self.assertRaisesRegex(AssertionError, r"other than `SERVICE = var.aws_endpoint_url`.*elsewhere"):
            tfprovider.endpoints_to_environment(path, "var.aws_endpoint_url", URL)
        self.assertIn("endpoints {", path.read_text(), "a refused file is left as it was")

    def test_a_service_without_a_known_variable_is_refused(self):
        path = self.write(PROVIDER % "    ec2 = var.aws_endpoint_url\n    s3  = var.aws_endpoint_url")
        with self.assertRaisesRegex(AssertionError, r"\['s3'\]"):
            tfprovider.endpoints_to_environment(path, "var.aws_endpoint_url", URL)

    def test_no_block_or_two_blocks_are_refused(self):
        path = self.write('provider "aws" {\n  region = "us-east-1"\n}\n')
        with self.assertRaisesRegex(AssertionError, "found 0"):
            tfprovider.endpoints_to_environment(path, "var.aws_endpoint_url", URL)
        path = self.write(PROVIDER % "    ec2 = var.aws_endpoint_url" + PROVIDER % "    ecs = var.aws_endpoint_url")
        with self.assertRaisesRegex(AssertionError, "found 2"):
            tfprovider.endpoints_to_environment(path, "var.aws_endpoint_url", URL)


if __name__ == "__main__":
    testlib.main()
