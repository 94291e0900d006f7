#!/usr/bin/env python3
"""Fails on code outside a backend's folder that asks which backend it is.

Each backend lives in src/backend/<name>/ and registers once (src/backend/registry.cpp); everywhere
else, code asks the backend's parts what they can do (a Dialect capability, the Inspector, the
migration rules: docs/architecture.md, "Backends"). This script reads the backend names from the
folders of src/backend/ and reports, in src/ and include/strata/ outside src/backend/, as
`file:line: ...`:
  - a comparison (== / !=) with a backend's name as a string literal ("sqlite" == x);
  - a comparison of a dialect's name() or a URL's backend (d.name() == x, url.backend != x);
  - a call of a backend-named predicate (url.is_sqlite_memory());
  - a table keyed by a backend's name ({"postgresql", &thing}).
Comments are not read. The exit status is 1 when anything is found.

    scripts/check_backends.py [ROOT]      check the tree at ROOT (default: this checkout)
    scripts/check_backends.py --self-test check that a tree with such tests fails, naming them
"""
import re
import sys
import tempfile
from pathlib import Path

from tree_check import expect_failure, main, write_tree

SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".ipp"}
COMPARE = r"(?:==|!=)"
# d.name(), dialect_.name(), conn.dialect().name(), dialect->name()
DIALECT_NAME = r"\b(?:d|\w*dialect\w*|\w*dialect\(\))(?:\.|->)name\(\)"


def backend_names(root):
    folder = root / "src" / "backend"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def rules(names):
    alias = "|".join(re.escape(n) for n in names + ["postgres"])
    literal = rf'"(?:{alias})"'
    return [
        (re.compile(rf"{COMPARE}\s*{literal}|{literal}\s*{COMPARE}"), "compares with a backend's name"),
        (re.compile(rf"{DIALECT_NAME}\s*{COMPARE}|{COMPARE}\s*{DIALECT_NAME}"), "compares a dialect's name()"),
        (re.compile(rf"\bbackend\s*{COMPARE}|{COMPARE}\s*[\w.>-]*\bbackend\b(?!\()"), "compares a URL's backend"),
        (re.compile(rf"(?:\.|->)is_(?:{alias})\w*\s*\("), "calls a backend-named predicate"),
        (re.compile(rf"\{{\s*{literal}\s*,"), "keys a table by a backend's name"),
    ]


def strip_comment(line):
    """The line without a // comment (string literals are kept whole)."""
    out, quote, i = [], None, 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                out.append(line[i : i + 2])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif line.startswith("//", i):
            break
        out.append(c)
        i += 1
    return "".join(out)


def check(root):
    names = backend_names(root)
    if not names:
        return ["src/backend/: no backend folders"]
    checks = rules(names)
    problems = []
    for top in ("src", "include/strata"):
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root)
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file() or rel.parts[:2] == ("src", "backend"):
                continue
            in_block = False
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if in_block:
                    if "*/" not in line:
                        continue
                    line, in_block = line.split("*/", 1)[1], False
                code = strip_comment(line)
                if "/*" in code:
                    code, in_block = code.split("/*", 1)[0], "*/" not in code.split("/*", 1)[1]
                for pattern, what in checks:
                    if pattern.search(code):
                        problems.append(f"{rel}:{number}: {what} outside src/backend/: {line.strip()}")
                        break
    return sorted(problems)


def self_test():
    """A tree with backend tests outside src/backend/ must fail, naming exactly those lines."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "src/backend/sqlite/dialect/dialect.cpp": 'bool f(const Url& u) { return u.backend == "sqlite"; }\n',
            "src/backend/postgresql/backend.cpp": "",
            "src/sql/a.cpp": 'if (d.name() == "postgresql") {}\n// d.name() == "sqlite" in a comment\n',
            "src/driver/b.cpp": 'int n = 1;\nif (url.backend != kName) {}\nif (url.is_sqlite_memory()) {}\n',
            "src/migrate/c.cpp": 'auto s = "sqlite" == x;\nstd::string t = "postgresql";\nif (t.name() == other.name()) {}\n',
            "include/strata/d.hpp": 'bool m = conn.dialect().name() != kOther;\n',
            "src/migrate/e.cpp": 'std::map<std::string, int> m{{"postgresql", 1}};\nf({"sqlite_x", 2});\n',
        }
        write_tree(root, files)
        expected = [
            "include/strata/d.hpp:1: compares a dialect's name() outside src/backend/: bool m = conn.dialect().name() != kOther;",
            'src/driver/b.cpp:2: compares a URL\'s backend outside src/backend/: if (url.backend != kName) {}',
            "src/driver/b.cpp:3: calls a backend-named predicate outside src/backend/: if (url.is_sqlite_memory()) {}",
            'src/migrate/c.cpp:1: compares with a backend\'s name outside src/backend/: auto s = "sqlite" == x;',
            'src/migrate/e.cpp:1: keys a table by a backend\'s name outside src/backend/: std::map<std::string, int> m{{"postgresql", 1}};',
            'src/sql/a.cpp:1: compares with a backend\'s name outside src/backend/: if (d.name() == "postgresql") {}',
        ]
        return expect_failure("check_backends", __file__, root, expected,
                              "backend-name tests outside src/backend/ fail, naming the line")


if __name__ == "__main__":
    sys.exit(main(sys.argv, check, self_test,
                  lambda n: f"==> FAILED: {n} place(s) outside src/backend/ ask which backend they run on "
                  "(ask the backend's parts instead: docs/architecture.md, Backends)",
                  "==> no code outside src/backend/ asks which backend it is"))
