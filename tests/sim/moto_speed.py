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
    _patch_xml_body()
    _patch_value_picker()


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
