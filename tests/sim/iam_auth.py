"""IAM authorization as AWS does it, for the simulator's authenticated mode
(Simulator(iam_auth=True)).

moto 5.2.1 authenticates requests once INITIAL_NO_AUTH_ACTION_COUNT is
reached, but it authorizes every Auto Scaling, ECS and EC2 action against the
resource "*" (BaseResponse.call_action: only SQS, IAM and STS define
_determine_resource), and of the condition operators it knows only
StringEquals - the others pass, and a failed condition on an Allow denies
outright. A least-privilege policy scoped to one cluster and one group is then
denied where AWS allows it, and its conditions are never checked. Here:

- each action the rollout helper calls is authorized against the ARNs AWS
  authorizes it against (the group for Auto Scaling writes, each container
  instance, task, service or cluster for ECS), with the condition keys AWS
  supplies (ecs:cluster, aws:TagKeys, aws:RequestTag/KEY);
- identity policies are evaluated as IAM does: an explicit Deny wins, else
  every resource needs an Allow; Action/NotAction, Resource/NotResource,
  wildcards, and the String*, Arn*, Bool and Null operators with
  ForAllValues:/ForAnyValue: and ...IfExists (anything else is refused loudly);
- denials come back as AWS sends them: AccessDenied (Query, HTTP 403),
  UnauthorizedOperation (EC2, 403), AccessDeniedException (ECS JSON, 400),
  naming the action and the resource; ECS also gets its JSON shapes for bad
  signatures and unknown keys (moto sends the Query XML).

Requests signed with the simulator's own dummy key act as the account's root
user (no policy applies): the scenario, the tests' boto3 clients and their
IAM set-up keep working. moto still checks every other signature."""
import json
import re
import uuid

from werkzeug.exceptions import HTTPException

JSON_SERVICES = {"ecs"}
UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}


class AuthError(HTTPException):
    """An authentication or authorization failure, with AWS's body."""

    def __init__(self, code, body):
        super().__init__(description=body)
        self.code = code


class PolicyError(Exception):
    """A policy the evaluator cannot evaluate faithfully."""


IAM_PREFIXES = {"monitoring": "cloudwatch"}


def _request_id():
    return str(uuid.uuid4())


def denial(service, action, principal, resource, explicit):
    why = ("with an explicit deny in an identity-based policy" if explicit
           else f"because no identity-based policy allows the {action} action")
    on = f" on resource: {resource}" if resource != "*" else ""
    msg = f"User: {principal} is not authorized to perform: {action}{on} {why}"
    if service in JSON_SERVICES:
        return AuthError(400, json.dumps({"__type": "AccessDeniedException", "message": msg}))
    if service == "ec2":
        return AuthError(403, (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                               f"<Code>UnauthorizedOperation</Code><Message>You are not authorized to perform "
                               f"this operation. {_xml(msg)}</Message></Error></Errors>"
                               f"<RequestID>{_request_id()}</RequestID></Response>"))
    return AuthError(403, (f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                           f"<Message>{_xml(msg)}</Message></Error><RequestId>{_request_id()}</RequestId>"
                           f"</ErrorResponse>"))


def _xml(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- what a request touches --------------------------------------------------------------

def _asg_arn(resp, name):
    from moto.autoscaling.models import autoscaling_backends
    g = autoscaling_backends[resp.current_account][resp.region].autoscaling_groups.get(name)
    if g is not None:
        return g.arn
    return f"arn:aws:autoscaling:{resp.region}:{resp.current_account}:autoScalingGroup:*:autoScalingGroupName/{name}"


def _asg_of_instance(resp, instance_id):
    from moto.autoscaling.models import autoscaling_backends
    for g in autoscaling_backends[resp.current_account][resp.region].autoscaling_groups.values():
        if any(s.instance.id == instance_id for s in g.instance_states):
            return g.arn
    return "*"


def _members(qs, prefix, field):
    """Values of PREFIX.member.N.FIELD (or PREFIX.member.N when field is None), in order."""
    out = {}
    pat = re.compile(re.escape(prefix) + r"\.member\.(\d+)" + (r"\." + re.escape(field) if field else "") + "$")
    for k, v in qs.items():
        m = pat.match(k)
        if m:
            out[int(m.group(1))] = v[0] if isinstance(v, list) else v
    return [out[i] for i in sorted(out)]


ASG_GROUP_ACTIONS = {
    "SetDesiredCapacity", "UpdateAutoScalingGroup", "SuspendProcesses", "ResumeProcesses",
    "DetachInstances", "AttachInstances", "SetInstanceProtection", "DeleteAutoScalingGroup",
    "EnterStandby", "ExitStandby", "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat",
    "PutLifecycleHook", "DeleteLifecycleHook", "PutScalingPolicy", "StartInstanceRefresh",
}


def _autoscaling(resp, action):
    qs = resp.querystring
    if action in ASG_GROUP_ACTIONS:
        name = (qs.get("AutoScalingGroupName") or [""])[0]
        return [_asg_arn(resp, name)], {}
    if action == "TerminateInstanceInAutoScalingGroup":
        return [_asg_of_instance(resp, (qs.get("InstanceId") or [""])[0])], {}
    if action in ("CreateOrUpdateTags", "DeleteTags"):
        groups = _members(qs, "Tags", "ResourceId")
        keys = _members(qs, "Tags", "Key")
        ctx = {"aws:TagKeys": keys}
        if action == "CreateOrUpdateTags":
            for k, v in zip(keys, _members(qs, "Tags", "Value")):
                ctx[f"aws:RequestTag/{k}"] = [v]
        return sorted({_asg_arn(resp, g) for g in groups}) or ["*"], ctx
    return ["*"], {}


def _ecs_arn(resp, kind, cluster, ref):
    if ref.startswith("arn:"):
        return ref
    base = f"arn:aws:ecs:{resp.region}:{resp.current_account}"
    if kind == "cluster":
        return f"{base}:cluster/{ref}"
    if kind == "capacity-provider":
        return f"{base}:capacity-provider/{ref}"
    return f"{base}:{kind}/{cluster}/{ref}"


def _ecs(resp, action):
    try:
        body = json.loads(resp.body or "{}")
    except (TypeError, ValueError):
        body = {}
    cluster_ref = body.get("cluster") or "default"
    cluster = cluster_ref.split("/")[-1] if cluster_ref.startswith("arn:") else cluster_ref
    cluster_arn = _ecs_arn(resp, "cluster", cluster, cluster_ref)
    ctx = {"ecs:cluster": [cluster_arn]}
    lists = {"DescribeContainerInstances": ("containerInstances", "container-instance"),
             "UpdateContainerInstancesState": ("containerInstances", "container-instance"),
             "DescribeTasks": ("tasks", "task"),
             "DescribeServices": ("services", "service")}
    if action in lists:
        field, kind = lists[action]
        refs = body.get(field) or []
        return [_ecs_arn(resp, kind, cluster, r) for r in refs] or ["*"], ctx
    if action == "StopTask":
        return [_ecs_arn(resp, "task", cluster, body.get("task") or "")], ctx
    if action in ("ListContainerInstances", "DeleteCluster", "PutClusterCapacityProviders"):
        return [cluster_arn], ctx
    if action == "DescribeClusters":
        refs = body.get("clusters") or ["default"]
        return [_ecs_arn(resp, "cluster", r, r) for r in refs], {}
    if action == "DescribeCapacityProviders":
        refs = body.get("capacityProviders") or []
        return [_ecs_arn(resp, "capacity-provider", None, r) for r in refs] or ["*"], {}
    # ListTasks and ListServices (and the rest): "*", scoped with ecs:cluster.
    return ["*"], ctx


def request_scope(service, action, resp):
    """(resources, condition context) AWS authorizes this request against."""
    if service == "autoscaling":
        return _autoscaling(resp, action)
    if service == "ecs":
        return _ecs(resp, action)
    return ["*"], {}


# ---- policy evaluation ------------------------------------------------------------------

def _wild(pattern, value, case_sensitive=True):
    """IAM wildcards: * any run of characters (':' and '/' included), ? one."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _listify(v):
    return v if isinstance(v, list) else [v]


def _arn_match(pattern, value):
    p, v = pattern.split(":", 5), value.split(":", 5)
    if len(p) != 6 or len(v) != 6:
        return False
    return all(_wild(a, b) for a, b in zip(p, v))


BASE_OPS = {
    "StringEquals": lambda e, v: e == v,
    "StringNotEquals": lambda e, v: e == v,
    "StringEqualsIgnoreCase": lambda e, v: e.lower() == v.lower(),
    "StringNotEqualsIgnoreCase": lambda e, v: e.lower() == v.lower(),
    "StringLike": lambda e, v: _wild(e, v),
    "StringNotLike": lambda e, v: _wild(e, v),
    "ArnEquals": _arn_match,
    "ArnLike": _arn_match,
    "ArnNotEquals": _arn_match,
    "ArnNotLike": _arn_match,
    "Bool": lambda e, v: str(e).lower() == str(v).lower(),
}
NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _condition(op, key, expected, ctx):
    qualifier = None
    for q in ("ForAllValues:", "ForAnyValue:"):
        if op.startswith(q):
            qualifier, op = q[:-1], op[len(q):]
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[:-len("IfExists")]
    present = key in ctx and ctx[key] is not None
    values = ctx.get(key) or []
    expected = [str(e) for e in _listify(expected)]
    if op == "Null":
        return (not present) == (expected[0].lower() == "true")
    if op not in BASE_OPS:
        raise PolicyError(f"condition operator {op!r} is not supported by the simulator's IAM evaluator")
    match, negated = BASE_OPS[op], op in NEGATED

    def one(v):
        hit = any(match(e, v) for e in expected)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)  # true when the key is missing or empty
    if not present or not values:
        # A missing key matches nothing: false, except for IfExists and, for a
        # single-valued key, the negated operators.
        return if_exists or (negated and qualifier is None)
    # ForAnyValue, and single-valued keys
    return any(one(v) for v in values)


def _statement_applies(st, action, resource, ctx):
    if "Action" in st:
        if not any(_wild(a, action, case_sensitive=False) for a in _listify(st["Action"])):
            return False
    elif "NotAction" in st:
        if any(_wild(a, action, case_sensitive=False) for a in _listify(st["NotAction"])):
            return False
    else:
        return False
    if "Resource" in st:
        if not any(_wild(r, resource) for r in _listify(st["Resource"])):
            return False
    elif "NotResource" in st:
        if any(_wild(r, resource) for r in _listify(st["NotResource"])):
            return False
    for op, keys in (st.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not _condition(op, key, expected, ctx):
                return False
    return True


def _documents(policies):
    from moto.iam.models import Policy
    for p in policies:
        if isinstance(p, Policy):
            doc = next(v for v in p.versions if v.is_default).document
        elif isinstance(p, str):
            doc = p
        else:
            doc = p["policy_document"]
        yield json.loads(doc) if isinstance(doc, str) else doc


def evaluate(policies, action, resource, ctx):
    """"Allow", "ExplicitDeny" or "ImplicitDeny" for one action on one resource."""
    allowed = False
    for doc in _documents(policies):
        for st in _listify(doc.get("Statement", [])):
            if not _statement_applies(st, action, resource, ctx):
                continue
            if st.get("Effect") == "Deny":
                return "ExplicitDeny"
            if st.get("Effect") == "Allow":
                allowed = True
    return "Allow" if allowed else "ImplicitDeny"


# ---- the hook ----------------------------------------------------------------------------

def _json_auth_error(e):
    """ECS answers bad keys and signatures in JSON; moto uses the Query XML."""
    code = getattr(e, "error_type", "") or ""
    if code == "SignatureDoesNotMatch":
        return AuthError(400, json.dumps({
            "__type": "InvalidSignatureException",
            "message": "The request signature we calculated does not match the signature you provided. "
                       "Check your AWS Secret Access Key and signing method. Consult the service "
                       "documentation for details."}))
    if code in ("InvalidClientTokenId", "UnrecognizedClientException"):
        return AuthError(400, json.dumps({"__type": "UnrecognizedClientException",
                                          "message": "The security token included in the request is invalid."}))
    return e


def authorize(resp, root_access_key, on_error):
    """Authenticates and authorizes one request (raises an HTTPException)."""
    from moto.core.exceptions import _RESTError as RESTError  # moto's base of its XML errors
    from moto.iam.access_control import IAMRequest
    auth = resp.headers.get("Authorization", "")
    key_id = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    if key_id == root_access_key:
        return
    if "Credential=" not in auth:
        # STS's web identity and SAML calls are the unsigned ones; anything
        # else without a signature is refused as AWS does.
        if resp._get_action() in UNSIGNED_ACTIONS:
            return
        if resp.headers.get("X-Amz-Target"):
            raise AuthError(400, json.dumps({"__type": "MissingAuthenticationTokenException",
                                             "message": "Missing Authentication Token"}))
        raise AuthError(403, (f"<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"
                              f"<Message>Request is missing Authentication Token</Message></Error>"
                              f"<RequestId>{_request_id()}</RequestId></ErrorResponse>"))
    from urllib.parse import urlparse
    parsed = urlparse(resp.uri)
    path = parsed.path + ("?" + parsed.query if parsed.query else "")
    service = None
    try:
        req = IAMRequest(account_id=resp.current_account, method=resp.method, path=path, data=resp.data,
                         body=resp.raw_body, headers=resp.headers, action=resp._get_action())
        service = req._service
        req.check_signature()
    except RESTError as e:
        if service is None and "Credential=" in auth:
            service = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[3:4]
            service = service[0] if service else None
        raise _json_auth_error(e) if service in JSON_SERVICES else e
    action = req._action
    # IAM names an action by the service's prefix, which is not always the
    # signing name: CloudWatch signs as "monitoring", its actions are
    # "cloudwatch:..." (Service Authorization Reference, Amazon CloudWatch).
    prefix, _, name = action.partition(":")
    action = f"{IAM_PREFIXES.get(prefix, prefix)}:{name}"
    if action == "sts:GetCallerIdentity":  # AWS never denies it
        return
    resources, ctx = request_scope(service, action.split(":", 1)[1], resp)
    policies = req._access_key.collect_policies()
    for resource in resources:
        try:
            verdict = evaluate(policies, action, resource, ctx)
        except PolicyError as e:
            on_error(f"{action}: {e}")
            verdict = "ImplicitDeny"
        if verdict != "Allow":
            raise denial(service, action, req._access_key.arn, resource, verdict == "ExplicitDeny")


_INSTALLED = False


def install(active):
    """Routes moto's authorization through authorize() while active() returns
    (root_access_key, on_error), else leaves moto's own behaviour."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def patched(self, resource="*"):
        mode = active()
        if mode is None:
            return original(self, resource)
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return None
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return None
        return authorize(self, *mode)

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = patched
