// Session::merge: bringing the state of an object from elsewhere (detached
// from a session that is gone, or expunged) into a session, as SQLAlchemy's
// Session.merge does. The object itself never joins: its state is copied onto
// the session's object for its key.
#include "orm/orm_internal.hpp"

namespace strata {

namespace detail {

void throw_not_in_session(const RecordBase& r) {
    const std::string name = repr_record(&r);
    const char* fix = "; session.merge(object) copies its state onto this session's object for its key and returns "
                      "that object";
    if (!r.store || !r.store->session || r.state == RecordState::Detached)
        throw Error("strata: " + name + " is detached: the session it was in is gone (or expunged it)" + fix);
    throw Error("strata: " + name + " belongs to another session, still open; expunge it there first" + fix);
}

namespace {

// True when r's key is set: a one-column key not 0 / empty, every part of a composite key not NULL.
bool has_key(const Mapper& m, const RecordBase& r) {
    if (!m.composite_key()) return !m.pk_column().access->is_unset(r.object);
    for (const Value& part : m.key_values(r))
        if (part.is_null()) return false;
    return true;
}

// The foreign key a reference assigned while `source` was in its session
// would have written at its flush: it is part of the state merged.
void copy_assigned_references(const Mapper& m, const RecordBase& source, RecordBase& target) {
    for (auto& rel : m.relationships) {
        if (rel->kind != RelationshipKind::ManyToOne) continue;
        auto& ref = static_cast<const ReferenceBase&>(rel->member_of(source.object));
        if (!ref.dirty_) continue;
        std::vector<Value> key(rel->fk_columns.size());
        if (RecordBase* parent = ref.target_) {
            const Mapper& pm = *parent->mapper;
            if (!has_key(pm, *parent))
                throw Error("strata: cannot merge " + repr_record(&source) + ": its " + rel->name + " is " +
                            repr_record(parent) + ", which has no key yet; add or merge that object and commit it "
                            "first");
            key = pm.key_values(*parent);
        }
        for (std::size_t i = 0; i < key.size(); ++i)
            m.columns[static_cast<std::size_t>(rel->fk_columns[i])].access->set(target.object, key[i]);
    }
}

void copy_columns(const Mapper& m, const RecordBase& source, RecordBase& target) {
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        if (m.key_mask & (std::uint64_t{1} << i)) continue;  // the same, or the target is new and gets it below
        m.columns[i].access->set(target.object, m.columns[i].access->get(source.object));
    }
    copy_assigned_references(m, source, target);
}

}  // namespace

RecordBase* SessionImpl::merge(const RecordBase& source) {
    const Mapper& m = registry.mapper_for(source.type());
    const bool keyed = has_key(m, source);
    const std::vector<Value> key = keyed ? m.key_values(source) : std::vector<Value>();
    if (keyed) {
        if (RecordBase* known = lookup(m, key); known && known->state == RecordState::Deleted)
            throw Error("strata: cannot merge " + repr_record(&source) + ": this session deleted its row");
    }
    RecordBase* target = keyed ? get(m, key) : nullptr;
    if (source.expired) {
        // Nothing of it is loaded (it was expired when its session ended): the
        // session's object is the state to keep.
        if (!target)
            throw Error("strata: cannot merge " + repr_record(&source) +
                        ": its columns were expired when its session ended and no row has its key");
        return target;
    }
    if (target) {
        if (target->expired) refresh(*target);  // a later load must not overwrite what is copied
        copy_columns(m, source, *target);
        return target;
    }
    // No row has its key (or it has none): a new object, INSERTed at the next flush.
    RecordBase* fresh = store->create(m);
    copy_columns(m, source, *fresh);
    if (keyed)
        for (std::size_t i = 0; i < key.size(); ++i)
            m.columns[static_cast<std::size_t>(m.key_columns[i])].access->set(fresh->object, key[i]);
    attach_pending(fresh);
    bind_new_relationships(*fresh);
    return fresh;
}

}  // namespace detail

detail::RecordBase* Session::merge_record(detail::RecordBase* r) {
    if (!r) detail::throw_null_handle(typeid(void));
    if (impl_->owns(*r)) {  // already this session's object
        add_existing(r);
        return r;
    }
    return impl_->merge(*r);
}

}  // namespace strata
