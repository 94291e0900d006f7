"""The SQLAlchemy side of the oracle: the scenarios of oracle_strata.cpp, one
function per scenario with the same name, run with SQLAlchemy's defaults
(expire_on_commit, autoflush) on a copy of schema.sql's database.

A scenario prints what it observes as key=value lines through ctx.out();
run_oracle.py compares them with the strata program's lines.
"""
import datetime
import decimal
import warnings

import sqlalchemy
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Integer, LargeBinary,
                        Numeric, String, Table, create_engine, event, exc as sa_exc, text)
from sqlalchemy.orm import Session, declarative_base, relationship
from sqlalchemy.orm import exc as orm_exc

warnings.simplefilter("ignore", sa_exc.SAWarning)  # "Dialect sqlite+pysqlite does *not* support Decimal objects natively"

Base = declarative_base()

post_tag = Table("post_tag", Base.metadata,
                 Column("post_id", ForeignKey("post.id"), nullable=False),
                 Column("tag_id", ForeignKey("tag.id"), nullable=False))


class User(Base):
    __tablename__ = "user"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    email = Column(String(120))
    score = Column(Integer)
    posts = relationship("Post", back_populates="author", cascade="all, delete-orphan", order_by="Post.id")
    notes = relationship("Note", back_populates="owner", order_by="Note.id")


class Post(Base):
    __tablename__ = "post"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    user_id = Column(Integer, ForeignKey("user.id"))
    author = relationship("User", back_populates="posts")
    tags = relationship("Tag", secondary=post_tag, back_populates="posts", order_by="Tag.id")


class Note(Base):
    __tablename__ = "note"
    id = Column(Integer, primary_key=True)
    text = Column(String(100), nullable=False)
    user_id = Column(Integer, ForeignKey("user.id"))
    owner = relationship("User", back_populates="notes")


class Tag(Base):
    __tablename__ = "tag"
    id = Column(Integer, primary_key=True)
    label = Column(String(40), nullable=False)
    posts = relationship("Post", secondary=post_tag, back_populates="tags", order_by="Post.id")


class Thing(Base):
    __tablename__ = "thing"
    id = Column(Integer, primary_key=True)
    amount = Column(Numeric(10, 2))
    ratio = Column(Float)
    flag = Column(Boolean)
    label = Column(String(40))
    day = Column(Date)
    at = Column(DateTime)
    data = Column(LargeBinary)
    big = Column(BigInteger)


def fmt(v):
    """The text both sides print for a value (oracle_strata.cpp's fmt())."""
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        for prec in range(1, 18):  # the shortest %g that reads back to the same double
            s = "%.*g" % (prec, v)
            if float(s) == v:
                return s
        return s
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def error_kind(e):
    for cls, name in ((sa_exc.IntegrityError, "integrity"), (orm_exc.ObjectDeletedError, "deleted"),
                      (sa_exc.NoResultFound, "no_result"), (sa_exc.MultipleResultsFound, "multiple"),
                      (orm_exc.DetachedInstanceError, "detached"), (orm_exc.StaleDataError, "stale")):
        if isinstance(e, cls):
            return "error:" + name
    return "error"


class Ctx:
    def __init__(self, path):
        self.engine = create_engine("sqlite:///" + path)
        event.listen(self.engine, "connect", lambda con, _: con.execute("PRAGMA foreign_keys = ON"))
        self.lines = []

    def session(self):
        return Session(self.engine)

    def out(self, key, value):
        self.lines.append("%s=%s" % (key, fmt(value)))

    def attempt(self, key, fn):
        """Prints key=ok, or key=error:<kind> when fn raises."""
        try:
            fn()
            self.out(key, "ok")
        except Exception as e:  # noqa: BLE001 - the kind is the observation
            self.out(key, error_kind(e))

    def db(self, key, sql):
        """Prints one value read with SQL on a connection of its own: the database's truth."""
        with self.engine.connect() as c:
            self.out(key, c.execute(text(sql)).scalar())


SCENARIOS = {}  # name -> function, in the order of this file


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def names(objects):
    return ",".join(o.name for o in objects)


def titles(objects):
    return ",".join(o.title for o in objects)


def labels(objects):
    return ",".join(o.label for o in objects)


# --- identity map ---------------------------------------------------------------

@scenario
def identity_get_twice(c):
    s = c.session()
    a = s.get(User, 1)
    c.out("same", a is s.get(User, 1))
    c.out("query_same", a is s.query(User).filter(User.name == "alice").one())


@scenario
def identity_get_missing(c):
    s = c.session()
    c.out("missing", s.get(User, 99))


@scenario
def identity_after_expunge(c):
    s = c.session()
    a = s.get(User, 1)
    s.expunge(a)
    b = s.get(User, 1)
    c.out("same", a is b)
    c.out("name", b.name)


@scenario
def identity_query_keeps_loaded_values(c):
    a = c.session()
    u = a.get(User, 1)
    b = c.session()
    b.get(User, 1).score = 99
    b.commit()
    c.out("query_score", a.query(User).filter(User.id == 1).one().score)
    c.out("same", u is a.query(User).filter(User.id == 1).one())


# --- autoflush --------------------------------------------------------------------

@scenario
def autoflush_query_sees_pending(c):
    s = c.session()
    s.add(User(name="dave"))
    c.out("count", s.query(User).count())
    c.out("found", s.query(User).filter(User.name == "dave").one().name)


@scenario
def identity_expunge_add_back(c):
    s = c.session()
    u = s.get(User, 1)
    s.expunge(u)
    s.add(u)
    c.out("same", u is s.get(User, 1))
    u.name = "back"
    s.commit()
    c.db("name", 'SELECT name FROM "user" WHERE id = 1')


@scenario
def autoflush_query_sees_change(c):
    s = c.session()
    s.get(User, 1).name = "alicia"
    c.out("count", s.query(User).filter(User.name == "alicia").count())


@scenario
def autoflush_off(c):
    s = c.session()
    s.autoflush = False
    s.add(User(name="dave"))
    c.out("count_before", s.query(User).count())
    s.flush()
    c.out("count_after", s.query(User).count())


@scenario
def autoflush_lazy_load_sees_new_child(c):
    s = c.session()
    u = s.get(User, 2)
    p = Post(title="new")
    s.add(p)
    p.user_id = 2
    c.out("titles", titles(u.posts))


# --- rollback ---------------------------------------------------------------------

@scenario
def rollback_new_object_key(c):
    s = c.session()
    u = User(name="dave")
    s.add(u)
    s.flush()
    c.out("id_flushed", u.id)
    s.rollback()
    c.out("id_after_rollback", u.id)
    c.db("rows", 'SELECT count(*) FROM "user"')


@scenario
def autoflush_delete_then_count(c):
    s = c.session()
    s.delete(s.get(User, 3))
    c.out("count", s.query(User).count())
    c.out("get", s.get(User, 3))


@scenario
def rollback_restores_flushed_change(c):
    s = c.session()
    u = s.get(User, 1)
    u.name = "changed"
    s.flush()
    s.rollback()
    c.out("name", u.name)


@scenario
def rollback_restores_unflushed_change(c):
    s = c.session()
    u = s.get(User, 1)
    u.email = "changed@x"
    s.rollback()
    c.out("email", u.email)


@scenario
def rollback_restores_deleted(c):
    s = c.session()
    u = s.get(User, 3)
    s.delete(u)
    s.flush()
    c.out("get_while_deleted", s.get(User, 3))
    s.rollback()
    c.out("same", s.get(User, 3) is u)
    c.out("name", u.name)


@scenario
def rollback_then_add_again(c):
    s = c.session()
    u = User(name="dave")
    s.add(u)
    s.flush()
    s.rollback()
    s.add(u)
    s.commit()
    c.out("name", u.name)
    c.db("rows", 'SELECT count(*) FROM "user"')


@scenario
def rollback_discards_collection_change(c):
    s = c.session()
    u = s.get(User, 1)
    u.posts.append(Post(title="extra"))
    s.flush()
    s.rollback()
    c.out("titles", titles(u.posts))


@scenario
def rollback_after_integrity_error(c):
    s = c.session()
    s.add(User(name="alice"))
    c.attempt("flush", s.flush)
    s.rollback()
    c.out("count", s.query(User).count())


# --- commit and expiry ------------------------------------------------------------

@scenario
def commit_sees_other_session_change(c):
    a = c.session()
    u = a.get(User, 1)
    a.commit()
    b = c.session()
    b.get(User, 1).email = "b@changed"
    b.commit()
    c.out("email", u.email)


@scenario
def rollback_restores_removed_child(c):
    s = c.session()
    u = s.get(User, 1)
    u.posts.remove(u.posts[0])
    s.flush()
    c.out("titles_flushed", titles(u.posts))
    s.rollback()
    c.out("titles", titles(u.posts))
    c.db("posts", "SELECT count(*) FROM post")


@scenario
def commit_stale_value_write_is_kept(c):
    a = c.session()
    u = a.get(User, 1)
    loaded = u.email
    a.commit()
    b = c.session()
    b.get(User, 1).email = "b@changed"
    b.commit()
    u.email = loaded
    a.commit()
    c.db("email", 'SELECT email FROM "user" WHERE id = 1')


@scenario
def commit_sees_other_session_child(c):
    a = c.session()
    u = a.get(User, 2)
    c.out("before", titles(u.posts))
    a.commit()
    b = c.session()
    b.add(Post(title="more", user_id=2))
    b.commit()
    c.out("after", titles(u.posts))


@scenario
def commit_reloads_reference_after_fk_change(c):
    s = c.session()
    p = s.get(Post, 3)
    c.out("before", p.author.name)
    p.user_id = 3
    s.commit()
    c.out("after", p.author.name)


@scenario
def refresh_reads_other_session_change(c):
    a = c.session()
    u = a.get(User, 1)
    b = c.session()
    b.get(User, 1).score = 42
    b.commit()
    a.refresh(u)
    c.out("score", u.score)


@scenario
def refresh_discards_change(c):
    s = c.session()
    u = s.get(User, 1)
    u.name = "changed"
    s.refresh(u)
    c.out("name", u.name)
    s.commit()
    c.db("db_name", 'SELECT name FROM "user" WHERE id = 1')


@scenario
def commit_new_object_gets_key(c):
    s = c.session()
    u = User(name="dave", email="d@x")
    s.add(u)
    c.out("id_before", u.id)
    s.commit()
    c.out("id_after", u.id)
    c.out("email", u.email)


# --- deleted objects ----------------------------------------------------------------

@scenario
def deleted_get_returns_none(c):
    s = c.session()
    s.delete(s.get(User, 3))
    s.flush()
    c.out("get", s.get(User, 3))
    c.out("count", s.query(User).count())


@scenario
def deleted_readd_after_commit(c):
    s = c.session()
    u = s.get(User, 3)
    s.delete(u)
    s.commit()
    c.attempt("add", lambda: s.add(u))
    c.db("rows", 'SELECT count(*) FROM "user"')


@scenario
def deleted_readd_after_flush(c):
    s = c.session()
    u = s.get(User, 3)
    s.delete(u)
    s.flush()
    c.attempt("add", lambda: s.add(u))
    s.commit()
    c.db("rows", 'SELECT count(*) FROM "user"')


@scenario
def deleted_readd_before_flush(c):
    s = c.session()
    u = s.get(User, 3)
    s.delete(u)
    c.attempt("add", lambda: s.add(u))
    s.commit()
    c.db("rows", 'SELECT count(*) FROM "user"')


@scenario
def deleted_by_other_session(c):
    a = c.session()
    u = a.get(User, 3)
    a.commit()
    b = c.session()
    b.delete(b.get(User, 3))
    b.commit()
    c.attempt("read", lambda: u.name)


@scenario
def deleted_rolled_back_value_not_resurrected(c):
    a = c.session()
    u = a.get(User, 3)
    u.name = "ROLLED_BACK"
    a.rollback()
    b = c.session()
    b.delete(b.get(User, 3))
    b.commit()
    c.attempt("read", lambda: u.name)
    b2 = c.session()
    b2.add(User(name="newcomer"))  # SQLite gives it id 3 again
    b2.commit()
    c.attempt("commit", a.commit)
    c.db("name_of_3", 'SELECT name FROM "user" WHERE id = 3')


# --- cascades -----------------------------------------------------------------------

@scenario
def cascade_delete_children(c):
    s = c.session()
    s.delete(s.get(User, 1))
    s.commit()
    c.db("posts", "SELECT count(*) FROM post")
    c.db("note_owner", "SELECT user_id FROM note WHERE id = 1")


@scenario
def cascade_delete_orphan(c):
    s = c.session()
    u = s.get(User, 1)
    u.posts.remove(u.posts[0])
    s.commit()
    c.db("posts", "SELECT group_concat(title) FROM (SELECT title FROM post ORDER BY id)")


@scenario
def cascade_save_update(c):
    s = c.session()
    u = User(name="dave")
    u.posts.append(Post(title="first"))
    u.posts.append(Post(title="second"))
    s.add(u)
    s.commit()
    c.db("posts_of_dave", "SELECT count(*) FROM post WHERE user_id = 4")


@scenario
def cascade_delete_nulls_plain_children(c):
    s = c.session()
    s.delete(s.get(User, 1))
    s.flush()
    c.out("ownerless_notes", s.query(Note).filter(Note.user_id.is_(None)).count())
    c.out("notes", s.query(Note).count())


@scenario
def cascade_reassign_is_not_orphan(c):
    s = c.session()
    p = s.get(Post, 1)
    p.author = s.get(User, 2)
    s.commit()
    c.db("owner", "SELECT user_id FROM post WHERE id = 1")
    c.db("posts", "SELECT count(*) FROM post")


@scenario
def cascade_child_moved_by_key(c):
    s = c.session()
    u1 = s.get(User, 1)
    p = u1.posts[0]
    p.user_id = 2
    s.commit()
    s.delete(u1)
    s.commit()
    c.db("moved_post_owner", "SELECT user_id FROM post WHERE id = 1")
    c.db("posts", "SELECT count(*) FROM post")


@scenario
def cascade_child_moved_by_other_session(c):
    a = c.session()
    u1 = a.get(User, 1)
    c.out("before", titles(u1.posts))
    a.commit()
    b = c.session()
    b.get(Post, 1).user_id = 2
    b.commit()
    a.delete(u1)
    a.commit()
    c.db("moved_post_owner", "SELECT user_id FROM post WHERE id = 1")


@scenario
def cascade_child_added_by_other_session(c):
    a = c.session()
    u2 = a.get(User, 2)
    c.out("before", titles(u2.posts))
    a.commit()
    b = c.session()
    b.add(Post(title="late", user_id=2))
    b.commit()
    a.delete(u2)
    c.attempt("commit", a.commit)
    c.db("posts_of_bob", "SELECT count(*) FROM post WHERE user_id = 2")


# --- backrefs -----------------------------------------------------------------------

@scenario
def backref_set_reference_moves_child(c):
    s = c.session()
    u1 = s.get(User, 1)
    u2 = s.get(User, 2)
    c.out("u1_before", titles(u1.posts))
    c.out("u2_before", titles(u2.posts))
    u1.posts[0].author = u2
    c.out("u1_after", titles(u1.posts))
    c.out("u2_after", titles(u2.posts))


@scenario
def backref_append_sets_reference(c):
    s = c.session()
    p = s.get(Post, 3)
    u = s.get(User, 3)
    u.posts.append(p)
    c.out("author", p.author.name)
    s.commit()
    c.db("owner", "SELECT user_id FROM post WHERE id = 3")


@scenario
def backref_remove_clears_reference(c):
    s = c.session()
    u = s.get(User, 1)
    n = u.notes[0]
    u.notes.remove(n)
    c.out("owner", n.owner)
    s.commit()
    c.db("owner_db", "SELECT user_id FROM note WHERE id = 1")


@scenario
def backref_into_unloaded_collection(c):
    s = c.session()
    p = Post(title="fresh")
    s.add(p)
    u = s.get(User, 3)
    p.author = u
    c.out("titles", titles(u.posts))
    s.commit()
    c.db("rows", "SELECT count(*) FROM post WHERE user_id = 3")


@scenario
def backref_new_child_pending(c):
    s = c.session()
    u = s.get(User, 3)
    p = Post(title="kid")
    u.posts.append(p)
    s.commit()
    c.out("author", p.author.name)


# --- two sessions -------------------------------------------------------------------

@scenario
def two_sessions_insert_visible(c):
    a = c.session()
    a.add(User(name="dave"))
    a.commit()
    b = c.session()
    c.out("count", b.query(User).count())


@scenario
def two_sessions_delete_then_get(c):
    b = c.session()
    b.delete(b.get(User, 3))
    b.commit()
    a = c.session()
    c.out("get", a.get(User, 3))


@scenario
def two_sessions_independent_objects(c):
    a = c.session()
    b = c.session()
    c.out("same", a.get(User, 1) is b.get(User, 1))


# --- many-to-many -------------------------------------------------------------------

@scenario
def m2m_append_and_backref(c):
    s = c.session()
    p = s.get(Post, 1)
    red = s.get(Tag, 1)
    blue = s.get(Tag, 2)
    p.tags.append(red)
    p.tags.append(blue)
    c.out("tags", labels(p.tags))
    c.out("red_posts", titles(red.posts))
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag")


@scenario
def two_sessions_uncommitted_invisible(c):
    a = c.session()
    a.get(User, 1).score = 77
    a.flush()
    b = c.session()
    u = b.get(User, 1)  # held: SQLAlchemy's identity map would let an unreferenced object go
    c.out("other_sees", u.score)
    a.commit()
    c.out("other_still_sees", b.get(User, 1).score)
    c.out("same", u is b.get(User, 1))
    c.out("fresh_session_sees", c.session().get(User, 1).score)


@scenario
def m2m_remove(c):
    s = c.session()
    p = s.get(Post, 3)
    p.tags.remove(p.tags[0])
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag")
    c.out("blue_posts", titles(s.get(Tag, 2).posts))


@scenario
def m2m_duplicate_append(c):
    s = c.session()
    p = s.get(Post, 1)
    red = s.get(Tag, 1)
    p.tags.append(red)
    p.tags.append(red)
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag WHERE post_id = 1")
    p.tags.remove(red)
    c.attempt("remove_commit", s.commit)
    s.rollback()
    c.db("rows_after", "SELECT count(*) FROM post_tag WHERE post_id = 1")


@scenario
def m2m_append_already_linked_unloaded(c):
    s = c.session()
    p = s.get(Post, 3)
    p.tags.append(s.get(Tag, 2))
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag WHERE post_id = 3")


@scenario
def m2m_delete_owner_removes_rows(c):
    s = c.session()
    s.delete(s.get(Tag, 2))
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag")
    c.db("posts", "SELECT count(*) FROM post")


@scenario
def m2m_clear(c):
    s = c.session()
    p = s.get(Post, 3)
    p.tags.append(s.get(Tag, 1))
    s.commit()
    p.tags.clear()
    s.commit()
    c.db("rows", "SELECT count(*) FROM post_tag")


# --- edge values --------------------------------------------------------------------

@scenario
def edge_numeric_scale(c):
    s = c.session()
    s.add(Thing(id=1, amount=decimal.Decimal("-12.50")))
    s.add(Thing(id=2, amount=decimal.Decimal("12")))
    s.add(Thing(id=3, amount=decimal.Decimal("0.1")))
    s.commit()
    s2 = c.session()
    for i in (1, 2, 3):
        c.out("amount_%d" % i, s2.get(Thing, i).amount)


@scenario
def edge_integers(c):
    s = c.session()
    s.add(Thing(id=1, big=9223372036854775807))
    s.add(Thing(id=2, big=-9223372036854775808))
    s.add(Thing(id=3, big=0))
    s.commit()
    s2 = c.session()
    for i in (1, 2, 3):
        c.out("big_%d" % i, s2.get(Thing, i).big)


@scenario
def edge_strings(c):
    s = c.session()
    s.add(Thing(id=1, label=""))
    s.add(Thing(id=2, label="h\u00e9llo \u4e16\u754c"))
    s.add(Thing(id=3, label=None))
    s.commit()
    s2 = c.session()
    for i in (1, 2, 3):
        c.out("label_%d" % i, s2.get(Thing, i).label)
    c.db("empty_is_not_null", "SELECT count(*) FROM thing WHERE label IS NULL")


@scenario
def edge_floats(c):
    s = c.session()
    for i, v in enumerate((0.1, -1e300, 1e16, 2.5e-7), start=1):
        s.add(Thing(id=i, ratio=v))
    s.commit()
    s2 = c.session()
    for i in (1, 2, 3, 4):
        c.out("ratio_%d" % i, s2.get(Thing, i).ratio)


@scenario
def edge_booleans(c):
    s = c.session()
    s.add(Thing(id=1, flag=True))
    s.add(Thing(id=2, flag=False))
    s.add(Thing(id=3, flag=None))
    s.commit()
    s2 = c.session()
    for i in (1, 2, 3):
        c.out("flag_%d" % i, s2.get(Thing, i).flag)
    c.db("stored", "SELECT group_concat(coalesce(flag, 'null')) FROM (SELECT flag FROM thing ORDER BY id)")


@scenario
def edge_dates(c):
    s = c.session()
    s.add(Thing(id=1, day=datetime.date(1969, 7, 20), at=datetime.datetime(2026, 11, 27, 14, 3, 9, 123456)))
    s.add(Thing(id=2, day=datetime.date(1600, 2, 29), at=datetime.datetime(1901, 1, 2, 0, 0, 0, 1)))
    s.commit()
    s2 = c.session()
    for i in (1, 2):
        t = s2.get(Thing, i)
        c.out("day_%d" % i, t.day)
        c.out("at_%d" % i, t.at)
    c.db("stored_at", "SELECT at FROM thing WHERE id = 1")


@scenario
def edge_blobs(c):
    s = c.session()
    s.add(Thing(id=1, data=b""))
    s.add(Thing(id=2, data=b"\x00\x01\xff"))
    s.commit()
    s2 = c.session()
    c.out("data_1", s2.get(Thing, 1).data)
    c.out("data_2", s2.get(Thing, 2).data)
    c.db("nulls", "SELECT count(*) FROM thing WHERE data IS NULL")


# --- queries: NULL ordering and filters --------------------------------------------

@scenario
def order_nulls_ascending(c):
    s = c.session()
    c.out("names", names(s.query(User).order_by(User.score, User.id).all()))


@scenario
def order_nulls_descending(c):
    s = c.session()
    c.out("names", names(s.query(User).order_by(User.score.desc(), User.id).all()))


@scenario
def filter_is_null(c):
    s = c.session()
    c.out("null", names(s.query(User).filter(User.score.is_(None)).all()))
    c.out("not_null", names(s.query(User).filter(User.score.isnot(None)).order_by(User.id).all()))


@scenario
def filter_not_equal_skips_null(c):
    s = c.session()
    c.out("names", names(s.query(User).filter(User.score != 5).order_by(User.id).all()))


@scenario
def filter_in_like_between(c):
    s = c.session()
    c.out("in", names(s.query(User).filter(User.name.in_(["bob", "carol", "zed"])).order_by(User.id).all()))
    c.out("like", names(s.query(User).filter(User.email.like("%@x")).order_by(User.id).all()))
    c.out("ilike", names(s.query(User).filter(User.name.ilike("AL%")).all()))
    c.out("between", names(s.query(User).filter(User.score.between(5, 10)).order_by(User.id).all()))


@scenario
def filter_limit_offset(c):
    s = c.session()
    c.out("page", names(s.query(User).order_by(User.id).limit(2).offset(1).all()))
    c.out("past_end", names(s.query(User).order_by(User.id).limit(2).offset(5).all()))


@scenario
def filter_count_exists_first(c):
    s = c.session()
    c.out("count", s.query(User).filter(User.score > 1).count())
    c.out("exists", s.query(User).filter(User.name == "zed").first() is not None)
    c.out("first", s.query(User).order_by(User.name.desc()).first().name)


@scenario
def filter_one_errors(c):
    s = c.session()
    c.attempt("none", lambda: s.query(User).filter(User.name == "zed").one())
    c.attempt("many", lambda: s.query(User).one())


@scenario
def filter_join_relationship(c):
    s = c.session()
    c.out("posts_by_alice", titles(s.query(Post).join(Post.author).filter(User.name == "alice").order_by(Post.id).all()))


def sqlalchemy_version():
    return sqlalchemy.__version__


def run(db_path, name):
    ctx = Ctx(db_path)
    try:
        SCENARIOS[name](ctx)
    except Exception as e:  # noqa: BLE001 - an escaped error is an observation too
        ctx.out("uncaught", error_kind(e))
    finally:
        ctx.engine.dispose()
    return ctx.lines
