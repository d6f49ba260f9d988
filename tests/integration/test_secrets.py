"""Secrets never leave the helper: its binary runs at every verbosity (-q,
default, -v, -vv) and output mode (text, json), with credentials from the
environment (secret key + session token), from a credential_process, and from
web identity (a token file and STS - the simulator's), through a successful
rollout, AWS errors (throttling, 5xx, a group that does not exist) and
bad-credential errors, with a --report; no secret key, session token or web
identity token - nor the credentials STS handed out - appears in stdout,
stderr, a report or the simulator's ledger. The files the helper creates (the
reports; it keeps no cache or state file) are owner-only, and it runs with
core dumps off, so its memory (credentials included) never lands on disk.

The simulator authenticates every request here (iam_auth=True): a wrong secret
is refused by signature, as AWS does."""
import json
import os
import pathlib
import signal
import stat
import subprocess
import sys
import tempfile
import unittest

import testlib
from rollout import helper_env, new_template_version, scenario
from sim import Simulator

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/roller"
VERBOSITY = {"quiet": ["-q"], "default": [], "verbose": ["-v"], "trace": ["-vv"]}
OUTPUTS = ("text", "json")
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWItaWRlbnRpdHktc2VjcmV0In0.WebIdentitySignatureSecret42"
WRONG_SECRET = "WrongSecretKeyThatMustNeverBePrinted/0123+4567"


def assumed_role_secrets():
    """Every secret key and session token STS (the simulator's moto) handed out."""
    from moto.sts.models import sts_backends
    out = set()
    for region in sts_backends[ACCOUNT]:
        for role in sts_backends[ACCOUNT][region].assumed_roles:
            out.update([role.secret_access_key, role.session_token])
    return out


class Secrets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        base = pathlib.Path(cls.tmp.name)
        cls.work, cls.home, cls.tmpdir, cls.private = (base / n for n in ("work", "home", "tmp", "private"))
        for d in (cls.work, cls.home, cls.tmpdir, cls.private):
            d.mkdir()
        cls.sim = Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01, iam_auth=True).start()
        iam = cls.sim.client("iam")
        iam.create_role(RoleName="roller", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*", "Federated": "accounts.example"},
                "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]}]}))
        iam.put_role_policy(RoleName="roller", PolicyName="rollout", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        sts = cls.sim.client("sts")
        cls.env_creds = sts.assume_role(RoleArn=ROLE, RoleSessionName="from-env")["Credentials"]
        process_creds = sts.assume_role(RoleArn=ROLE, RoleSessionName="from-process")["Credentials"]
        # credential_process: a script that prints what a file holds.
        cls.process_out = cls.private / "process.json"
        cls.write_private(cls.process_out, json.dumps({
            "Version": 1, "AccessKeyId": process_creds["AccessKeyId"],
            "SecretAccessKey": process_creds["SecretAccessKey"], "SessionToken": process_creds["SessionToken"],
            "Expiration": process_creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}))
        script = cls.private / "creds.py"
        script.write_text("import sys\nsys.stdout.write(open(sys.argv[1]).read())\n")
        cls.config = cls.private / "config"
        cls.write_private(cls.config, f"[default]\ncredential_process = {sys.executable} {script} {cls.process_out}\n")
        cls.token_file = cls.private / "token"
        cls.write_private(cls.token_file, WEB_TOKEN)
        cls.secrets = {WEB_TOKEN, WRONG_SECRET, cls.env_creds["SecretAccessKey"], cls.env_creds["SessionToken"],
                       process_creds["SecretAccessKey"], process_creds["SessionToken"]}
        cls.reports = []
        cls.transcripts = []

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    @staticmethod
    def write_private(path, text):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def env_for(self, source, bad=False):
        env = helper_env(self.sim, {"HOME": str(self.home), "TMPDIR": str(self.tmpdir)})
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(k, None)
        if source == "environment":
            c = self.env_creds
            env.update(AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=WRONG_SECRET if bad else
                       c["SecretAccessKey"], AWS_SESSION_TOKEN=c["SessionToken"])
        elif source == "process":
            out = self.process_out
            if bad:
                out = self.private / "process-bad.json"
                data = json.loads(self.process_out.read_text())
                data["SecretAccessKey"] = WRONG_SECRET
                self.write_private(out, json.dumps(data))
            env["AWS_CONFIG_FILE"] = str(self.private / ("config-bad" if bad else "config"))
            if bad:
                self.write_private(self.private / "config-bad", self.config.read_text().replace(
                    str(self.process_out), str(out)))
        else:
            env.update(AWS_ROLE_ARN=ROLE, AWS_ROLE_SESSION_NAME="web-identity",
                       AWS_WEB_IDENTITY_TOKEN_FILE=str(self.private / "no-such-token") if bad else
                       str(self.token_file))
        return env

    def helper(self, env, *args):
        p = subprocess.run([testlib.helper_bin(), *args], cwd=self.work, env=env, capture_output=True, text=True,
                           timeout=300)
        self.transcripts.append((args, p.stdout, p.stderr))
        return p

    def matrix(self, source, case):
        """Runs one case at every verbosity and output; returns the exit codes."""
        codes = set()
        for vname, vflags in VERBOSITY.items():
            for output in OUTPUTS:
                report = self.work / f"report-{source}-{case}-{vname}-{output}.html"
                common = ["--cluster-name", "prod", "--output", output, "--poll-interval", "0.05",
                          "--report", str(report), *vflags]
                if case == "success":
                    new_template_version(self.sim)
                    p = self.helper(self.env_for(source), "rollout", "--asg-name", "prod-asg", *common)
                    self.assertEqual(p.returncode, 0, p)
                elif case == "aws-errors":
                    self.sim.set_faults({"seed": 3, "api": [
                        {"action": "autoscaling:DescribeAutoScalingGroups", "throttle": 1.0, "times": 2},
                        {"action": "autoscaling:DescribeAutoScalingGroups", "error": 1.0, "error_status": 503,
                         "times": 1}]}, replace=True)
                    p = self.helper(self.env_for(source), "rollout", "--asg-name", "no-such-group", *common)
                    self.sim.clear_faults()
                    self.assertEqual(p.returncode, 1, p)  # refused: no such group
                    self.assertIn("no-such-group", p.stdout + p.stderr)
                else:
                    p = self.helper(self.env_for(source, bad=True), "rollout", "--asg-name", "prod-asg", *common)
                    self.assertEqual(p.returncode, 3, p)
                    self.assertRegex(p.stdout + p.stderr, "SignatureDoesNotMatch|web identity token|token file")
                codes.add(p.returncode)
                if report.exists():
                    self.reports.append(report)
        return codes

    def test_1_every_source_case_verbosity_and_output(self):
        for source in ("environment", "process", "web-identity"):
            for case in ("success", "aws-errors", "bad-credentials"):
                with self.subTest(source=source, case=case):
                    self.matrix(source, case)
        self.assertGreaterEqual(len(self.transcripts), 3 * 3 * 8)
        # -vv printed requests and answers, so the check below looked at them.
        traced = [t for t in self.transcripts if "-vv" in t[0]]
        self.assertTrue(any("request body" in err for _, _, err in traced))
        self.assertTrue(any("AssumeRoleWithWebIdentity" in err for _, _, err in traced))
        secrets = self.secrets | assumed_role_secrets()
        self.assertGreater(len(secrets), 8)
        places = [(f"stdout of {a}", out) for a, out, _ in self.transcripts]
        places += [(f"stderr of {a}", err) for a, _, err in self.transcripts]
        places += [(str(r), r.read_text()) for r in self.reports]
        places.append(("the ledger", json.dumps(self.sim.ledger(timeline=True), default=str)))
        self.assertGreater(len(self.reports), 20)
        for where, text in places:
            for secret in secrets:
                # The whole value, and any 16 characters of it in a row.
                pieces = {secret} | {secret[i:i + 16] for i in range(0, max(1, len(secret) - 16), 8)}
                for piece in pieces:
                    self.assertNotIn(piece, text, f"a secret ({secret[:4]}...) in {where}")

    def test_2_files_the_helper_creates_are_owner_only(self):
        # Runs after test_1 (unittest sorts by name): every file in the helper's
        # working directory, home and TMPDIR is one of its reports.
        if not self.reports:
            self.matrix("environment", "success")
        made = [p for d in (self.work, self.home, self.tmpdir) for p in d.rglob("*")]
        self.assertEqual(sorted(made), sorted(set(self.reports)))
        for path in made:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode, 0o600, f"{path} is {oct(mode)}")

    def test_3_core_dumps_are_off(self):
        new_template_version(self.sim)
        env = self.env_for("environment")
        proc = subprocess.Popen([testlib.helper_bin(), "rollout", "--asg-name", "prod-asg", "--cluster-name", "prod",
                                 "--output", "json", "--poll-interval", "0.05"], cwd=self.work, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The limit is set first thing; by its first AWS call it is in force.
            calls = lambda: sum(self.sim.ledger(timeline=False)["api_calls"].values())  # noqa: E731
            before = calls()
            self.sim.wait_until(lambda: calls() > before or proc.poll() is not None, timeout=60)
            limits = pathlib.Path(f"/proc/{proc.pid}/limits").read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        line = next(ln for ln in limits.splitlines() if ln.startswith("Max core file size"))
        self.assertEqual(line.split()[4:6], ["0", "0"], line)


if __name__ == "__main__":
    testlib.main()
