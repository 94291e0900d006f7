"""The Alembic side of the schema oracle: the models of oracle_schema.cpp as a
SQLAlchemy MetaData, and Alembic's compare_metadata() (type and server-default
comparison on) printed as the normalised lines oracle_schema.cpp prints for
strata's `db migrate` (see the list at the top of that file).
"""
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (Boolean, Column, Date, DateTime, Enum, ForeignKey, Index, Integer, MetaData, Numeric, String,
                        Table, Text, UniqueConstraint, exc as sa_exc, text)

# strata's default naming convention (include/strata/schema.hpp, NamingConvention).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


def models():
    md = MetaData(naming_convention=NAMING)
    Table("user", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(64), nullable=False),
          Column("email", String(120)),
          Column("score", Integer, nullable=False, server_default=text("0")),
          Column("active", Boolean(create_constraint=False), nullable=False),
          Column("bio", Text),
          Column("created_at", DateTime, server_default=text("CURRENT_TIMESTAMP")),
          Column("status", Enum("active", "banned", name="user_status"), nullable=False),
          UniqueConstraint("name"),
          Index(None, "email", unique=True))
    Table("post", md,
          Column("id", Integer, primary_key=True),
          Column("title", String(100), nullable=False, index=True),
          Column("body", Text),
          Column("rating", Numeric(10, 2)),
          Column("user_id", Integer, ForeignKey("user.id"), nullable=False),
          Column("published", Date))
    Table("tag", md,
          Column("id", Integer, primary_key=True),
          Column("label", String(40), nullable=False),
          Column("post_id", Integer, ForeignKey("post.id", ondelete="CASCADE")),
          Index(None, "post_id", "label", unique=True))
    return md


def _names(items):
    return ",".join(getattr(c, "name", None) or str(c) for c in items)


def _index(ix, with_unique=True):
    # A reflected index to drop is printed without `unique`: Alembic does not say.
    return "%s(%s)%s" % (ix.table.name, _names(ix.expressions), " unique" if ix.unique and with_unique else "")


def _fk(fk):
    return "%s(%s)->%s(%s)" % (fk.parent.name, _names(fk.columns), fk.referred_table.name,
                               _names(e.column for e in fk.elements))


def _line(diff):
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return "%s %s" % (kind, diff[1].name)
    if kind in ("add_table_comment", "remove_table_comment"):
        return "modify_table_comment %s" % diff[1].name
    if kind in ("add_column", "remove_column"):
        return "%s %s.%s" % (kind, diff[2], diff[3].name)
    if kind in ("add_index", "remove_index"):
        return "%s %s" % (kind, _index(diff[1], with_unique=kind == "add_index"))
    if kind in ("add_constraint", "remove_constraint"):
        c = diff[1]
        if isinstance(c, UniqueConstraint):
            return "%s %s(%s)" % (kind.replace("constraint", "unique"), c.table.name, _names(c.columns))
        return "%s %s.%s" % (kind, c.table.name, c.name)
    if kind in ("add_fk", "remove_fk"):
        return "%s %s" % (kind, _fk(diff[1]))
    if kind.startswith("modify_"):
        return "%s %s.%s" % (kind, diff[2], diff[3])
    return "unknown %r" % (diff,)


def compare(engine):
    """Alembic's differences between models() and the database of a SQLAlchemy engine, as lines."""
    with engine.connect() as conn, warnings.catch_warnings():
        # Reflection warns of what it skips (expression indexes, unknown types).
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "compare_server_default": True,
            # strata's version table, never reflected: oracle_schema may be creating it meanwhile.
            "include_name": lambda name, type_, parent_names: not (type_ == "table" and name == "strata_version"),
        })
        diffs = compare_metadata(context, models())
    lines = []
    for diff in diffs:
        # A column's modifications come as one list of tuples.
        for d in (diff if isinstance(diff, list) else [diff]):
            lines.append(_line(d))
    return lines
