"""scripts/tfdocs: the HCL reader on tricky inputs, the Markdown it writes, the
errors it gives instead of guessing, and that every module's and example's
README is up to date with its .tf files."""
# tier: quick  (make check: a few seconds)
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
from tfdocs_load import SCRIPT, tfdocs  # noqa: E402

# One file that uses everything the reader has to get right. The expected
# values are written out by hand below; test_tfdocs_terraform.py also has
# Terraform evaluate the same text.
TRICKY = r'''
# A comment with "quotes", { braces } and ${interpolation}
// another { comment
/* a block comment
   variable "not_a_variable" { }
*/
locals {
  # Templates with nested braces and quotes, skipped but delimited.
  nested = "${jsonencode({ a = "}", b = ["{"] })}-%{ if true }x%{ endif }"
  heredoc_template = <<-EOT
    ${local.nested} }
    {
  EOT
  url = "https://example.com/#not-a-comment//either"
}

variable "plain" {
  type = string
}

variable "one_line" { type = number }

variable "escapes" {
  description = "Tab\there, \"quoted\", back\\slash, \u00e9\U0001F600, $${not} %%{template}, 50% $$ | pipe <b>tag</b> *star*"
  type        = string
  default     = "a\nb"
}

variable "flush_heredoc" {
  description = <<-EOT
    First line,
      indented more.
      
    Second paragraph { with braces } and "quotes" and \n literally.
  EOT
  type        = list(string)
  default = [
    "x", # a comment in a list
    "y",
  ]
}

variable "plain_heredoc" {
  description = <<EOT
  kept indentation
EOT
  type        = map(number)
  default     = { "a key" : 1, b = -2.5
    c = 3e2 }
  sensitive = true
  nullable  = false
}

variable "object_default" {
  type = object({
    name = string
    ports = list(object({
      from = number, to = optional(number, 65535)
    }))
    tags   = optional(map(string), {})
    nested = optional(object({ deep = tuple([string, bool]) }))
  })
  default = {
    name = "x # not a comment"
    ports = [
      { from = 1, to = 2 },
      {
        from = 3
      },
    ]
    nested = { deep = ["a", true] }
  }

  validation {
    condition     = alltrue([for p in var.object_default.ports : p.from <= coalesce(p.to, 65535) && can(regex("^[{}]+$", "{}"))])
    error_message = "ports: from <= to (braces: {)."
  }
}

variable "untyped" {
  default = null
}

output "first" {
  description = "The \"first\" output."
  value       = { for k, v in var.object_default : k => v if k != "}" }
}

output "secret" {
  value     = var.plain
  sensitive = true
  precondition {
    condition     = var.plain != ""
    error_message = "empty"
  }
  depends_on = [local.nested]
}
'''


def write_dir(files):
    d = pathlib.Path(tempfile.mkdtemp(prefix="tfdocs-"))
    for name, text in files.items():
        (d / name).write_text(text)
    return d


class Reader(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = write_dir({"tricky.tf": TRICKY})
        cls.model = tfdocs.read_dir(cls.dir)
        cls.vars = {v["name"]: v for v in cls.model["variables"]}
        cls.outs = {o["name"]: o for o in cls.model["outputs"]}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_finds_every_block_in_file_order_and_nothing_in_comments(self):
        self.assertEqual([v["name"] for v in self.model["variables"]],
                         ["plain", "one_line", "escapes", "flush_heredoc", "plain_heredoc",
                          "object_default", "untyped"])
        self.assertEqual([o["name"] for o in self.model["outputs"]], ["first", "secret"])

    def test_required_and_defaults(self):
        self.assertTrue(self.vars["plain"]["required"])
        self.assertFalse(self.vars["plain"]["has_default"])
        self.assertTrue(self.vars["one_line"]["required"])
        self.assertEqual(self.vars["one_line"]["type"], "number")
        self.assertFalse(self.vars["untyped"]["required"])
        self.assertIsNone(self.vars["untyped"]["default"])
        self.assertEqual(self.vars["untyped"]["type"], "any")

    def test_quoted_string_escapes(self):
        v = self.vars["escapes"]
        self.assertEqual(v["description"],
                         'Tab\there, "quoted", back\\slash, \u00e9\U0001F600, ${not} %{template}, '
                         "50% $$ | pipe <b>tag</b> *star*")
        self.assertEqual(v["default"], "a\nb")

    def test_flush_heredoc_strips_common_indentation_only(self):
        self.assertEqual(self.vars["flush_heredoc"]["description"],
                         "First line,\n  indented more.\n      \nSecond paragraph { with braces } and "
                         '"quotes" and \\n literally.\n')

    def test_plain_heredoc_keeps_indentation(self):
        self.assertEqual(self.vars["plain_heredoc"]["description"], "  kept indentation\n")

    def test_multi_line_defaults(self):
        self.assertEqual(self.vars["flush_heredoc"]["default"], ["x", "y"])
        self.assertEqual(self.vars["plain_heredoc"]["default"], {"a key": 1, "b": -2.5, "c": 300.0})
        self.assertEqual(self.vars["object_default"]["default"], {
            "name": "x # not a comment",
            "ports": [{"from": 1, "to": 2}, {"from": 3}],
            "nested": {"deep": ["a", True]},
        })

    def test_flags(self):
        self.assertTrue(self.vars["plain_heredoc"]["sensitive"])
        self.assertFalse(self.vars["plain_heredoc"]["nullable"])
        self.assertFalse(self.vars["plain"]["sensitive"])
        self.assertTrue(self.vars["plain"]["nullable"])
        self.assertTrue(self.outs["secret"]["sensitive"])
        self.assertFalse(self.outs["first"]["sensitive"])

    def test_types_are_normalized(self):
        self.assertEqual(self.vars["flush_heredoc"]["type"], "list(string)")
        self.assertEqual(self.vars["plain_heredoc"]["type"], "map(number)")
        self.assertEqual(self.vars["object_default"]["type"],
                         "object({ name = string, ports = list(object({ from = number, "
                         "to = optional(number, 65535) })), tags = optional(map(string), {}), "
                         "nested = optional(object({ deep = tuple([string, bool]) })) })")

    def test_output_descriptions(self):
        self.assertEqual(self.outs["first"]["description"], 'The "first" output.')
        self.assertEqual(self.outs["secret"]["description"], "")

    def test_windows_line_endings(self):
        d = write_dir({"crlf.tf": 'variable "w" {\r\n  description = <<-EOT\r\n    a\r\n  EOT\r\n'
                                  '  type = string\r\n  default = "x"\r\n}\r\n'})
        self.addCleanup(shutil.rmtree, d)
        v = tfdocs.read_dir(d)["variables"][0]
        self.assertEqual((v["name"], v["default"]), ("w", "x"))
        self.assertEqual(v["description"].strip(), "a")


class Errors(unittest.TestCase):
    """What the reader does not understand stops it, with the file and line."""

    def assertRefused(self, text, *fragments):
        d = write_dir({"bad.tf": textwrap.dedent(text)})
        self.addCleanup(shutil.rmtree, d)
        with self.assertRaises(tfdocs.HclError) as cm:
            tfdocs.read_dir(d)
        msg = str(cm.exception)
        self.assertIn("bad.tf:", msg)
        for f in fragments:
            self.assertIn(f, msg)
        return msg

    def test_reference_in_default(self):
        self.assertRefused('variable "a" {\n  default = var.b\n}\n', "bad.tf:2", "not a literal value")

    def test_function_call_in_default(self):
        self.assertRefused('variable "a" {\n  default = tolist([])\n}\n', "bad.tf:2", "literal")

    def test_expression_in_default(self):
        self.assertRefused('variable "a" {\n  default = 1 + 2\n}\n', "bad.tf:2", "'+'")

    def test_template_in_description(self):
        self.assertRefused('variable "a" {\n  description = "x ${var.b}"\n}\n', "template")

    def test_unknown_attribute(self):
        self.assertRefused('variable "a" {\n  type = string\n  descripton = "x"\n}\n',
                           "bad.tf:3", "unknown attribute descripton")

    def test_unknown_block(self):
        self.assertRefused('output "a" {\n  value = 1\n  lifecycle {\n  }\n}\n', "bad.tf:3", "unknown block lifecycle")

    def test_unknown_type(self):
        self.assertRefused('variable "a" {\n  type = strng\n}\n', "unknown type 'strng'")

    def test_optional_outside_object(self):
        self.assertRefused('variable "a" {\n  type = optional(string)\n}\n', "optional")

    def test_unterminated_string(self):
        self.assertRefused('variable "a" {\n  description = "abc\n}\n', "bad.tf:2", "newline inside a quoted string")

    def test_unterminated_heredoc(self):
        self.assertRefused('variable "a" {\n  description = <<EOT\n  text\n}\n', "bad.tf:2", "no closing EOT")

    def test_unclosed_block(self):
        self.assertRefused('variable "a" {\n  type = list(string)\n', "never closed")

    def test_mismatched_brackets(self):
        self.assertRefused('variable "a" {\n  default = [1, 2}\n}\n', "bad.tf:2")

    def test_bad_escape(self):
        self.assertRefused('variable "a" {\n  default = "\\q"\n}\n', "unknown escape")

    def test_stray_character(self):
        self.assertRefused('variable "a" {\n  default = @\n}\n', "unexpected character '@'")

    def test_duplicate_variable(self):
        self.assertRefused('variable "a" {\n}\nvariable "a" {\n}\n', "bad.tf:3", "declared twice")

    def test_duplicate_attribute(self):
        self.assertRefused('variable "a" {\n  default = 1\n  default = 2\n}\n', "set twice")

    def test_duplicate_object_key(self):
        self.assertRefused('variable "a" {\n  default = { a = 1, a = 2 }\n}\n', "appears twice")

    def test_object_items_need_separators(self):
        self.assertRefused('variable "a" {\n  default = { a = 1 b = 2 }\n}\n', "expected a comma")

    def test_flag_must_be_bool(self):
        self.assertRefused('variable "a" {\n  sensitive = "yes"\n}\n', "true or false")

    def test_output_without_value(self):
        self.assertRefused('output "a" {\n  description = "x"\n}\n', "has no value")

    def test_attribute_at_top_level(self):
        self.assertRefused('a = 1\n', "outside any block")


class Markdown(unittest.TestCase):
    def test_cells_escape_what_would_break_the_table(self):
        cell = tfdocs._cell("a | b <c> & *d*\n  wrapped line\n\nnew para")
        self.assertEqual(cell, "a \\| b &lt;c&gt; &amp; \\*d\\* wrapped line<br><br>new para")

    def test_code_spans_hold_backticks_and_pipes(self):
        self.assertEqual(tfdocs._code("a|b"), "`a\\|b`")
        self.assertEqual(tfdocs._code("x`y"), "``x`y``")
        self.assertEqual(tfdocs._code("`"), "`` ` ``")

    def test_tables(self):
        d = write_dir({"tricky.tf": TRICKY, "versions.tf": 'terraform {\n  required_version = ">= 1.5"\n'
                       '  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
                       '      version = "~> 5.0"\n    }\n  }\n}\n'})
        self.addCleanup(shutil.rmtree, d)
        md = tfdocs.render(tfdocs.read_dir(d))
        lines = md.splitlines()
        self.assertEqual(lines[0], tfdocs.BEGIN)
        self.assertEqual(lines[-1], tfdocs.END)
        self.assertIn("| terraform | `>= 1.5` |", lines)
        self.assertIn("| hashicorp/aws | `~> 5.0` |", lines)
        self.assertIn("| `plain` |  | `string` | n/a | yes |", lines)
        self.assertIn("| `flush_heredoc` | First line, indented more.<br><br>Second paragraph { with braces } "
                      "and \"quotes\" and \\\\n literally. | `list(string)` | `[\"x\", \"y\"]` | no |", lines)
        self.assertIn('| `plain_heredoc` | kept indentation (sensitive, not nullable) | `map(number)` | '
                      '`{ "a key" = 1, b = -2.5, c = 300.0 }` | no |', lines)
        self.assertIn('| `first` | The "first" output. |', lines)
        self.assertIn("| `secret` | (sensitive) |", lines)
        # Every table row has the same number of unescaped pipes as its header.
        for line in lines:
            if line.startswith("| `"):
                cols = len(line.replace("\\|", "").split("|"))
                self.assertIn(cols, (4, 7), line)

    def test_splice_keeps_everything_outside_the_markers(self):
        readme = f"# T\n\nhand-written\n\n{tfdocs.BEGIN}\nold\n{tfdocs.END}\n\n## After\ntail\n"
        out = tfdocs.splice(readme, f"{tfdocs.BEGIN}\nnew\n{tfdocs.END}\n", "README.md")
        self.assertEqual(out, f"# T\n\nhand-written\n\n{tfdocs.BEGIN}\nnew\n{tfdocs.END}\n\n## After\ntail\n")

    def test_splice_needs_exactly_one_pair_of_markers(self):
        gen = f"{tfdocs.BEGIN}\n{tfdocs.END}\n"
        for bad in ("no markers\n", f"{tfdocs.END}\n{tfdocs.BEGIN}\n",
                    f"{tfdocs.BEGIN}\n{tfdocs.END}\n{tfdocs.BEGIN}\n{tfdocs.END}\n"):
            with self.assertRaises(tfdocs.HclError) as cm:
                tfdocs.splice(bad, gen, "README.md")
            self.assertIn("README.md", str(cm.exception))


class Command(unittest.TestCase):
    def run_tfdocs(self, *args):
        return subprocess.run([sys.executable, str(SCRIPT), *args], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def test_check_reports_a_stale_readme_with_its_diff_and_the_fix(self):
        d = write_dir({"variables.tf": 'variable "a" {\n  type = string\n}\n',
                       "README.md": f"# M\n\n{tfdocs.BEGIN}\n{tfdocs.END}\n\nTail.\n"})
        self.addCleanup(shutil.rmtree, d)
        p = self.run_tfdocs(str(d))
        self.assertEqual(p.returncode, 0, p.stdout)
        written = (d / "README.md").read_text()
        self.assertIn("| `a` |", written)
        self.assertTrue(written.startswith("# M\n\n") and written.endswith("\n\nTail.\n"))
        p = self.run_tfdocs("--check", str(d))
        self.assertEqual(p.returncode, 0, p.stdout)

        (d / "variables.tf").write_text('variable "a" {\n  type = string\n}\n\nvariable "b" {\n'
                                        '  description = "New."\n  type = bool\n  default = false\n}\n')
        p = self.run_tfdocs("--check", str(d))
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("+| `b` | New. | `bool` | `false` | no |", p.stdout)
        self.assertIn("make docs", p.stdout)
        self.assertEqual((d / "README.md").read_text(), written, "--check must not write")

    def test_errors_exit_non_zero_with_the_place(self):
        d = write_dir({"variables.tf": 'variable "a" {\n  default = var.x\n}\n',
                       "README.md": f"{tfdocs.BEGIN}\n{tfdocs.END}\n"})
        self.addCleanup(shutil.rmtree, d)
        p = self.run_tfdocs("--check", str(d))
        self.assertEqual(p.returncode, 1)
        self.assertIn("variables.tf:2", p.stdout)
        self.assertIn("variable a default", p.stdout)

    def test_missing_readme_is_an_error(self):
        d = write_dir({"variables.tf": 'variable "a" {\n  type = string\n}\n'})
        self.addCleanup(shutil.rmtree, d)
        p = self.run_tfdocs("--check", str(d))
        self.assertEqual(p.returncode, 1)
        self.assertIn("README.md", p.stdout)


class Repository(unittest.TestCase):
    DIRS = ("modules/ecs-cluster", "modules/ecs-service", "examples/docker-service-with-elb",
            "examples/local-simulator")

    def test_every_readme_is_up_to_date(self):
        p = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=testlib.ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(p.returncode, 0, "\n" + p.stdout)

    def test_the_default_directories_are_the_modules_and_examples(self):
        found = {str(d.relative_to(testlib.ROOT)) for d in tfdocs.default_dirs()}
        self.assertEqual(found, set(self.DIRS))

    def test_every_readme_has_usage_from_a_pinned_git_source(self):
        for d in self.DIRS:
            text = (testlib.ROOT / d / "README.md").read_text()
            self.assertRegex(text, r'source\s*=\s*"git::https://github\.com/OWNER/ecs-rollout\.git//modules/'
                             r'ecs-(cluster|service)\?ref=v\d+\.\d+\.\d+"', d)
            self.assertIn("`OWNER` is a placeholder", text, d)
            for heading in ("## Inputs", "## Outputs", "## Requirements"):
                self.assertIn(heading, text, d)

    def test_every_declared_block_is_in_the_tables(self):
        """Independent of the reader: a line scan for variable and output
        blocks (terraform fmt layout) against the README's table rows."""
        import re
        for d in self.DIRS:
            readme = (testlib.ROOT / d / "README.md").read_text()
            section = readme[readme.index(tfdocs.BEGIN):readme.index(tfdocs.END)]
            rows = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
            declared = set()
            for tf in (testlib.ROOT / d).glob("*.tf"):
                declared |= set(re.findall(r'^(?:variable|output) "([^"]+)"', tf.read_text(), re.M))
            self.assertTrue(declared, d)
            self.assertEqual(declared - rows, set(), f"{d}: declared but not documented")


if __name__ == "__main__":
    testlib.main()
