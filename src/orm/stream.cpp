// Query<T>::stream: a SELECT read batch by batch, each batch's objects in a
// store of their own that leaves the session once nothing points at them.
#include <algorithm>
#include <string>

#include "orm/orm_internal.hpp"

namespace strata::detail {

class StreamState {
public:
    StreamState(SessionImpl& s, const QuerySpec& q, std::size_t batch_size)
        : session_(&s), mapper_(q.mapper), store_(q.store), batch_size_(batch_size) {
        s.autoflush_now();
        const sql::Compiled c = base_select(q, s).compile(s.dialect(), s.resolver());
        statement_ = s.prepare_read(c.sql);
        statement_->bind_all(c.params);
        s.note(c.sql);
        s.streams.push_back(this);
    }
    ~StreamState() { end(); }
    StreamState(const StreamState&) = delete;
    StreamState& operator=(const StreamState&) = delete;

    bool next(StreamBatch& batch) {
        batch.records.clear();
        batch.store.reset();  // the last batch goes now, unless the program holds some of it
        if (!statement_) {
            if (ended_by_session_)
                throw DetachedInstanceError("strata: the stream of " + mapper_->class_name +
                                            " cannot read on: its session was closed or destroyed");
            return false;
        }
        SessionImpl& s = *session_;
        if (s.autoflush && !s.retained.empty()) s.flush();  // writes the changes that keep dropped batches alive
        batch.store = s.make_batch_store(batch_size_);
        batch.records.reserve(batch_size_);
        struct Loading {
            SessionImpl& s;
            ~Loading() { s.loading_into = nullptr; }
        } loading{s};
        s.loading_into = batch.store.get();
        if (mapper_->integer_key && s.identity[mapper_->index].by_int.size() == 0) {
            // No object of the model in the session (the last batch has
            // gone): all()'s path for rows that are all new.
            if (!s.load_new_rows(*mapper_, *statement_, batch.records, batch_size_)) end();
            return !batch.records.empty();
        }
        while (batch.records.size() < batch_size_) {
            if (!statement_->step()) {
                end();
                break;
            }
            if (RecordBase* r = s.load_row(*mapper_, *statement_, 0)) batch.records.push_back(r);
        }
        return !batch.records.empty();
    }

    // Stops reading: the statement goes back to the connection.
    void end(bool by_session = false) {
        statement_ = StatementHandle();
        if (session_) std::erase(session_->streams, this);
        session_ = nullptr;
        ended_by_session_ = ended_by_session_ || by_session;
    }

private:
    SessionImpl* session_;
    const Mapper* mapper_;
    std::shared_ptr<Store> store_;  // the session's first store, as a query holds it
    std::size_t batch_size_;
    StatementHandle statement_;
    bool ended_by_session_ = false;
};

std::shared_ptr<StreamState> open_stream(const QuerySpec& q, std::size_t batch_size) {
    SessionImpl& s = session_of(q.store.get());
    const std::string what = "strata: stream() of " + q.mapper->class_name;
    if (batch_size == 0) throw ConfigError(what + " needs a batch size of at least 1");
    if (!q.load.empty()) throw ConfigError(what + " does not eager-load: relationships of streamed objects load lazily");
    if (!q.joins.empty() || !q.raw_joins.empty())
        throw ConfigError(what + " cannot join(): a joined row may repeat an object, which a stream cannot notice");
    return std::make_shared<StreamState>(s, q, batch_size);
}

bool next_batch(StreamState& state, StreamBatch& batch) { return state.next(batch); }

// --- the session's side ------------------------------------------------------------

void BatchRelease::operator()(Store* batch) const noexcept {
    if (batch->session) batch->session->release_batch(batch);
    else delete batch;
}

std::shared_ptr<Store> SessionImpl::make_batch_store(std::size_t batch_size) {
    // Larger batches grow their list on the heap past this many records.
    constexpr std::size_t kReservedRecords = 4096;
    std::shared_ptr<Store> batch(new Store, BatchRelease{});
    batch->self = batch;
    batch->batch = true;
    batch->reserve_records(std::min(batch_size, kReservedRecords));
    batches.push_back(batch.get());
    batch->session = this;
    return batch;
}

namespace {

bool has_relationship_changes(const RecordBase& r) {
    for (auto& rel : r.mapper->relationships) {
        const RelationshipBase& base = rel->member_of(r.object);
        if (rel->kind == RelationshipKind::ManyToOne) {
            if (static_cast<const ReferenceBase&>(base).dirty_) return true;
            continue;
        }
        const auto& changes = static_cast<const CollectionBase&>(base).changes_;
        if (changes && (!changes->unbound_kept.empty() || !changes->unbound_new.empty() ||
                        !changes->pending_adds.empty() || !changes->pending_removes.empty() ||
                        !changes->link_added.empty() || !changes->link_removed.empty()))
            return true;
    }
    return false;
}

}  // namespace

// A batch may go when no pointer the session keeps can lead to its objects:
// none was found by key or put in a relationship elsewhere (pinned), and
// none has a change still to write (columns, relationships, a removal).
bool SessionImpl::batch_can_go(const Store& batch) const {
    if (batch.pinned) return false;
    for (const RecordBase* r : batch.records()) {
        switch (r->state) {
            case RecordState::Persistent: break;
            case RecordState::Deleted:
                if (r->deleted_in_transaction || std::find(to_delete.begin(), to_delete.end(), r) != to_delete.end())
                    return false;
                continue;
            case RecordState::Pending: return false;
            default: continue;  // detached, vanished: the session keeps no pointer to them
        }
        if (r->snapshot.valid && !r->rolled_back && changed_columns(*r)) return false;
        if (has_relationship_changes(*r)) return false;
    }
    return true;
}

// The last handle on a batch is gone: its objects leave the identity map and
// the memory goes, or the session keeps the batch (a new owner of the same
// store) until a flush or rollback lets it go.
void SessionImpl::release_batch(Store* batch) {
    if (!batch_can_go(*batch)) {
        std::shared_ptr<Store> kept(batch, BatchRelease{});
        batch->self = kept;
        retained.push_back(std::move(kept));
        return;
    }
    if (!forget_all_at_once(*batch))
        for (RecordBase* r : batch->records())
            if (r->state == RecordState::Persistent) forget(r);
    std::erase(batches, batch);
    delete batch;
}

// A stream's batch usually holds every object the session has of its
// model: the identity map is then emptied in one sweep, keeping its array
// for the next batch, rather than key by key (each removal shifts the rest
// of its run back). Exact: only when each of the batch's objects is found
// under its own key and the map holds no other.
bool SessionImpl::forget_all_at_once(const Store& batch) {
    const auto records = batch.records();
    if (records.empty()) return false;
    const Mapper& m = *records.front()->mapper;
    if (!m.integer_key) return false;
    IntKeyMap& map = identity[m.index].by_int;
    std::size_t persistent = 0;
    for (const RecordBase* r : records) {
        if (r->mapper != &m) return false;
        if (r->state != RecordState::Persistent) continue;
        // The key as saved: batch_can_go found every column unchanged, and a
        // wrong guess only fails the lookup.
        if (!r->snapshot.valid || ((r->snapshot.nulls >> m.pk) & 1)) return false;
        if (map.find(static_cast<std::int64_t>(r->snapshot.at(static_cast<std::size_t>(m.pk)))) != r) return false;
        ++persistent;
    }
    if (persistent != map.size()) return false;
    map.forget_all();
    return true;
}

void SessionImpl::release_retained() {
    if (retained.empty()) return;
    std::vector<std::shared_ptr<Store>> again;
    again.swap(retained);
    again.clear();  // each goes back to release_batch: freed, or kept again
}

namespace {

// True when the loaded relationship points at an object of another store.
bool points_elsewhere(const RecordBase& r, const RelationshipMapping& rel) {
    const RelationshipBase& base = rel.member_of(r.object);
    auto elsewhere = [&](const RecordBase* other) { return other && other->store != r.store; };
    if (rel.kind == RelationshipKind::ManyToOne) return elsewhere(static_cast<const ReferenceBase&>(base).target_);
    const auto& coll = static_cast<const CollectionBase&>(base);
    if (std::any_of(coll.items_.begin(), coll.items_.end(), elsewhere)) return true;
    if (!coll.changes_) return false;
    for (const auto* list : {&coll.changes_->pending_adds, &coll.changes_->pending_removes, &coll.changes_->link_added,
                             &coll.changes_->link_removed})
        if (std::any_of(list->begin(), list->end(), elsewhere)) return true;
    return false;
}

}  // namespace

// Detached, an object keeps what it loaded, but a store may now go while
// another still points into it (each goes with its own last handle): the
// relationships that point across stores are unloaded instead. Only a
// session that streamed has more than one store.
void SessionImpl::unlink_stores() {
    if (batches.empty()) return;
    for_each_record([&](RecordBase* r) {
        for (auto& rel : r->mapper->relationships)
            if (points_elsewhere(*r, *rel)) reset_relationship(*r, *rel);
    });
}

void SessionImpl::end_streams() {
    while (!streams.empty()) streams.back()->end(true);
}

}  // namespace strata::detail
