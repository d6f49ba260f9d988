"""One AWS provider process for many terraform commands (Terraform:
"Debugging Providers", TF_REATTACH_PROVIDERS), for the Terraform tests."""
import atexit
import ctypes
import json
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time


# The environment variable that points one AWS service at an endpoint, for
# each service name of the AWS provider's `endpoints` block our
# configurations use: AWS_ENDPOINT_URL_<service id> (AWS SDKs and Tools
# Reference Guide, "Service-specific endpoints" and its "Identifiers for
# service-specific endpoints" table; the AWS provider's "Custom Service
# Endpoints" guide lists the same variable for each block argument).
ENDPOINT_VARIABLES = {
    "autoscaling": "AWS_ENDPOINT_URL_AUTO_SCALING",
    "ec2": "AWS_ENDPOINT_URL_EC2",
    "ecs": "AWS_ENDPOINT_URL_ECS",
    "iam": "AWS_ENDPOINT_URL_IAM",
    "ssm": "AWS_ENDPOINT_URL_SSM",
    "sts": "AWS_ENDPOINT_URL_STS",
}
_ENDPOINTS_BLOCK = re.compile(r"^  endpoints \{\n(?P<body>.*?)^  \}\n", re.M | re.S)
_ENDPOINT_LINE = re.compile(r"^\s*(?P<service>\w+)\s*=\s*(?P<value>\S+)\s*$")


def endpoint_environment(services, url):
    """{AWS_ENDPOINT_URL_<SERVICE>: url} for each provider service name."""
    unknown = sorted(set(services) - set(ENDPOINT_VARIABLES))
    if unknown:
        raise AssertionError(f"no endpoint variable known for the AWS provider's {unknown}: add them to "
                             "tfprovider.ENDPOINT_VARIABLES")
    return {ENDPOINT_VARIABLES[s]: url for s in services}


def endpoints_to_environment(tf_file, expression, url):
    """Moves the AWS provider's `endpoints` block out of tf_file (a copy of a
    configuration, in terraform fmt's layout) into the environment of a
    SharedProvider: removes the block and returns the variables that send the
    same services to url, which is what `expression` (every value in the
    block, e.g. var.aws_endpoint_url) evaluates to.

    Why: provider 5.100 validates its configuration at every graph walk (two
    in a plan, three in an apply), and its plugin framework names every
    attribute of the block by a path that holds the whole block, ~260
    services, rebuilt for each: ~3 CPU-s per walk, 8 of the ~9 that an apply
    costs the provider (perf, README "Tests"). The same services reach the
    same endpoint either way; scripts/demo (test_demo) applies the example
    with its block as it is."""
    path = pathlib.Path(tf_file)
    text = path.read_text()
    blocks = list(_ENDPOINTS_BLOCK.finditer(text))
    if len(blocks) != 1:
        raise AssertionError(f"{path}: expected one provider endpoints block, found {len(blocks)}")
    services = []
    for line in blocks[0].group("body").splitlines():
        m = _ENDPOINT_LINE.match(line)
        if not m or m.group("value") != expression:
            raise AssertionError(f"{path}: an endpoints line other than `SERVICE = {expression}`: {line!r}")
        services.append(m.group("service"))
    environ = endpoint_environment(services, url)
    path.write_text(text[:blocks[0].start()] + text[blocks[0].end():])
    return environ


def _end_with_parent():
    """In the provider's process, before exec: SIGTERM once the thread that
    started it ends (Linux prctl PR_SET_PDEATHSIG), so a test killed at its
    timeout leaves no provider behind, as terraform's own providers end with
    terraform."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: stop() is the only way out


class SharedProvider:
    """The AWS provider a `terraform init` installed in a working directory,
    started once in its debug mode and used by every terraform command that
    gets its reattach configuration (Terraform: "Debugging Providers",
    TF_REATTACH_PROVIDERS). terraform otherwise starts the provider two or
    three times per command and per `terraform test` run block, each start
    ~0.7 s of CPU spent building its schema; a reattached provider is built
    once and terraform only asks it for the schema.

    Only for configurations whose AWS provider is mocked (mock_provider) or
    configured the same way by every command, one command at a time: the
    process keeps its own environment and the last configuration it got."""

    def __init__(self, workdir, environ):
        found = sorted(pathlib.Path(workdir, ".terraform", "providers", "registry.terraform.io", "hashicorp",
                                    "aws").glob("*/*/terraform-provider-aws*"))
        if not found:
            raise AssertionError(f"no AWS provider installed in {workdir}/.terraform: run terraform init first")
        # Its output, its log (stderr: what TF_LOG_PROVIDER in environ asks
        # for) and its plugin socket, removed by stop().
        self.scratch = pathlib.Path(tempfile.mkdtemp(prefix="tf-provider-"))
        out_path = self.scratch / "provider.out"
        self.log_path = log_path = self.scratch / "provider.log"
        # Its plugin socket goes to TMPDIR: ours, removed with it.
        penv = dict(environ, TMPDIR=str(self.scratch))
        penv.pop("TF_REATTACH_PROVIDERS", None)
        # Provider 5.100 configured a second time in one process with a CA
        # bundle fails ("unable to add custom RootCAs HTTPClient"); the tests
        # reach only plain-HTTP simulators and mocks.
        penv.pop("AWS_CA_BUNDLE", None)
        with open(out_path, "wb") as out, open(log_path, "wb") as log:
            self.proc = subprocess.Popen([str(found[-1]), "-debug"], env=penv, stdout=out, stderr=log,
                                         stdin=subprocess.DEVNULL, preexec_fn=_end_with_parent)
        deadline = time.monotonic() + 120
        while True:
            m = re.search(r"^\s*TF_REATTACH_PROVIDERS='(.+)'\s*$", out_path.read_text(errors="replace"), re.M)
            if m:
                self.reattach = m.group(1)
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"{found[-1]} -debug printed no reattach configuration:\n"
                                     f"{out_path.read_text(errors='replace')[-2000:]}"
                                     f"{log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        json.loads(self.reattach)  # a clear error here rather than terraform's later
        # A test that forgets stop() still ends it, and removes its directory.
        atexit.register(self.stop)

    def environ(self, environ):
        """environ with terraform pointed at this provider."""
        return dict(environ, TF_REATTACH_PROVIDERS=self.reattach)

    def log_size(self):
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # its debug server's way out
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)
