#!/usr/bin/env python3
"""Fails when a function in the named folders of include/blockspec/ is longer than a limit.

Usage: check_function_length.py [--limit N] [dir ...]   (default: krylov spectral, limit 60)

Length is the number of lines from a function's opening brace to its closing brace, so the
lambdas a function holds count toward it. Function bodies are found with a small tokenizer
(comments, strings and character literals removed): a brace opened at namespace, class or struct
scope whose preceding declaration holds a parameter list is a function body; class, struct,
union, enum, namespace and `= {` initializer braces are scopes or data.
"""
import argparse
import pathlib
import re
import sys

SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def without_templates(decl):
    """decl with every `template <...>` parameter list removed (its `class` is not a scope)."""
    out, i = [], 0
    while True:
        m = re.search(r"\btemplate\s*<", decl[i:])
        if not m:
            return "".join(out) + decl[i:]
        out.append(decl[i : i + m.start()])
        j, depth = i + m.end(), 1
        while j < len(decl) and depth:
            depth += {"<": 1, ">": -1}.get(decl[j], 0)
            j += 1
        i = j


def strip(text):
    """Comments, strings and character literals replaced by spaces, newlines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j])); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


def functions(path):
    text = strip(path.read_text())
    stack = []  # one entry per open brace: (kind, start line, name)
    start = 0   # where the current declaration began
    parens = 0  # open parentheses of the current declaration (default arguments `= {}` live there)
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "(":
            parens += 1
        elif c == ")":
            parens = max(0, parens - 1)
        elif c == ";" and parens == 0:
            start = i + 1
        elif c == "{":
            if parens > 0:
                stack.append(("expr", line, ""))
                continue
            decl = text[start:i]
            bare = without_templates(decl)
            head = bare[: bare.find("(")] if "(" in bare else bare
            if not all(k == "scope" for k, _, _ in stack):
                kind = "inner"
            elif SCOPE.search(head):
                kind = "scope"
            elif "(" in decl and ")" in decl and not re.search(r"=\s*$", decl):
                kind = "function"
            else:
                kind = "data"
            stack.append((kind, line, re.sub(r"\s+", " ", decl.strip())[-90:]))
            start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind, first, name = stack.pop()
            if kind == "expr":
                continue
            if kind == "function":
                yield name, first, line
            start = i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("dirs", nargs="*", default=["krylov", "spectral"])
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent / "include" / "blockspec"
    bad = 0
    for d in args.dirs:
        for path in sorted((root / d).rglob("*.hpp")):
            for name, first, last in functions(path):
                length = last - first + 1
                if length > args.limit:
                    bad += 1
                    print(f"{path.relative_to(root.parent.parent)}:{first}: {length} lines: {name}")
    if bad:
        print(f"check_function_length: {bad} function(s) longer than {args.limit} lines", file=sys.stderr)
        return 1
    print(f"check_function_length: every function in {', '.join(args.dirs)} is at most {args.limit} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
