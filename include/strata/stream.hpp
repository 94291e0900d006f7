// strata/stream.hpp — Stream<T>: a query's objects read in batches, for
// results too large to hold at once.
//
//   for (strata::Ptr<User> u : s.query<User>().order_by(&User::id).stream(1000))
//       export_row(*u);
//
// The rows are read as the loop goes, `batch_size` objects at a time; each
// batch's objects live in memory of their own, released with the batch once
// the loop has moved on and no Ptr holds any of them (docs/orm.md,
// "Streaming"). An input range: iterate it once.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

#include "strata/ptr.hpp"

namespace strata {

namespace detail {

class Store;
class StreamState;
struct QuerySpec;

// The objects of one batch and the memory they live in.
struct StreamBatch {
    std::shared_ptr<Store> store;
    std::vector<RecordBase*> records;
};

STRATA_API std::shared_ptr<StreamState> open_stream(const QuerySpec& q, std::size_t batch_size);
// Lets go of `batch`, then reads the next one into it: false when no row is left.
STRATA_API bool next_batch(StreamState& state, StreamBatch& batch);

}  // namespace detail

template <class T>
class Stream {
public:
    explicit Stream(std::shared_ptr<detail::StreamState> state) : state_(std::move(state)) {}

    class iterator {
    public:
        using value_type = Ptr<T>;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(Stream* stream) : stream_(stream) {}
        // A handle on the object (an object already in the session before
        // the stream is that object, held by its own memory).
        Ptr<T> operator*() const {
            const detail::StreamBatch& batch = stream_->batch_;
            detail::RecordBase* r = batch.records[stream_->index_];
            if (r->store == batch.store.get()) return Ptr<T>(std::shared_ptr<detail::RecordBase>(batch.store, r));
            return Ptr<T>(r->handle());
        }
        iterator& operator++() {
            stream_->step();
            return *this;
        }
        void operator++(int) { stream_->step(); }
        friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.done(); }

    private:
        bool done() const { return stream_->finished_; }
        Stream* stream_ = nullptr;
    };

    iterator begin() {
        if (!started_) {
            started_ = true;
            advance();
        }
        return iterator(this);
    }
    std::default_sentinel_t end() const { return {}; }

private:
    void step() {
        if (++index_ == batch_.records.size()) advance();
    }
    void advance() {
        index_ = 0;
        finished_ = !detail::next_batch(*state_, batch_);
    }

    std::shared_ptr<detail::StreamState> state_;
    detail::StreamBatch batch_;
    std::size_t index_ = 0;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace strata
