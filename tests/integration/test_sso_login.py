"""The helper's binary with an IAM Identity Center (SSO) profile, as a person
who ran `aws sso login` uses it: the token cache in ~/.aws/sso/cache (named
by the SHA-1 of the sso-session's name), a loopback SSO portal that answers
GetRoleCredentials with credentials the simulator's STS issued, and the
simulator authenticating every request (iam_auth=True), so the rollout
commands work only with the credentials the portal handed out. The profile
comes from --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE; a missing or expired
login ends with exit code 3 and the AWS CLI's advice. No token or secret
appears in the output, even at -vv."""
# tier: quick  (make check: a few seconds)
import datetime
import hashlib
import http.server
import json
import pathlib
import subprocess
import tempfile
import threading
import unittest

import testlib
from rollout import helper_env, scenario
from sim import Simulator

ACCOUNT = "123456789012"
ROLE = "roller"
ACCESS_TOKEN = "aoaAAAAAGWhSsoAccessTokenThatMustNeverBePrinted0123456789"
START_URL = "https://d-1234567890.awsapps.com/start"


class Portal(http.server.ThreadingHTTPServer):
    """GET /federation/credentials as the SSO portal answers it."""

    def __init__(self, mint):
        self.mint = mint
        self.calls = []
        super().__init__(("127.0.0.1", testlib.free_port()), PortalHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class PortalHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        from urllib.parse import parse_qs, urlsplit
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        self.server.calls.append((u.path, q, self.headers.get("x-amz-sso_bearer_token")))
        if u.path != "/federation/credentials":
            return self.answer(404, {"message": "no such route"}, "ResourceNotFoundException")
        if self.headers.get("x-amz-sso_bearer_token") != ACCESS_TOKEN:
            return self.answer(401, {"message": "Session token not found or invalid"}, "UnauthorizedException")
        if q.get("account_id") != [ACCOUNT] or q.get("role_name") != [ROLE]:
            return self.answer(403, {"message": "No access"}, "ForbiddenException")
        c = self.server.mint()
        self.answer(200, {"roleCredentials": {
            "accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
            "sessionToken": c["SessionToken"], "expiration": int(c["Expiration"].timestamp() * 1000)}})

    def answer(self, status, body, error_type=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class SsoLogin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.home = pathlib.Path(cls.tmp.name)
        cls.sim = Simulator(scenario=scenario(instances=1, tasks=1), time_scale=0.01, iam_auth=True).start()
        iam = cls.sim.client("iam")
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName=ROLE, PolicyName="rollout", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        sts = cls.sim.client("sts")
        cls.minted = []

        def mint():
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
                                RoleSessionName="sso")["Credentials"]
            cls.minted.append(c)
            return c
        cls.portal = Portal(mint)
        (cls.home / ".aws" / "sso" / "cache").mkdir(parents=True)
        cls.config = cls.home / ".aws" / "config"
        cls.config.write_text(
            f"[profile sso-dev]\nsso_session = corp\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\n"
            f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n")

    @classmethod
    def tearDownClass(cls):
        cls.portal.stop()
        cls.sim.stop()
        cls.tmp.cleanup()

    def login(self, expires_in):
        """What `aws sso login --profile sso-dev` leaves behind."""
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
        name = hashlib.sha1(b"corp").hexdigest() + ".json"
        (self.home / ".aws" / "sso" / "cache" / name).write_text(json.dumps({
            "startUrl": START_URL, "region": "us-east-1", "accessToken": ACCESS_TOKEN,
            "expiresAt": when.strftime("%Y-%m-%dT%H:%M:%SZ")}))

    def status(self, *flags, **env):
        e = helper_env(self.sim, {"HOME": str(self.home), "AWS_CONFIG_FILE": str(self.config),
                                  "AWS_ENDPOINT_URL_SSO": self.portal.url, **env})
        # No keys in the environment: the SSO profile must supply them.
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            e.pop(k, None)
        return subprocess.run([testlib.helper_bin(), "status", "--asg-name", "prod-asg", "--cluster-name", "prod",
                               "--output", "json", *flags], env=e, capture_output=True, text=True, timeout=300)

    def assert_no_secret(self, p):
        secrets = [ACCESS_TOKEN] + [s for c in self.minted for s in (c["SecretAccessKey"], c["SessionToken"])]
        for secret in secrets:
            for piece in {secret} | {secret[i:i + 16] for i in range(0, max(1, len(secret) - 16), 8)}:
                self.assertNotIn(piece, p.stdout + p.stderr, "a secret in the helper's output")

    def test_profile_from_flag_aws_profile_and_aws_default_profile(self):
        self.login(3600)
        for flags, env in ((["--profile", "sso-dev"], {}), ([], {"AWS_PROFILE": "sso-dev"}),
                           ([], {"AWS_DEFAULT_PROFILE": "sso-dev"})):
            with self.subTest(flags=flags, env=env):
                before = len(self.portal.calls)
                p = self.status("-vv", *flags, **env)
                self.assertEqual(p.returncode, 0, p.stderr[-3000:])
                self.assertEqual(json.loads(p.stdout)["asg_name"], "prod-asg")
                self.assertEqual(len(self.portal.calls), before + 1)
                path, query, bearer = self.portal.calls[-1]
                self.assertEqual((path, query["account_id"], query["role_name"]),
                                 ("/federation/credentials", [ACCOUNT], [ROLE]))
                self.assertEqual(bearer, ACCESS_TOKEN)
                self.assert_no_secret(p)

    def test_missing_or_expired_login_says_run_aws_sso_login(self):
        cache = self.home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")
        cache.unlink(missing_ok=True)
        p = self.status("--profile", "sso-dev")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("To refresh this SSO session run aws sso login --profile sso-dev", p.stderr)
        self.login(-60)
        before = len(self.portal.calls)
        p = self.status("-vv", AWS_PROFILE="sso-dev")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("the cached token has expired", p.stderr)
        self.assertIn("run aws sso login --profile sso-dev", p.stderr)
        self.assertEqual(len(self.portal.calls), before)  # an expired token is not sent
        self.assert_no_secret(p)


if __name__ == "__main__":
    testlib.main()
