"""A reader for the part of HCL's native syntax (Terraform's .tf files) that
scripts/tfdocs needs: a lexer for the whole syntax (comments, quoted strings
with escapes and templates, heredocs, nested brackets), the block and
attribute structure, literal values and type constraints. Expressions it does
not need are only delimited, never interpreted; what it cannot read raises
HclError with the file and line. Python standard library only."""
import json
import pathlib
import re


class HclError(Exception):
    """Something the generator does not understand, with where it is."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")


# --------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------

class Tok:
    __slots__ = ("kind", "text", "value", "template", "start", "end", "line")

    def __init__(self, kind, text, start, end, line, value=None, template=False):
        self.kind = kind      # NL IDENT NUMBER STRING HEREDOC PUNCT EOF
        self.text = text      # for IDENT, NUMBER and PUNCT: the characters
        self.value = value    # for STRING and HEREDOC without template: the decoded text
        self.template = template  # a string with ${...} or %{...}
        self.start = start
        self.end = end
        self.line = line

    def __repr__(self):
        return f"Tok({self.kind}, {self.text!r}, line {self.line})"


_PUNCT3 = ("...",)
_PUNCT2 = ("==", "!=", "<=", ">=", "&&", "||", "=>")
_PUNCT1 = "{}[]()=<>!+-*/%?:.,~"
_IDENT = re.compile(r"[^\W\d][\w-]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_HEREDOC = re.compile(r"<<(-?)([^\W\d][\w-]*)\r?\n")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class Lexer:
    def __init__(self, src, path):
        self.src = src
        self.path = path
        self.pos = 0
        self.line = 1

    def fail(self, message, line=None):
        raise HclError(self.path, line or self.line, message)

    def tokens(self):
        out = []
        while True:
            t = self.next()
            out.append(t)
            if t.kind == "EOF":
                return out

    def _skip_space_and_comments(self):
        """Skips blanks and comments. Returns a NL token when a newline (or
        a comment that spans one) ends the line, else None."""
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            if c in " \t\r":
                self.pos += 1
            elif c == "\n":
                t = Tok("NL", "\n", self.pos, self.pos + 1, self.line)
                self.pos += 1
                self.line += 1
                return t
            elif c == "#" or src.startswith("//", self.pos):
                nl = src.find("\n", self.pos)
                self.pos = len(src) if nl < 0 else nl
            elif src.startswith("/*", self.pos):
                end = src.find("*/", self.pos + 2)
                if end < 0:
                    self.fail("unterminated /* comment")
                body = src[self.pos:end]
                start_line = self.line
                self.line += body.count("\n")
                self.pos = end + 2
                if "\n" in body:
                    return Tok("NL", "\n", self.pos, self.pos, start_line)
            else:
                return None
        return None

    def next(self):
        nl = self._skip_space_and_comments()
        if nl:
            return nl
        src, p = self.src, self.pos
        if p >= len(src):
            return Tok("EOF", "", p, p, self.line)
        c = src[p]
        line = self.line
        if c == '"':
            return self._quoted()
        if src.startswith("<<", p):
            m = _HEREDOC.match(src, p)
            if m:
                return self._heredoc(m)
        m = _IDENT.match(src, p)
        if m:
            self.pos = m.end()
            return Tok("IDENT", m.group(), p, m.end(), line)
        m = _NUMBER.match(src, p)
        if m:
            self.pos = m.end()
            return Tok("NUMBER", m.group(), p, m.end(), line)
        for group in (_PUNCT3, _PUNCT2):
            for op in group:
                if src.startswith(op, p):
                    self.pos = p + len(op)
                    return Tok("PUNCT", op, p, self.pos, line)
        if c in _PUNCT1:
            self.pos = p + 1
            return Tok("PUNCT", c, p, p + 1, line)
        self.fail(f"unexpected character {c!r}")

    def _interpolation(self):
        """After ${ or %{: skips the expression up to its closing brace."""
        depth = 1
        start_line = self.line
        while True:
            t = self.next()
            if t.kind == "EOF":
                self.fail("unterminated ${...} or %{...} in a string", start_line)
            if t.kind == "PUNCT" and t.text == "{":
                depth += 1
            elif t.kind == "PUNCT" and t.text == "}":
                depth -= 1
                if depth == 0:
                    return

    def _quoted(self):
        src = self.src
        start, line = self.pos, self.line
        self.pos += 1
        out = []
        template = False
        while True:
            if self.pos >= len(src):
                self.fail("unterminated string", line)
            c = src[self.pos]
            if c == '"':
                self.pos += 1
                break
            if c == "\n":
                self.fail("newline inside a quoted string (use a heredoc for several lines)", line)
            if c == "\\":
                e = src[self.pos + 1:self.pos + 2]
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                    self.pos += 2
                elif e in ("u", "U"):
                    n = 4 if e == "u" else 8
                    digits = src[self.pos + 2:self.pos + 2 + n]
                    if not re.fullmatch(r"[0-9A-Fa-f]{%d}" % n, digits):
                        self.fail(f"bad \\{e} escape in a string: needs {n} hex digits")
                    out.append(chr(int(digits, 16)))
                    self.pos += 2 + n
                else:
                    self.fail(f"unknown escape \\{e} in a string")
                continue
            if src.startswith("$${", self.pos) or src.startswith("%%{", self.pos):
                out.append(c + "{")
                self.pos += 3
                continue
            if src.startswith("${", self.pos) or src.startswith("%{", self.pos):
                template = True
                self.pos += 2
                self._interpolation()
                continue
            out.append(c)
            self.pos += 1
        value = None if template else "".join(out)
        return Tok("STRING", src[start:self.pos], start, self.pos, line, value, template)

    def _heredoc(self, m):
        src = self.src
        start, line = self.pos, self.line
        flush, marker = m.group(1) == "-", m.group(2)
        self.pos = m.end()
        self.line += 1
        lines = []
        while True:
            if self.pos >= len(src):
                self.fail(f"heredoc <<{'-' if flush else ''}{marker} has no closing {marker} line", line)
            nl = src.find("\n", self.pos)
            end = len(src) if nl < 0 else nl + 1
            text = src[self.pos:end]
            self.pos = end
            self.line += 1
            if text.lstrip(" \t").rstrip("\r\n") == marker:
                # The newline after the marker ends the attribute: give it back.
                if text.endswith("\n"):
                    self.pos -= 1
                    self.line -= 1
                break
            lines.append(text)
        body = "".join(lines)
        template = bool(re.search(r"(?<![$%])[$%]\{", body.replace("$${", "").replace("%%{", "")))
        value = None
        if not template:
            if flush:
                lines = _flush(lines)
            value = "".join(lines).replace("$${", "${").replace("%%{", "%{")
        # The token ends with the marker, before the newline that follows it.
        return Tok("HEREDOC", src[start:self.pos], start, self.pos, line, value, template)


def _flush(lines):
    """<<-: removes the leading whitespace all non-blank lines share, as
    Terraform does (whitespace-only lines neither count nor change)."""
    widths = [len(s) - len(s.lstrip(" \t")) for s in lines if s.strip(" \t\r\n")]
    cut = min(widths) if widths else 0
    return [s[cut:] if s.strip(" \t\r\n") else s for s in lines]


# --------------------------------------------------------------------------
# Structure: blocks, attributes, and the few expressions documented
# --------------------------------------------------------------------------

_OPEN = {"(": ")", "[": "]", "{": "}"}


class Attr:
    def __init__(self, name, toks, line, text):
        self.name = name
        self.toks = toks   # the expression's tokens (newlines inside brackets kept)
        self.line = line
        self.text = text   # the expression's source text


class Block:
    def __init__(self, type_, labels, line):
        self.type = type_
        self.labels = labels
        self.line = line
        self.attrs = {}
        self.blocks = []


class Parser:
    def __init__(self, toks, src, path):
        self.toks = toks
        self.src = src
        self.path = path
        self.i = 0

    def fail(self, message, tok=None):
        raise HclError(self.path, (tok or self.peek()).line, message)

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def skip_nl(self):
        while self.peek().kind == "NL":
            self.i += 1

    def body(self, owner, closing):
        while True:
            self.skip_nl()
            t = self.peek()
            if closing and t.kind == "PUNCT" and t.text == "}":
                self.i += 1
                return
            if t.kind == "EOF":
                if closing:
                    self.fail(f"block {owner.type} opened on line {owner.line} is never closed")
                return
            if t.kind != "IDENT":
                self.fail(f"expected an attribute or block name, found {t.text or t.kind!r}")
            self.i += 1
            nxt = self.peek()
            if nxt.kind == "PUNCT" and nxt.text == "=":
                self.i += 1
                if t.text in owner.attrs:
                    self.fail(f"attribute {t.text} is set twice", t)
                owner.attrs[t.text] = self.expression(t)
                self.end_of_item()
                continue
            labels = []
            while self.peek().kind in ("STRING", "IDENT"):
                lt = self.take()
                if lt.kind == "STRING":
                    if lt.template:
                        self.fail("a block label cannot be a template", lt)
                    labels.append(lt.value)
                else:
                    labels.append(lt.text)
            op = self.take()
            if not (op.kind == "PUNCT" and op.text == "{"):
                self.fail(f"expected = or {{ after {t.text}, found {op.text or op.kind!r}", op)
            blk = Block(t.text, labels, t.line)
            owner.blocks.append(blk)
            self.body(blk, True)
            self.end_of_item()

    def end_of_item(self):
        t = self.peek()
        if t.kind in ("NL", "EOF") or (t.kind == "PUNCT" and t.text == "}"):
            return
        self.fail(f"expected a new line, found {t.text or t.kind!r}")

    def expression(self, name_tok):
        """The tokens of one attribute value: up to a newline outside
        brackets, or the } that closes a one-line block."""
        start = self.i
        stack = []
        while True:
            t = self.peek()
            if t.kind == "EOF":
                if stack:
                    self.fail(f"{stack[-1][0]} opened on line {stack[-1][1]} is never closed", t)
                break
            if t.kind == "NL" and not stack:
                break
            if t.kind == "PUNCT":
                if t.text in _OPEN:
                    stack.append((t.text, t.line))
                elif t.text in (")", "]", "}"):
                    if not stack:
                        if t.text == "}":
                            break
                        self.fail(f"unmatched {t.text}", t)
                    want = _OPEN[stack[-1][0]]
                    if t.text != want:
                        self.fail(f"{t.text} closes {stack[-1][0]} from line {stack[-1][1]}", t)
                    stack.pop()
            self.i += 1
        toks = self.toks[start:self.i]
        if not [x for x in toks if x.kind != "NL"]:
            self.fail(f"attribute {name_tok.text} has no value", name_tok)
        text = self.src[toks[0].start:toks[-1].end]
        return Attr(name_tok.text, toks, name_tok.line, text)


def parse_file(path, shown_as=None):
    """The blocks of one file. Messages name it `shown_as` (default: path)."""
    shown_as = shown_as or str(path)
    src = pathlib.Path(path).read_text(encoding="utf-8")
    toks = Lexer(src, shown_as).tokens()
    top = Block("(file)", [], 1)
    Parser(toks, src, shown_as).body(top, False)
    if top.attrs:
        a = next(iter(top.attrs.values()))
        raise HclError(shown_as, a.line, f"attribute {a.name} outside any block")
    return top


# ---- literal values (defaults, descriptions, flags) and type constraints ----

class Cursor:
    """Walks an attribute's tokens. Newlines only occur inside brackets
    there: insignificant inside ( ) and [ ], separators inside { }."""

    def __init__(self, toks, path, what):
        self.toks = toks
        self.i = 0
        self.path = path
        self.what = what

    def fail(self, message, tok=None):
        if tok is None:
            tok = self.toks[min(self.i, len(self.toks) - 1)]
        raise HclError(self.path, tok.line, f"{self.what}: {message}")

    def skip_nl(self):
        while self.i < len(self.toks) and self.toks[self.i].kind == "NL":
            self.i += 1

    def peek(self):
        self.skip_nl()
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.peek()
        if t is None:
            self.fail("the value ends too early")
        self.i += 1
        return t

    def at(self, text):
        t = self.peek()
        return t is not None and t.kind == "PUNCT" and t.text == text

    def expect(self, text):
        t = self.peek()
        if t is None or t.kind != "PUNCT" or t.text != text:
            self.fail(f"expected {text!r}, found {t.text if t else 'the end'!r}", t)
        self.i += 1

    def item_separator(self, closing):
        """After an item of { }: a comma, a newline, or the closing brace."""
        if self.i < len(self.toks) and self.toks[self.i].kind == "NL":
            self.skip_nl()
            if self.at(","):
                self.i += 1
            return
        if self.at(","):
            self.i += 1
            return
        if not self.at(closing):
            t = self.peek()
            self.fail(f"expected a comma, a new line or {closing!r}, found {t.text if t else 'the end'!r}", t)

    def end(self):
        t = self.peek()
        if t is not None:
            self.fail(f"unexpected {t.text or t.kind!r}; the documentation needs a constant here", t)


class Literal(Cursor):
    def whole(self):
        v = self.value()
        self.end()
        return v

    def value(self):
        t = self.take()
        if t.kind in ("STRING", "HEREDOC"):
            if t.template:
                self.fail("a template (${...} or %{...}) is not a literal value", t)
            return t.value
        if t.kind == "NUMBER":
            return _number(t.text)
        if t.kind == "PUNCT" and t.text == "-" and self.peek() is not None and self.peek().kind == "NUMBER":
            return -_number(self.take().text)
        if t.kind == "IDENT" and t.text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[t.text]
        if t.kind == "PUNCT" and t.text == "[":
            items = []
            while not self.at("]"):
                items.append(self.value())
                if self.at(","):
                    self.i += 1
                elif not self.at("]"):
                    self.fail("expected , or ] in a list")
            self.i += 1
            return items
        if t.kind == "PUNCT" and t.text == "{":
            obj = {}
            while not self.at("}"):
                k = self.take()
                if k.kind == "IDENT":
                    key = k.text
                elif k.kind == "STRING" and not k.template:
                    key = k.value
                else:
                    self.fail(f"object key {k.text!r} is not a name or a quoted string", k)
                if not (self.at("=") or self.at(":")):
                    self.fail(f"expected = or : after the object key {key}")
                self.i += 1
                if key in obj:
                    self.fail(f"object key {key} appears twice", k)
                obj[key] = self.value()
                self.item_separator("}")
            self.i += 1
            return obj
        self.fail(f"not a literal value ({t.text or t.kind!r}); the documentation needs a constant here", t)


def _number(text):
    if re.fullmatch(r"\d+", text):
        return int(text)
    return float(text)


def literal(attr, path, what):
    return Literal(attr.toks, path, what).whole()


_PRIMITIVES = ("string", "number", "bool", "any")


class TypeExpr(Cursor):
    def whole(self):
        ty = self.type(in_object=False)
        self.end()
        return ty

    def type(self, in_object):
        t = self.take()
        if t.kind != "IDENT":
            self.fail(f"expected a type, found {t.text or t.kind!r}", t)
        name = t.text
        if name in _PRIMITIVES:
            return [name]
        if name in ("list", "set", "map"):
            self.expect("(")
            inner = self.type(False)
            self.expect(")")
            return [name, inner]
        if name == "tuple":
            self.expect("(")
            self.expect("[")
            items = []
            while not self.at("]"):
                items.append(self.type(False))
                if self.at(","):
                    self.i += 1
                elif not self.at("]"):
                    self.fail("expected , or ] in tuple([...])")
            self.expect("]")
            self.expect(")")
            return ["tuple", items]
        if name == "object":
            self.expect("(")
            self.expect("{")
            attrs, seen = [], set()
            while not self.at("}"):
                k = self.take()
                if k.kind == "IDENT":
                    key = k.text
                elif k.kind == "STRING" and not k.template:
                    key = k.value
                else:
                    self.fail(f"expected an attribute name in object({{...}}), found {k.text!r}", k)
                if key in seen:
                    self.fail(f"attribute {key} appears twice in object({{...}})", k)
                seen.add(key)
                if not (self.at("=") or self.at(":")):
                    self.fail(f"expected = after {key} in object({{...}})")
                self.i += 1
                attrs.append([key, self.type(True)])
                self.item_separator("}")
            self.expect("}")
            self.expect(")")
            return ["object", attrs]
        if name == "optional":
            if not in_object:
                self.fail("optional(...) is only allowed for an attribute of object({...})", t)
            self.expect("(")
            inner = self.type(False)
            if self.at(","):
                self.i += 1
                lit = Literal(self.toks, self.path, self.what + " (optional default)")
                lit.i = self.i
                default = lit.value()
                self.i = lit.i
                self.expect(")")
                return ["optional", inner, default]
            self.expect(")")
            return ["optional", inner]
        self.fail(f"unknown type {name!r} (known: string, number, bool, any, list, set, map, "
                  "tuple, object, optional)", t)


def parse_type(attr, path, what):
    return TypeExpr(attr.toks, path, what).whole()


def render_type(ty):
    kind = ty[0]
    if kind in _PRIMITIVES:
        return kind
    if kind in ("list", "set", "map"):
        return f"{kind}({render_type(ty[1])})"
    if kind == "tuple":
        return "tuple([" + ", ".join(render_type(t) for t in ty[1]) + "])"
    if kind == "object":
        if not ty[1]:
            return "object({})"
        return "object({ " + ", ".join(f"{_key(k)} = {render_type(t)}" for k, t in ty[1]) + " })"
    if kind == "optional":
        if len(ty) == 3:
            return f"optional({render_type(ty[1])}, {render_value(ty[2])})"
        return f"optional({render_type(ty[1])})"
    raise ValueError(ty)


def _key(k):
    return k if re.fullmatch(r"[^\W\d][\w-]*", k) else json.dumps(k, ensure_ascii=False)


def render_value(v):
    """A literal as HCL, on one line."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(render_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {render_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(v)
