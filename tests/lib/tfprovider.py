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
