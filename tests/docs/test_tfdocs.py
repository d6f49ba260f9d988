"""scripts/tfdocs: what it makes of tricky inputs read by HashiCorp's HCL
parser, the Markdown it writes, the errors it gives instead of guessing, that
it fails loudly without the parser, and that every module's and example's
README is up to date with its .tf files."""
# tier: quick  (make check: a few seconds)
import json
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

# One file that uses everything the generator has to get right. The expected
# values are written out by hand below; test_tfdocs_terraform.py also has
# Terraform read the same text.
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


def read_all(cases):
    """{NAME: {FILE: TEXT}} -> {NAME: model or DocsError}, with one run of
    the parser (loading it takes most of the time); the directories are
    removed afterwards."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tfdocs-"))
    try:
        dirs = []
        for name, files in cases.items():
            d = tmp / name
            d.mkdir()
            for fname, text in files.items():
                (d / fname).write_bytes(text.encode("utf-8"))
            dirs.append(d)
        return dict(zip(cases, tfdocs.read_dirs(dirs, errors_as_results=True)))
    finally:
        shutil.rmtree(tmp)


class Reading(unittest.TestCase):
    """What tfdocs makes of HashiCorp's parser's output: declaration order,
    constants out of Terraform's JSON syntax, types on one line."""
    CASES = {
        "tricky": {"tricky.tf": TRICKY},
        "two_files": {"b.tf": 'variable "z" {}\nvariable "a" {}\n',
                      "a.tf": 'output "o" {\n  value = 1\n}\nvariable "m" {}\n'},
        "type_order": {"v.tf": 'variable "a" {\n  type = list(object({ z = string, a = optional(object({ '
                       'y = number, b = number }), { y = 1, b = 2 }) }))\n  default = [{ a = { b = 1, y = 2 }, '
                       'z = "x" }]\n}\nvariable "m" {\n  default = { z = 1, a = 2 }\n}\n'},
        "type_layout": {"v.tf": 'variable "a" {\n  type = object({\n    # a comment\n    "quoted name" = set(any)\n'
                        '    b = optional(string, "$${x}\\n") // another\n    c = optional(number, -1.5)\n'
                        '  })\n}\n'},
        "crlf": {"crlf.tf": 'variable "w" {\r\n  description = <<-EOT\r\n    a\r\n  EOT\r\n'
                 '  type = string\r\n  default = "x"\r\n}\r\n'},
    }

    @classmethod
    def setUpClass(cls):
        cls.models = read_all(cls.CASES)
        cls.model = cls.models["tricky"]
        cls.vars = {v["name"]: v for v in cls.model["variables"]}
        cls.outs = {o["name"]: o for o in cls.model["outputs"]}

    def test_finds_every_block_in_file_order_and_nothing_in_comments(self):
        self.assertEqual([v["name"] for v in self.model["variables"]],
                         ["plain", "one_line", "escapes", "flush_heredoc", "plain_heredoc",
                          "object_default", "untyped"])
        self.assertEqual([o["name"] for o in self.model["outputs"]], ["first", "secret"])
        self.assertEqual([v["line"] for v in self.model["variables"]], [17, 21, 23, 29, 43, 54, 80])

    def test_files_in_name_order_then_declaration_order(self):
        model = self.models["two_files"]
        self.assertEqual([(v["file"].rsplit("/", 1)[-1], v["name"]) for v in model["variables"]],
                         [("a.tf", "m"), ("b.tf", "z"), ("b.tf", "a")])

    def test_required_and_defaults(self):
        self.assertTrue(self.vars["plain"]["required"])
        self.assertFalse(self.vars["plain"]["has_default"])
        self.assertTrue(self.vars["one_line"]["required"])
        self.assertEqual(self.vars["one_line"]["type"], "number")
        self.assertFalse(self.vars["untyped"]["required"])
        self.assertIsNone(self.vars["untyped"]["default"])
        self.assertEqual(self.vars["untyped"]["type"], "any")

    def test_template_escapes_become_the_literal_text(self):
        v = self.vars["escapes"]
        self.assertEqual(v["description"],
                         'Tab\there, "quoted", back\\slash, \u00e9\U0001F600, ${not} %{template}, '
                         "50% $$ | pipe <b>tag</b> *star*")
        self.assertEqual(v["default"], "a\nb")

    def test_heredocs(self):
        self.assertEqual(self.vars["flush_heredoc"]["description"],
                         "First line,\n  indented more.\n      \nSecond paragraph { with braces } and "
                         '"quotes" and \\n literally.\n')
        self.assertEqual(self.vars["plain_heredoc"]["description"], "  kept indentation\n")

    def test_multi_line_defaults(self):
        self.assertEqual(self.vars["flush_heredoc"]["default"], ["x", "y"])
        self.assertEqual(self.vars["plain_heredoc"]["default"], {"a key": 1, "b": -2.5, "c": 300})
        self.assertEqual(self.vars["object_default"]["default"], {
            "name": "x # not a comment",
            "ports": [{"from": 1, "to": 2}, {"from": 3}],
            "nested": {"deep": ["a", True]},
        })

    def test_object_defaults_follow_the_order_of_their_type(self):
        self.assertEqual(list(self.vars["object_default"]["default"]), ["name", "ports", "nested"])
        a, m = self.models["type_order"]["variables"]
        self.assertEqual(tfdocs.render_value(a["default"]), '[{ z = "x", a = { y = 2, b = 1 } }]')
        self.assertEqual(a["type"], "list(object({ z = string, a = optional(object({ y = number, b = number }), "
                                    "{ y = 1, b = 2 }) }))")
        # Without a type that names the attributes: Terraform's order (sorted).
        self.assertEqual(tfdocs.render_value(m["default"]), "{ a = 2, z = 1 }")

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

    def test_type_with_comments_quoted_names_and_constant_defaults(self):
        v = self.models["type_layout"]["variables"][0]
        self.assertEqual(v["type"], 'object({ "quoted name" = set(any), b = optional(string, "${x}\\n"), '
                                    "c = optional(number, -1.5) })")

    def test_output_descriptions(self):
        self.assertEqual(self.outs["first"]["description"], 'The "first" output.')
        self.assertEqual(self.outs["secret"]["description"], "")

    def test_windows_line_endings(self):
        v = self.models["crlf"]["variables"][0]
        self.assertEqual((v["name"], v["default"], v["line"]), ("w", "x", 1))
        self.assertEqual(v["description"].strip(), "a")


class Errors(unittest.TestCase):
    """What is not a constant, a type or a known argument stops tfdocs, with
    the file and line; so does what HashiCorp's parser rejects. One test per
    case: NAME: ({FILE: TEXT} or the text of bad.tf, fragments of the message)."""
    CASES = {
        "reference_in_default": ('\nvariable "a" {\n  default = var.b\n}\n',
                                 ("bad.tf:2: variable a default", "not a constant (${var.b})")),
        "reference_inside_a_list_default": ('variable "a" {\n  default = [1, { k = local.x }]\n}\n',
                                            ("not a constant (${local.x})",)),
        "function_call_in_default": ('variable "a" {\n  default = tolist([])\n}\n', ("bad.tf:1", "not a constant")),
        "expression_in_default": ('variable "a" {\n  default = 1 + 2\n}\n', ("not a constant (${1 + 2})",)),
        "template_in_description": ('variable "a" {\n  description = "x ${var.b}"\n}\n',
                                    ("variable a description", "not a constant")),
        "directive_in_description": ('output "a" {\n  value = 1\n  description = "%{ if true }x%{ endif }"\n}\n',
                                     ("output a description", "not a constant")),
        "expression_as_object_key": ('variable "a" {\n  default = { (local.k) = 1 }\n}\n', ("object key",)),
        "unknown_argument": ('variable "a" {\n  type = string\n  descripton = "x"\n}\n',
                             ("bad.tf:1", "unknown argument or block descripton")),
        "unknown_block": ('output "a" {\n  value = 1\n  lifecycle {\n  }\n}\n',
                          ("unknown argument or block lifecycle",)),
        "unknown_type": ('variable "a" {\n  type = strng\n}\n', ('unknown type "strng"',)),
        "unknown_type_function": ('variable "a" {\n  type = lst(string)\n}\n', ('unknown type "lst"',)),
        "quoted_type": ('variable "a" {\n  type = "string"\n}\n', ("variable a type", "not a quoted string")),
        "optional_outside_object": ('variable "a" {\n  type = optional(string)\n}\n', ("optional",)),
        "reference_in_optional_default": ('variable "a" {\n  type = object({ b = optional(string, var.x) })\n}\n',
                                          ("optional default", "not a constant")),
        "duplicate_variable": ('variable "a" {\n}\nvariable "a" {\n}\n', ("bad.tf:3", "declared twice (also line 1)")),
        "duplicate_variable_in_two_files": ({"a.tf": 'variable "x" {}\n', "bad.tf": '\nvariable "x" {}\n'},
                                            ("bad.tf:2: variable x is declared twice (also ", "a.tf:1)")),
        "header_not_at_the_start_of_a_line": ('/* c */ variable "a" {\n}\n', ("variable a", "start of a line")),
        "flag_must_be_bool": ('variable "a" {\n  sensitive = "yes"\n}\n', ("true or false",)),
        "validation_needs_both_parts": ('variable "a" {\n  validation {\n    condition = true\n  }\n}\n',
                                        ("validation without error_message",)),
        "output_without_value": ('output "a" {\n  description = "x"\n}\n', ("has no value",)),
        # Syntax: the parser's own messages, with line and column.
        "unterminated_string": ('variable "a" {\n  description = "abc\n}\n',
                                ("HCL parser", "bad.tf:2,", "Invalid multi-line string")),
        "unterminated_heredoc": ('variable "a" {\n  description = <<EOT\n  text\n}\n',
                                 ("HCL parser", "bad.tf:", "Unterminated template string")),
        "unclosed_block": ('variable "a" {\n  type = list(string)\n', ("HCL parser", "bad.tf:1,", "Unclosed")),
        "mismatched_brackets": ('variable "a" {\n  default = [1, 2}\n}\n', ("HCL parser", "bad.tf:2,")),
        "bad_escape": ('variable "a" {\n  default = "\\q"\n}\n', ("HCL parser", "bad.tf:2,", "Invalid escape")),
        "duplicate_attribute": ('variable "a" {\n  default = 1\n  default = 2\n}\n',
                                ("HCL parser", "bad.tf:3,", "Attribute redefined")),
        "object_items_need_separators": ('variable "a" {\n  default = { a = 1 b = 2 }\n}\n',
                                         ("HCL parser", "bad.tf:2,", "Missing attribute separator")),
    }

    @classmethod
    def setUpClass(cls):
        cls.results = read_all({name: text if isinstance(text, dict) else {"bad.tf": text}
                                for name, (text, _) in cls.CASES.items()})


def _error_test(name):
    def test(self):
        result = self.results[name]
        self.assertIsInstance(result, tfdocs.DocsError, f"accepted: {result}")
        for fragment in self.CASES[name][1]:
            self.assertIn(fragment, str(result))
    return test


for _name in Errors.CASES:
    setattr(Errors, f"test_{_name}", _error_test(_name))


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
                      '`{ "a key" = 1, b = -2.5, c = 300 }` | no |', lines)
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
            with self.assertRaises(tfdocs.DocsError) as cm:
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
        self.assertIn("variables.tf:1", p.stdout)
        self.assertIn("variable a default is not a constant", p.stdout)

    def test_missing_readme_is_an_error(self):
        d = write_dir({"variables.tf": 'variable "a" {\n  type = string\n}\n'})
        self.addCleanup(shutil.rmtree, d)
        p = self.run_tfdocs("--check", str(d))
        self.assertEqual(p.returncode, 1)
        self.assertIn("README.md", p.stdout)


class Parser(unittest.TestCase):
    """HashiCorp's parser is pinned, installed from the lockfile, and its
    absence fails loudly with what to run."""
    READER = testlib.ROOT / "scripts" / "tfdocs-reader"

    def test_the_parser_is_pinned_by_version_and_integrity(self):
        package = json.loads((self.READER / "package.json").read_text())
        lock = json.loads((self.READER / "package-lock.json").read_text())
        self.assertEqual(set(package["dependencies"]), {"@cdktf/hcl2json"})
        version = package["dependencies"]["@cdktf/hcl2json"]
        self.assertRegex(version, r"^\d+\.\d+\.\d+$", "an exact version, not a range")
        self.assertEqual(lock["packages"]["node_modules/@cdktf/hcl2json"]["version"], version)
        for name, entry in lock["packages"].items():
            if name:
                self.assertRegex(entry.get("integrity", ""), r"^sha512-", f"{name} has no integrity hash")

    def test_what_is_installed_is_what_the_lockfile_says(self):
        lock = json.loads((self.READER / "package-lock.json").read_text())
        for name, entry in lock["packages"].items():
            if not name:
                continue
            installed = self.READER / name / "package.json"
            self.assertTrue(installed.is_file(), f"{name} is not installed: run scripts/install-deps docs")
            self.assertEqual(json.loads(installed.read_text())["version"], entry["version"], name)

    def run_copy(self, environ):
        """scripts/tfdocs and the reader copied without node_modules."""
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="tfdocs-bare-"))
        self.addCleanup(shutil.rmtree, tmp)
        (tmp / "scripts" / "tfdocs-reader").mkdir(parents=True)
        shutil.copy(SCRIPT, tmp / "scripts" / "tfdocs")
        for f in ("read.js", "package.json", "package-lock.json"):
            shutil.copy(self.READER / f, tmp / "scripts" / "tfdocs-reader" / f)
        d = write_dir({"variables.tf": 'variable "a" {\n  type = string\n}\n',
                       "README.md": f"{tfdocs.BEGIN}\n{tfdocs.END}\n"})
        self.addCleanup(shutil.rmtree, d)
        return subprocess.run([sys.executable, str(tmp / "scripts" / "tfdocs"), "--check", str(d)], env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def test_without_the_npm_package_it_fails_and_says_what_to_run(self):
        environ = {k: v for k, v in os.environ.items() if k != "NODE_PATH"}
        p = self.run_copy(environ)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("(npm package @cdktf/hcl2json) is not installed", p.stdout)
        self.assertIn("scripts/install-deps docs", p.stdout)

    def test_without_node_it_fails_and_says_what_to_run(self):
        p = self.run_copy({"PATH": "/nonexistent", "HOME": os.environ.get("HOME", "/")})
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("node is not installed", p.stdout)
        self.assertIn("scripts/install-deps docs", p.stdout)


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
