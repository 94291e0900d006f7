#!/usr/bin/env python3
"""The SQLAlchemy oracle: runs every scenario through strata (oracle_strata, a
C++ program) and through SQLAlchemy (oracle_sqlalchemy.py), each on its own
copy of schema.sql's SQLite database, and compares the key=value lines they
print.

Fails on a difference that allowlist.txt does not list, and on an allow-list
entry that no longer differs (delete the line: the bug is fixed). Registered
as the ctest test `sqlalchemy_oracle` (tests/CMakeLists.txt).

    run_oracle.py path/to/oracle_strata [scenario ...]
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def read_allowlist(path):
    """{"scenario.key": reason}; lines are `scenario.key  # reason`."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            entry, _, reason = line.partition("#")
            entry, reason = entry.strip(), reason.strip()
            if not reason:
                sys.exit("%s:%d: an allowed difference needs its reason after '#'" % (path, number))
            allowed[entry] = reason
    return allowed


def report(problems, heading="FAILED:"):
    """The exit status of an oracle run: 1 after listing the problems, 0 without any."""
    if not problems:
        return 0
    print("\n" + heading)
    for p in problems:
        print("  " + p)
    return 1


def parse(lines, side, scenario):
    values = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep:
            raise SystemExit("%s printed a line without '=' in %s: %r" % (side, scenario, line))
        if key in values:
            raise SystemExit("%s printed key %r twice in %s" % (side, key, scenario))
        values[key] = value
    return values


def make_database(path, schema):
    con = sqlite3.connect(path)
    con.executescript(schema)
    con.commit()
    con.close()


def run_strata(binary, db, scenario):
    proc = subprocess.run([binary, db, scenario], capture_output=True, text=True, encoding="utf-8", timeout=120)
    if proc.returncode != 0:
        raise SystemExit("oracle_strata %s exited with %d:\n%s%s" % (scenario, proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout.splitlines()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary, only = sys.argv[1], sys.argv[2:]
    try:
        sys.path.insert(0, HERE)
        import oracle_sqlalchemy
    except ImportError as e:
        sys.exit("the oracle needs SQLAlchemy 1.4 (Debian: python3-sqlalchemy, installed by scripts/deps.sh): %s" % e)

    with open(os.path.join(HERE, "schema.sql"), encoding="utf-8") as f:
        schema = f.read()
    allowed = read_allowlist(os.path.join(HERE, "allowlist.txt"))

    strata_names = subprocess.run([binary, "--list"], capture_output=True, text=True, check=True).stdout.split()
    python_names = list(oracle_sqlalchemy.SCENARIOS)
    problems = []
    for name in sorted(set(strata_names) ^ set(python_names)):
        side = "oracle_strata.cpp" if name not in strata_names else "oracle_sqlalchemy.py"
        problems.append("scenario %s is missing from %s" % (name, side))
    for entry in allowed:
        if entry.split(".")[0] not in python_names:
            problems.append("allowlist.txt names unknown scenario %s" % entry)

    names = [n for n in python_names if n in strata_names and (not only or n in only)]
    seen_allowed = set()
    agree = 0
    with tempfile.TemporaryDirectory(prefix="strata-oracle-") as tmp:
        for name in names:
            strata_db = os.path.join(tmp, name + ".strata.db")
            sqlalchemy_db = os.path.join(tmp, name + ".sqlalchemy.db")
            make_database(strata_db, schema)
            make_database(sqlalchemy_db, schema)
            got = parse(run_strata(binary, strata_db, name), "strata", name)
            want = parse(oracle_sqlalchemy.run(sqlalchemy_db, name), "SQLAlchemy", name)
            differences = 0
            for key in list(want) + [k for k in got if k not in want]:
                g, w = got.get(key, "<missing>"), want.get(key, "<missing>")
                entry = name + "." + key
                if g == w:
                    continue
                differences += 1
                if entry in allowed:
                    seen_allowed.add(entry)
                    print("  allowed  %s: strata %s, SQLAlchemy %s  (%s)" % (entry, g, w, allowed[entry]))
                else:
                    problems.append("%s: strata %s, SQLAlchemy %s" % (entry, g, w))
            if differences == 0:
                agree += 1
            print("%-8s %s (%d values)" % ("same" if differences == 0 else "differs", name, len(want)))

    for entry in allowed:
        if entry not in seen_allowed and entry.split(".")[0] in names:
            problems.append("%s no longer differs: delete it from tests/oracle/allowlist.txt and docs/orm.md" % entry)

    print("%d of %d scenarios agree with SQLAlchemy %s" % (agree, len(names), oracle_sqlalchemy.sqlalchemy_version()))
    return report(problems)


if __name__ == "__main__":
    sys.exit(main())
