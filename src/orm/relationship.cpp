// HasMany / BelongsTo: lazy loading and backrefs kept in sync in memory.
#include <algorithm>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "driver/numbered_text.hpp"
#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

template <class V, class X>
bool erase_value(V& v, const X& x) {
    auto it = std::find(v.begin(), v.end(), x);
    if (it == v.end()) return false;
    v.erase(it);
    return true;
}

template <class V, class X>
bool has_value(const V& v, const X& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

// --- ItemList ----------------------------------------------------------------------

RecordBase* ItemList::at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("strata: collection index " + std::to_string(i) + " past its " +
                                             std::to_string(size()) + " items");
    return items()[i];
}

void ItemList::erase(RecordBase** at) {
    std::copy(at + 1, end(), at);
    --block_->size;
}

void ItemList::grow() { reserve(std::max<std::size_t>(4, capacity() * 2)); }

void ItemList::reserve(std::size_t capacity) {
    if (capacity <= this->capacity()) return;
    auto* block = static_cast<Header*>(::operator new(sizeof(Header) + capacity * sizeof(RecordBase*)));
    *block = {size(), capacity, false};
    std::copy(begin(), end(), reinterpret_cast<RecordBase**>(block + 1));
    if (block_ && !block_->borrowed) ::operator delete(block_);
    block_ = block;
}

ItemList ItemList::take_borrowed() {
    ItemList out(*this);  // a heap block of its own
    clear();
    return out;
}

namespace {

// add_in_memory() for a collection not loaded: noted for its load. Out of
// line, so that the loaded case saves no registers.
STRATA_DETAIL_COLD void add_pending(CollectionBase& c, RecordBase* item) {
    auto& changes = c.changes();
    erase_value(changes.pending_removes, item);
    if (!has_value(changes.pending_adds, item)) changes.pending_adds.push_back(item);
}

}  // namespace

// The other side of a change, in memory only: no load, no row written.
void add_in_memory(CollectionBase& c, RecordBase* item) {
    if (!c.is_loaded()) return add_pending(c, item);
    // Inline: `post->author = user` checks every post the user holds.
    for (RecordBase* held : c.items_)
        if (held == item) return;
    c.items_.push_back(item);
}

void remove_in_memory(CollectionBase& c, RecordBase* item) {
    if (c.is_loaded()) {
        erase_value(c.items_, item);
    } else {
        auto& changes = c.changes();
        erase_value(changes.pending_adds, item);
        if (!has_value(changes.pending_removes, item)) changes.pending_removes.push_back(item);
    }
}

namespace {

[[noreturn]] STRATA_DETAIL_COLD void throw_other_session(const RecordBase& owner, const RecordBase& item) {
    throw Error("strata: " + repr_record(&item) + " belongs to another session than " + repr_record(&owner) +
                "; session.merge(object) gives this session's object for it");
}

// Inline, its message out of line: every `post->author = user` checks.
inline void check_same_session(const RecordBase& owner, const RecordBase& item) {
    if (!same_session(owner, item)) [[unlikely]]
        throw_other_session(owner, item);
}

}  // namespace

// The parent a reference points at, without loading anything.
RecordBase* current_target(const ReferenceBase& ref) {
    return ref.loaded_ ? ref.target_ : current_target(ref, mapping_of(ref));
}

namespace {

// current_target() through Values: a foreign key of another type, or of several columns.
STRATA_DETAIL_COLD RecordBase* target_by_values(const RecordBase& owner, const RelationshipMapping& rel, SessionImpl& session) {
    if (rel.fk_columns.size() == 1)
        return session.lookup(*rel.target, owner.mapper->columns[static_cast<std::size_t>(rel.fk_column)].access->get(owner.object));
    return session.lookup(*rel.target, foreign_key_values(rel, owner));
}

}  // namespace

RecordBase* current_target(const ReferenceBase& ref, const RelationshipMapping& rel) {
    if (ref.loaded_) return ref.target_;
    const RecordBase& owner = *ref.owner_;
    if (!owner.store || !owner.store->session) return nullptr;
    SessionImpl& session = *owner.store->session;
    if (!rel.integer_fk) return target_by_values(owner, rel, session);
    // An integer member into an integer key (the common case): no Value.
    std::int64_t key = 0;
    return rel.integer_fk->integer(owner.object, key) ? session.lookup(*rel.target, key) : nullptr;  // false: NULL
}

std::vector<Value> foreign_key_values(const RelationshipMapping& rel, const RecordBase& r) {
    std::vector<Value> out;
    out.reserve(rel.fk_columns.size());
    for (int i : rel.fk_columns) out.push_back(r.mapper->columns[static_cast<std::size_t>(i)].access->get(r.object));
    return out;
}

namespace {

void cascade_save(const RelationshipMapping& rel, RecordBase* item) {
    if (!rel.cascade.save_update || !item->store || !item->store->session) return;
    if (item->state == RecordState::Transient) item->store->session->attach_pending(item);
}

// Points `child`'s reference (of relationship `rel`) at `parent` (or
// nothing), fixing the collections on both sides.
void set_reference(ReferenceBase& ref, const RelationshipMapping& rel, RecordBase* parent) {
    RecordBase* old = current_target(ref, rel);
    if (rel.backref && old != parent) {
        if (old) remove_in_memory(collection_of(*rel.backref, *old), ref.owner_);
        if (parent) add_in_memory(collection_of(*rel.backref, *parent), ref.owner_);
    }
    ref.target_ = parent;
    ref.loaded_ = true;
    mark_reference_dirty(ref);
}

}  // namespace

// --- CollectionBase --------------------------------------------------------------

void CollectionBase::ensure_loaded() const {
    if (loaded_ || !owner_) return;
    live_session(*owner_, "a relationship").load_collection(const_cast<CollectionBase&>(*this));
}

std::size_t CollectionBase::size() const {
    ensure_loaded();
    return items_.size();
}

RecordBase* CollectionBase::at(std::size_t i) const {
    ensure_loaded();
    if (i >= items_.size())
        throw Error("strata: index " + std::to_string(i) + " out of range of a collection of " +
                    std::to_string(items_.size()));
    return items_[i];
}

bool CollectionBase::contains(const RecordBase* item) const {
    ensure_loaded();
    return has_value(items_, item);
}

void CollectionBase::append_kept(std::shared_ptr<RecordBase> item) {
    if (!has_value(items_, item.get())) items_.push_back(item.get());
    changes().unbound_kept.push_back(std::move(item));
}

void CollectionBase::append_new(std::unique_ptr<RecordBase> item) {
    if (!owner_) {
        items_.push_back(item.get());
        changes().unbound_new.push_back(std::move(item));
        return;
    }
    RecordBase* r = live_session(*owner_, "a relationship").attach_new(std::move(item));
    append(r);
}

void CollectionBase::append(RecordBase* item) {
    check_same_session(*owner_, *item);
    const RelationshipMapping& rel = mapping_of(*this);
    // A many-to-many collection is a set of links, as SQLAlchemy's with
    // collection_class=set: appending an object already linked is a no-op, so
    // it must know the links in the database (one row per link, and remove()
    // deletes exactly what the collection held).
    if (rel.kind == RelationshipKind::ManyToMany) ensure_loaded();
    if (is_loaded()) {
        if (has_value(items_, item)) return;
        items_.push_back(item);
    } else {
        add_in_memory(*this, item);
    }
    if (rel.kind == RelationshipKind::OneToMany) {
        auto& back = reference_of(*rel.backref, *item);
        RecordBase* old = current_target(back, *rel.backref);
        if (old && old != owner_) remove_in_memory(collection_of(rel, *old), item);
        back.target_ = owner_;
        back.loaded_ = true;
        mark_reference_dirty(back);
    } else {
        if (!erase_value(changes().link_removed, item)) changes().link_added.push_back(item);
        live_session(*owner_, "a relationship").note_link_change(*this);
        if (rel.backref) add_in_memory(collection_of(*rel.backref, *item), owner_);
    }
    cascade_save(rel, item);
}

bool CollectionBase::remove(RecordBase* item) {
    if (!owner_) {
        bool found = erase_value(items_, item);
        auto& unbound_new = changes().unbound_new;
        for (auto it = unbound_new.begin(); it != unbound_new.end(); ++it)
            if (it->get() == item) {
                unbound_new.erase(it);
                break;
            }
        return found;
    }
    ensure_loaded();
    if (!erase_value(items_, item)) return false;
    const RelationshipMapping& rel = mapping_of(*this);
    if (rel.kind == RelationshipKind::OneToMany) {
        auto& back = reference_of(*rel.backref, *item);
        back.target_ = nullptr;
        back.loaded_ = true;
        mark_reference_dirty(back);
        if (rel.cascade.delete_orphan) {
            SessionImpl& s = live_session(*owner_, "a relationship");
            if (item->state == RecordState::Pending) s.expunge(item);
            else if (item->state == RecordState::Persistent) s.mark_deleted(item);
        }
    } else {
        if (!erase_value(changes().link_added, item)) changes().link_removed.push_back(item);
        live_session(*owner_, "a relationship").note_link_change(*this);
        if (rel.backref) remove_in_memory(collection_of(*rel.backref, *item), owner_);
    }
    return true;
}

void CollectionBase::ChangesDeleter::operator()(Changes* changes) const noexcept { delete changes; }

void CollectionBase::clear() {
    if (!owner_) {
        items_.clear();
        changes_.reset();
        return;
    }
    ensure_loaded();
    auto items = items_;
    for (auto* item : items) remove(item);
}

// --- ReferenceBase ------------------------------------------------------------------

RecordBase* ReferenceBase::target() const {
    if (!owner_) return unbound_target_.get();
    if (loaded_) return target_;
    return live_session(*owner_, "a relationship").load_reference(const_cast<ReferenceBase&>(*this));
}

void ReferenceBase::assign(const std::shared_ptr<RecordBase>& target) {
    if (!owner_) {
        unbound_target_ = target;
        target_ = target.get();
        dirty_ = true;
        return;
    }
    RecordBase* parent = target.get();
    if (parent) check_same_session(*owner_, *parent);
    const RelationshipMapping& rel = mapping_of(*this);
    set_reference(*this, rel, parent);
    if (parent) cascade_save(rel, parent);
}

// --- loading --------------------------------------------------------------------------

void set_collection(CollectionBase& c, std::vector<RecordBase*> items) {
    // Association rows written twice by another program load as one link
    // (remove() deletes them all).
    if (mapping_of(c).kind == RelationshipKind::ManyToMany && items.size() > 1) {
        std::unordered_set<RecordBase*> seen;
        std::erase_if(items, [&](RecordBase* r) { return !seen.insert(r).second; });
    }
    if (c.changes_) {
        for (auto* added : c.changes_->pending_adds)
            if (!has_value(items, added)) items.push_back(added);
        for (auto* removed : c.changes_->pending_removes) erase_value(items, removed);
        c.changes_->pending_adds.clear();
        c.changes_->pending_removes.clear();
    }
    c.items_ = ItemList(items);
    c.loaded_ = true;
}

// SELECT of the target's columns for one owner: by foreign key, or through the association table.
sql::Select relationship_select(const RelationshipMapping& rel, const Dialect& d) {
    const Mapper& t = *rel.target;
    sql::Select sel;
    sel.from(t.table).columns_sql(t.sql(d).select_list);
    if (rel.kind == RelationshipKind::ManyToMany)
        sel.join({rel.secondary, {}, binary("=", column(rel.secondary, rel.remote_column), column(t.table, t.pk_column().name)), false});
    // A collection is in the target's key order. An integer key is sorted in
    // memory (in_key_order): PostgreSQL reads `fk = ?` through the foreign
    // key's index and would add a sort node for an ORDER BY, per load.
    if (!t.integer_key)
        for (const std::string& key : t.key_names()) sel.order_by(column(t.table, key));
    return sel;
}

void sort_by_key(std::span<std::pair<std::int64_t, RecordBase*>> keyed) {
    auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
    // Rows usually come in key order (inserted in it): check before sorting.
    if (!std::is_sorted(keyed.begin(), keyed.end(), by_key)) std::sort(keyed.begin(), keyed.end(), by_key);
}

Expr owner_condition(const RelationshipMapping& rel, std::span<const Value> owner_key) {
    if (rel.kind == RelationshipKind::ManyToMany)
        return binary("=", column(rel.secondary, rel.local_column), bind(owner_key[0]));
    const Mapper& t = *rel.target;
    Expr condition;
    for (std::size_t i = 0; i < rel.fk_columns.size(); ++i) {
        Expr term = binary("=", column(t.table, t.columns[static_cast<std::size_t>(rel.fk_columns[i])].name), bind(owner_key[i]));
        condition = i == 0 ? term : condition && term;
    }
    return condition;
}

namespace {

// load_collection's rare cases, out of line so that the per-load path stays
// small (a lazy load's code shares the instruction cache with the
// database's): an owner not in the database yet (nothing to load), a target
// without an integer key (sorted by ORDER BY, read through Values).
STRATA_DETAIL_COLD void load_collection_in_general(SessionImpl& s, CollectionBase& c) {
    RecordBase& owner = *c.owner_;
    if (owner.state == RecordState::Pending || owner.state == RecordState::Transient) {
        set_collection(c, {});
        return;
    }
    const RelationshipMapping& rel = mapping_of(c);
    if (rel.kind == RelationshipKind::OneToMany) s.autoflush_before_reading(*rel.target);
    else s.autoflush_now();
    const RelationshipMapping::LazySql& lazy = rel.lazy_sql(s.dialect());
    set_collection(c, s.run_select(*rel.target, {lazy.sql, owner.mapper->key_values(owner)}));  // in key order by ORDER BY
}

// An owner key that is no built-in integer, bound as Values.
STRATA_DETAIL_COLD void bind_owner_key(Statement& st, const RecordBase& owner) { st.bind_all(owner.mapper->key_values(owner)); }

}  // namespace

void SessionImpl::load_collection(CollectionBase& c) {
    RecordBase& owner = *c.owner_;
    const RelationshipMapping& rel = mapping_of(c);
    const Mapper& t = *rel.target;
    if (owner.state == RecordState::Pending || owner.state == RecordState::Transient || !t.integer_key) [[unlikely]]
        return load_collection_in_general(*this, c);
    // A one-to-many load reads the target's table only; a many-to-many one
    // the association table too, which a model may map as well: all.
    if (rel.kind == RelationshipKind::OneToMany) autoflush_before_reading(t);
    else autoflush_now();
    const Mapper& o = *owner.mapper;
    const RelationshipMapping::LazySql& lazy = rel.lazy_sql(dialect());
    const std::string& sql = lazy.sql;
    auto st = prepare_read(sql, lazy.text_id);
    // An integer key is bound as one (no list of Values); its one parameter
    // is the owner's key whichever the relationship's kind.
    const std::optional<std::int64_t> key = o.integer_key ? integer_value(*o.pk_column().access, owner.object) : std::nullopt;
    if (key) st->bind_int64(1, *key);
    else bind_owner_key(*st, owner);
    note(sql);
    // The items with their keys, in room kept by the session from one load
    // to the next (taken, so that a load inside this one would get its own).
    std::vector<std::pair<std::int64_t, RecordBase*>>& kept = extras().loaded_items;
    std::vector<std::pair<std::int64_t, RecordBase*>> keyed = std::exchange(kept, {});
    keyed.clear();
    if (!load_keyed_rows(t, *st, keyed)) sort_by_key(keyed);
    set_loaded_items(c, keyed.size(), [&](std::size_t i) { return keyed[i].second; });
    kept = std::move(keyed);  // (extras_ never moves: `kept` is still its list)
}

const RelationshipMapping::LazySql& RelationshipMapping::lazy_sql(const Dialect& d) const {
    if (auto* last = last_lazy_sql_.load(std::memory_order_acquire); last && last->first == &d) return last->second;
    std::lock_guard lock(sql_mutex_);
    auto it = lazy_sql_.try_emplace(&d).first;
    if (it->second.sql.empty()) {
        auto sel = relationship_select(*this, d);
        sel.where(owner_condition(*this, std::vector<Value>(std::max<std::size_t>(fk_columns.size(), 1))));
        it->second.sql = sel.compile(d).sql;
        it->second.text_id = NumberedText::new_text_id();
    }
    last_lazy_sql_.store(&*it, std::memory_order_release);
    return it->second;
}

RecordBase* SessionImpl::load_reference(ReferenceBase& ref) {
    const RelationshipMapping& rel = mapping_of(ref);
    RecordBase& owner = *ref.owner_;
    RecordBase* target = nullptr;
    if (rel.fk_columns.size() == 1) {
        Value key = owner.mapper->columns[static_cast<std::size_t>(rel.fk_column)].access->get(owner.object);
        if (!key.is_null()) target = get(*rel.target, key);
    } else {
        target = get(*rel.target, foreign_key_values(rel, owner));  // none if a part is NULL
    }
    ref.target_ = target;
    ref.loaded_ = true;
    return target;
}

QuerySpec relationship_query(const CollectionBase& c) {
    if (!c.owner_) throw Error("strata: query() on a collection of an object that is not in a session");
    SessionImpl& s = live_session(*c.owner_, "a relationship query");
    s.autoflush_now();  // a new owner gets its key before the key goes into the query
    const RelationshipMapping& rel = mapping_of(c);
    QuerySpec spec;
    spec.store = s.store;
    spec.mapper = rel.target;
    const Mapper& t = *rel.target;
    if (rel.kind == RelationshipKind::ManyToMany)
        spec.raw_joins.push_back(
            {rel.secondary, {}, binary("=", column(rel.secondary, rel.remote_column), column(t.table, t.pk_column().name)), false});
    spec.conditions.push_back(owner_condition(rel, c.owner_->mapper->key_values(*c.owner_)));
    return spec;
}

}  // namespace strata::detail
