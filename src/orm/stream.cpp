// Query<T>::stream: a SELECT read batch by batch, each batch's objects in a
// store of their own that leaves the session once nothing points at them.
#include <algorithm>
#include <memory>
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
        s.extras().streams.push_back(this);
    }
    ~StreamState() { end(); }
    StreamState(const StreamState&) = delete;
    StreamState& operator=(const StreamState&) = delete;

    bool next(StreamBatch& batch) {
        batch.records.clear();
        // The last batch goes now, unless the program holds some of it or
        // the session keeps it; if it goes, its records are destroyed as
        // this batch's rows are read (load_new_rows), the rest with `leaving`.
        std::unique_ptr<Store> leaving = let_go(batch.store);
        if (!statement_) {
            if (ended_by_session_)
                throw DetachedInstanceError("strata: the stream of " + mapper_->class_name +
                                            " cannot read on: its session was closed or destroyed");
            return false;
        }
        SessionImpl& s = *session_;
        if (s.autoflush && !s.extras_or_none().retained.empty()) s.flush();  // writes the changes that keep dropped batches alive
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
            if (!s.load_new_rows(*mapper_, *statement_, batch.records, batch_size_, leaving.get())) end();
            return !batch.records.empty();
        }
        while (batch.records.size() < batch_size_) {
            if (!statement_->step()) {
                end();
                break;
            }
            if (leaving) leaving->destroy_next();  // as load_new_rows does
            if (RecordBase* r = s.load_row(*mapper_, *statement_, 0)) batch.records.push_back(r);
        }
        return !batch.records.empty();
    }

    // Stops reading: the statement goes back to the connection.
    void end(bool by_session = false) {
        statement_ = StatementHandle();
        if (session_) std::erase(session_->extras().streams, this);
        session_ = nullptr;
        ended_by_session_ = ended_by_session_ || by_session;
    }

private:
    // Drops the stream's handle on its last batch; returns the batch when
    // that was its last handle and the session let it go (release_batch).
    // A handle the program still holds frees the batch later, as usual.
    std::unique_ptr<Store> let_go(std::shared_ptr<Store>& last) {
        BatchRelease* release = std::get_deleter<BatchRelease>(last);
        if (!session_ || !release || last.use_count() != 1) {
            last.reset();
            return nullptr;
        }
        Store* batch = last.get();
        release->by_stream = true;
        last.reset();
        return session_->release_batch(batch);
    }

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
    if (by_stream) return;
    if (batch->session) batch->session->release_batch(batch);  // deletes it, or keeps it
    else delete batch;
}

std::shared_ptr<Store> SessionImpl::make_batch_store(std::size_t batch_size) {
    // Larger batches grow their list on the heap past this many records.
    constexpr std::size_t kReservedRecords = 4096;
    std::shared_ptr<Store> batch(new Store, BatchRelease{});
    batch->self = batch;
    batch->batch = true;
    SessionExtras& x = extras();
    batch->serial = ++x.batches_made;
    batch->reserve_records(std::min(batch_size, kReservedRecords));
    x.batches.push_back(batch.get());
    batch->session = this;
    return batch;
}

// A batch may go when no pointer the session keeps can lead to its objects:
// none was found by key or put in a relationship elsewhere (pinned), and
// none has a change still to write (columns, relationships, a removal).
bool SessionImpl::batch_can_go(const Store& batch) const {
    if (batch.pinned) return false;
    const auto records = batch.records();
    if (records.empty()) return true;
    const Mapper& m = *records.front()->mapper;  // a batch holds its stream's model
    for (std::size_t i = 0; i < records.size(); ++i) {
        // The objects that are plainly unchanged, in one loop compiled for
        // the model; each of the others is looked at here.
        i += m.loops.first_to_check(m.plan.data(), m.columns.size(), &m, m.relationship_offsets, records.data() + i,
                                    records.size() - i);
        if (i < records.size() && !record_can_go(*records[i])) return false;
    }
    return true;
}

// What batch_can_go asks of one of the batch's objects, of any model and state.
bool SessionImpl::record_can_go(const RecordBase& r) const {
    switch (r.state) {
        case RecordState::Persistent: break;
        case RecordState::Deleted: {
            const auto& to_delete = extras_or_none().to_delete;
            return !r.deleted_in_transaction && std::find(to_delete.begin(), to_delete.end(), &r) == to_delete.end();
        }
        case RecordState::Pending: return false;
        default: return true;  // detached, vanished: the session keeps no pointer to them
    }
    if (r.snapshot.valid && !r.rolled_back && changed_columns(r)) return false;
    const auto& slots = r.mapper->relationship_slots;
    return std::none_of(slots.begin(), slots.end(), [&](RelationshipSlot slot) { return has_unwritten_change(r.object, slot); });
}

// The last handle on a batch is gone: its objects leave the identity map and
// the memory goes, or the session keeps the batch (a new owner of the same
// store) until a flush or rollback lets it go.
std::unique_ptr<Store> SessionImpl::release_batch(Store* batch) {
    if (!batch_can_go(*batch)) {
        std::shared_ptr<Store> kept(batch, BatchRelease{});
        batch->self = kept;
        extras().retained.push_back(std::move(kept));
        return nullptr;
    }
    forget_batch(*batch);
    std::erase(extras().batches, batch);
    return std::unique_ptr<Store>(batch);
}

// The batch's objects leave the identity map. A stream's batch usually
// holds every object the session has of its model: the model's map is then
// emptied in one sweep, keeping its array for the next batch, rather than
// key by key (each removal shifts the rest of its run back). Exact: only
// when the map holds nothing but what this batch's load entered
// (IntKeyMap::filled_only_by), all of it the batch's objects.
void SessionImpl::forget_batch(const Store& batch) {
    const auto records = batch.records();
    const Mapper* swept = nullptr;
    if (!records.empty()) {
        const Mapper& m = *records.front()->mapper;
        IntKeyMap& map = identity[m.index].by_int;
        if (m.integer_key && map.filled_only_by(batch.serial)) {
            map.forget_all();
            swept = &m;
        }
    }
    for (RecordBase* r : records)
        if (r->mapper != swept && r->state == RecordState::Persistent) forget(r);
}

void SessionImpl::release_retained() {
    if (!extras_ || extras_->retained.empty()) return;
    std::vector<std::shared_ptr<Store>> again;
    again.swap(extras_->retained);
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
// session that streamed has more than one store; detach_all() calls this
// only when there are batches.
void SessionImpl::unlink_stores() {
    for_each_record([&](RecordBase* r) {
        for (auto& rel : r->mapper->relationships)
            if (points_elsewhere(*r, *rel)) reset_relationship(*r, *rel);
    });
}

void SessionImpl::end_streams() {
    if (!extras_) return;
    while (!extras_->streams.empty()) extras_->streams.back()->end(true);
}

}  // namespace strata::detail
