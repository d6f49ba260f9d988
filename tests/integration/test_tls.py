"""TLS: the helper talks HTTPS only to servers whose certificate it can
verify. A TLS-terminating proxy with a self-signed certificate on 127.0.0.1
fronts the simulator (tlsproxy.py): without AWS_CA_BUNDLE the helper refuses
it (exit 3, a clear error, not a single request forwarded); with
AWS_CA_BUNDLE naming that certificate plan, status and a whole rollout work.
A certificate for another host name, or a bundle holding another
certificate, is refused too.

No option or variable quietly disables verification. The code was checked
(test_the_code_never_turns_verification_off repeats it): CURLOPT_SSL_VERIFYPEER
and CURLOPT_SSL_VERIFYHOST are set in one place only, aws/http.c http_send(),
to 1L and 2L on every request (after curl_easy_reset), with the comment that
there is no way to turn them off; no other CURLOPT_*SSL*/CURLSSLOPT_* option
and no proxy-verification option is set; the only TLS input is the CA bundle
(the http_options field, else AWS_CA_BUNDLE), which adds trust and cannot
remove verification; the command line has no such option. Variables other
tools read (CURL_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE,
GIT_SSL_NO_VERIFY, NODE_TLS_REJECT_UNAUTHORIZED, PYTHONHTTPSVERIFY) and a
~/.curlrc with "insecure" change nothing (test_other_tools_settings_change_nothing)."""
import os
import pathlib
import re
import subprocess
import tempfile
import unittest

import testlib
import tlsproxy
from rollout import Checks, helper_env, new_template_version, scenario, simulator

SRC = testlib.ROOT / "helper" / "src"


class TLS(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.cert, cls.key = tlsproxy.make_cert(d, "server")
        cls.other_cert, _ = tlsproxy.make_cert(d, "other")
        cls.wrong_name_cert, cls.wrong_name_key = tlsproxy.make_cert(d, "elsewhere", san="DNS:elsewhere.example")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def helper(self, sim, proxy, *args, env=None, flag=False):
        e = helper_env(sim, env)
        cmd = [testlib.helper_bin(), *args, "--asg-name", "prod-asg", "--cluster-name", "prod"]
        if flag:
            cmd += ["--endpoint-url", proxy.endpoint]
        else:
            e["AWS_ENDPOINT_URL"] = proxy.endpoint
        return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=300)

    def assertRefused(self, r, proxy, why="certificate"):
        self.assertEqual(r.returncode, 3, r)
        # plan/status say it on stderr; a rollout in text mode ends its output with it.
        out = r.stderr + r.stdout
        self.assertRegex(out, rf"TLS with 127\.0\.0\.1:{proxy.port} failed: .*{why}")
        self.assertIn("point AWS_CA_BUNDLE at its CA certificate", out)
        self.assertEqual(proxy.forwarded, 0, "a request went through")

    def test_a_self_signed_server_is_refused_without_a_bundle(self):
        with simulator(scenario(instances=2, tasks=2)) as sim:
            new_template_version(sim)
            with tlsproxy.TLSProxy(sim.endpoint, self.cert, self.key) as proxy:
                for args, flag in ((["plan"], False), (["status"], True), (["rollout", "--yes"], False)):
                    with self.subTest(args=args):
                        r = self.helper(sim, proxy, *args, flag=flag)
                        self.assertRefused(r, proxy, "self-signed certificate")
            self.assertEqual(sim.ledger(timeline=False)["desired_capacity_changes"], [])

    def test_with_the_bundle_plan_status_and_a_rollout_work(self):
        with simulator(scenario(instances=2, tasks=4)) as sim:
            v = new_template_version(sim)
            with tlsproxy.TLSProxy(sim.endpoint, self.cert, self.key) as proxy:
                bundle = {"AWS_CA_BUNDLE": str(self.cert)}
                r = self.helper(sim, proxy, "plan", env=bundle)
                self.assertEqual(r.returncode, 0, r)
                self.assertIn("Group prod-asg in cluster prod: 2 instance(s)", r.stdout)
                r = self.helper(sim, proxy, "status", env=bundle, flag=True)
                self.assertEqual(r.returncode, 0, r)
                self.assertIn("prod-asg", r.stdout)
                r = self.helper(sim, proxy, "rollout", "--yes", "--poll-interval", "0.05", "--output", "json",
                                env=bundle)
                self.assertEqual(r.returncode, 0, r)
                self.assertGreater(proxy.forwarded, 10)
            self.assertZeroDowntime(sim)
            self.assertAllCurrent(sim, v)
            self.assertClean(sim, desired=2)

    def test_another_certificate_or_another_host_name_is_refused(self):
        with simulator(scenario(instances=1, tasks=1)) as sim:
            with tlsproxy.TLSProxy(sim.endpoint, self.cert, self.key) as proxy:
                r = self.helper(sim, proxy, "plan", env={"AWS_CA_BUNDLE": str(self.other_cert)})
                self.assertRefused(r, proxy)
            with tlsproxy.TLSProxy(sim.endpoint, self.wrong_name_cert, self.wrong_name_key) as proxy:
                # Trusted, but issued for elsewhere.example, not 127.0.0.1.
                r = self.helper(sim, proxy, "plan", env={"AWS_CA_BUNDLE": str(self.wrong_name_cert)})
                self.assertRefused(r, proxy, "127.0.0.1")

    def test_an_unreadable_bundle_is_a_clear_error(self):
        with simulator(scenario(instances=1, tasks=1)) as sim:
            with tlsproxy.TLSProxy(sim.endpoint, self.cert, self.key) as proxy:
                missing = os.path.join(self.tmp.name, "missing.pem")
                r = self.helper(sim, proxy, "plan", env={"AWS_CA_BUNDLE": missing})
                self.assertEqual(r.returncode, 3, r)
                self.assertIn(f"AWS_CA_BUNDLE names the CA bundle {missing}, which cannot be read", r.stderr)
                self.assertEqual(proxy.forwarded, 0)

    def test_other_tools_settings_change_nothing(self):
        home = pathlib.Path(self.tmp.name, "home")
        home.mkdir(exist_ok=True)
        (home / ".curlrc").write_text("insecure\n")
        relaxing = {"CURL_CA_BUNDLE": str(self.cert), "SSL_CERT_FILE": str(self.cert),
                    "SSL_CERT_DIR": self.tmp.name, "REQUESTS_CA_BUNDLE": str(self.cert),
                    "GIT_SSL_NO_VERIFY": "1", "NODE_TLS_REJECT_UNAUTHORIZED": "0", "PYTHONHTTPSVERIFY": "0",
                    "HOME": str(home), "CURL_HOME": str(home)}
        with simulator(scenario(instances=1, tasks=1)) as sim:
            with tlsproxy.TLSProxy(sim.endpoint, self.cert, self.key) as proxy:
                r = self.helper(sim, proxy, "plan", env=relaxing)
                self.assertRefused(r, proxy, "self-signed certificate")

    def test_the_code_never_turns_verification_off(self):
        sets = {}
        for path in SRC.rglob("*.[ch]"):
            text = path.read_text()
            for m in re.finditer(r"curl_easy_setopt\([^,]+,\s*(CURLOPT_\w*(?:SSL|TLS|CAINFO|CAPATH|PINNED)\w*)"
                                 r"\s*,\s*([^)]+)\)", text):
                sets.setdefault(m.group(1), set()).add((path.relative_to(SRC).as_posix(), m.group(2).strip()))
        self.assertEqual(sets.pop("CURLOPT_SSL_VERIFYPEER"), {("aws/http.c", "1L")})
        self.assertEqual(sets.pop("CURLOPT_SSL_VERIFYHOST"), {("aws/http.c", "2L")})
        self.assertEqual(sets.pop("CURLOPT_CAINFO"), {("aws/http.c", "c->ca_bundle")})
        self.assertEqual(sets, {}, "other TLS settings")
        for path in SRC.rglob("*.[ch]"):
            text = path.read_text()
            self.assertNotIn("CURLSSLOPT_", text, path)
            self.assertNotRegex(text, r"VERIFY(PEER|HOST)[^;]*0L", path)
        options = (SRC / "cli" / "options.def").read_text().lower()
        for word in ("insecure", "no-verify", "verify-ssl", "ssl", "tls", "certificate"):
            self.assertNotIn(word, options)


if __name__ == "__main__":
    testlib.main()
