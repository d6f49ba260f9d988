"""The rollout IAM policy exactly as modules/ecs-cluster outputs it
(rollout_iam_policy_json), rendered offline for a given cluster: Terraform
applies a tiny configuration that uses the module, against the module's own
mocked AWS provider with the cluster's ARN overridden, and a local-exec
provisioner writes the output to a file. Nothing is copied from the module."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import stack
import testlib

MODULE = testlib.ROOT / "modules" / "ecs-cluster"

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "out" {
  type = string
}

module "cluster" {
  source                = "%(module)s"
  cluster_name          = "%(cluster)s"
  cluster_instance_type = "m5.large"
  cluster_instance_ami  = "ami-0a0a0a0a0a0a0a0a0"
  cluster_min_size      = 0
  cluster_max_size      = 4
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_subnet_ids        = ["subnet-0123456789abcdef0"]
  rollout_enabled       = false
  # The module's default: a capacity provider with managed scaling,
  # termination protection and draining (issue 12).
}

resource "terraform_data" "policy" {
  input = module.cluster.rollout_iam_policy_json
  provisioner "local-exec" {
    command     = "printf '%%s' \\"$POLICY\\" > \\"$OUT\\""
    environment = { POLICY = self.input, OUT = var.out }
  }
}
"""

TEST_HCL = """
mock_provider "aws" {
  source = "%(module)s/tests/mocks"
}

override_resource {
  target = module.cluster.aws_ecs_cluster.this
  values = { arn = "arn:aws:ecs:%(region)s:%(account)s:cluster/%(cluster)s" }
}

run "render" {
  command = apply
}
"""


def plugin_dir():
    """The Terraform provider mirror, found as tests/lib/stack.py finds it."""
    return stack.plugin_dir()


def render(cluster, region="us-east-1", account="123456789012"):
    """The policy document (a dict) for this cluster; the module names its
    Auto Scaling group after the cluster."""
    if not shutil.which("terraform"):
        raise AssertionError("terraform is not on PATH: the least-privilege test renders the module's policy with it")
    values = {"module": str(MODULE), "cluster": cluster, "region": region, "account": account}
    with tempfile.TemporaryDirectory(prefix="module-policy-") as d:
        d = pathlib.Path(d)
        (d / "main.tf").write_text(MAIN_TF % values)
        (d / "render.tftest.hcl").write_text(TEST_HCL % values)
        (d / "terraformrc").write_text("")
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(d / "terraformrc"), CHECKPOINT_DISABLE="1",
                   TF_IN_AUTOMATION="1", TF_INPUT="0")
        for var in ("TF_DATA_DIR", "TF_PLUGIN_CACHE_DIR", "TF_LOG", "TF_WORKSPACE"):
            env.pop(var, None)
        out = d / "policy.json"
        for args in (["init", "-no-color", f"-plugin-dir={plugin_dir()}"],
                     ["test", "-no-color", "-var", f"out={out}"]):
            p = subprocess.run(["terraform", *args], cwd=d, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=600)
            if p.returncode != 0:
                raise AssertionError(f"terraform {args[0]} failed:\n{p.stdout[-4000:]}")
        return json.loads(out.read_text())


def actions(policy):
    """Every action the policy names, in order."""
    out = []
    for st in policy["Statement"]:
        for a in st["Action"] if isinstance(st["Action"], list) else [st["Action"]]:
            if a not in out:
                out.append(a)
    return out


def without(policy, action):
    """The policy with one action taken out (a statement left with none goes)."""
    p = json.loads(json.dumps(policy))
    kept = []
    for st in p["Statement"]:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        acts = [a for a in acts if a != action]
        if acts:
            st["Action"] = acts
            kept.append(st)
    p["Statement"] = kept
    return p
