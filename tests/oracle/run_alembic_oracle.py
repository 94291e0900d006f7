#!/usr/bin/env python3
"""The Alembic oracle: each hand-made database of alembic_variants.py is
compared with one set of models by strata's `db migrate` (oracle_schema, a C++
program) and by Alembic's compare_metadata (oracle_alembic.py), and the
differences each reports are compared.

Fails on a difference one tool reports and the other does not, unless
alembic_allowlist.txt lists it with its reason; on an allow-list entry that no
longer holds (delete the line); on a failed `db migrate` not allowed either.
strata's warnings (a rename it will not guess, a primary key it will not
alter) are printed, not compared: Alembic has none. Registered as the ctest tests `alembic_oracle_sqlite` and
`alembic_oracle_postgresql` (tests/CMakeLists.txt); PostgreSQL needs
STRATA_TEST_PG_URL (scripts/pg.sh), without it the test exits 77 (skipped).

    run_alembic_oracle.py path/to/oracle_schema sqlite|postgresql [variant ...]
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_oracle import read_allowlist, report  # noqa: E402  (same folder)

SKIPPED = 77


def start_strata(binary, url, work):
    return subprocess.Popen([binary, url, work], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")


def strata_lines(proc):
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise SystemExit("oracle_schema exited with %d:\n%s%s" % (proc.returncode, out, err))
    return out.splitlines()


class Sqlite:
    name = "sqlite"

    def __init__(self, tmp):
        self.tmp = tmp

    def database(self, variant, sql):
        path = os.path.join(self.tmp, variant + ".db")
        con = sqlite3.connect(path)
        con.executescript("PRAGMA synchronous = OFF;" + sql)   # a scratch file: no fsync per statement
        con.commit()
        con.close()
        return "sqlite:///" + path, "sqlite:///" + path

    def close(self):
        pass


class Postgresql:
    """One scratch database for the run; each variant starts from an empty public schema."""
    name = "postgresql"

    def __init__(self, url):
        import psycopg2
        self.psycopg2 = psycopg2
        self.admin_url = url
        self.dbname = "strata_alembic_oracle_%d" % os.getpid()
        admin = psycopg2.connect(url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s"' % self.dbname)
            cur.execute('CREATE DATABASE "%s"' % self.dbname)
        admin.close()
        parts = urllib.parse.urlsplit(url)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.dbname))

    def database(self, variant, sql):
        con = self.psycopg2.connect(self.url)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            cur.execute(sql)
        con.close()
        return self.url, "postgresql+psycopg2" + self.url[len("postgresql"):]

    def close(self):
        admin = self.psycopg2.connect(self.admin_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.dbname)
        admin.close()


def main():
    # Alembic 1.8's SQLite server-default comparison depends on set order: with
    # some hash seeds it reports `DEFAULT CURRENT_TIMESTAMP` as differing from
    # itself. A fixed seed keeps the oracle's verdicts the same on every run.
    if os.environ.get("PYTHONHASHSEED") != "1":
        os.environ["PYTHONHASHSEED"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    if len(sys.argv) < 3 or sys.argv[2] not in ("sqlite", "postgresql"):
        sys.exit(__doc__)
    binary, backend_name, only = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        import alembic
        import oracle_alembic
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        from alembic_variants import VARIANTS, ddl
    except ImportError as e:
        sys.exit("the oracle needs Alembic and SQLAlchemy (Debian: python3-alembic python3-sqlalchemy "
                 "python3-psycopg2, installed by scripts/deps.sh): %s" % e)
    allowed = read_allowlist(os.path.join(HERE, "alembic_allowlist.txt"))
    names = [n for n in VARIANTS[backend_name] if not only or n in only]
    unknown = [n for n in only if n not in VARIANTS[backend_name]]
    if unknown:
        sys.exit("no %s variant named %s in alembic_variants.py" % (backend_name, ", ".join(unknown)))
    known = set(VARIANTS["sqlite"]) | set(VARIANTS["postgresql"])
    stray = [e for e in allowed if e.split(" ")[0].split("/")[-1] not in known]

    with tempfile.TemporaryDirectory(prefix="strata-alembic-oracle-") as tmp:
        if backend_name == "postgresql":
            url = os.environ.get("STRATA_TEST_PG_URL")
            if not url:
                print("alembic_oracle_postgresql: STRATA_TEST_PG_URL is not set (scripts/pg.sh start)")
                return SKIPPED
            backend = Postgresql(url)
        else:
            backend = Sqlite(tmp)
        problems, seen_allowed, agree = ["alembic_allowlist.txt names no variant: " + e for e in stray], set(), 0
        try:
            for name in names:
                strata_url, alembic_url = backend.database(name, ddl(backend_name, name))
                # Both read the same database at the same time (strata only adds its version table,
                # which Alembic is told not to read).
                strata = start_strata(binary, strata_url, os.path.join(tmp, "migrations"))
                # NullPool: each variant is a new file (SQLite) or a new schema (PostgreSQL).
                engine = create_engine(alembic_url, poolclass=NullPool)
                try:
                    theirs = oracle_alembic.compare(engine)
                finally:
                    engine.dispose()
                output = strata_lines(strata)
                ours = [line for line in output if not line.startswith("!")]
                warnings = [line[len("!warning "):] for line in output if line.startswith("!warning ")]
                errors = [line[len("!error "):] for line in output if line.startswith("!error ")]
                check = [line for line in output if line.startswith("!check=")]
                if check != ["!check=%d" % (1 if ours or warnings or errors else 0)]:
                    problems.append("%s: db check said %s, db migrate found %d differences and %d warnings"
                                    % (name, check, len(ours), len(warnings)))
                # A failed `db migrate` is a difference no allow-list entry can excuse... unless it says why.
                differences = ["strata: error " + e for e in errors]
                for line in sorted(set(ours) | set(theirs)):
                    if ours.count(line) != theirs.count(line):
                        differences.append(("strata: " if ours.count(line) > theirs.count(line) else "alembic: ") + line)
                for w in warnings:
                    print("  strata warns  %s: %s" % (name, w))
                for d in differences:
                    entry = "%s %s" % (name, d)
                    reason = allowed.get(entry) or allowed.get("%s/%s" % (backend_name, entry))
                    if reason:
                        seen_allowed.add(entry if entry in allowed else "%s/%s" % (backend_name, entry))
                        print("  allowed  %s  (%s)" % (entry, reason))
                    else:
                        problems.append(entry)
                agree += not differences
                same = len(set(ours) & set(theirs))
                print("%-8s %s (%d reported by both)" % ("differs" if differences else "same", name, same))
        finally:
            backend.close()

    for entry in allowed:
        bare = entry.split("/", 1)[1] if entry.startswith(backend_name + "/") else entry
        if "/" in entry.split(" ")[0] and not entry.startswith(backend_name + "/"):
            continue   # another backend's entry
        if entry not in seen_allowed and bare.split(" ")[0] in names:
            problems.append("%s no longer differs: delete it from tests/oracle/alembic_allowlist.txt" % entry)

    print("%d of %d %s databases: strata and Alembic %s agree" % (agree, len(names), backend_name, alembic.__version__))
    return report(problems, "FAILED (a difference not in tests/oracle/alembic_allowlist.txt; the line to add is shown):")


if __name__ == "__main__":
    sys.exit(main())
