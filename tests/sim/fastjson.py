"""A compiled JSON renderer for the hot ECS responses (DescribeContainerInstances,
DescribeTasks): moto's generic serializer needs ~0.7 ms per container instance,
which at 100 per call and many pollers holds the simulator lock too long.

It walks the same botocore shapes and picks attributes the way moto's serializer
does (the member name, then its snake_case form; dict keys likewise; None is
left out; timestamps as epoch seconds truncated to milliseconds), but decides
all of that once per shape. test_fastjson.py checks it gives moto's output."""
import calendar
import datetime
import json

from botocore import xform_name

_RENDERERS = {}


def _timestamp(value):
    if isinstance(value, datetime.datetime):
        base = calendar.timegm(value.timetuple())
        return base + (value.microsecond // 1000) / 1000.0 if value.microsecond else base
    return value


def _compile(shape):
    kind = shape.type_name
    if kind == "structure":
        key = shape.name
        if key in _RENDERERS:
            return _RENDERERS[key]
        members = []

        def render(obj):
            # The member's name, else its snake_case form (dict keys or attributes), inline:
            # a function call per member cost a third of 100 container instances' answer.
            out = {}
            if isinstance(obj, dict):
                get = obj.get
                for name, snake, sub in members:
                    v = get(name)
                    if v is None:
                        v = get(snake)
                    if v is not None:
                        out[name] = v if sub is None else sub(v)
            else:
                for name, snake, sub in members:
                    v = getattr(obj, name, None)
                    if v is None:
                        v = getattr(obj, snake, None)
                    if v is not None:
                        out[name] = v if sub is None else sub(v)
            return out
        _RENDERERS[key] = render
        for name, mshape in shape.members.items():
            members.append((name, xform_name(name), _compile(mshape)))
        return render
    if kind == "list":
        sub = _compile(shape.member)
        return list if sub is None else (lambda v: [sub(x) for x in v])
    if kind == "map":
        sub = _compile(shape.value)
        return (lambda v: dict(v.items())) if sub is None else (lambda v: {k: sub(x) for k, x in v.items()})
    if kind == "timestamp":
        return _timestamp
    return None  # the value as it is (no call per scalar: 60,000 per 100 container instances)


_MODEL = None


def _shape(name):
    global _MODEL
    if _MODEL is None:
        import botocore.session
        _MODEL = botocore.session.get_session().get_service_model("ecs")
    return _MODEL.shape_for(name)


def _attributes(attrs):
    if isinstance(attrs, dict):
        return [{"name": k, "value": v} for k, v in attrs.items()]
    return attrs


_TOP = {}


def renderer(shape_name):
    """The compiled renderer of one ECS shape (compiled once)."""
    fn = _TOP.get(shape_name)
    if fn is None:
        fn = _TOP[shape_name] = _compile(_shape(shape_name))
    return fn


def container_instance(ci):
    out = renderer("ContainerInstance")(ci)
    if "attributes" in out:
        out["attributes"] = _attributes(ci.attributes)
    return out


def task(t, tags=False):
    out = renderer("Task")(t)
    if not tags:
        out.pop("tags", None)
    return out


def response(obj):
    """A moto response-method return value carrying ready JSON."""
    return json.dumps(obj), {"Content-Type": "application/x-amz-json-1.1"}
