// src/migrate/autogenerate.cpp — schema diff to operations.
#include "migrate/autogenerate.hpp"

#include <algorithm>
#include <cctype>

#include "migrate/constraint_match.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

std::string squeeze_spaces(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Server defaults and CHECK text as backends echo them back: spacing and one
// layer of parentheses do not count as a change.
std::string normalize_sql(const std::string& text) {
    std::string s = squeeze_spaces(text);
    if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = squeeze_spaces(s.substr(1, s.size() - 2));
    return s;
}

// A plain decimal number, optionally signed: 0, -1, 2.50.
bool is_number(std::string_view text) {
    std::size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    bool digits = false, dot = false;
    for (; i < text.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i]))) digits = true;
        else if (text[i] == '.' && !dot) dot = true;
        else return false;
    }
    return digits;
}

// A server default as backends echo it back (see canonical_expression), and
// the current date and time under one name each: PostgreSQL reads
// CURRENT_TIMESTAMP as now() (and transaction_timestamp() is the same
// function), SQLite's CURRENT_TIMESTAMP is datetime('now').
//
// On a number column a quoted number is that number: DEFAULT '0' stores the
// integer 0 on SQLite (the column's affinity converts it) and PostgreSQL
// (the literal is cast to the column's type), as DEFAULT 0 does.
std::optional<std::string> normalize_default(const std::optional<std::string>& d, const SqlType& type) {
    if (!d) return d;
    const bool number_column = type.is_integer() || type.kind == TypeKind::Float || type.kind == TypeKind::Numeric;
    std::string_view text = *d;
    while (text.size() >= 2 && text.front() == '(' && text.back() == ')') text = text.substr(1, text.size() - 2);
    if (number_column && text.size() >= 3 && text.front() == '\'' && text.back() == '\'' &&
        is_number(text.substr(1, text.size() - 2)))
        return sqltok::canonical_expression(std::string(text.substr(1, text.size() - 2)));
    static const std::pair<const char*, const char*> same_as[] = {
        {"now ( )", "current_timestamp"},
        {"transaction_timestamp ( )", "current_timestamp"},
        {"datetime ( 'now' )", "current_timestamp"},
        {"date ( 'now' )", "current_date"},
        {"time ( 'now' )", "current_time"},
    };
    std::string c = sqltok::canonical_expression(*d);
    for (const auto& [spelling, name] : same_as)
        if (c == spelling) return name;
    return c;
}

std::string comma_list(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

template <class T>
const T* named(const std::vector<T>& items, const std::string& name) {
    auto it = std::find_if(items.begin(), items.end(), [&](const T& i) { return i.name == name; });
    return it == items.end() ? nullptr : &*it;
}

// Backends re-spell CHECK text (SQLite quotes a renamed column): double
// quotes around identifiers do not count either.
std::string unquote_identifiers(const std::string& sql) {
    std::string out;
    bool in_string = false;
    for (char c : sql) {
        if (c == '\'') in_string = !in_string;
        if (c == '"' && !in_string) continue;
        out += c;
    }
    return out;
}

// Indexes compare key by key; expression keys and predicates as the
// backends re-spell them (PostgreSQL adds casts and parentheses).
bool same_index(const Index& a, const Index& b) {
    if (a.name != b.name || a.unique != b.unique || a.columns.size() != b.columns.size() ||
        a.expressions != b.expressions || a.descending != b.descending ||
        sqltok::canonical_expression(a.where) != sqltok::canonical_expression(b.where))
        return false;
    for (std::size_t i = 0; i < a.columns.size(); ++i) {
        const bool same = a.is_expression(i) ? sqltok::canonical_expression(a.columns[i]) ==
                                                   sqltok::canonical_expression(b.columns[i])
                                             : a.columns[i] == b.columns[i];
        if (!same) return false;
    }
    return true;
}

}  // namespace

bool same_effect(const UniqueConstraint& a, const UniqueConstraint& b) { return a.columns == b.columns; }
bool same_effect(const ForeignKey& a, const ForeignKey& b) {
    return a.columns == b.columns && a.ref_table == b.ref_table && a.ref_columns == b.ref_columns &&
           a.ondelete == b.ondelete && a.onupdate == b.onupdate && a.deferrable == b.deferrable &&
           a.initially_deferred == b.initially_deferred;
}
bool same_effect(const CheckConstraint& a, const CheckConstraint& b) {
    return normalize_sql(unquote_identifiers(a.sqltext)) == normalize_sql(unquote_identifiers(b.sqltext));
}

std::string describe_constraint(const UniqueConstraint& uq) { return "unique (" + comma_list(uq.columns) + ")"; }
std::string describe_constraint(const ForeignKey& fk) {
    return "foreign key (" + comma_list(fk.columns) + ") -> " + fk.ref_table + "(" + comma_list(fk.ref_columns) + ")";
}
std::string describe_constraint(const CheckConstraint& ck) { return "CHECK (" + ck.sqltext + ")"; }

namespace {

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "_") + p;
    return out;
}

// The name PostgreSQL makes for an unnamed constraint (makeObjectName in
// its source): name1_name2_label, cut to 63 bytes by shortening the longer
// of name1 and name2 first, never inside a UTF-8 character.
std::string server_object_name(const std::string& name1, const std::string& name2, const std::string& label) {
    const std::size_t max_bytes = 63;
    const std::size_t overhead = label.size() + 1 + (name2.empty() ? 0 : 1);
    std::size_t n1 = name1.size(), n2 = name2.size();
    while (n1 + n2 + overhead > max_bytes) (n1 > n2 ? n1 : n2)--;
    auto clip = [](const std::string& s, std::size_t n) {
        while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        return s.substr(0, n);
    };
    return clip(name1, n1) + (name2.empty() ? "" : "_" + clip(name2, n2)) + "_" + label;
}

// Whether `name` is the server's name for table + name2 under `label`, or
// the numbered one it makes when that is taken (post_user_id_fkey1).
bool is_server_name(const std::string& name, const std::string& table, const std::string& name2, const std::string& label) {
    std::size_t digits = name.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(name[digits - 1]))) --digits;
    return name == server_object_name(table, name2, label + name.substr(digits));
}

// A name the user did not choose: SQLite reflects an unnamed constraint as "",
// PostgreSQL names it <table>_<columns>_fkey / _key, and a CHECK <table>_check
// or <table>_<column>_check when it uses one column.
bool server_made(const std::string& table, const UniqueConstraint& uq) {
    return uq.name.empty() || is_server_name(uq.name, table, joined(uq.columns), "key");
}
bool server_made(const std::string& table, const ForeignKey& fk) {
    return fk.name.empty() || is_server_name(fk.name, table, joined(fk.columns), "fkey");
}
bool server_made(const std::string& table, const CheckConstraint& ck) {
    if (ck.name.empty() || is_server_name(ck.name, table, "", "check")) return true;
    const auto tokens = sqltok::tokenize(ck.sqltext);
    return std::any_of(tokens.begin(), tokens.end(), [&](const sqltok::Token& t) {
        return t.is_name() && is_server_name(ck.name, table, t.text, "check");
    });
}

// The model constraint a database constraint stands for: the one with its
// name, or, when the database's name is server-made, one doing the same thing
// under a name the database does not have.
template <class T>
const T* model_counterpart(const std::string& table, const std::vector<T>& models, const std::vector<T>& db_items,
                           const T& db, bool by_effect) {
    if (const T* m = named(models, db.name)) return m;
    if (!by_effect || !server_made(table, db)) return nullptr;
    auto it = std::find_if(models.begin(), models.end(),
                           [&](const T& m) { return same_effect(m, db) && !named(db_items, m.name); });
    return it == models.end() ? nullptr : &*it;
}

// Whether the database already has a model constraint: by name, or a
// server-made one doing the same thing.
template <class T>
bool database_has(const std::string& table, const std::vector<T>& db_items, const T& model, bool by_effect) {
    if (named(db_items, model.name)) return true;
    if (!by_effect) return false;
    return std::any_of(db_items.begin(), db_items.end(),
                       [&](const T& d) { return server_made(table, d) && same_effect(d, model); });
}

// Whether a text column's values all fit: String(n) with n at least the
// longest value, or text of any length.
bool holds_values(const SqlType& type, const std::vector<std::string>& values) {
    if (type.kind == TypeKind::Text) return true;
    if (type.kind != TypeKind::String || type.fixed_length) return false;
    return type.length == 0 || std::all_of(values.begin(), values.end(), [&](const std::string& v) {
               return v.size() <= static_cast<std::size_t>(type.length);
           });
}

// Where an Enum is text plus a CHECK, a database column that is text kept by
// a CHECK to exactly the values of the models' Enum (in any order) is that
// Enum: its type becomes the models' and the CHECK is its own, not a
// constraint of the table.
// (inspect() reads strata's own spelling, VARCHAR(longest) + the CHECK, as the
// Enum already; this is for other tools' spellings.)
// The order of the values is not part of such an Enum: a CHECK allows a set.
bool same_values(std::vector<std::string> a, std::vector<std::string> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

void match_enum_checks(const MetaData& target, MetaData& database) {
    for (const auto& model : target.tables()) {
        Table* table = database.find(model->name());
        if (!table) continue;
        for (const Column& mc : model->columns) {
            Column* dc = table->find_column(mc.name);
            if (mc.type.kind != TypeKind::Enum || !dc) continue;
            if (dc->type.kind == TypeKind::Enum) {   // read as one already: only the order may differ
                if (same_values(dc->type.enum_values, mc.type.enum_values)) dc->type.enum_values = mc.type.enum_values;
                continue;
            }
            if (!holds_values(dc->type, mc.type.enum_values)) continue;
            auto is_the_enums = [&](const CheckConstraint& ck) {
                std::string column;
                std::vector<std::string> values;
                return sqltok::parse_in_list_check(ck.sqltext, column, values) && column == mc.name &&
                       same_values(values, mc.type.enum_values);
            };
            auto it = std::find_if(table->checks.begin(), table->checks.end(), is_the_enums);
            if (it == table->checks.end()) continue;
            dc->type = mc.type;
            table->checks.erase(it);
        }
    }
}

// Accumulates upgrade ops, applying each to a copy of the database schema so
// later comparisons see earlier changes.
class Differ {
public:
    Differ(const MetaData& target, const MetaData& database, const CompareOptions& options)
        : target_(target), state_(database), by_effect_(!options.compare_names),
          compare_comments_(options.compare_comments), concurrent_indexes_(options.concurrent_indexes) {
        if (options.enum_as_check) match_enum_checks(target_, state_);
    }

    void rename(const Rename& r) {
        if (r.table.empty()) {
            if (!state_.find(r.from)) throw MigrationError("--rename " + r.from + ":" + r.to + ": the database has no table '" + r.from + "'");
            if (!target_.find(r.to)) throw MigrationError("--rename " + r.from + ":" + r.to + ": the models have no table '" + r.to + "'");
            emit(RenameTable{r.from, r.to});
            return;
        }
        const std::string arg = "--rename " + r.table + "." + r.from + ":" + r.to;
        const Table* t = state_.find(r.table);
        if (!t || !t->find_column(r.from)) throw MigrationError(arg + ": the database has no column " + r.table + "." + r.from);
        const Table* m = target_.find(r.table);
        if (!m || !m->find_column(r.to)) throw MigrationError(arg + ": the models have no column " + r.table + "." + r.to);
        emit(AlterColumn{r.table, r.from, {}, {}, {}, r.to});
    }

    void run() {
        free_index_names();
        for (const Table* t : target_.sorted_tables())
            if (!state_.find(t->name())) create_table(*t);
        for (const Table* t : target_.sorted_tables())
            if (state_.find(t->name())) compare_table(*t);
        warn_table_renames();
        auto existing = state_.sorted_tables();
        std::vector<std::string> gone;
        for (auto it = existing.rbegin(); it != existing.rend(); ++it)
            if (!target_.find((*it)->name())) gone.push_back((*it)->name());
        for (const auto& name : gone) emit(DropTable{name});
    }

    Changes take() { return std::move(changes_); }

private:
    const MetaData& target_;
    MetaData state_;
    bool by_effect_;   // match unnamed and server-named constraints by what they do
    bool compare_comments_;
    bool concurrent_indexes_;   // new indexes of existing tables: concurrently
    Changes changes_;

    void emit(Operation op, std::string comment = {}, std::string detail = {}) {
        migrate::apply(op, state_);
        changes_.upgrade.push_back(Step{std::move(op), 0, 0, std::move(comment), std::move(detail)});
    }

    // An index name is unique in the whole database (on both backends): an
    // index that a table to be dropped, or another table, holds under a name
    // the models give to an index elsewhere is dropped before anything is
    // created, so the ops apply in order.
    void free_index_names() {
        std::vector<DropIndex> drops;
        for (const auto& t : state_.tables())
            for (const auto& ix : t->indexes)
                if (wanted_elsewhere(ix.name, t->name())) drops.push_back(DropIndex{t->name(), ix.name});
        for (auto& d : drops) emit(std::move(d));
    }

    bool wanted_elsewhere(const std::string& index, const std::string& owner) const {
        return std::any_of(target_.tables().begin(), target_.tables().end(), [&](const auto& m) {
            return m->name() != owner && named(m->indexes, index);
        });
    }

    void create_table(const Table& t) {
        Table bare = copy_table(t, t.name());
        bare.indexes.clear();
        emit(CreateTable{bare});
        for (const auto& ix : t.indexes) emit(CreateIndex{t.name(), ix});
    }

    void compare_table(const Table& model) {
        const std::string& name = model.name();
        drop_changed(model);
        const Table& db = *state_.find(name);
        std::vector<Column> added, removed;   // copies: emit() changes the table they come from
        for (const auto& c : model.columns)
            if (!db.find_column(c.name)) added.push_back(c);
        for (const auto& c : db.columns)
            if (!model.find_column(c.name)) removed.push_back(c);
        for (const auto& c : model.columns)
            if (const Column* d = db.find_column(c.name); d && !same_computed(*d, c)) recompute(name, *d, c);
        for (const auto& c : added) emit(AddColumn{name, c}, rename_warning(name, c, removed));
        for (const auto& c : model.columns)
            if (state_.find(name)->find_column(c.name)) alter_if_changed(name, c);
        for (const auto& c : removed) emit(DropColumn{name, c.name});
        add_new(model);
        const auto& db_comment = state_.find(name)->comment;
        if (compare_comments_ && db_comment != model.comment)
            emit(AlterTable{name, model.comment}, {},
                 "comment " + comment_text(db_comment) + " → " + comment_text(model.comment));
    }

    // Indexes and constraints the models no longer have (or have differently).
    void drop_changed(const Table& model) {
        const Table db = copy_table(*state_.find(model.name()), model.name());
        for (const auto& ix : db.indexes) {
            const Index* m = named(model.indexes, ix.name);
            if (!m) emit(DropIndex{model.name(), ix.name});
            else if (!same_index(*m, ix)) emit(DropIndex{model.name(), ix.name}, {}, index_change(ix, *m));
        }
        drop_unmatched(model.name(), model.unique_constraints, db.unique_constraints);
        drop_unmatched(model.name(), model.foreign_keys, db.foreign_keys);
        drop_unmatched(model.name(), model.checks, db.checks);
    }

    template <class T>
    void drop_unmatched(const std::string& table, const std::vector<T>& models,
                        const std::vector<T>& db_items) {
        for (const auto& item : db_items) {
            const T* m = model_counterpart(table, models, db_items, item, by_effect_);
            if (m && same_effect(*m, item)) continue;
            // SQLite keeps no name: the op names it by what it does (a table rebuild drops it).
            if (item.name.empty()) emit(DropConstraint{table, "", item});
            else emit(DropConstraint{table, item.name});
        }
    }

    // "unique index ix_user_email → plain index", "columns (a) → (a, b)".
    static std::string index_change(const Index& db, const Index& model) {
        auto kind = [](const Index& ix) { return std::string(ix.unique ? "unique index" : "plain index"); };
        auto columns = [](const Index& ix) {
            std::string out;
            for (std::size_t i = 0; i < ix.columns.size(); ++i)
                out += (i ? ", " : "") + ix.columns[i] + (ix.is_descending(i) ? " DESC" : "");
            return "(" + out + ")";
        };
        auto where = [](const Index& ix) { return ix.where.empty() ? std::string("every row") : "WHERE " + ix.where; };
        Index keys_only = model;
        keys_only.name = db.name;
        keys_only.unique = db.unique;
        keys_only.where = db.where;
        std::vector<std::string> parts;
        if (db.unique != model.unique) parts.push_back(kind(db) + " " + db.name + " → " + kind(model));
        if (!same_index(db, keys_only)) parts.push_back("columns " + columns(db) + " → " + columns(model));
        if (sqltok::canonical_expression(db.where) != sqltok::canonical_expression(model.where))
            parts.push_back(where(db) + " → " + where(model));
        return joined_details(parts);
    }

    static std::string joined_details(const std::vector<std::string>& parts) {
        std::string out;
        for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
        return out;
    }

    static std::string default_text(const std::optional<std::string>& d) { return d ? *d : "NULL"; }
    static std::string comment_text(const std::optional<std::string>& c) { return c ? "'" + *c + "'" : "NULL"; }
    static std::string nullability(bool nullable) { return nullable ? "nullable" : "NOT NULL"; }

    void add_new(const Table& model) {
        const std::string& name = model.name();
        auto db = [&]() -> const Table& { return *state_.find(name); };
        for (const auto& uq : model.unique_constraints)
            if (!database_has(name, db().unique_constraints, uq, by_effect_)) emit(CreateUniqueConstraint{name, uq});
        for (const auto& ck : model.checks)
            if (!database_has(name, db().checks, ck, by_effect_)) emit(CreateCheckConstraint{name, ck});
        for (const auto& fk : model.foreign_keys)
            if (!database_has(name, db().foreign_keys, fk, by_effect_)) emit(CreateForeignKey{name, fk});
        for (const auto& ix : model.indexes)
            if (!named(db().indexes, ix.name)) emit(CreateIndex{name, ix, concurrent_indexes_});
    }

    static bool same_computed(const Column& a, const Column& b) {
        if (!a.computed || !b.computed) return a.computed.has_value() == b.computed.has_value();
        return sqltok::canonical_expression(*a.computed) == sqltok::canonical_expression(*b.computed);
    }
    // No ALTER changes what a generated column computes (or makes a plain
    // column generated): it is dropped and added again. A generated column's
    // values are derived; a plain column's are lost, and drop_column makes
    // `db upgrade` ask first.
    void recompute(const std::string& table, Column db, const Column& model) {
        auto text = [](const Column& c) { return c.computed ? "computed " + *c.computed : std::string("plain column"); };
        const std::string detail = text(db) + " → " + text(model);
        emit(DropColumn{table, db.name}, {}, detail);
        emit(AddColumn{table, model}, {}, detail);
    }

    void alter_if_changed(const std::string& table, const Column& model) {
        const Column& db = *state_.find(table)->find_column(model.name);
        AlterColumn alter{table, model.name, {}, {}, {}, {}};
        std::vector<std::string> detail;   // before → after, for the user and the revision's comment
        if (!same_type(db.type, model.type)) {
            alter.type = model.type;
            detail.push_back("type " + db.type.to_string() + " → " + model.type.to_string());
        }
        if (db.nullable != model.nullable) {
            alter.nullable = model.nullable;
            detail.push_back(nullability(db.nullable) + " → " + nullability(model.nullable));
        }
        if (normalize_default(db.server_default, db.type) != normalize_default(model.server_default, model.type)) {
            alter.server_default = model.server_default;
            detail.push_back("server_default " + default_text(db.server_default) + " → " +
                             default_text(model.server_default));
        }
        if (model.autoincrement && model.primary_key && db.primary_key && !db.autoincrement)
            changes_.warnings.push_back(
                "WARNING: table " + table + ": column " + model.name + " is assigned by the database in the models "
                "(autoincrement) but not in the database (no IDENTITY or serial on PostgreSQL, not INTEGER PRIMARY KEY "
                "on SQLite): an insert without a value fails on NOT NULL. Add it by hand, e.g. on PostgreSQL: "
                "ALTER TABLE " + table + " ALTER COLUMN " + model.name + " ADD GENERATED BY DEFAULT AS IDENTITY");
        if (db.primary_key != model.primary_key)
            changes_.warnings.push_back("table " + table + ": column " + model.name +
                                        ": primary key membership changed; autogenerate does not alter primary keys, "
                                        "write that step by hand");
        if (compare_comments_ && db.comment != model.comment) {
            alter.comment = model.comment;
            detail.push_back("comment " + comment_text(db.comment) + " → " + comment_text(model.comment));
        }
        if (alter.type || alter.nullable || alter.server_default || alter.comment) emit(alter, {}, joined_details(detail));
    }

    std::string rename_warning(const std::string& table, const Column& added, const std::vector<Column>& removed) {
        for (const Column& r : removed) {
            if (!same_type(r.type, added.type)) continue;
            std::string text = "WARNING: table " + table + ": column '" + r.name + "' is dropped and '" + added.name +
                               "' (same type " + added.type.to_string() +
                               ") is added; the data of '" + r.name + "' is lost. If this is a rename, run "
                               "`db migrate` again with --rename " + table + "." + r.name + ":" + added.name;
            changes_.warnings.push_back(text);
            return text;
        }
        return {};
    }

    void warn_table_renames() {
        for (const auto& t : state_.tables()) {
            if (target_.find(t->name())) continue;
            for (const auto& m : target_.tables()) {
                bool is_new = std::any_of(changes_.upgrade.begin(), changes_.upgrade.end(), [&](const Step& s) {
                    auto* ct = std::get_if<CreateTable>(&s.op);
                    return ct && ct->table.name() == m->name();
                });
                if (!is_new || !same_columns(*t, *m)) continue;
                std::string text = "WARNING: table '" + t->name() + "' is dropped and '" + m->name() +
                                   "' (same columns) is created; the rows of '" + t->name() +
                                   "' are lost. If this is a rename, run `db migrate` again with --rename " +
                                   t->name() + ":" + m->name();
                changes_.warnings.push_back(text);
                for (auto& s : changes_.upgrade) {
                    auto* ct = std::get_if<CreateTable>(&s.op);
                    if (ct && ct->table.name() == m->name()) s.comment = text;
                }
            }
        }
    }

    static bool same_columns(const Table& a, const Table& b) {
        if (a.columns.size() != b.columns.size()) return false;
        for (const auto& c : a.columns) {
            const Column* o = b.find_column(c.name);
            if (!o || !same_type(o->type, c.type)) return false;
        }
        return true;
    }
};

}  // namespace

Rename parse_rename(const std::string& text) {
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw MigrationError("--rename '" + text + "': expected table.old_column:new_column or old_table:new_table");
    std::string left = text.substr(0, colon), to = text.substr(colon + 1);
    auto dot = left.find('.');
    if (dot == std::string::npos) return Rename{"", left, to};
    if (dot == 0 || dot + 1 == left.size())
        throw MigrationError("--rename '" + text + "': expected table.old_column:new_column");
    return Rename{left.substr(0, dot), left.substr(dot + 1), to};
}

std::vector<Step> inverse_steps(const std::vector<Step>& upgrade, const MetaData& before) {
    MetaData state = before;
    std::vector<std::vector<Operation>> inverses;
    for (const auto& step : upgrade) {
        inverses.push_back(inverse(step.op, state));
        migrate::apply(step.op, state);
    }
    std::vector<Step> out;
    for (auto it = inverses.rbegin(); it != inverses.rend(); ++it)
        for (auto& op : *it) out.push_back(Step{std::move(op), 0, 0, {}});
    return out;
}

Changes compare_metadata(const MetaData& target, const MetaData& database, const std::vector<Rename>& renames,
                         const CompareOptions& options) {
    Differ differ(target, database, options);
    for (const auto& r : renames) differ.rename(r);
    differ.run();
    Changes changes = differ.take();
    changes.downgrade = inverse_steps(changes.upgrade, database);
    return changes;
}

}  // namespace strata::migrate
