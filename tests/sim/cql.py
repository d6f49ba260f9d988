"""The ECS cluster query language, as ListContainerInstances' `filter` takes it:

    ec2InstanceId in ['i-0a', 'i-0b']
    attribute:ecs.ami-id == ami-0123 and runningTasksCount > 0
    not (attribute:ecs.instance-type =~ t2.*) or agentConnected == false

Subjects: agentConnected, agentVersion, ec2InstanceId, registeredAt,
runningTasksCount, pendingTasksCount, attribute:NAME. Operators: == != > >= < <=
=~ !~ in not_in exists !exists, combined with and/&&, or/||, not/! and
parentheses."""
import re


class QueryError(ValueError):
    pass


_TOKEN = re.compile(r"""\s*(?:
      (?P<str>'[^']*'|"[^"]*")
    | (?P<op>==|!=|>=|<=|=~|!~|&&|\|\||[<>()\[\],!])
    | (?P<word>[^\s'"()\[\],<>=!~&|]+)
)""", re.X)

_KEYWORD_OPS = {"in", "not_in", "exists", "!exists"}


def _tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"unexpected character at position {pos}: {text[pos:pos + 10]!r}")
        pos = m.end()
        if m.group("str") is not None:
            out.append(("val", m.group("str")[1:-1]))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


class _Parser:
    def __init__(self, tokens):
        self.toks = tokens
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, kind, value=None):
        k, v = self.take()
        if k != kind or (value is not None and v != value):
            raise QueryError(f"expected {value or kind}, got {v!r}")
        return v

    def parse(self):
        node = self.expr()
        if self.peek()[0] is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")
        return node

    def expr(self):
        node = self.term()
        while self.peek() in (("word", "or"), ("op", "||")):
            self.take()
            node = ("or", node, self.term())
        return node

    def term(self):
        node = self.factor()
        while self.peek() in (("word", "and"), ("op", "&&")):
            self.take()
            node = ("and", node, self.factor())
        return node

    def factor(self):
        tok = self.peek()
        if tok in (("word", "not"), ("op", "!")):
            self.take()
            return ("not", self.factor())
        if tok == ("op", "("):
            self.take()
            node = self.expr()
            self.expect("op", ")")
            return node
        return self.comparison()

    def value(self):
        k, v = self.take()
        if k not in ("word", "val"):
            raise QueryError(f"expected a value, got {v!r}")
        return v

    def comparison(self):
        k, subject = self.take()
        if k != "word":
            raise QueryError(f"expected a subject, got {subject!r}")
        k, op = self.take()
        if k == "op" and op == "!" and self.peek() == ("word", "exists"):
            self.take()
            return ("cmp", subject, "!exists", None)
        if k == "word" and op in _KEYWORD_OPS:
            if op in ("exists", "!exists"):
                return ("cmp", subject, op, None)
            self.expect("op", "[")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.value())
            self.expect("op", "]")
            return ("cmp", subject, op, values)
        if k != "op" or op not in ("==", "!=", ">", ">=", "<", "<=", "=~", "!~"):
            raise QueryError(f"expected an operator after {subject!r}, got {op!r}")
        return ("cmp", subject, op, self.value())


def parse(text):
    if not text or not text.strip():
        raise QueryError("empty expression")
    return _Parser(_tokenize(text)).parse()


def _subject_value(ci, subject):
    if subject == "ec2InstanceId":
        return ci.ec2_instance_id
    if subject == "agentConnected":
        return "true" if ci.agent_connected else "false"
    if subject == "agentVersion":
        return (ci.version_info or {}).get("agentVersion")
    if subject == "runningTasksCount":
        return ci.running_tasks_count
    if subject == "pendingTasksCount":
        return ci.pending_tasks_count
    if subject == "registeredAt":
        return ci.registered_at.isoformat() if ci.registered_at else None
    if subject.startswith("attribute:"):
        return (ci.attributes or {}).get(subject[len("attribute:"):])
    raise QueryError(f"unknown subject {subject!r}")


def _compare(actual, op, expected):
    if op == "exists":
        return actual is not None
    if op == "!exists":
        return actual is None
    if actual is None:
        return op in ("!=", "!~", "not_in")
    if op in ("in", "not_in"):
        hit = str(actual) in [str(v) for v in expected]
        return hit if op == "in" else not hit
    if op in ("=~", "!~"):
        try:
            hit = re.fullmatch(expected, str(actual)) is not None
        except re.error as e:
            raise QueryError(f"bad pattern {expected!r}: {e}")
        return hit if op == "=~" else not hit
    if isinstance(actual, int):
        try:
            exp = int(expected)
        except ValueError:
            raise QueryError(f"{expected!r} is not a number")
    else:
        actual, exp = str(actual), str(expected)
    return {"==": actual == exp, "!=": actual != exp, ">": actual > exp, ">=": actual >= exp,
            "<": actual < exp, "<=": actual <= exp}[op]


def matches(node, ci):
    kind = node[0]
    if kind == "and":
        return matches(node[1], ci) and matches(node[2], ci)
    if kind == "or":
        return matches(node[1], ci) or matches(node[2], ci)
    if kind == "not":
        return not matches(node[1], ci)
    _, subject, op, expected = node
    return _compare(_subject_value(ci, subject), op, expected)
