"""The hand-made databases of the Alembic oracle (run_alembic_oracle.py).

BASE[backend] is DDL a DBA could have written for the models of
oracle_alembic.py / oracle_schema.cpp: it matches them exactly. A variant is
BASE with some text replaced (each `old` must occur in BASE) and some SQL
appended, on one backend or both: other spellings of the same schema (which
neither tool should report) and real differences (which both should).
"""

BASE = {
    "sqlite": """
CREATE TABLE "user" (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    email VARCHAR(120),
    score INTEGER DEFAULT 0 NOT NULL,
    active BOOLEAN NOT NULL,
    bio TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    status VARCHAR(6) NOT NULL,
    CONSTRAINT uq_user_name UNIQUE (name),
    CONSTRAINT ck_user_user_status CHECK (status IN ('active', 'banned'))
);
CREATE UNIQUE INDEX ix_user_email ON "user" (email);
CREATE TABLE post (
    id INTEGER NOT NULL PRIMARY KEY,
    title VARCHAR(100) NOT NULL,
    body TEXT,
    rating NUMERIC(10, 2),
    user_id INTEGER NOT NULL,
    published DATE,
    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES "user" (id)
);
CREATE INDEX ix_post_title ON post (title);
CREATE TABLE tag (
    id INTEGER NOT NULL PRIMARY KEY,
    label VARCHAR(40) NOT NULL,
    post_id INTEGER,
    CONSTRAINT fk_tag_post_id_post FOREIGN KEY (post_id) REFERENCES post (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_tag_post_id_label ON tag (post_id, label);
""",
    "postgresql": """
CREATE TYPE user_status AS ENUM ('active', 'banned');
CREATE TABLE "user" (
    id SERIAL NOT NULL,
    name VARCHAR(64) NOT NULL,
    email VARCHAR(120),
    score INTEGER DEFAULT 0 NOT NULL,
    active BOOLEAN NOT NULL,
    bio TEXT,
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    status user_status NOT NULL,
    CONSTRAINT uq_user_name UNIQUE (name),
    CONSTRAINT pk_user PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_email ON "user" (email);
CREATE TABLE post (
    id SERIAL NOT NULL,
    title VARCHAR(100) NOT NULL,
    body TEXT,
    rating NUMERIC(10, 2),
    user_id INTEGER NOT NULL,
    published DATE,
    CONSTRAINT pk_post PRIMARY KEY (id),
    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES "user" (id)
);
CREATE INDEX ix_post_title ON post (title);
CREATE TABLE tag (
    id SERIAL NOT NULL,
    label VARCHAR(40) NOT NULL,
    post_id INTEGER,
    CONSTRAINT pk_tag PRIMARY KEY (id),
    CONSTRAINT fk_tag_post_id_post FOREIGN KEY (post_id) REFERENCES post (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_tag_post_id_label ON tag (post_id, label);
""",
}

SQLITE, PG = ("sqlite",), ("postgresql",)
BOTH = SQLITE + PG
VARIANTS = {}


def variant(name, backends, *replacements, append="", sqlite=None, postgresql=None):
    """replacements: (old, new) pairs for every backend named; `sqlite=` /
    `postgresql=` give a backend its own pairs (then it is included)."""
    per_backend = {b: list(replacements) for b in backends}
    for backend, pairs in (("sqlite", sqlite), ("postgresql", postgresql)):
        if pairs is not None:
            per_backend[backend] = list(pairs)
    for backend, pairs in per_backend.items():
        assert name not in VARIANTS.get(backend, {}), name
        VARIANTS.setdefault(backend, {})[name] = (pairs, append)


def ddl(backend, name):
    pairs, append = VARIANTS[backend][name]
    if callable(append):   # the whole DDL, made by a tool
        return append(backend)
    sql = BASE[backend]
    for old, new in pairs:
        if old not in sql:
            raise SystemExit("variant %s (%s): %r is not in BASE" % (name, backend, old))
        sql = sql.replace(old, new, 1)
    return sql + append


def sqlalchemy_create_all(backend):
    """The DDL SQLAlchemy 1.4's create_all() writes for the models (oracle_alembic.py)."""
    from sqlalchemy import create_mock_engine
    import oracle_alembic
    statements = []
    engine = create_mock_engine(backend + "://",
                                lambda sql, *a, **k: statements.append(str(sql.compile(dialect=engine.dialect))))
    oracle_alembic.models().create_all(engine, checkfirst=False)
    return ";\n".join(statements) + ";\n"


# --- the same schema, spelled otherwise: no difference -----------------------
variant("base", BOTH)
variant("sqlalchemy_create_all", BOTH, append=sqlalchemy_create_all)
variant("varchar_spelled_long", BOTH, ("name VARCHAR(64)", "name CHARACTER VARYING(64)"),
        ("title VARCHAR(100)", "title character varying(100)"))
variant("nvarchar", SQLITE, ("name VARCHAR(64)", "name NVARCHAR(64)"))
variant("int_spelled_int", BOTH, ("score INTEGER", "score INT"), ("user_id INTEGER", "user_id int"))
variant("int4", PG, ("score INTEGER", "score int4"), ("post_id INTEGER", "post_id int4"))
variant("autoincrement", SQLITE, ("id INTEGER NOT NULL PRIMARY KEY,\n    name",
                                  "id INTEGER PRIMARY KEY AUTOINCREMENT,\n    name"))
variant("identity_by_default", PG, ("id SERIAL NOT NULL,\n    name", "id INTEGER GENERATED BY DEFAULT AS IDENTITY,\n    name"),
        ("id SERIAL NOT NULL,\n    title", "id integer generated by default as identity not null,\n    title"))
variant("serial_lowercase", PG, ("id SERIAL NOT NULL,\n    name", "id serial,\n    name"))
variant("identity_always", PG, ("id SERIAL NOT NULL,\n    label",
                                "id INTEGER GENERATED ALWAYS AS IDENTITY,\n    label"))
variant("pk_inline", BOTH, ("id INTEGER NOT NULL PRIMARY KEY,\n    label", "id INTEGER PRIMARY KEY,\n    label"),
        postgresql=[("id SERIAL NOT NULL,\n    label", "id SERIAL PRIMARY KEY,\n    label"),
                    ("    CONSTRAINT pk_tag PRIMARY KEY (id),\n", "")])
variant("pk_unnamed", PG, ("CONSTRAINT pk_post PRIMARY KEY (id)", "PRIMARY KEY (id)"))
variant("unique_unnamed", BOTH, ("CONSTRAINT uq_user_name UNIQUE (name)", "UNIQUE (name)"))
variant("unique_inline", BOTH, ("name VARCHAR(64) NOT NULL,", "name VARCHAR(64) NOT NULL UNIQUE,"),
        ("    CONSTRAINT uq_user_name UNIQUE (name),\n", ""))
variant("fk_unnamed", BOTH, ("CONSTRAINT fk_post_user_id_user FOREIGN KEY", "FOREIGN KEY"))
variant("fk_inline", BOTH, ("user_id INTEGER NOT NULL,", 'user_id INTEGER NOT NULL REFERENCES "user" (id),'),
        (",\n    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id)", ""))
variant("fk_inline_no_column", SQLITE, ("user_id INTEGER NOT NULL,", 'user_id INTEGER NOT NULL REFERENCES "user",'),
        (",\n    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id)", ""))
variant("fk_other_name", BOTH, ("CONSTRAINT fk_tag_post_id_post", "CONSTRAINT tag_post_fk"))
variant("unique_user_named", BOTH, ("CONSTRAINT uq_user_name UNIQUE", "CONSTRAINT user_unique_name UNIQUE"))
variant("default_quoted_numeric", BOTH, ("rating NUMERIC(10, 2)", "rating NUMERIC(10, 2) DEFAULT '0.5'"))
variant("unique_other_name", BOTH, ("CONSTRAINT uq_user_name UNIQUE", "CONSTRAINT user_name_key UNIQUE"))
variant("index_other_name", BOTH, ("CREATE INDEX ix_post_title ON", "CREATE INDEX post_title_idx ON"))
variant("unique_index_other_name", BOTH, ("CREATE UNIQUE INDEX ix_user_email", "CREATE UNIQUE INDEX user_email_key"))
variant("default_parenthesised", BOTH, ("score INTEGER DEFAULT 0", "score INTEGER DEFAULT (0)"))
variant("default_quoted", BOTH, ("score INTEGER DEFAULT 0", "score INTEGER DEFAULT '0'"))
variant("default_now", PG, ("DEFAULT CURRENT_TIMESTAMP", "DEFAULT now()"))
variant("default_current_timestamp_lower", BOTH, ("DEFAULT CURRENT_TIMESTAMP", "DEFAULT current_timestamp"))
variant("default_datetime_now", SQLITE, ("DEFAULT CURRENT_TIMESTAMP", "DEFAULT (datetime('now'))"))
variant("numeric_spelled_decimal", BOTH, ("rating NUMERIC(10, 2)", "rating DECIMAL(10,2)"))
variant("timestamp_spelled", BOTH, ("created_at DATETIME", "created_at TIMESTAMP"),
        postgresql=[("created_at TIMESTAMP WITHOUT TIME ZONE", "created_at timestamp")])
variant("boolean_with_check", SQLITE, ("active BOOLEAN NOT NULL,", "active BOOLEAN NOT NULL CHECK (active IN (0, 1)),"))
variant("boolean_spelled_bool", PG, ("active BOOLEAN", "active bool"))
variant("text_spelled_clob", SQLITE, ("bio TEXT", "bio CLOB"))
variant("quoted_identifiers", BOTH, ("title VARCHAR(100) NOT NULL", '"title" VARCHAR(100) NOT NULL'),
        ("CREATE INDEX ix_post_title ON post (title)", 'CREATE INDEX "ix_post_title" ON "post" ("title")'))
variant("backtick_identifiers", SQLITE, ("label VARCHAR(40)", "`label` VARCHAR(40)"),
        ("ON tag (post_id, label)", "ON [tag] ([post_id], `label`)"))
variant("lowercase_keywords", BOTH, ("rating NUMERIC(10, 2),\n    user_id INTEGER NOT NULL,",
                                     "rating numeric(10, 2),\n    user_id integer not null,"))
variant("enum_check_unnamed", SQLITE, ("CONSTRAINT ck_user_user_status CHECK", "CHECK"))
variant("enum_check_inline", SQLITE, ("status VARCHAR(6) NOT NULL,", "status VARCHAR(6) NOT NULL CHECK (status IN ('active', 'banned')),"),
        ("    CONSTRAINT ck_user_user_status CHECK (status IN ('active', 'banned'))\n", ""),
        ("CONSTRAINT uq_user_name UNIQUE (name),", "CONSTRAINT uq_user_name UNIQUE (name)"))
variant("enum_check_quoted", SQLITE, ("CHECK (status IN ('active', 'banned'))", "CHECK (\"status\" IN ('active','banned'))"))
variant("enum_check_wider_varchar", SQLITE, ("status VARCHAR(6)", "status VARCHAR(20)"))
variant("enum_check_other_name", SQLITE, ("CONSTRAINT ck_user_user_status CHECK", "CONSTRAINT status_ok CHECK"))
variant("enum_check_text", SQLITE, ("status VARCHAR(6)", "status TEXT"))
variant("enum_check_lowercase_in", SQLITE, ("CHECK (status IN ('active', 'banned'))", "check (status in ('active','banned'))"))
variant("enum_check_values_reordered", SQLITE, ("('active', 'banned')", "('banned', 'active')"))
variant("enum_check_not_in", SQLITE, ("CHECK (status IN ('active', 'banned'))", "CHECK (status NOT IN ('active', 'banned'))"))
variant("enum_check_or_null", SQLITE, ("CHECK (status IN ('active', 'banned'))", "CHECK (status IN ('active', 'banned') OR status IS NULL)"))
variant("sqlalchemy_enum", SQLITE, ("CONSTRAINT ck_user_user_status CHECK", "CONSTRAINT user_status CHECK"))
variant("view_and_trigger", BOTH, append="""
CREATE VIEW post_titles AS SELECT id, title FROM post;
CREATE TRIGGER tag_label_trim AFTER INSERT ON tag BEGIN UPDATE tag SET label = trim(label) WHERE id = NEW.id; END;
""", postgresql=[])
VARIANTS["postgresql"]["view_and_trigger"] = ([], """
CREATE VIEW post_titles AS SELECT id, title FROM post;
CREATE FUNCTION tag_label_trim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.label := trim(NEW.label); RETURN NEW; END $$;
CREATE TRIGGER tag_label_trim BEFORE INSERT ON tag FOR EACH ROW EXECUTE FUNCTION tag_label_trim();
""")
variant("sequence_owned", PG, ("id SERIAL NOT NULL,\n    label",
                               "id INTEGER NOT NULL DEFAULT nextval('tag_id_seq'),\n    label"),
        ("CREATE TABLE tag", "CREATE SEQUENCE tag_id_seq;\nCREATE TABLE tag"))

variant("pg_dump_style", PG, append=lambda backend: PG_DUMP)
variant("default_cast", PG, ("score INTEGER DEFAULT 0", "score INTEGER DEFAULT '0'::integer"),
        ("DEFAULT CURRENT_TIMESTAMP", "DEFAULT CURRENT_TIMESTAMP::timestamp without time zone"))
variant("constraints_added_later", PG, ("    CONSTRAINT uq_user_name UNIQUE (name),\n", ""),
        (",\n    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id)", ""),
        append='ALTER TABLE "user" ADD CONSTRAINT uq_user_name UNIQUE (name);\n'
               'ALTER TABLE post ADD CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES "user" (id);\n')
variant("real_spelled_double", PG, ("rating NUMERIC(10, 2)", "rating double precision"))

# --- real differences: both tools should report them -------------------------
variant("missing_column", BOTH, ("    published DATE,\n", ""))
variant("extra_column", BOTH, ("    published DATE,\n", "    published DATE,\n    legacy VARCHAR(10),\n"))
variant("extra_not_null_column", BOTH, ("    bio TEXT,\n", "    bio TEXT,\n    karma INTEGER DEFAULT 1 NOT NULL,\n"))
variant("missing_table", BOTH, ("CREATE TABLE tag", "CREATE TABLE tag_old"),
        ("ON tag (post_id, label)", "ON tag_old (post_id, label)"))
variant("extra_table", BOTH, append="CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);\n")
variant("nullable_to_not_null", BOTH, ("    bio TEXT,\n", "    bio TEXT NOT NULL,\n"))
variant("not_null_to_nullable", BOTH, ("title VARCHAR(100) NOT NULL", "title VARCHAR(100)"))
variant("varchar_longer", BOTH, ("title VARCHAR(100)", "title VARCHAR(200)"))
variant("varchar_no_length", BOTH, ("title VARCHAR(100)", "title VARCHAR"))
variant("varchar_to_text", BOTH, ("label VARCHAR(40)", "label TEXT"))
variant("text_to_varchar", BOTH, ("bio TEXT", "bio VARCHAR(500)"))
variant("char_fixed", BOTH, ("label VARCHAR(40)", "label CHAR(40)"))
variant("integer_to_bigint", BOTH, ("score INTEGER", "score BIGINT"))
variant("integer_to_smallint", BOTH, ("score INTEGER", "score SMALLINT"))
variant("numeric_precision", BOTH, ("rating NUMERIC(10, 2)", "rating NUMERIC(12, 4)"))
variant("numeric_to_float", BOTH, ("rating NUMERIC(10, 2)", "rating FLOAT"))
variant("date_to_datetime", BOTH, ("published DATE", "published DATETIME"),
        postgresql=[("published DATE", "published TIMESTAMP")])
variant("timestamptz", PG, ("created_at TIMESTAMP WITHOUT TIME ZONE", "created_at TIMESTAMP WITH TIME ZONE"))
variant("boolean_to_integer", BOTH, ("active BOOLEAN", "active INTEGER"))
variant("text_to_integer", BOTH, ("bio TEXT", "bio INTEGER"))
variant("bigint_pk", PG, ("id SERIAL NOT NULL,\n    label", "id BIGSERIAL,\n    label"))
variant("default_missing", BOTH, ("score INTEGER DEFAULT 0 NOT NULL", "score INTEGER NOT NULL"))
variant("default_other_value", BOTH, ("score INTEGER DEFAULT 0 NOT NULL", "score INTEGER DEFAULT 5 NOT NULL"))
variant("default_extra", BOTH, ("    bio TEXT,\n", "    bio TEXT DEFAULT '',\n"))
variant("default_timestamp_missing", BOTH, ("DEFAULT CURRENT_TIMESTAMP", ""))
variant("index_missing", BOTH, ("CREATE INDEX ix_post_title ON post (title);\n", ""))
variant("index_extra", BOTH, append="CREATE INDEX ix_post_published ON post (published);\n")
variant("index_unique_not", BOTH, ("CREATE UNIQUE INDEX ix_user_email", "CREATE INDEX ix_user_email"))
variant("index_not_unique_but_unique", BOTH, ("CREATE INDEX ix_post_title", "CREATE UNIQUE INDEX ix_post_title"))
variant("index_other_columns", BOTH, ("ON tag (post_id, label)", "ON tag (label, post_id)"))
variant("index_descending", BOTH, ("ON post (title)", "ON post (title DESC)"))
variant("index_partial", BOTH, ("ON post (title)", "ON post (title) WHERE published IS NOT NULL"))
variant("index_expression_extra", BOTH, append='CREATE INDEX ix_user_lower_name ON "user" (lower(name));\n')
variant("unique_missing", BOTH, ("    CONSTRAINT uq_user_name UNIQUE (name),\n", ""),
        sqlite=[("    CONSTRAINT uq_user_name UNIQUE (name),\n", "")])
variant("unique_extra", BOTH, ("    published DATE,\n", "    published DATE,\n    CONSTRAINT uq_post_title UNIQUE (title),\n"))
variant("unique_as_index", BOTH, ("    CONSTRAINT uq_user_name UNIQUE (name),\n", ""),
        append='CREATE UNIQUE INDEX uq_user_name ON "user" (name);\n')
variant("unique_index_as_constraint", BOTH, ("CREATE UNIQUE INDEX ix_user_email ON \"user\" (email);\n", ""),
        ("CONSTRAINT uq_user_name UNIQUE (name),", "CONSTRAINT uq_user_name UNIQUE (name),\n    CONSTRAINT ix_user_email UNIQUE (email),"))
variant("fk_missing", BOTH, (",\n    CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id)", ""))
variant("fk_extra", BOTH, ("    published DATE,\n", "    published DATE,\n    editor_id INTEGER REFERENCES \"user\" (id),\n"))
variant("fk_other_target", BOTH, ("FOREIGN KEY (post_id) REFERENCES post (id)", "FOREIGN KEY (post_id) REFERENCES \"user\" (id)"))
variant("fk_ondelete_missing", BOTH, ("REFERENCES post (id) ON DELETE CASCADE", "REFERENCES post (id)"))
variant("fk_ondelete_extra", BOTH, ("REFERENCES \"user\" (id)\n", "REFERENCES \"user\" (id) ON DELETE SET NULL\n"))
variant("fk_onupdate_extra", BOTH, ("REFERENCES \"user\" (id)\n", "REFERENCES \"user\" (id) ON UPDATE CASCADE\n"))
variant("fk_deferrable", BOTH, ("REFERENCES \"user\" (id)\n", "REFERENCES \"user\" (id) DEFERRABLE INITIALLY DEFERRED\n"))
variant("check_extra", BOTH, ("    published DATE,\n", "    published DATE,\n    CONSTRAINT ck_post_rating CHECK (rating >= 0),\n"))
variant("enum_check_missing", SQLITE, (",\n    CONSTRAINT ck_user_user_status CHECK (status IN ('active', 'banned'))", ""))
variant("enum_extra_value", SQLITE, ("('active', 'banned')", "('active', 'banned', 'deleted')"))
variant("enum_as_varchar", PG, ("status user_status NOT NULL", "status VARCHAR(6) NOT NULL"))
variant("enum_as_varchar_with_check", PG, ("status user_status NOT NULL", "status VARCHAR(6) NOT NULL CHECK (status IN ('active', 'banned'))"))
variant("enum_extra_value_native", PG, ("('active', 'banned')", "('active', 'banned', 'deleted')"))
variant("enum_other_type_name", PG, ("CREATE TYPE user_status AS", "CREATE TYPE status_kind AS"),
        ("status user_status", "status status_kind"))
variant("pk_missing", SQLITE, ("id INTEGER NOT NULL PRIMARY KEY,\n    label", "id INTEGER NOT NULL,\n    label"),
        postgresql=[("    CONSTRAINT pk_tag PRIMARY KEY (id),\n", "")])
variant("pk_no_identity", PG, ("id SERIAL NOT NULL,\n    label", "id INTEGER NOT NULL,\n    label"))
variant("column_comment", PG, append="COMMENT ON COLUMN post.body IS 'the text';\n")
variant("table_comment", PG, append="COMMENT ON TABLE post IS 'posts';\n")
variant("table_renamed", BOTH, ("CREATE TABLE tag", "CREATE TABLE tags"),
        ("REFERENCES post (id) ON DELETE CASCADE", "REFERENCES post (id) ON DELETE CASCADE"),
        ("ON tag (post_id, label)", "ON tags (post_id, label)"))
variant("column_renamed", BOTH, ("    body TEXT,\n", "    content TEXT,\n"))
variant("generated_extra", BOTH, ("    published DATE,\n", "    published DATE,\n    title_length INTEGER GENERATED ALWAYS AS (length(title)) STORED,\n"))
variant("numeric_no_precision", BOTH, ("rating NUMERIC(10, 2)", "rating NUMERIC"))
variant("timestamp_precision", PG, ("created_at TIMESTAMP WITHOUT TIME ZONE", "created_at TIMESTAMP(3) WITHOUT TIME ZONE"))
variant("tinyint_boolean", SQLITE, ("active BOOLEAN", "active TINYINT(1)"))
variant("real_for_numeric", SQLITE, ("rating NUMERIC(10, 2)", "rating REAL"))
variant("default_expression", BOTH, ("score INTEGER DEFAULT 0", "score INTEGER DEFAULT (1 + 1)"))
variant("several_at_once", BOTH, ("    published DATE,\n", "    published DATE,\n    legacy TEXT,\n"),
        ("title VARCHAR(100) NOT NULL", "title VARCHAR(80)"),
        ("score INTEGER DEFAULT 0 NOT NULL", "score INTEGER"),
        ("CREATE INDEX ix_post_title ON post (title);\n", ""))

# What pg_dump writes for the base schema: schema-qualified names, sequences
# owned by their columns, defaults with casts, constraints and indexes after
# the tables.
PG_DUMP = """
SET client_encoding = 'UTF8';
CREATE TYPE public.user_status AS ENUM ('active', 'banned');
CREATE TABLE public.post (
    id integer NOT NULL,
    title character varying(100) NOT NULL,
    body text,
    rating numeric(10,2),
    user_id integer NOT NULL,
    published date
);
CREATE SEQUENCE public.post_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.post_id_seq OWNED BY public.post.id;
CREATE TABLE public.tag (
    id integer NOT NULL,
    label character varying(40) NOT NULL,
    post_id integer
);
CREATE SEQUENCE public.tag_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.tag_id_seq OWNED BY public.tag.id;
CREATE TABLE public."user" (
    id integer NOT NULL,
    name character varying(64) NOT NULL,
    email character varying(120),
    score integer DEFAULT 0 NOT NULL,
    active boolean NOT NULL,
    bio text,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    status public.user_status NOT NULL
);
CREATE SEQUENCE public.user_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.user_id_seq OWNED BY public."user".id;
ALTER TABLE ONLY public.post ALTER COLUMN id SET DEFAULT nextval('public.post_id_seq'::regclass);
ALTER TABLE ONLY public.tag ALTER COLUMN id SET DEFAULT nextval('public.tag_id_seq'::regclass);
ALTER TABLE ONLY public."user" ALTER COLUMN id SET DEFAULT nextval('public.user_id_seq'::regclass);
ALTER TABLE ONLY public.post ADD CONSTRAINT pk_post PRIMARY KEY (id);
ALTER TABLE ONLY public.tag ADD CONSTRAINT pk_tag PRIMARY KEY (id);
ALTER TABLE ONLY public."user" ADD CONSTRAINT pk_user PRIMARY KEY (id);
ALTER TABLE ONLY public."user" ADD CONSTRAINT uq_user_name UNIQUE (name);
CREATE INDEX ix_post_title ON public.post USING btree (title);
CREATE UNIQUE INDEX ix_tag_post_id_label ON public.tag USING btree (post_id, label);
CREATE UNIQUE INDEX ix_user_email ON public."user" USING btree (email);
ALTER TABLE ONLY public.post
    ADD CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES public."user"(id);
ALTER TABLE ONLY public.tag
    ADD CONSTRAINT fk_tag_post_id_post FOREIGN KEY (post_id) REFERENCES public.post(id) ON DELETE CASCADE;
"""
