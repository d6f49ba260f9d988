"""The shipped binary's credential handling, from the outside:

- it has no override of the container credentials host (the unit tests'
  loopback stand-in is linked into the test programs only);
- while it holds secrets it is not dumpable: another process of the same
  user cannot read its /proc/PID/environ (where AWS_SECRET_ACCESS_KEY is)
  or attach to it;
- an endpoint with plain http:// to a host other than this machine is
  refused with exit 2 before anything is sent, unless --allow-plain-http
  or ECS_ROLLOUT_ALLOW_PLAIN_HTTP=true says so; and a web identity token
  never goes over plain http beyond this machine, even then.

Nothing leaves 127.0.0.1: http_proxy points at a loopback server, which is
where a request to the remote host name would really go."""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import unittest

import testlib
from hostile import HostileServer, fixed_answer, helper_env, run_helper, stalling_answer, status_argv

NOBODY = 65534
SECRET = "NotDumpableSecretKey/0123456789abcdefABCDEF"
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwbGFpbi1odHRwIn0.PlainHttpWebIdentityToken42"


class ShippedBinary(unittest.TestCase):
    def test_has_no_container_host_override(self):
        for binary in {testlib.helper_bin(sanitized=False), testlib.helper_bin()}:
            data = pathlib.Path(binary).read_bytes()
            with self.subTest(binary=binary):
                self.assertIn(b"169.254.170.2", data)
                for name in (b"CONTAINER_HOST", b"CONTAINER_CREDENTIALS_HOST"):
                    self.assertNotIn(name, data, f"{binary} can send the container token elsewhere")
        # The unit tests do have it: the check above would see it.
        unit = testlib.ROOT / "helper" / "build" / "tests" / "test_creds_http"
        self.assertTrue(unit.exists(), f"{unit} is missing: build the tests first")
        self.assertIn(b"ECS_ROLLOUT_TEST_CONTAINER_HOST", unit.read_bytes())


class NotDumpable(unittest.TestCase):
    def test_its_environment_and_memory_are_closed_to_the_same_user(self):
        if not shutil.which("setpriv"):
            self.fail("setpriv (util-linux) is missing: the test runs the helper as another user")
        if os.getuid() != 0:
            self.fail("this test runs as root, to start the helper and the reader as user nobody")
        with tempfile.TemporaryDirectory() as d:
            # A copy that user nobody may run.
            os.chmod(d, 0o755)
            binary = os.path.join(d, "ecs-rollout")
            shutil.copy(testlib.helper_bin(sanitized=False), binary)
            os.chmod(binary, 0o755)
            as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
            env = helper_env({"AWS_SECRET_ACCESS_KEY": SECRET, "HOME": d})
            with HostileServer(stalling_answer) as s:
                proc = subprocess.Popen(as_nobody + status_argv(s.endpoint, binary), env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    self.assertTrue(s.stalled.wait(timeout=120), "the helper never called")
                    # The helper holds its credentials now, waiting on the answer.
                    reader = subprocess.run(
                        as_nobody + ["sh", "-c", f"cat /proc/{proc.pid}/environ; echo; "
                                                 f"grep -c . /proc/{proc.pid}/maps"],
                        capture_output=True, text=True, timeout=60)
                finally:
                    proc.send_signal(signal.SIGTERM)
                    out, err = proc.communicate(timeout=60)
        self.assertNotIn(SECRET, reader.stdout, "another process of the same user read the secret")
        self.assertIn("Permission denied", reader.stderr)
        self.assertEqual(proc.returncode, 4, err)


class PlainHttp(unittest.TestCase):
    REMOTE = "http://aws.example.invalid:8080/"

    def run_via_proxy(self, *args, env=None):
        with HostileServer(fixed_answer(b"<NotAws/>")) as proxy:
            e = helper_env({"http_proxy": proxy.endpoint, **(env or {})})
            e.pop("no_proxy", None)
            e.pop("NO_PROXY", None)
            r = run_helper(status_argv(self.REMOTE) + list(args), e, timeout=120)
            return r, list(proxy.requests)

    def test_refused_before_anything_is_sent(self):
        r, sent = self.run_via_proxy()
        self.assertEqual(r.rc, 2, r)
        self.assertIn(f"the Auto Scaling endpoint {self.REMOTE} (from --endpoint-url) is plain http:// to "
                      "aws.example.invalid, which is not this machine", r.stderr)
        self.assertIn("--allow-plain-http", r.stderr)
        self.assertEqual(sent, [])

    def test_allowed_by_the_option_or_the_variable(self):
        for how, args, env in (("option", ["--allow-plain-http"], None),
                               ("variable", [], {"ECS_ROLLOUT_ALLOW_PLAIN_HTTP": "true"})):
            with self.subTest(how=how):
                r, sent = self.run_via_proxy(*args, env=env)
                self.assertEqual(len(sent), 1, r)
                self.assertTrue(sent[0].startswith(b"POST http://aws.example.invalid:8080/ HTTP/1.1"), sent[0][:200])
                self.assertEqual(r.rc, 3, r)  # the answer is no AWS answer

    def test_a_web_identity_token_never_goes_over_plain_http_beyond_this_machine(self):
        with tempfile.TemporaryDirectory() as d:
            token = os.path.join(d, "token")
            with open(token, "w") as f:
                f.write(WEB_TOKEN)
            with HostileServer(fixed_answer(b"<NotAws/>")) as proxy:
                e = helper_env({"http_proxy": proxy.endpoint, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
                                "AWS_WEB_IDENTITY_TOKEN_FILE": token})
                for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                    e.pop(k, None)
                r = run_helper(status_argv(self.REMOTE) + ["--allow-plain-http"], e, timeout=120)
                sent = list(proxy.requests)
        self.assertFalse(any(WEB_TOKEN.encode() in req for req in sent), "the token went over plain http")
        self.assertEqual([req for req in sent if b"AssumeRoleWithWebIdentity" in req], [])
        self.assertIn("AssumeRoleWithWebIdentity failed: the STS endpoint http://aws.example.invalid:8080/", r.stderr)
        self.assertIn("tokens are never sent unencrypted beyond this machine", r.stderr)
        self.assertNotIn(WEB_TOKEN, r.stderr + r.stdout)
        self.assertEqual(r.rc, 2, r)


if __name__ == "__main__":
    testlib.main()
