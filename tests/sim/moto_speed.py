"""Performance patches to moto 5.2.1: what made launching instances cost time
proportional to the fleet (so doubling 1,000 instances took a minute of
simulator time, with the engine lock held, while AWS answers at once), and
what made a large Query response (DescribeAutoScalingGroups of 2,000
instances: 860 KB of XML) take a second or more. Behaviour is moto's own;
only the cost changes. Installed by moto_patches.install()."""
from xml.sax.saxutils import escape, quoteattr

_INSTALLED = False
# False: moto's own code paths (test_moto_speed.py compares the two).
ENABLED = True


def install():
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    _patch_get_instance_fallback()
    _patch_offering_filters()
    _patch_describe_tags()
    _patch_xml_body()
    _patch_value_picker()
    _patch_query_results()
    _patch_reset()
    _patch_module_listing()
    _patch_task_arn()
    _patch_instances_by_id()
    _patch_method_names()
    _patch_request_id()
    _patch_account_lookup()
    _patch_resource_ids()
    _patch_image_lookup()
    _patch_default_amis()


def _patch_get_instance_fallback():
    """moto's get_instance copies every reservation of the region and scans
    them all. moto_patches answers from the engine's index, but an instance
    still being created (RunInstances attaching its root volume looks itself
    up) is not indexed yet: look through the reservations newest first,
    without copying; it is in the last one."""
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models.instances import InstanceBackend

    indexed = InstanceBackend.get_instance  # moto_patches' (engine index, then moto's)

    def get_instance(self, instance_id):
        from .engine import active
        eng = active()
        if eng is None:
            return indexed(self, instance_id)
        si = eng.instances.get(instance_id)
        if si is not None and si.inst.ec2_backend is self:
            return si.inst
        for reservation in reversed(self.reservations.values()):
            for inst in reservation.instances:
                if inst.id == instance_id:
                    return inst
        raise InvalidInstanceIdError(instance_id)
    InstanceBackend.get_instance = get_instance


def _patch_offering_filters():
    """RunInstances checks the instance type against the offerings of the
    Region one by one (500+ before m5), each through moto's closure and
    generator, on every launch. The one-filter case it uses is answered
    directly, with moto's own expression."""
    from moto.ec2.models.instance_types import InstanceTypeOfferingBackend

    orig = InstanceTypeOfferingBackend.matches_filters

    def matches_filters(self, offering, filters, location_type):
        if len(filters) == 1 and "instance-type" in filters:
            return offering.get("InstanceType") in filters["instance-type"]
        return orig(self, offering, filters, location_type)
    InstanceTypeOfferingBackend.matches_filters = matches_filters


def _patch_describe_tags():
    """Every EC2 resource reads its own tags through describe_tags with a
    resource-id filter (TaggedEC2Resource.get_tags: serializing an instance's
    tagSet, matching a tag: filter), and moto answers by matching that id
    against every tag of every resource of the Region: DescribeInstances of
    n instances cost n times the Region's tags. An exact id (no wildcard, the
    filter moto would turn into a pattern matching only itself) is looked up
    in moto's own dictionary instead; the answer is the same list."""
    import re
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    orig = TagBackend.describe_tags
    plain_id = re.compile(r"[A-Za-z0-9_.:/+=@-]*\Z")  # nothing fnmatch reads as a pattern

    def describe_tags(self, filters=None):
        if (not ENABLED or not isinstance(filters, dict) or list(filters) != ["resource-id"]
                or not isinstance(filters["resource-id"], list) or len(filters["resource-id"]) != 1
                or not isinstance(filters["resource-id"][0], str) or not plain_id.match(filters["resource-id"][0])):
            return orig(self, filters)
        resource_id = filters["resource-id"][0]
        tags = self.tags.get(resource_id)  # .get: moto's defaultdict must not grow
        if not tags:
            return []
        resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
        return [{"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type}
                for key, value in tags.copy().items()]
    TagBackend.describe_tags = describe_tags


def _text(value):
    """xmltodict's _convert_value_to_string (utf-8, errors replaced)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _emit(key, value, out):
    """xmltodict.unparse's _emit for what moto's serializers build: no
    pretty printing, no namespaces map, no comments, short empty elements."""
    if not hasattr(value, "__iter__") or isinstance(value, (str, bytes, bytearray, memoryview, dict)):
        value = (value,)
    for v in value:
        if v is None:
            v = {}
        elif not isinstance(v, (dict, str)):
            v = _text(v)
        if isinstance(v, str):
            v = {"#text": v}
        cdata = None
        attrs = []
        children = []
        for ik, iv in v.items():
            if ik == "#text":
                cdata = None if iv is None else _text(iv)
                continue
            if isinstance(ik, str) and ik.startswith("@"):
                if ik == "@xmlns" and isinstance(iv, dict):
                    for k, x in iv.items():
                        attrs.append(("xmlns" + (f":{k}" if k else ""), "" if x is None else _text(x)))
                    continue
                attrs.append((ik[1:], "" if iv is None else _text(iv)))
                continue
            if isinstance(iv, list) and not iv:
                continue
            children.append((ik, iv))
        out.append("<" + key)
        for name, x in attrs:
            out.append(f" {name}={quoteattr(x)}")
        if not children and not cdata:
            out.append("/>")
            continue
        out.append(">")
        for ck, cv in children:
            _emit(ck, cv, out)
        if cdata:
            out.append(escape(cdata))
        out.append(f"</{key}>")


def unparse(body):
    """xmltodict.unparse(body, full_document=False, short_empty_elements=True)."""
    out = []
    for key, value in body.items():
        _emit(key, value, out)
    return "".join(out)


def _patch_xml_body():
    """moto renders every Query/EC2 response through xmltodict and the SAX
    XMLGenerator: about half of the time of a large DescribeAutoScalingGroups.
    unparse() writes the same bytes directly (test_moto_speed.py compares)."""
    from moto.core.serialize import BaseXMLSerializer

    orig = BaseXMLSerializer._serialize_body

    def _serialize_body(self, body):
        if self.pretty_print or not ENABLED:
            return orig(self, body)
        return unparse(body)
    BaseXMLSerializer._serialize_body = _serialize_body


def _patch_value_picker():
    """moto's serializers find each member's value by trying the names its
    alias providers propose (six provider objects and two generators per
    member per object: 40 % of a large DescribeAutoScalingGroups). The names
    proposed depend only on the object's type, its Meta aliases, the member
    and its shape (and parent shape): computed once, then tried in the same
    order with moto's own get_value."""
    from moto.core import serialize
    from moto.core.utils import MISSING, get_value

    orig = serialize.ResponseSerializer.get_value
    cache = {}

    def pick(self, value, key, shape):
        picker = self._value_picker
        if not ENABLED or type(picker) not in (serialize.AttributePicker, serialize.XFormedAttributePicker) \
                or picker.response_transformers or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS:
            return orig(self, value, key, shape)
        parent = getattr(shape, "parent", None)
        meta = getattr(value, "Meta", None)
        ck = (type(picker), type(value), id(meta), key, id(shape), id(parent))
        hit = cache.get(ck)
        if hit is None or hit[0] is not shape or hit[1] is not parent or hit[2] is not meta:
            ctx = serialize.AttributePickerContext(obj=value, key=key, shape=shape)
            hit = cache[ck] = (shape, parent, meta, tuple(picker.get_possible_keys(ctx)))
        for possible in hit[3]:
            v = get_value(value, possible, MISSING)
            if v is not MISSING:
                return v
        return None
    serialize.ResponseSerializer.get_value = pick


_serialize = None  # moto.core.serialize, once installed
# (output shape id, picker type, operation, transformers) -> (shape, renderer
# or None: moto's path). test_moto_speed.py checks which operations compiled.
COMPILED = {}


def compiled_operations():
    """The operations answered by a compiled renderer so far."""
    return sorted({k[2] for k, (_, fn) in COMPILED.items() if fn is not None})


class _Unsupported(Exception):
    """A shape the compiled Query renderer leaves to moto."""


def _names(picker, obj, key, shape, cache):
    """The names moto's picker tries for one member of `obj`, in its order,
    and whether moto's get_value would read them as attributes (no
    __getitem__, no dotted path) - a plain getattr then."""
    meta = getattr(obj, "Meta", None)
    ck = (type(obj), id(meta))
    hit = cache.get(ck)
    if hit is None or hit[0] is not meta:
        ctx = _serialize.AttributePickerContext(obj=obj, key=key, shape=shape)
        names = tuple(picker.get_possible_keys(ctx))
        plain = not hasattr(obj, "__getitem__") and not any("." in n for n in names)
        hit = cache[ck] = (meta, names, plain)
    return hit


def _transform(transforms, path, key):
    """The response transformer moto's picker applies to member `key` of the
    structure at `path` (its serializer's path: the operation, the output
    shape, then member keys and list members' shape names): the first whose
    path ends the member's."""
    key_path = ".".join(path) + "." + key
    for suffix, fn in transforms:
        if key_path.endswith(suffix):
            return fn
    return None


def _compile(shape, ser, done, path, transforms):
    """A function(value) -> list of XML pieces of the element's content, or
    None when moto would write nothing (a structure that is None). The
    rules are BaseXMLSerializer's / QuerySerializer's for the query protocol
    (EC2's too). `path` is moto's serializer path to this shape; the
    transformers that apply below it depend only on its last components, so
    a structure is compiled once per shape and those."""
    from moto.core.utils import MISSING, get_value
    kind = shape.type_name
    if shape.serialization.get("xmlNamespace") or shape.serialization.get("xmlAttribute"):
        raise _Unsupported(shape.name)
    if kind == "structure":
        depth = max((suffix.count(".") for suffix, _ in transforms), default=0)
        key = (id(shape), tuple(path[len(path) - depth:]) if depth else ())
        if key in done:
            return done[key]
        members = []
        # (type of the value, id of its Meta) -> (Meta, per member: the names moto
        # tries and whether they are plain attributes): what _names() gives, for
        # all members at once (a structure of 2,000 instances asks 20 times each).
        plans = {}

        def render(value):
            if value is None:
                return None
            meta = getattr(value, "Meta", None)
            plan = plans.get((type(value), id(meta)))
            if plan is None or plan[0] is not meta:
                picker = ser._value_picker
                plan = plans[(type(value), id(meta))] = (
                    meta, [_names(picker, value, m[0], m[2], m[4])[1:] for m in members])
            out = []
            for (name, tag, mshape, sub, cache, transform, opening, closing, empty), (names, plain) in \
                    zip(members, plan[1]):
                mv = None
                for possible in names:
                    v = getattr(value, possible, MISSING) if plain else get_value(value, possible, MISSING)
                    if v is not MISSING:
                        mv = v
                        break
                if transform is not None:
                    mv = transform(mv)
                if mv is None:
                    continue
                inner = sub(mv)
                if inner is None:
                    continue
                if inner:
                    out.append(opening)
                    out.extend(inner)
                    out.append(closing)
                else:
                    out.append(empty)
            return out
        done[key] = render
        for name, mshape in shape.members.items():
            mshape.parent = shape  # as moto's _serialize_type_structure sets it
            tag = mshape.serialization.get("name", name)
            members.append((name, tag, mshape, _compile(mshape, ser, done, path + (name,), transforms), {},
                            _transform(transforms, path, name), f"<{tag}>", f"</{tag}>", f"<{tag}/>"))
        return render
    if kind == "list":
        if shape.is_flattened:
            raise _Unsupported(shape.name)
        member = shape.member
        sub = _compile(member, ser, done, path + (member.name,), transforms)
        item_tag = member.serialization.get("name", "member")

        def render_list(value):
            out = []
            for item in value:
                inner = sub(item)
                if inner is None or (not inner and member.type_name == "structure"):
                    continue  # moto drops items that serialize to nothing or {}
                if inner:
                    out.append(f"<{item_tag}>")
                    out.extend(inner)
                    out.append(f"</{item_tag}>")
                else:
                    out.append(f"<{item_tag}/>")
            return out
        return render_list
    if kind == "string":
        return _render_string
    if kind == "boolean":
        return lambda v: ["true" if (v is True or str(v).lower() == "true") else "false"]
    if kind in ("integer", "long"):
        return lambda v: [str(int(v))]
    if kind in ("float", "double"):
        return lambda v: [str(float(v))]
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", ser._timestamp_serializer.default_format)
        conv = ser._timestamp_serializer._convert_timestamp_to_str
        return lambda v: [escape(str(conv(v, fmt)))]
    raise _Unsupported(f"{shape.name} ({kind})")


def _render_string(v):
    """[escape(str(v))], or [] for an empty string; escape() only where it has
    something to replace (saxutils.escape: &, > and <)."""
    text = v if type(v) is str else str(v)
    if not text:
        return []
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    return [text]


_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'  # xmltodict's, full_document=True


def _patch_query_results():
    """Query protocol results (Auto Scaling, STS, IAM...) and EC2's written
    straight to XML by a renderer compiled per output shape, with moto's
    rules, picker and response transformers: what moto builds as nested
    dicts and then walks again. Shapes it does not know (maps, blobs,
    flattened lists, XML attributes) stay with moto, as do pretty-printed and
    error responses."""
    global _serialize
    from moto.core import serialize
    _serialize = serialize

    orig_query = serialize.QuerySerializer._serialize_result
    orig_ec2 = serialize.EC2Serializer._serialize_result
    orig_ec2_body = serialize.EC2Serializer._serialize_body

    def renderer(self):
        """The compiled renderer for this serializer's operation, or None."""
        shape = self.operation_model.output_shape
        picker = self._value_picker
        if (not ENABLED or self.pretty_print or shape is None
                or type(picker) not in (serialize.AttributePicker, serialize.XFormedAttributePicker)
                or picker.alias_providers is not serialize.DEFAULT_ALIAS_PROVIDERS):
            return None
        transforms = tuple(picker.response_transformers.items())
        ck = (id(shape), type(picker), self.operation_model.name, transforms)
        entry = COMPILED.get(ck)
        if entry is None or entry[0] is not shape:
            try:
                fn = _compile(shape, self, {}, (self.operation_model.name, shape.name), transforms)
            except _Unsupported:
                fn = None
            entry = COMPILED[ck] = (shape, fn)
        return entry[1]

    def query_result(self, resp, result):
        render = renderer(self) if type(self) is serialize.QuerySerializer else None
        if render is None:
            return orig_query(self, resp, result)
        shape = self.operation_model.output_shape
        inner = render(result) or []
        op = self.operation_model.name
        result_key = shape.serialization.get("resultWrapper", f"{shape.name}Result")
        ns = self.operation_model.metadata.get("xmlNamespace")
        rid = self.context.request_id
        out = [f"<{op}Response" + (f" xmlns={quoteattr(ns)}" if ns else "") + ">"]
        if inner:
            out += [f"<{result_key}>", *inner, f"</{result_key}>"]
        else:
            out.append(f"<{result_key}/>")
        out.append(f"<ResponseMetadata><RequestId>{escape(_text(rid))}</RequestId></ResponseMetadata>"
                   if rid not in (None, "") else "<ResponseMetadata><RequestId/></ResponseMetadata>")
        out.append(f"</{op}Response>")
        resp["body"] = "".join(out)
        resp["headers"]["Content-Type"] = self.CONTENT_TYPE
        return resp
    serialize.QuerySerializer._serialize_result = query_result

    def ec2_result(self, resp, result):
        """EC2Serializer._serialized_result_to_response: the result's members
        directly in <OpResponse xmlns=...>, then requestId, as a full document."""
        render = renderer(self) if type(self) is serialize.EC2Serializer else None
        if render is None:
            return orig_ec2(self, resp, result)
        inner = render(result) or []
        op = self.operation_model.name
        ns = self.operation_model.metadata.get("xmlNamespace")
        rid = self.context.request_id
        out = [_XML_DECLARATION, f"<{op}Response" + (f" xmlns={quoteattr(ns)}" if ns else "") + ">", *inner,
               f"<requestId>{escape(_text(rid))}</requestId>" if rid not in (None, "") else "<requestId/>",
               f"</{op}Response>"]
        resp["body"] = "".join(out)
        resp["headers"]["Content-Type"] = self.CONTENT_TYPE
        return resp
    serialize.EC2Serializer._serialize_result = ec2_result

    def ec2_body(self, body):
        """EC2's errors and the shapes left to moto: xmltodict's full document."""
        if self.pretty_print or not ENABLED:
            return orig_ec2_body(self, body)
        return _XML_DECLARATION + unparse(body)
    serialize.EC2Serializer._serialize_body = ec2_body


def _patch_reset():
    """moto's reset (every Simulator start) re-creates every backend ever used
    in this process - each EC2 Region's 2,354 default AMIs with a volume and a
    snapshot each, each IAM partition's 1,400 managed policies: about a CPU
    second - and then drops them all: BackendDict.reset() clears every
    BackendDict right after. Dropping alone leaves the same state, each backend
    made afresh on its first use. With ENABLED false, moto's own reset."""
    from moto.core import base_backend

    orig = base_backend.BackendDict.reset.__func__

    def reset(cls):
        if not ENABLED:
            return orig(cls)
        with base_backend.backend_lock:
            for backend in base_backend.BackendDict._instances:
                backend.clear()
            base_backend.BackendDict._instances.clear()
    base_backend.BackendDict.reset = classmethod(reset)


def _patch_module_listing():
    """moto's server finds the backend of every request by asking whether the
    host is one of its module names - listing moto's package directory and
    stat-ing each of its 180 entries, twice a request, with the engine lock
    held (0.5 ms a request; a rollout of 1,000 instances makes 2,700). The
    installed package does not change while the simulator runs: listed once.
    With ENABLED false, moto's own listing."""
    from moto import backends

    orig = backends.list_of_moto_modules
    cached = []

    def list_of_moto_modules():
        if not ENABLED:
            return orig()
        if not cached:
            cached.append(frozenset(orig()))
        return cached[0]
    backends.list_of_moto_modules = list_of_moto_modules


def _patch_task_arn():
    """moto builds a task's ARN anew at every read of Task.task_arn, asking the
    account settings and the environment each time: a ListTasks page sorts
    the ARNs of every matching task in the cluster (3,000 stopping tasks at
    1,000 instances, 30 pages), and the scheduler, the renderers and the
    ledger read them too - 200,000 builds in one bench rollout. A task's ARN
    is fixed when it is created (ECS: the ARN format setting applies to new
    resources, "Amazon Resource Names (ARNs) and IDs"), so it is built once,
    at its first read. With ENABLED false, moto's own property."""
    from moto.ecs.models import Task

    orig = Task.task_arn

    def task_arn(self):
        if not ENABLED:
            return orig.fget(self)
        arn = self.__dict__.get("_sim_arn")
        if arn is None:
            arn = self.__dict__["_sim_arn"] = orig.fget(self)
        return arn
    Task.task_arn = property(task_arn)


def _patch_instances_by_id():
    """DescribeInstances by InstanceId.N: moto checks each of the Region's
    reservations against the list of ids (any(id in list) per reservation), and
    by an instance-id filter it copies and filters every reservation - 50 ms
    (300 ms at a load of 10) for the 100 ids the helper asks about at 1,000
    instances, with the engine lock held. The same reservations, in moto's
    order, with the same instances and the same errors, from one pass over the
    reservations against a set. With ENABLED false, moto's own code."""
    import copy

    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models.instances import InstanceBackend

    orig_by_ids = InstanceBackend.get_reservations_by_instance_ids
    orig_all = InstanceBackend.all_reservations

    def matching(self, wanted):
        found = []
        for reservation in self.reservations.copy().values():
            instances = [i for i in reservation.instances if i.id in wanted]
            if instances:
                reservation = copy.copy(reservation)
                reservation.instances = instances
                found.append(reservation)
        return found

    def get_reservations_by_instance_ids(self, instance_ids, filters=None):
        if not ENABLED or not all(isinstance(i, str) for i in instance_ids):
            return orig_by_ids(self, instance_ids, filters)
        reservations = matching(self, set(instance_ids))
        found_instance_ids = [i.id for r in reservations for i in r.instances]
        if len(found_instance_ids) != len(instance_ids):  # moto's check, duplicates included
            raise InvalidInstanceIdError(list(set(instance_ids).difference(set(found_instance_ids)))[0])
        if filters is not None:
            from moto.ec2.utils import filter_reservations
            reservations = filter_reservations(reservations, filters)
        return reservations

    def all_reservations(self, filters=None):
        # The one filter the helper sends: instance-id (passes_filter_dict: the id in the values).
        if (not ENABLED or not isinstance(filters, dict) or list(filters) != ["instance-id"]
                or not isinstance(filters["instance-id"], list)
                or not all(isinstance(v, str) for v in filters["instance-id"])):
            return orig_all(self, filters)
        return matching(self, set(filters["instance-id"]))
    InstanceBackend.get_reservations_by_instance_ids = get_reservations_by_instance_ids
    InstanceBackend.all_reservations = all_reservations


def _patch_method_names():
    """moto finds the method of every request's action by listing its response
    class's functions (inspect.getmembers: a few hundred attributes sorted,
    0.2-0.5 ms a request). A class's functions do not change while the
    simulator runs (moto_patches sets its handlers at install, before any
    request): listed once per class. With ENABLED false, moto's own listing."""
    from moto.core import responses

    orig = responses.method_names_from_class
    cache = {}

    def method_names_from_class(clazz):
        if not ENABLED:
            return orig(clazz)
        names = cache.get(clazz)
        if names is None:
            names = cache[clazz] = frozenset(orig(clazz))
        return names
    responses.method_names_from_class = method_names_from_class


def _patch_request_id():
    """moto puts each answer's request id into its XML with
    re.sub(r"(?<=<RequestId>).*(?=</RequestId>)", id, body): a pattern that
    starts with a look-behind is tried at every character of the body - 20 ms
    for DescribeAutoScalingGroups of 2,000 instances, 7 ms for 100 container
    instances' JSON, which has no RequestId at all. A body without
    "<RequestId>" cannot match, and one with it gets the same substitution from
    a pattern that starts with that literal (found by a fast search; the
    element name goes back in front of the id). With ENABLED false, moto's own."""
    import re

    from moto.core import responses

    orig = responses.BaseResponse._enrich_response
    pattern = re.compile(r"<RequestId>.*(?=<\/RequestId>)")

    def _enrich_response(headers, body):
        if not ENABLED:
            return orig(headers, body)
        if "status" in headers:
            headers["status"] = str(headers["status"])
        request_id = responses.gen_amzn_requestid_long(headers)
        try:
            if "<RequestId>" in body:
                if "\\" in request_id:  # a replacement template with escapes: moto's own pattern
                    body = re.sub(r"(?<=<RequestId>).*(?=<\/RequestId>)", request_id, body)
                else:
                    body = pattern.sub(lambda m: "<RequestId>" + _after(m.group(), request_id), body)
        except Exception:  # moto's: a body that is not text stays as it is
            pass
        return headers, body

    def _after(matched, request_id):
        # moto's look-behind pattern also matches the empty text right after a
        # match that ended with "<RequestId>": the id twice.
        inner = matched[len("<RequestId>"):]
        return request_id + request_id if inner and inner.endswith("<RequestId>") else request_id
    responses.BaseResponse._enrich_response = staticmethod(_enrich_response)


def _patch_account_lookup():
    """Every request's account is found by looking its access key up in each
    account's IAM backend of each of the seven partitions - which makes the
    backends it asks (1,400 managed policies each) at a simulator's first
    request: 0.3-0.5 CPU s per simulator, for backends no run uses. A backend
    not made yet holds no access key (IAMBackend starts with none), so the
    answer is the same from the backends that exist. With ENABLED false,
    moto's own look-up."""
    from moto.iam import models as iam_models

    orig = iam_models.get_account_id_from

    def get_account_id_from(access_key):
        if not ENABLED:
            return orig(access_key)
        for account_id, account in list(iam_models.iam_backends.items()):
            for partition in iam_models.PARTITION_NAMES:
                backend = dict.get(account, partition)  # without making it
                if backend is not None and access_key in backend.access_keys:
                    return account_id
        return iam_models.DEFAULT_ACCOUNT_ID
    iam_models.get_account_id_from = get_account_id_from


def _patch_resource_ids():
    """Every EC2 id (i-, vol-, snap-, sg-, eni-... and the snapshot and volume
    of each of the 2,354 default AMIs a Region's EC2 backend makes, at every
    Simulator start) is hex digits drawn one random.choice at a time: 200,000
    draws, half of a start's CPU. One getrandbits per id draws the same digits:
    each uniform over 0-9a-f, from moto's own generator (mock_random, which
    seeding still makes repeatable). With ENABLED false, moto's own."""
    from moto.ec2 import utils

    orig = utils.random_resource_id
    rng = utils.random  # moto.moto_api._internal.mock_random

    def random_resource_id(size=8):
        if not ENABLED:
            return orig(size)
        return f"{rng.getrandbits(4 * size):0{size}x}" if size > 0 else ""
    utils.random_resource_id = random_resource_id


def _patch_image_lookup():
    """Every new Instance looks its AMI up with an image-id filter, which moto
    matches (fnmatch) against each of the 2,354 AMIs it preloads: 120 instances
    of one RunInstances, 280,000 matches. An exact id (nothing fnmatch reads as
    a pattern) is a dictionary lookup with the same answer. With ENABLED false,
    moto's own."""
    from moto.ec2.models.amis import AmiBackend

    orig = AmiBackend.describe_images

    def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
        if (ENABLED and not ami_ids and not exec_users and not owners and isinstance(filters, dict)
                and list(filters) == ["image-id"] and isinstance(filters["image-id"], str)
                and not any(c in filters["image-id"] for c in "*?[")):
            ami = self.amis.get(filters["image-id"])
            return [ami] if ami is not None else []
        return orig(self, ami_ids=ami_ids, filters=filters, exec_users=exec_users, owners=owners)
    AmiBackend.describe_images = describe_images


def _clone(obj, ec2_backend, mutable):
    """A copy of a moto EC2 object for another backend: its own copies of the
    attributes named in `mutable` (lists, sets, dicts API calls change), the rest
    (strings, datetimes, zones) shared."""
    new = object.__new__(type(obj))
    attrs = obj.__dict__.copy()
    for name in mutable:
        attrs[name] = type(attrs[name])(attrs[name])
    if "ec2_backend" in attrs:
        attrs["ec2_backend"] = ec2_backend
    new.__dict__ = attrs
    return new


def _mutable(obj):
    return tuple(k for k, v in vars(obj).items() if isinstance(v, (list, set, dict)))


def _patch_default_amis():
    """Each EC2 backend (every Region at every Simulator start, and again after a
    reset) makes the Region's 1,177 default AMIs, each with a volume (deleted at
    once) and a snapshot: a third of a simulator's start. They are the same each
    time (moto's resource files) but for the random snapshot ids, so the first
    backend of an account and Region makes them and the next ones get copies as
    that one made them: the same AMIs, tags, snapshots and snapshot ids (as an
    AMI's snapshot keeps its id on AWS); the times moto sets to now (snapshot
    StartTime, an AMI's creation date when its file gives none) are now. With
    ENABLED false, or MOTO_AMIS_PATH or the default AMIs switched off, moto's own."""
    import os

    from moto import settings
    from moto.core.utils import utcnow
    from moto.ec2.models.amis import AmiBackend

    orig = AmiBackend._load_amis
    made = {}  # (account, Region) -> [(AMI, snapshot, volume, tags)] as the first backend made them

    def _load_amis(self):
        if not ENABLED or self.amis or "MOTO_AMIS_PATH" in os.environ or not settings.ec2_load_default_amis():
            return orig(self)
        key = (self.account_id, self.region_name)
        templates = made.get(key)
        if templates is None:
            snapshots, started = set(self.snapshots), utcnow()
            orig(self)
            if any(ami.ebs_snapshot.id in snapshots for ami in self.amis.values()):
                return  # not as expected: no copies from this one
            made[key] = templates = []
            for ami in self.amis.values():
                snapshot = ami.ebs_snapshot
                templates.append((_clone(ami, None, _mutable(ami)), ami.creation_date >= started, _mutable(ami),
                                  _clone(snapshot, None, _mutable(snapshot)), _mutable(snapshot),
                                  _clone(snapshot.volume, None, _mutable(snapshot.volume)), _mutable(snapshot.volume),
                                  dict(self.tags.get(ami.id) or {})))
                # The templates keep nothing of this backend alive.
                templates[-1][0].ebs_snapshot = templates[-1][3].volume = None
            return
        now = utcnow()
        for ami_t, made_now, ami_m, snapshot_t, snapshot_m, volume_t, volume_m, tags in templates:
            snapshot = _clone(snapshot_t, self, snapshot_m)
            snapshot.volume = _clone(volume_t, self, volume_m)
            snapshot.start_time = now
            ami = _clone(ami_t, self, ami_m)
            ami.ebs_snapshot = snapshot
            if made_now:  # no creation date in moto's file: moto dates it when it makes it
                ami.creation_date = now
            self.snapshots[snapshot.id] = snapshot
            self.amis[ami.id] = ami
            if tags:
                self.tags[ami.id] = dict(tags)
    AmiBackend._load_amis = _load_amis
