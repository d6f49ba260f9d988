#!/usr/bin/env python3
"""The pinned test stack (tests/requirements.txt) against this machine.

Checks the Python packages (exact versions), Python itself, terraform and the
Terraform AWS provider, and says exactly what is missing or differs and how
to install it. `make test` and `make check` run it first.

The provider is found the way Terraform finds it, never in a fixed folder:
  1. TF_PLUGIN_DIR, a filesystem mirror given for these tests;
  2. the filesystem_mirror paths of the CLI configuration's
     provider_installation block (TF_CLI_CONFIG_FILE, else ~/.terraformrc);
  3. without such a block, Terraform's implied local mirror directories:
     ~/.terraform.d/plugins, $XDG_DATA_HOME/terraform/plugins and each
     $XDG_DATA_DIRS/terraform/plugins (~/.local/share, /usr/local/share,
     /usr/share by default);
  4. last, a mirror right under /opt, /srv or /usr/local that nothing names
     (a fresh machine of ours carries the provider so).
(Terraform documentation: "CLI Configuration File", Provider Installation,
Implied Local Mirror Directories.) The Terraform tests run terraform with
-plugin-dir set to the mirror found here (tests/run exports it as
TF_PLUGIN_DIR).

Usage: tests/lib/stack.py [--warn-only] [--no-terraform] | --plugin-dir | --search-machine
  --no-terraform    Python and its packages only (make check runs no Terraform test)
  --plugin-dir      print the mirror that holds the pinned provider (as above)
  --search-machine  print a mirror holding it right under /opt, /srv or
                    /usr/local (the last resort of --plugin-dir)
  --warn-only       report differences but exit 0 (STACK_CHECK=warn does too)
"""
import importlib.metadata
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "tests" / "requirements.txt"
PROVIDER = "registry.terraform.io/hashicorp/aws"


def read_pins(path=REQUIREMENTS):
    """({package: version}, {tool: (operator, version)}) from requirements.txt."""
    packages, tools = {}, {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.strip()
        m = re.match(r"#\s*tool:\s*(\S+?)(==|>=)(\S+)$", line)
        if m:
            tools[m.group(1)] = (m.group(2), m.group(3))
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)$", line)
        if not m:
            raise ValueError(f"{path}: '{line}' is not 'name==version'")
        packages[m.group(1)] = m.group(2)
    return packages, tools


def _version_tuple(v):
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.+-]", v))


def check_python(pins):
    """Problems with Python and its packages, one line each."""
    problems = []
    op, want = pins[1].get("python", (">=", "0"))
    have = platform.python_version()
    if op == ">=" and _version_tuple(have)[:len(_version_tuple(want))] < _version_tuple(want):
        problems.append(f"python {have} runs the tests; they need python >= {want}")
    for name, version in sorted(pins[0].items(), key=lambda kv: kv[0].lower()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"Python package {name} is not installed (pinned: {name}=={version})")
            continue
        if installed != version:
            problems.append(f"Python package {name} is {installed}, pinned {version}")
    return problems


def terraform_version():
    """The installed terraform's version, or None when it is not on PATH."""
    exe = shutil.which("terraform")
    if not exe:
        return None
    env = dict(os.environ, CHECKPOINT_DISABLE="1")
    proc = subprocess.run([exe, "version", "-json"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, timeout=60)
    try:
        return json.loads(proc.stdout)["terraform_version"]
    except (ValueError, KeyError):
        return "unknown"


def platform_name():
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    return f"{platform.system().lower()}_{arch.get(platform.machine().lower(), platform.machine().lower())}"


def cli_config_path():
    return os.environ.get("TF_CLI_CONFIG_FILE") or os.path.expanduser("~/.terraformrc")


def _strip_hcl_comments(text):
    return re.sub(r"(?m)(#|//).*$", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def mirror_candidates():
    """[(directory, where it comes from)] in Terraform's order, and notes on
    what was looked at (for messages)."""
    notes, found = [], []
    env = os.environ.get("TF_PLUGIN_DIR")
    if env:
        return [(env, "TF_PLUGIN_DIR")], ["TF_PLUGIN_DIR=" + env]
    notes.append("TF_PLUGIN_DIR (not set)")
    rc = cli_config_path()
    via = "TF_CLI_CONFIG_FILE" if os.environ.get("TF_CLI_CONFIG_FILE") else "~/.terraformrc"
    explicit = False
    if os.path.isfile(rc):
        text = _strip_hcl_comments(pathlib.Path(rc).read_text(errors="replace"))
        if re.search(r"\bprovider_installation\s*\{", text):
            explicit = True
            paths = re.findall(r'filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*"([^"]*)"', text, re.S)
            for p in paths:
                found.append((os.path.expanduser(os.path.expandvars(p)), f"filesystem_mirror in {rc}"))
            notes.append(f"the CLI configuration {rc} ({via}): provider_installation with "
                         + (f"filesystem_mirror {', '.join(paths)}" if paths else "no filesystem_mirror"))
        else:
            notes.append(f"the CLI configuration {rc} ({via}): no provider_installation block")
    else:
        notes.append(f"the CLI configuration {rc} ({via}): does not exist")
    if not explicit:
        implied = [os.path.expanduser("~/.terraform.d/plugins")]
        data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
        data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        implied += [os.path.join(d, "terraform", "plugins") for d in [data_home] + data_dirs.split(":") if d]
        found += [(d, "implied local mirror") for d in implied]
        notes.append("the implied local mirrors " + ", ".join(implied))
    return found, notes


def provider_versions(directory, plat=None):
    """Versions of the AWS provider a filesystem mirror holds for this
    platform, in the packed (.zip) or unpacked layout."""
    plat = plat or platform_name()
    base = pathlib.Path(directory, *PROVIDER.split("/"))
    versions = set()
    if base.is_dir():
        for entry in base.iterdir():
            if entry.is_dir() and (entry / plat).is_dir():
                versions.add(entry.name)
            m = re.match(rf"terraform-provider-aws_(.+)_{plat}\.zip$", entry.name)
            if m and entry.is_file():
                versions.add(m.group(1))
    return versions


# Where machines install add-on software (the FHS's /opt, /srv, /usr/local):
# searched one level deep, as the last resort, for a mirror that nothing
# configures (a fresh machine of ours carries one there and no CLI
# configuration names it), so `make test` and `make demo` run on it as they are.
SEARCH_ROOTS = ("/opt", "/srv", "/usr/local", "/usr/local/share", "/usr/share")


def find_provider_mirror(version):
    """(the first mirror holding `version`, {mirror: other versions}, notes).
    Terraform's own places come first; a mirror right under SEARCH_ROOTS
    only when none of them holds the version."""
    candidates, notes = mirror_candidates()
    others = {}
    for directory, _ in candidates:
        have = provider_versions(directory)
        if version in have:
            return directory, others, notes
        if have:
            others[directory] = sorted(have)
    found = search_machine(version)
    if found:
        notes.append(f"{found}: found right under {', '.join(SEARCH_ROOTS)} (nothing names it; "
                     f"TF_PLUGIN_DIR={found} or a provider_installation block makes it explicit)")
    return found, others, notes


def search_machine(version):
    """A directory right under one of SEARCH_ROOTS that is a filesystem
    mirror holding `version`, or None."""
    for root in SEARCH_ROOTS:
        try:
            entries = sorted(pathlib.Path(root).iterdir())
        except OSError:
            continue
        for d in entries:
            if d.is_dir() and version in provider_versions(d):
                return str(d)
    return None


def plugin_dir():
    """The mirror the Terraform tests pass to terraform init -plugin-dir; a
    test that needs it and finds none fails with what to do."""
    pins = read_pins()
    problems = check_terraform(pins, tool=False)
    if problems:
        raise AssertionError(problems[0])
    return find_provider_mirror(pins[1][PROVIDER][1])[0]


def check_terraform(pins, tool=True):
    problems = []
    tools = pins[1]
    if tool and "terraform" in tools:
        want = tools["terraform"][1]
        have = terraform_version()
        if have is None:
            problems.append(f"terraform is not on PATH (pinned: terraform {want}); install Terraform {want} "
                            "from HashiCorp's releases or your distribution and put it on PATH")
        elif have != want:
            problems.append(f"terraform is {have}, pinned {want}")
    if PROVIDER in tools:
        want = tools[PROVIDER][1]
        mirror, others, notes = find_provider_mirror(want)
        if not mirror:
            line = (f"no filesystem mirror holds the Terraform provider {PROVIDER} {want} for "
                    f"{platform_name()}")
            if others:
                line += "; found only " + "; ".join(f"{', '.join(v)} in {d}" for d, v in others.items())
            line += (". Looked at: " + "; ".join(notes) + ". To fix: point TF_PLUGIN_DIR at a mirror that "
                     "holds it (export TF_PLUGIN_DIR=/path/to/mirror), or name it in your CLI configuration "
                     "(provider_installation { filesystem_mirror { path = \"/path/to/mirror\" } }); where "
                     "the Terraform registry is reachable, `terraform -chdir=modules/ecs-cluster providers "
                     "mirror ~/.terraform.d/plugins` fills an implied mirror, which Terraform finds by itself")
            problems.append(line)
    return problems


def report(problems, out=sys.stdout):
    if not problems:
        return
    print("The test stack differs from tests/requirements.txt:", file=out)
    for p in problems:
        print(f"  - {p}", file=out)
    if any(p.startswith("Python package") for p in problems):
        print("  Python packages: pip install -r tests/requirements.txt (where a package registry is "
              "reachable)", file=out)


def main(argv):
    pins = read_pins()
    if "--plugin-dir" in argv:
        mirror, _, _ = find_provider_mirror(pins[1][PROVIDER][1])
        if mirror:
            print(mirror)
        return 0 if mirror else 1
    if "--search-machine" in argv:
        mirror = search_machine(pins[1][PROVIDER][1])
        if mirror:
            print(mirror)
        return 0 if mirror else 1
    problems = check_python(pins) + ([] if "--no-terraform" in argv else check_terraform(pins))
    warn_only = "--warn-only" in argv or os.environ.get("STACK_CHECK") == "warn"
    report(problems, out=sys.stderr)
    if problems and not warn_only:
        print("Stopping here; STACK_CHECK=warn runs the tests anyway.", file=sys.stderr)
        return 1
    if not problems:
        tools = [f"{t} {v}" if op == "==" else f"{t} {op} {v}" for t, (op, v) in pins[1].items()
                 if t == "python" or "--no-terraform" not in argv]
        mirror = None if "--no-terraform" in argv else find_provider_mirror(pins[1][PROVIDER][1])[0]
        print(f"test stack: as pinned in tests/requirements.txt ({len(pins[0])} Python packages, "
              + ", ".join(tools) + (f"; provider mirror {mirror}" if mirror else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
