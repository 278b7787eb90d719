# SPDX-License-Identifier: MIT
"""mutants.py - the mutants of a C (or CUDA C++) source file.

A small lexer (comments, strings, preprocessor lines and C's punctuators)
and a few token patterns; no parser. Each mutant is one edit of the file's
text. Classes (the names the reports use):

  ror     comparison operator: < <= > >= == != (boundary and negation)
  aor     arithmetic, bitwise and logical operator, compound assignment,
          ++/-- (+ -, * /, % *, << >>, & |, ^ |, && ||, ...)
  const   integer constant: 0 -> 1, 1 -> 0, N -> N+1 and N-1
  drop    dropped check: `if (C) return/goto/break/continue` (or a block
          ending in one, no else) becomes `if ((C) && 0)`: the condition is
          still evaluated (its side effects stay), the branch never taken
  swap    swapped operands of a non-commutative binary operator whose two
          operands are simple (identifiers, constants, calls, members)
  ret     early success return: `return 0;` first thing in an int function
          (after its declarations), `return;` in a void function

Only code inside function bodies and brace initializers is mutated, never
preprocessor lines, array sizes of declarations, sizeof, or attributes.

Each mutant has a stable id: a hash of the file's path, the class, the
edited text, its replacement and the text of the lines it touches (and an
ordinal among identical ones), so ids survive edits elsewhere in the file.
"""

import hashlib
import re

# ------------------------------------------------------------------ lexer

PUNCTS = sorted("""
<<= >>= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= :: ##
{ } [ ] ( ) ; , . ? : ~ ! + - * / % & | ^ = < > #
""".split(), key=len, reverse=True)

TOKEN_RE = re.compile(r"""
  (?P<ws>[ \t\r\f\v\n]+)
| (?P<comment>//(?:[^\n\\]|\\.|\\\n)*|/\*.*?\*/)
| (?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*")
| (?P<chr>(?:[uUL])?'(?:[^'\\\n]|\\.)*')
| (?P<num>\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.'])*)
| (?P<id>[A-Za-z_][A-Za-z0-9_]*)
| (?P<punct>""" + "|".join(re.escape(p) for p in PUNCTS) + r""")
""", re.S | re.X)

PP_RE = re.compile(r"#(?:[^\n\\/]|\\.|\\\n|/\*.*?\*/|//[^\n]*|/)*", re.S)


class Tok:
    __slots__ = ("kind", "text", "start", "end", "line", "match")

    def __init__(self, kind, text, start, end, line):
        self.kind, self.text, self.start, self.end, self.line = \
            kind, text, start, end, line
        self.match = None   # index of the matching bracket

    def __repr__(self):
        return "Tok(%s %r @%d)" % (self.kind, self.text, self.line)


class LexError(Exception):
    pass


def tokenize(src):
    """Tokens of @src without whitespace and comments; a preprocessor
    directive is one token of kind 'pp'."""
    toks = []
    pos, line, bol = 0, 1, True
    n = len(src)
    while pos < n:
        if bol:
            m = re.compile(r"[ \t]*#").match(src, pos)
            if m:
                start = m.end() - 1
                pm = PP_RE.match(src, start)
                toks.append(Tok("pp", pm.group(0), start, pm.end(), line))
                line += pm.group(0).count("\n")
                pos = pm.end()
                continue
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise LexError("line %d: cannot read %r" % (line, src[pos:pos + 20]))
        kind = m.lastgroup
        text = m.group(0)
        if kind not in ("ws", "comment"):
            toks.append(Tok(kind, text, pos, m.end(), line))
            bol = False
        nl = text.count("\n")
        if nl:
            line += nl
            bol = kind == "ws" and text.endswith("\n") or \
                kind == "ws" and "\n" in text and \
                text[text.rindex("\n") + 1:].strip(" \t") == ""
        pos = m.end()
    # bracket matching
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for i, t in enumerate(toks):
        if t.kind != "punct":
            continue
        if t.text in "([{":
            stack.append(i)
        elif t.text in ")]}":
            if not stack or toks[stack[-1]].text != pairs[t.text]:
                raise LexError("line %d: unbalanced %r" % (t.line, t.text))
            j = stack.pop()
            toks[i].match, toks[j].match = j, i
    if stack:
        raise LexError("line %d: unclosed %r" % (toks[stack[-1]].line,
                                                toks[stack[-1]].text))
    return toks


# ------------------------------------------------------------- vocabulary

KEYWORDS = set("""
auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof
static struct switch typedef union unsigned void volatile while _Bool _Complex
_Static_assert _Alignof _Alignas _Generic _Thread_local bool
template typename class namespace public private protected operator new delete
this using virtual constexpr static_cast reinterpret_cast const_cast
dynamic_cast decltype noexcept static_assert __attribute__ __typeof__ typeof
asm __asm__ __extension__
""".split())

TYPE_WORDS = set("""
char const double enum float int long short signed struct union unsigned void
volatile _Bool bool static register extern inline auto restrict __force
""".split())

TYPEDEF_RE = re.compile(
    r"^(?:\w+_t|[us](?:8|16|32|64)|__[us](?:8|16|32|64)|__[bl]e(?:16|32|64)"
    r"|__wsum|__sum16|uint[248]|float[24]|[A-Z])$")

NO_MUTATE_CALLS = set("""
sizeof __attribute__ _Static_assert static_assert BUILD_BUG_ON
BUILD_BUG_ON_MSG _Alignof alignof __alignof__ offsetof typeof __typeof__
decltype MODULE_PARM_DESC module_param module_param_named
""".split())

JUMPS = ("return", "goto", "break", "continue")

PREC = {
    "*": 13, "/": 13, "%": 13,
    "+": 12, "-": 12,
    "<<": 11, ">>": 11,
    "<": 10, "<=": 10, ">": 10, ">=": 10,
    "==": 9, "!=": 9,
    "&": 8, "^": 7, "|": 6, "&&": 5, "||": 4,
}
ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="}

ROR = {"<": ["<="], "<=": ["<"], ">": [">="], ">=": [">"],
       "==": ["!="], "!=": ["=="]}
AOR = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["*"],
       "<<": [">>"], ">>": ["<<"], "&": ["|"], "|": ["&"], "^": ["|"],
       "&&": ["||"], "||": ["&&"],
       "+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="],
       "|=": ["&="], "&=": ["|="], "^=": ["|="], "<<=": [">>="],
       ">>=": ["<<="], "++": ["--"], "--": ["++"]}
SWAP_OPS = {"-", "/", "%", "<<", ">>", "<", "<=", ">", ">="}


def is_value_end(t):
    """Can @t end an operand (so an operator after it is binary)?"""
    if t.kind in ("num", "str", "chr"):
        return True
    if t.kind == "id":
        return t.text not in KEYWORDS
    return t.text in (")", "]")


def typeish(t):
    return t.kind == "id" and (t.text in TYPE_WORDS or TYPEDEF_RE.match(t.text))


# ---------------------------------------------------------------- mutants

class Mutant:
    __slots__ = ("path", "cls", "start", "end", "repl", "line", "orig",
                 "id", "before", "after", "text")

    def __init__(self, path, cls, start, end, repl, line):
        self.path, self.cls, self.start, self.end, self.repl, self.line = \
            path, cls, start, end, repl, line
        self.orig = None
        self.id = None
        self.before = self.after = None

    def apply(self, src):
        return src[:self.start] + self.repl + src[self.end:]

    def describe(self):
        return "%s:%d %s %s  `%s` -> `%s`" % (self.path, self.line, self.id,
                                              self.cls, self.before, self.after)

    def as_dict(self):
        return {"id": self.id, "file": self.path, "line": self.line,
                "class": self.cls, "before": self.before, "after": self.after}


class _Scan:
    """One pass over a file's tokens that finds the mutation sites."""

    def __init__(self, path, src, undef=()):
        self.path, self.src, self.undef = path, src, set(undef)
        self.toks = tokenize(src)
        self.out = []
        # per token: may it be mutated?, and statement start index
        n = len(self.toks)
        self.ok = [False] * n
        self.stmt = [0] * n
        self.decl = [False] * n       # inside a declaration statement
        self.funcs = []               # (open brace index, kind: int|void|other)
        self._classify()

    # --- structure
    def _func_kind(self, i):
        """@i is a '{' after ')': the function's return type, or None if
        the brace does not open a function body."""
        toks = self.toks
        close = i - 1
        while toks[close].kind == "id" and toks[close].text in ("const", "override",
                                                                  "noexcept"):
            close -= 1
        if toks[close].text != ")":
            return None
        op = toks[close].match
        name = op - 1
        if name < 0 or toks[name].kind != "id" or toks[name].text in KEYWORDS:
            return None
        j = name - 1
        rtype = []
        while j >= 0 and toks[j].kind != "pp" and \
                toks[j].text not in (";", "}", "{", ")", ">"):
            rtype.append(toks[j].text)
            j -= 1
        if "*" in rtype or "&" in rtype:
            return "other"
        if "int" in rtype and not set(rtype) & {"unsigned", "long", "short", "char"}:
            return "int"
        if "void" in rtype:
            return "void"
        return "other"

    def _classify(self):
        toks = self.toks
        stack = []          # brace kinds: 'func', 'block', 'init', 'agg'
        cond = []           # preprocessor conditionals: [active now, kind]
        stmt_start = 0
        for i, t in enumerate(toks):
            if t.kind == "pp":
                self._pp(t.text, cond)
                stmt_start = i + 1
                continue
            self.stmt[i] = stmt_start
            self.ok[i] = "agg" not in stack[-1:] and \
                any(k in ("func", "init") for k in stack) and \
                all(c[0] for c in cond)
            if t.text == "{":
                stack.append(self._brace_kind(i, stack))
                if stack[-1] == "func":
                    self.funcs.append((i, self._func_kind(i)))
                if stack[-1] != "init":     # an initializer is inside its statement
                    stmt_start = i + 1
            elif t.text == "}":
                if stack and stack.pop() != "init":
                    stmt_start = i + 1
            elif t.text == ";" and self._paren_depth_zero(i, stmt_start):
                stmt_start = i + 1
        for i in range(len(toks)):
            self.decl[i] = self._is_decl_stmt(self.stmt[i])
        self._mark_excluded()

    def _pp(self, text, cond):
        """Track #if nesting: code the tier never compiles (#if 0, the
        branches of the symbols in self.undef) is not mutated."""
        m = re.match(r"#\s*(\w+)\s*(.*)", text, re.S)
        if not m:
            return
        d, arg = m.group(1), " ".join(m.group(2).split())
        if d in ("if", "ifdef", "ifndef"):
            sym = arg
            if d == "if":
                dm = re.match(r"^(!?)\s*(?:defined\s*\(?\s*(\w+)\s*\)?|(\w+))$", arg)
                if arg == "0":
                    cond.append([False, "never"])
                    return
                if not dm:
                    cond.append([True, "other"])
                    return
                neg = dm.group(1) == "!"
                sym = dm.group(2) or dm.group(3)
            else:
                neg = d == "ifndef"
                sym = arg.split()[0] if arg else ""
            if sym in self.undef:
                cond.append([neg, "undef-neg" if neg else "undef"])
            else:
                cond.append([True, "other"])
        elif d in ("else", "elif") and cond:
            kind = cond[-1][1]
            if kind in ("never", "undef"):
                cond[-1][0] = True
            elif kind == "undef-neg":
                cond[-1][0] = False
        elif d == "endif" and cond:
            cond.pop()

    def _brace_kind(self, i, stack):
        toks = self.toks
        prev = toks[i - 1].text if i else ""
        in_func = "func" in stack
        if prev in ("=", "return") or (prev in (",", "{") and stack[-1:] == ["init"]):
            return "init"
        if prev == ")" and stack[-1:] == ["init"]:
            return "init"           # compound literal in an initializer
        if prev in (")", "const", "override", "noexcept") and not in_func \
                and self._func_kind(i):
            return "func"
        if self._opens_aggregate(i):
            return "agg"
        return "block" if in_func else "agg"

    def _opens_aggregate(self, i):
        toks = self.toks
        j = i - 1
        while j >= 0 and toks[j].kind == "id":
            if toks[j].text in ("struct", "union", "enum", "namespace", "class"):
                return True
            j -= 1
        return j >= 0 and toks[j].kind == "str"      # extern "C" {

    def _paren_depth_zero(self, i, start):
        """Is token @i outside every parenthesis opened since @start?"""
        depth = 0
        for t in self.toks[start:i]:
            if t.text in ("(", "["):
                depth += 1
            elif t.text in (")", "]"):
                depth -= 1
        return depth <= 0

    def _is_decl_stmt(self, s):
        toks = self.toks
        if s >= len(toks):
            return False
        t = toks[s]
        if t.kind != "id":
            return False
        if t.text in TYPE_WORDS or t.text == "typedef" or typeish(t):
            return True
        if t.text in KEYWORDS:
            return False
        if s + 1 < len(toks):
            u = toks[s + 1]
            if u.kind == "id" and u.text not in KEYWORDS:
                return True                     # my_type x
            if u.text == "*" and s + 2 < len(toks) and toks[s + 2].kind == "id" \
                    and s + 3 < len(toks) and toks[s + 3].text in ("=", ";", ",", "["):
                return True                     # my_type *x = ...
        return False

    def _mark_excluded(self):
        """No mutation in sizeof(...), attributes, asserts and array sizes
        of declarations."""
        toks = self.toks
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "id" and t.text in NO_MUTATE_CALLS and i + 1 < len(toks) \
                    and toks[i + 1].text == "(":
                end = toks[i + 1].match
                for k in range(i, end + 1):
                    self.ok[k] = False
                i = end + 1
                continue
            if t.text == "sizeof":
                self.ok[i] = False
            if t.text == "[" and self.decl[i] and i and toks[i - 1].kind == "id" \
                    and self._declarator_position(i):
                for k in range(i, t.match + 1):
                    self.ok[k] = False
            i += 1

    def _declarator_position(self, i):
        """In a declaration statement, is @i before the '=' of its
        declarator (so a '[' there is an array size)?"""
        toks = self.toks
        depth = 0
        for k in range(i - 1, self.stmt[i] - 1, -1):
            x = toks[k].text
            if x in (")", "]", "}"):
                depth += 1
            elif x in ("(", "[", "{"):
                if depth == 0:
                    return False            # inside an initializer's brackets
                depth -= 1
            elif depth == 0 and x == "=":
                return False
            elif depth == 0 and x == ",":
                return True
        return True

    # --- helpers
    def add(self, cls, start, end, repl, line):
        self.out.append(Mutant(self.path, cls, start, end, repl, line))

    def binary(self, i):
        """Is the operator at @i binary?"""
        toks = self.toks
        if i == 0:
            return False
        p = toks[i - 1]
        if not is_value_end(p):
            return False
        t = toks[i]
        if p.text == ")" and self._is_cast(p.match, i - 1):
            return False
        if t.text in ("*", "&"):
            # declarations: `type *x`, `struct s *x`, `const T &a`
            if typeish(p) or (i >= 2 and toks[i - 2].kind == "id" and
                              toks[i - 2].text in ("struct", "union", "enum",
                                                   "const", "volatile")):
                return False
            if i + 1 < len(toks) and toks[i + 1].text in (")", ",", "*", ">"):
                return False
            if self.stmt[i] == i - 1 and i + 1 < len(toks) and \
                    toks[i + 1].kind == "id" and self.decl[i]:
                return False
        return True

    def _is_cast(self, op, cl):
        inner = self.toks[op + 1:cl]
        if not inner or not (typeish(inner[0]) or inner[0].text in TYPE_WORDS):
            return False
        return all(x.kind == "id" or x.text in ("*", "::") for x in inner)

    def template_angle(self, i):
        """Is the '<' or '>' at @i a C++ template bracket?"""
        toks = self.toks
        t = toks[i]
        if t.text == "<":
            if i and toks[i - 1].text == "template":
                return True
            return self._template_close(i) is not None
        if t.text == ">":
            # find a '<' a few tokens back that closes here
            for k in range(i - 1, max(-1, i - 12), -1):
                if toks[k].text == "<" and (self._template_close(k) == i or
                                            (k and toks[k - 1].text == "template")):
                    return True
                if toks[k].text in (";", "{", "}", "(", ")"):
                    break
        return False

    def _template_close(self, i):
        toks = self.toks
        if not i or toks[i - 1].kind != "id" or toks[i - 1].text in KEYWORDS:
            return None
        k = i + 1
        while k < len(toks) and k < i + 10:
            x = toks[k]
            if x.text == ">":
                nxt = toks[k + 1].text if k + 1 < len(toks) else ""
                return k if nxt in ("(", "::", ">") else None
            if not (x.kind in ("id", "num") or x.text in ("::", ",", "*")):
                return None
            k += 1
        return None

    def operand_back(self, i):
        """Start of the simple operand ending at token @i, or None."""
        toks = self.toks
        k = i
        while True:
            t = toks[k]
            if t.text in (")", "]"):
                o = t.match
                if o and (toks[o - 1].kind == "id" and toks[o - 1].text not in KEYWORDS
                          or toks[o - 1].text in (")", "]")):
                    k = o - 1
                    continue
                if t.text == "]":
                    return None
                start = o
            elif t.kind in ("id", "num", "chr", "str"):
                if t.kind == "id" and t.text in KEYWORDS:
                    return None
                start = k
            else:
                return None
            if start and toks[start - 1].text in (".", "->"):
                k = start - 2
                continue
            return start

    def operand_fwd(self, i):
        """End (last token) of the simple operand starting at @i, or None."""
        toks = self.toks
        if i >= len(toks):
            return None
        t = toks[i]
        if t.text == "(":
            k = t.match
        elif t.kind in ("num", "chr", "str") or \
                (t.kind == "id" and t.text not in KEYWORDS):
            k = i
        else:
            return None
        while k + 1 < len(toks):
            x = toks[k + 1]
            if x.text in ("(", "["):
                k = x.match
            elif x.text in (".", "->") and k + 2 < len(toks) and toks[k + 2].kind == "id":
                k += 2
            else:
                break
        return k

    # --- the classes
    def scan(self):
        toks = self.toks
        for i, t in enumerate(toks):
            if not self.ok[i]:
                continue
            if t.kind == "punct":
                self._operator(i, t)
            elif t.kind == "num":
                self._constant(i, t)
            elif t.kind == "id" and t.text == "if":
                self._drop(i)
        for brace, kind in self.funcs:
            self._early_return(brace, kind)
        return self.out

    def _operator(self, i, t):
        op = t.text
        if op in ROR and op in ("<", ">") and self.template_angle(i):
            return
        if op in ROR or op in ("+", "-", "*", "/", "%", "<<", ">>", "&", "|",
                               "^", "&&", "||"):
            if not self.binary(i):
                return
        if op in ROR:
            for r in ROR[op]:
                self.add("ror", t.start, t.end, r, t.line)
        elif op in AOR:
            for r in AOR[op]:
                self.add("aor", t.start, t.end, r, t.line)
        if op in SWAP_OPS:
            self._swap(i, t)

    def _swap(self, i, t):
        toks = self.toks
        p = PREC[t.text]
        ls = self.operand_back(i - 1)
        re_ = self.operand_fwd(i + 1)
        if ls is None or re_ is None:
            return
        if ls:
            b = toks[ls - 1]
            if b.text in ("(", "[", ",", ";", "{", "}", "?", ":", "return") or \
                    b.text in ASSIGN:
                pass
            elif b.text in PREC and PREC[b.text] < p and self.binary(ls - 1):
                pass
            else:
                return
        if re_ + 1 < len(toks):
            a = toks[re_ + 1]
            if a.text in (")", "]", ",", ";", "}", "?", ":") or a.text in ASSIGN:
                pass
            elif a.text in PREC and PREC[a.text] <= p:
                pass
            else:
                return
        left = self.src[toks[ls].start:toks[i - 1].end]
        right = self.src[toks[i + 1].start:toks[re_].end]
        if left == right:
            return
        mid = self.src[toks[i - 1].end:toks[i + 1].start]
        self.add("swap", toks[ls].start, toks[re_].end, right + mid + left, t.line)

    def _constant(self, i, t):
        m = re.match(r"^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$", t.text)
        if not m:
            return          # floating point, or something odd
        digits, suffix = m.group(1), m.group(2)
        toks = self.toks
        if i and toks[i - 1].text in ("#", "##"):
            return
        # `case N:` labels: a mutated one may duplicate another: still fine
        low = digits.lower()
        if low.startswith("0x"):
            v = int(low, 16)
            fmt = lambda x: digits[:2] + ("%0" + str(len(digits) - 2) + "x") % x  # noqa: E731
        elif low.startswith("0b"):
            v, fmt = int(low[2:], 2), lambda x: "0b" + bin(x)[2:]
        elif len(digits) > 1 and digits.startswith("0"):
            v, fmt = int(digits, 8), lambda x: "0%o" % x
        else:
            v, fmt = int(digits), str
        if low.startswith("0x") and any(c in "ABCDEF" for c in digits[2:]):
            f0 = fmt
            fmt = lambda x: digits[:2] + f0(x)[2:].upper()    # noqa: E731
        news = []
        if v == 0:
            news = [1]
        elif v == 1:
            news = [0]
        else:
            news = [v + 1, v - 1]
        for nv in news:
            self.add("const", t.start, t.end, fmt(nv) + suffix, t.line)

    def _drop(self, i):
        toks = self.toks
        if i + 1 >= len(toks) or toks[i + 1].text != "(":
            return
        co = i + 1
        cc = toks[co].match
        b = cc + 1
        if b >= len(toks):
            return
        if toks[b].text == "{":
            end = toks[b].match
            # the last statement of the block
            k = end - 1
            if toks[k].text != ";":
                return
            s = self.stmt[k]
            if s <= b or toks[s].text not in JUMPS:
                return
            after = end + 1
        else:
            if toks[b].text not in JUMPS:
                return
            k = b
            while k < len(toks) and toks[k].text != ";":
                k = toks[k].match if toks[k].text in ("(", "[", "{") else k
                k += 1
            after = k + 1
        if after < len(toks) and toks[after].text == "else":
            return
        cond = self.src[toks[co].start:toks[cc].end]
        self.add("drop", toks[co].start, toks[cc].end, "(" + cond + " && 0)",
                 toks[i].line)

    def _early_return(self, brace, kind):
        if kind not in ("int", "void"):
            return
        toks = self.toks
        end = toks[brace].match
        k = brace + 1
        # skip the declarations at the top of the body
        while k < end and self.stmt[k] == k and self.decl[k]:
            while k < end and toks[k].text != ";":
                k = toks[k].match if toks[k].text in ("(", "[", "{") else k
                k += 1
            k += 1
        first = toks[k]
        if kind == "int":
            if first.text == "return" and k + 2 < len(toks) and \
                    toks[k + 1].text == "0" and toks[k + 2].text == ";":
                return
            repl = "return 0; "
        else:
            if first.text == "}" or first.text == "return":
                return
            repl = "return; "
        self.add("ret", first.start, first.start, repl, first.line)


def _line_of(src, pos):
    s = src.rfind("\n", 0, pos) + 1
    e = src.find("\n", pos)
    return s, (len(src) if e < 0 else e)


def mutants(path, src, undef=()):
    """Every mutant of @src (the text of the file at @path, repo-relative),
    in file order, with ids and before/after lines filled in. Code under
    `#ifdef SYM` for SYM in @undef (and `#if 0`) is left alone."""
    found = _Scan(path, src, undef).scan()
    found.sort(key=lambda m: (m.start, m.end, m.cls, m.repl))
    seen = {}
    out = []
    for m in found:
        ls, _ = _line_of(src, m.start)
        _, le = _line_of(src, max(m.start, m.end - 1) if m.end > m.start else m.start)
        before = src[ls:le]
        mutated = m.apply(src)
        after = mutated[ls:le + len(m.repl) - (m.end - m.start)]
        if before == after:
            continue
        m.before = " ".join(before.split())
        m.after = " ".join(after.split())
        key = (m.cls, src[m.start:m.end], m.repl, m.before)
        k = seen.get(key, 0)
        seen[key] = k + 1
        h = hashlib.sha1("\0".join([path, m.cls, src[m.start:m.end], m.repl,
                                    m.before, str(k)]).encode()).hexdigest()
        m.id = "m" + h[:9]
        out.append(m)
    return out
