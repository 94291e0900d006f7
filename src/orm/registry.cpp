// The registry: models declared once, resolved into mappers and a MetaData.
#include <cxxabi.h>

#include <algorithm>
#include <cstring>

#include "driver/numbered_text.hpp"
#include "orm/orm_internal.hpp"

namespace strata {

namespace detail {

void throw_value_type(const char* cpp_type, const Value& v) {
    throw Error("strata: cannot store " + v.to_display() + " in a member of type " + cpp_type);
}

void throw_null_handle(const std::type_info& type) {
    throw Error("strata: dereferencing an empty strata::Ptr<" + std::string(type.name()) + ">");
}

namespace {

// The type's full name ("strata::HasMany<todo::Task>").
std::string full_name_of(const std::type_info& type) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    std::string name = status == 0 && demangled ? demangled : type.name();
    std::free(demangled);
    return name;
}

}  // namespace

void throw_enum_value(const std::type_info& type, long long value) {
    throw Error("strata: " + full_name_of(type) + " value " + std::to_string(value) +
                " has no name in its strata::column_type names, so it cannot be stored");
}

void throw_enum_name(const std::type_info& type, std::string_view name) {
    throw Error("strata: '" + std::string(name) + "' read from the database is not a name of " + full_name_of(type) +
                " (its strata::column_type names)");
}

namespace {

std::string class_name_of(const std::type_info& type) {
    std::string name = full_name_of(type);
    auto colon = name.rfind("::");
    return colon == std::string::npos ? name : name.substr(colon + 2);
}

std::string type_display(const SqlType& t) { return t.to_string(); }

thread_local RelationshipCensus* current_census = nullptr;

std::string ordinal(std::size_t n) {
    static const char* const suffix[] = {"th", "st", "nd", "rd"};
    return std::to_string(n) + (n % 100 / 10 != 1 && n % 10 <= 3 ? suffix[n % 10] : "th");
}

}  // namespace

std::size_t declare_model(RegistryImpl& r, const std::type_info& type, std::string table, RecordFactory factory) {
    std::lock_guard lock(r.mutex);
    if (r.finalized) throw ConfigError("strata: model for table " + table + " declared after the registry was first used");
    for (auto& m : r.mappers) {
        if (*m->type == type) throw ConfigError("strata: " + m->class_name + " is already mapped (to table " + m->table + ")");
        if (m->table == table) throw ConfigError("strata: table " + table + " is already mapped by " + m->class_name);
    }
    auto m = std::make_unique<Mapper>();
    m->index = r.mappers.size();
    m->type = &type;
    m->class_name = class_name_of(type);
    m->table = table;
    m->factory = factory;
    r.metadata.table(table);
    r.mappers.push_back(std::move(m));
    return r.mappers.size() - 1;
}

RelationshipCensus::RelationshipCensus() : outer_(current_census) {
    current_census = this;
    running_relationship_censuses.fetch_add(1, std::memory_order_relaxed);
}

RelationshipCensus::~RelationshipCensus() {
    running_relationship_censuses.fetch_sub(1, std::memory_order_relaxed);
    current_census = outer_;
}

std::vector<RelationshipMember> RelationshipCensus::members_in(const void* object, std::size_t size) const {
    std::vector<RelationshipMember> out;
    const auto begin = reinterpret_cast<std::uintptr_t>(object);
    for (const Seen& s : seen_) {
        const auto at = reinterpret_cast<std::uintptr_t>(s.address);
        if (at >= begin && at < begin + size) out.push_back({static_cast<std::ptrdiff_t>(at - begin), s.type});
    }
    return out;
}

void note_relationship_member(const void* member, const std::type_info& type) {
    if (current_census) current_census->seen_.push_back({member, &type});
}

void declare_relationship_members(RegistryImpl& r, std::size_t model, std::vector<RelationshipMember> members) {
    std::lock_guard lock(r.mutex);
    r.mappers.at(model)->relationship_members = std::move(members);
}

void declare_column(RegistryImpl& r, std::size_t model, ColumnDeclaration decl) {
    std::lock_guard lock(r.mutex);
    Mapper& m = *r.mappers.at(model);
    const std::string where = m.class_name + " column " + decl.name;
    if (decl.explicit_type && !decl.accepts(decl.type.kind))
        throw ConfigError("strata: " + where + " is declared as " + type_display(decl.type) + " but its member is " +
                          decl.cpp_type);
    if (m.columns.size() >= 64) throw ConfigError("strata: " + where + ": a model maps at most 64 columns");
    if (m.column_index(decl.name) >= 0) throw ConfigError("strata: " + where + " is mapped twice");
    std::vector<ColumnOption> options;
    options.push_back(nullable(decl.optional));
    for (auto& o : decl.options) options.push_back(std::move(o));
    r.metadata.table(m.table).add_column(decl.name, decl.type, std::move(options));
    ColumnMapping cm;
    cm.name = decl.name;
    cm.key = decl.key;
    cm.access = std::move(decl.access);
    cm.optional = decl.optional;
    m.columns.push_back(std::move(cm));
}

void declare_column_loops(RegistryImpl& r, std::size_t model, ColumnLoops loops) {
    std::lock_guard lock(r.mutex);
    r.mappers.at(model)->loops = loops;
}

void declare_key_members(RegistryImpl& r, std::size_t model, std::vector<MemberKey> members) {
    std::lock_guard lock(r.mutex);
    r.mappers.at(model)->declared_key = std::move(members);
}

void declare_foreign_key(RegistryImpl& r, std::size_t model, ForeignKey fk) {
    std::lock_guard lock(r.mutex);
    if (r.finalized) throw ConfigError("strata: foreign key declared after the registry was first used");
    const Mapper& m = *r.mappers.at(model);
    if (fk.columns.empty() || fk.columns.size() != fk.ref_columns.size())
        throw ConfigError("strata: " + m.class_name + ": foreign_key() to " + fk.ref_table + " needs as many columns (" +
                          std::to_string(fk.columns.size()) + ") as referenced columns (" +
                          std::to_string(fk.ref_columns.size()) + "), at least one");
    r.metadata.table(m.table).foreign_key("", std::move(fk.columns), std::move(fk.ref_table), std::move(fk.ref_columns),
                                          std::move(fk.ondelete), std::move(fk.onupdate));
}

void declare_relationship(RegistryImpl& r, std::size_t model, RelationshipDecl decl) {
    std::lock_guard lock(r.mutex);
    if (r.finalized) throw ConfigError("strata: relationship declared after the registry was first used");
    r.pending.push_back({model, std::move(decl)});
}

void declare_repr(RegistryImpl& r, std::size_t model, std::function<std::string(const void*)> repr) {
    std::lock_guard lock(r.mutex);
    r.mappers.at(model)->repr = std::move(repr);
}

int Mapper::column_index(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string Mapper::describe(const RecordBase& r) const {
    if (repr) return repr(r.object);
    if (pk < 0) return "<" + class_name + " id=?>";
    std::string out = "<" + class_name;
    for (int i : key_columns) {
        const ColumnMapping& c = columns[static_cast<std::size_t>(i)];
        const Value v = c.access->get(r.object);
        // An unassigned one-column key (0 or empty) shows as None; a part of a composite key is a value.
        const bool unset = composite_key() ? v.is_null() : c.access->is_unset(r.object);
        out += " " + c.name + "=" + (unset ? std::string("None") : v.to_display());
    }
    return out + ">";
}

std::vector<Value> Mapper::key_values(const RecordBase& r) const {
    std::vector<Value> out;
    out.reserve(key_columns.size());
    for (int i : key_columns) out.push_back(columns[static_cast<std::size_t>(i)].access->get(r.object));
    return out;
}

std::vector<std::string> Mapper::key_names() const {
    std::vector<std::string> out;
    for (int i : key_columns) out.push_back(columns[static_cast<std::size_t>(i)].name);
    return out;
}

int Mapper::bind_key(const RecordBase& r, ValueSink& st, int first) const {
    for (int i : key_columns) columns[static_cast<std::size_t>(i)].access->bind(r.object, st, first++);
    return first;
}

const MapperSql& Mapper::render_sql(const Dialect& d) const {
    std::lock_guard lock(sql_mutex_);
    auto& slot = sql_[&d];
    if (slot) {
        last_sql_.store(slot.get(), std::memory_order_release);
        return *slot;
    }
    slot = std::make_unique<MapperSql>();
    slot->dialect = &d;
    std::vector<std::string> names, names_no_pk, computed;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i) slot->select_list += ", ";
        slot->select_list += d.quote(table) + "." + d.quote(columns[i].name);
        if (inserts(i, true)) names.push_back(columns[i].name);
        if (inserts(i, false)) names_no_pk.push_back(columns[i].name);
        if (is_computed(i)) computed.push_back(columns[i].name);
    }
    const std::string& pk_name = pk_column().name;
    std::string by_key = " FROM " + d.quote(table) + " WHERE ";
    const std::vector<std::string> keys = key_names();
    for (std::size_t i = 0; i < keys.size(); ++i)
        by_key += (i ? " AND " : "") + d.quote(table) + "." + d.quote(keys[i]) + " = " + d.placeholder(static_cast<int>(i) + 1);
    slot->select_by_pk = "SELECT " + slot->select_list + by_key;
    slot->select_by_pk_id = NumberedText::new_text_id();
    if (!computed.empty()) slot->select_computed = "SELECT " + d.quoted_list(computed) + by_key;
    slot->insert_all = sql::insert_sql(d, table, names);
    slot->insert_no_pk = sql::insert_sql(d, table, names_no_pk, returns_keys(d) ? pk_name : std::string());
    slot->delete_by_pk = sql::delete_sql(d, table, key_names());
    last_sql_.store(slot.get(), std::memory_order_release);
    return *slot;
}

const std::string& Mapper::update_sql(const Dialect& d, std::uint64_t mask) const {
    const MapperSql& s = sql(d);
    auto& cache = const_cast<MapperSql&>(s);
    std::lock_guard lock(cache.update_mutex);
    auto it = cache.update_by_mask.find(mask);
    if (it != cache.update_by_mask.end()) return it->second;
    std::vector<std::string> set;
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (mask & (std::uint64_t{1} << i)) set.push_back(columns[i].name);
    return cache.update_by_mask.emplace(mask, sql::update_sql(d, table, set, key_names())).first->second;
}

// --- RegistryImpl ------------------------------------------------------------

const Mapper* RegistryImpl::find_mapper(const std::type_info& type) const {
    for (auto& m : mappers)  // the same type_info object, as a rule: no name compared (a strcmp per other model)
        if (m->type == &type) return m.get();
    return find_mapper_by_name(type);
}

// Another type_info object of the same type (one from another shared
// library) compares equal by name.
const Mapper* RegistryImpl::find_mapper_by_name(const std::type_info& type) const {
    for (auto& m : mappers)
        if (*m->type == type) return m.get();
    return nullptr;
}

const Mapper& RegistryImpl::mapper_for_other(const std::type_info& type) const {
    if (auto* m = find_mapper_by_name(type)) return *m;  // mapper_for has compared the addresses
    throw ConfigError("strata: " + class_name_of(type) + " is not mapped: declare it with registry.model<" +
                      class_name_of(type) + ">(\"table\")");
}

sql::ColumnName RegistryImpl::resolve(const MemberKey& key) const {
    for (auto& m : mappers)
        for (auto& c : m->columns)
            if (c.key == key) return {m->table, c.name};
    throw ConfigError("strata: a member used in a query is not a mapped column (of " +
                      (key.owner ? class_name_of(*key.owner) : std::string("?")) + ")");
}

const RelationshipMapping* RegistryImpl::find_relationship(const MemberKey& key) const {
    for (auto& m : mappers)
        for (auto& rel : m->relationships)
            if (rel->key == key) return rel.get();
    return nullptr;
}

const RelationshipMapping& RegistryImpl::relationship(const MemberKey& key) const {
    if (auto* rel = find_relationship(key)) return *rel;
    throw ConfigError("strata: a member used as a relationship is not a mapped relationship (of " +
                      (key.owner ? class_name_of(*key.owner) : std::string("?")) + ")");
}

namespace {

std::string relationship_name(const Mapper& owner, const Mapper& target, RelationshipKind kind) {
    switch (kind) {
    case RelationshipKind::OneToMany: return owner.class_name + "'s " + target.class_name + " collection";
    case RelationshipKind::ManyToOne: return owner.class_name + "'s " + target.class_name + " reference";
    case RelationshipKind::ManyToMany: return owner.class_name + "'s " + target.class_name + " many-to-many collection";
    }
    return owner.class_name;
}

RelationshipMapping* add_mapping(Mapper& owner, Mapper& target, RelationshipKind kind, const MemberKey& key,
                                 std::unique_ptr<RelationshipAccessor> access, const Cascade& cascade) {
    auto rel = std::make_unique<RelationshipMapping>();
    rel->kind = kind;
    rel->owner = &owner;
    rel->target = &target;
    rel->key = key;
    rel->access = std::move(access);
    rel->cascade = cascade;
    rel->name = relationship_name(owner, target, kind);
    owner.relationships.push_back(std::move(rel));
    return owner.relationships.back().get();
}

// The foreign key of `child`'s table that references `parent`'s table: the
// child's columns holding each of the parent's key columns, in the key's order.
std::vector<int> foreign_key_columns(const MetaData& md, const Mapper& child, const Mapper& parent, const std::string& what) {
    const Table* t = md.find(child.table);
    const ForeignKey* found = nullptr;
    for (auto& fk : t->foreign_keys) {
        if (fk.ref_table != parent.table) continue;
        if (found) throw ConfigError("strata: " + what + ": table " + child.table + " has several foreign keys to " +
                                     parent.table + "; declare the reference with belongs_to(&" + child.class_name +
                                     "::ref, &" + child.class_name + "::key_member)");
        found = &fk;
    }
    if (!found) throw ConfigError("strata: " + what + ": table " + child.table + " has no foreign key to " + parent.table);
    const std::vector<std::string> keys = parent.key_names();
    std::vector<int> out;
    for (const std::string& key : keys) {
        auto at = std::find(found->ref_columns.begin(), found->ref_columns.end(), key);
        if (found->ref_columns.size() != keys.size() || at == found->ref_columns.end())
            throw ConfigError("strata: " + what + ": the foreign key of " + child.table + " to " + parent.table +
                              " does not reference its primary key (" + std::to_string(keys.size()) + " column" +
                              (keys.size() == 1 ? "" : "s") + ")");
        const std::string& name = found->columns[static_cast<std::size_t>(at - found->ref_columns.begin())];
        const int index = child.column_index(name);
        if (index < 0) throw ConfigError("strata: " + what + ": foreign key column " + name + " is not mapped");
        out.push_back(index);
    }
    return out;
}

void set_foreign_key_columns(RelationshipMapping& rel, std::vector<int> columns) {
    rel.fk_column = columns.at(0);
    rel.fk_columns = std::move(columns);
}

}  // namespace

void RegistryImpl::resolve_relationship(PendingRelationship& p) {
    Mapper& owner = *mappers[p.model];
    auto& d = p.decl;
    auto* target_c = find_mapper(*d.target);
    if (!target_c)
        throw ConfigError("strata: a relationship of " + owner.class_name + " refers to " + class_name_of(*d.target) +
                          ", which is not mapped");
    Mapper& target = *const_cast<Mapper*>(target_c);
    const std::string what = relationship_name(owner, target, d.kind);
    switch (d.kind) {
    case RelationshipKind::ManyToOne: {
        auto* rel = add_mapping(owner, target, d.kind, d.key, std::move(d.access), d.cascade);
        if (d.foreign_keys.size() != target.key_columns.size())
            throw ConfigError("strata: " + what + ": its foreign key has " + std::to_string(d.foreign_keys.size()) +
                              " member(s) but the primary key of " + target.class_name + " has " +
                              std::to_string(target.key_columns.size()) + " column(s); belongs_to() takes one member "
                              "per key column, in order: belongs_to(&" + owner.class_name + "::ref, std::tuple{&" +
                              owner.class_name + "::a, &" + owner.class_name + "::b})");
        std::vector<int> columns;
        for (const MemberKey& member : d.foreign_keys) {
            int index = -1;
            for (std::size_t i = 0; i < owner.columns.size(); ++i)
                if (owner.columns[i].key == member) index = static_cast<int>(i);
            if (index < 0) throw ConfigError("strata: " + what + ": its key member is not a mapped column");
            columns.push_back(index);
        }
        set_foreign_key_columns(*rel, std::move(columns));
        return;
    }
    case RelationshipKind::OneToMany: {
        auto* rel = add_mapping(owner, target, d.kind, d.key, std::move(d.access), d.cascade);
        RelationshipMapping* back = const_cast<RelationshipMapping*>(find_relationship(d.backref_key));
        if (back) {
            if (back->kind != RelationshipKind::ManyToOne || back->target != &owner)
                throw ConfigError("strata: " + what + ": its backref is not a reference to " + owner.class_name);
            set_foreign_key_columns(*rel, back->fk_columns);
        } else {
            set_foreign_key_columns(*rel, foreign_key_columns(metadata, target, owner, what));
            back = add_mapping(target, owner, RelationshipKind::ManyToOne, d.backref_key, std::move(d.backref_access),
                               d.backref_cascade);
            set_foreign_key_columns(*back, rel->fk_columns);
        }
        rel->backref = back;
        back->backref = rel;
        return;
    }
    case RelationshipKind::ManyToMany: {
        if (owner.composite_key() || target.composite_key())
            throw ConfigError("strata: " + what + ": many_to_many() links models with one-column keys; " +
                              (owner.composite_key() ? owner.class_name : target.class_name) +
                              " has a composite key: map the association table as a model of its own (an "
                              "association object) with belongs_to() to each side");
        const Table* sec = metadata.find(d.secondary);
        if (!sec) throw ConfigError("strata: " + what + ": association table " + d.secondary + " is not declared (registry.table(\"" + d.secondary + "\"))");
        for (auto* c : {&d.local_column, &d.remote_column})
            if (!sec->find_column(*c)) throw ConfigError("strata: " + what + ": table " + d.secondary + " has no column " + *c);
        auto* rel = add_mapping(owner, target, d.kind, d.key, std::move(d.access), d.cascade);
        rel->secondary = d.secondary;
        rel->local_column = d.local_column;
        rel->remote_column = d.remote_column;
        auto note_ref = [](Mapper& m, const std::string& table, const std::string& column) {
            std::pair<std::string, std::string> ref{table, column};
            if (std::find(m.association_refs.begin(), m.association_refs.end(), ref) == m.association_refs.end())
                m.association_refs.push_back(ref);
        };
        note_ref(owner, d.secondary, d.local_column);
        note_ref(target, d.secondary, d.remote_column);
        if (d.backref_access) {
            auto* back = add_mapping(target, owner, d.kind, d.backref_key, std::move(d.backref_access), d.backref_cascade);
            back->secondary = d.secondary;
            back->local_column = d.remote_column;
            back->remote_column = d.local_column;
            rel->backref = back;
            back->backref = rel;
        }
        return;
    }
    }
}

// Every HasMany / BelongsTo member of a mapped struct must be mapped: one the
// registry does not know would take objects and store nothing.
void RegistryImpl::check_relationship_members() const {
    for (auto& m : mappers) {
        std::size_t position = 0;
        for (const RelationshipMember& member : m->relationship_members) {
            ++position;
            const bool mapped = std::any_of(m->relationships.begin(), m->relationships.end(), [&](const auto& rel) {
                return rel->key.offset == member.offset;
            });
            if (mapped) continue;
            const std::string type = full_name_of(*member.type);
            const bool collection = type.starts_with("strata::HasMany<");
            throw ConfigError(
                "strata: " + m->class_name + " has a " + type + " member that is not mapped (its " + ordinal(position) +
                " relationship member, at byte offset " + std::to_string(member.offset) + "): " +
                (collection ? "declare it with has_many(&" + m->class_name + "::member, &Other::backref) or "
                              "many_to_many(...), or name it as the backref of the other side's many_to_many()"
                            : "declare it with belongs_to(&" + m->class_name + "::member, &" + m->class_name +
                                  "::key_member), or name it as the backref of the other side's has_many()"));
        }
    }
}

namespace {

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return "(" + out + ")";
}

}  // namespace

// The key columns, in the table's order; strata::primary_key_of<T>, where
// declared, must name the same members in the same order.
void RegistryImpl::resolve_key(Mapper& m, const Table& t) {
    const auto keys = t.primary_key_columns();
    if (keys.empty())
        throw ConfigError("strata: " + m.class_name + ": the ORM needs a primary key; table " + m.table +
                          " has none (declare its key column(s) with strata::primary_key())");
    for (const std::string& key : keys) {
        const int index = m.column_index(key);
        if (index < 0) throw ConfigError("strata: " + m.class_name + ": primary-key column " + key + " of table " + m.table + " is not mapped");
        m.key_columns.push_back(index);
        m.key_mask |= std::uint64_t{1} << index;
    }
    if (!m.declared_key.empty()) {
        std::vector<std::string> declared;
        for (const MemberKey& member : m.declared_key) {
            auto it = std::find_if(m.columns.begin(), m.columns.end(), [&](const ColumnMapping& c) { return c.key == member; });
            declared.push_back(it == m.columns.end() ? "(a member that is not a mapped column)" : it->name);
        }
        if (declared != keys)
            throw ConfigError("strata: " + m.class_name + ": strata::primary_key_of<" + m.class_name + "> names " +
                              listed(declared) + " but the primary key of table " + m.table + " is " + listed(keys) +
                              ": the same columns, in the order they are declared");
    }
    m.pk = m.key_columns.front();
    m.pk_autoincrement = !m.composite_key() && m.pk_column().column->autoincrement;
    m.integer_key = !m.composite_key() && m.pk_column().column->type.is_integer();
}

namespace {

// Where each relationship's member sits in m's objects: learnt from one
// object built for the purpose (as Registry::model<T>() builds one for its
// census), through each relationship's accessor.
void find_relationship_slots(Mapper& m) {
    m.relationship_slots.clear();
    m.relationship_offsets = {};
    if (m.relationships.empty()) return;
    const auto room = std::make_unique_for_overwrite<std::byte[]>(m.factory.size);  // new[]: aligned for any model
    RecordBase* probe = m.factory.construct(room.get());
    for (auto& rel : m.relationships) {
        const auto* object = static_cast<const std::byte*>(probe->object);
        const auto* member = reinterpret_cast<const std::byte*>(&rel->access->get(probe->object));
        const RelationshipSlot slot{member - object, rel->kind == RelationshipKind::ManyToOne};
        m.relationship_slots.push_back(slot);
        m.relationship_offsets.add(slot.offset, slot.reference);
    }
    probe->~RecordBase();
}

// What sync_foreign_keys and current_target read of each many-to-one
// relationship of m (after find_relationship_slots).
void find_reference_syncs(Mapper& m) {
    m.reference_syncs.clear();
    for (std::size_t i = 0; i < m.relationships.size(); ++i) {
        RelationshipMapping& rel = *m.relationships[i];
        if (rel.kind != RelationshipKind::ManyToOne) continue;
        m.reference_syncs.push_back({&rel, m.relationship_slots[i].offset});
        const Mapper& target = *rel.target;
        if (rel.fk_columns.size() == 1 && target.key_columns.size() == 1 &&
            integer_kind(m.plan[static_cast<std::size_t>(rel.fk_column)].kind)) {
            rel.integer_fk = m.columns[static_cast<std::size_t>(rel.fk_column)].access.get();
            rel.target_key = target.columns[static_cast<std::size_t>(target.key_columns[0])].access.get();
        }
    }
}

// The model's row program (Mapper::row_plan): a step per column, the key's
// first, and its relationship members. Once the plan and slots are final.
void build_row_plan(Mapper& m) {
    m.row_steps.clear();
    const auto key = static_cast<std::size_t>(m.pk);
    if (m.pk >= 0) m.row_steps.push_back(row_step_of(m.plan[key], key));
    for (std::size_t i = 0; i < m.plan.size(); ++i)
        if (m.pk < 0 || i != key) m.row_steps.push_back(row_step_of(m.plan[i], i));
    RowPlan& p = m.row_plan;
    p = {};
    p.mapper = &m;
    p.bytes = m.factory.size + m.columns.size() * sizeof(std::uint64_t);
    p.steps = m.row_steps.data();
    p.step_count = m.row_steps.size();
    p.key_is_int64 = m.pk >= 0 && m.plan[key].kind == column_kind_of<std::int64_t>();
    p.slots = m.relationship_slots.data();
    p.slot_count = m.relationship_slots.size();
    for (const auto& slot : m.relationship_slots) p.slot_run.add(slot.offset);
    p.default_init = m.loops.default_init_suffices &&
                     m.loops.default_init_suffices(m.plan.data(), m.plan.size(), m.relationship_slots.data(),
                                                   m.relationship_slots.size());
}

}  // namespace

void RegistryImpl::finalize_once() {
    std::lock_guard lock(mutex);
    if (finalized) return;
    for (auto& m : mappers) {
        const Table* t = metadata.find(m->table);
        for (auto& c : m->columns) c.column = t->find_column(c.name);
        resolve_key(*m, *t);
        for (std::size_t i = 0; i < m->columns.size(); ++i) {
            const Column& c = *m->columns[i].column;
            if (c.onupdate_value || c.onupdate_function) m->onupdate_columns |= std::uint64_t{1} << i;
            if (c.computed) m->computed_columns |= std::uint64_t{1} << i;
            if (m->columns[i].optional && (c.default_function || c.default_value)) m->client_defaults = true;
        }
        m->plan.clear();
        for (auto& c : m->columns) m->plan.push_back(c.access->plan());
    }
    // References first, so that has_many() can reuse a belongs_to() declared for its backref.
    std::stable_partition(pending.begin(), pending.end(),
                          [](const PendingRelationship& p) { return p.decl.kind == RelationshipKind::ManyToOne; });
    for (auto& p : pending) resolve_relationship(p);
    pending.clear();
    for (auto& m : mappers)
        for (auto& rel : m->relationships)
            if (rel->kind == RelationshipKind::ManyToOne) m->has_references = true;
    check_relationship_members();
    for (auto& m : mappers) {
        find_relationship_slots(*m);
        find_reference_syncs(*m);
        build_row_plan(*m);
    }
    auto order = metadata.sorted_tables();
    for (auto& m : mappers)
        for (std::size_t i = 0; i < order.size(); ++i)
            if (order[i]->name() == m->table) m->flush_order = static_cast<int>(i);
    finalized.store(true, std::memory_order_release);
}

}  // namespace detail

CascadeOption cascade(const std::string& spec) {
    CascadeOption out;
    out.cascade.save_update = false;
    std::size_t pos = 0;
    while (pos <= spec.size()) {
        auto comma = spec.find(',', pos);
        if (comma == std::string::npos) comma = spec.size();
        std::string word = spec.substr(pos, comma - pos);
        word.erase(0, word.find_first_not_of(" \t"));
        word.erase(word.find_last_not_of(" \t") + 1);
        if (word == "save-update") out.cascade.save_update = true;
        else if (word == "delete") out.cascade.delete_ = true;
        else if (word == "delete-orphan") out.cascade.delete_orphan = true;
        else if (word == "all") out.cascade.save_update = out.cascade.delete_ = true;
        else if (!word.empty())
            throw ConfigError("strata: unknown cascade \"" + word + "\" in \"" + spec +
                              "\" (expected save-update, delete, delete-orphan, all)");
        pos = comma + 1;
    }
    return out;
}

// --- Registry ---------------------------------------------------------------

namespace {

std::mutex registries_mutex;
std::vector<const Registry*>& live_registries() {
    static std::vector<const Registry*> list;
    return list;
}

}  // namespace

Registry::Registry(NamingConvention naming) : impl_(std::make_unique<detail::RegistryImpl>()) {
    impl_->metadata.naming = std::move(naming);
    std::lock_guard lock(registries_mutex);
    live_registries().push_back(this);
}

Registry::~Registry() {
    std::lock_guard lock(registries_mutex);
    auto& list = live_registries();
    list.erase(std::remove(list.begin(), list.end(), this), list.end());
}

const Registry& Registry::current() {
    std::lock_guard lock(registries_mutex);
    auto& list = live_registries();
    if (list.empty()) throw ConfigError("strata: no strata::Registry exists: create one and map your models first");
    return *list.back();
}

Table& Registry::table(const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->finalized) throw ConfigError("strata: table " + name + " declared after the registry was first used");
    return impl_->metadata.table(name);
}

const MetaData& Registry::metadata() const {
    impl_->finalize();
    return impl_->metadata;
}

}  // namespace strata
