-- The oracle's schema and seed rows: every scenario starts from a copy of
-- this database, once for strata and once for SQLAlchemy. Both sides map
-- these tables (oracle_strata.cpp, oracle_sqlalchemy.py).
CREATE TABLE "user" (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(64) NOT NULL UNIQUE,
    email VARCHAR(120),
    score INTEGER
);
CREATE TABLE post (
    id INTEGER NOT NULL PRIMARY KEY,
    title VARCHAR(100) NOT NULL,
    user_id INTEGER REFERENCES "user" (id)
);
CREATE TABLE note (
    id INTEGER NOT NULL PRIMARY KEY,
    text VARCHAR(100) NOT NULL,
    user_id INTEGER REFERENCES "user" (id)
);
CREATE TABLE tag (
    id INTEGER NOT NULL PRIMARY KEY,
    label VARCHAR(40) NOT NULL
);
CREATE TABLE post_tag (
    post_id INTEGER NOT NULL REFERENCES post (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id)
);
CREATE TABLE thing (
    id INTEGER NOT NULL PRIMARY KEY,
    amount NUMERIC(10, 2),
    ratio FLOAT,
    flag BOOLEAN,
    label VARCHAR(40),
    day DATE,
    at DATETIME,
    data BLOB,
    big BIGINT
);

INSERT INTO "user" (id, name, email, score) VALUES
    (1, 'alice', 'a@x', 10), (2, 'bob', 'b@x', NULL), (3, 'carol', 'c@x', 5);
INSERT INTO post (id, title, user_id) VALUES (1, 'hello', 1), (2, 'world', 1), (3, 'bobs', 2);
INSERT INTO note (id, text, user_id) VALUES (1, 'remember', 1);
INSERT INTO tag (id, label) VALUES (1, 'red'), (2, 'blue');
INSERT INTO post_tag (post_id, tag_id) VALUES (3, 2);
