// Store: the memory a session's objects live in.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <utility>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

// Heap blocks double from 4 KiB up to 64 KiB: small sessions stay small, a
// 100,000-row query takes a few hundred allocations instead of 100,000.
constexpr std::size_t kFirstHeapBlock = 4096;
constexpr std::size_t kLargestBlock = 64 * 1024;

// Memory of finished sessions kept for the next ones (up to kCachedBytes in
// all), of two kinds:
// - full-size blocks: a session's objects then land in memory the process
//   has already touched, instead of fresh pages the kernel must fault in and
//   zero -- a quarter of the time of loading 100,000 rows. The same trade
//   malloc makes for its own heap (it keeps freed memory up to a threshold),
//   here for the memory a program is most likely to ask for again.
// - an ended store's list of records, when it is kLargestBlock bytes or
//   more (Store::grow_list takes it again): freed right after the records,
//   whose text malloc had just put in its fast bins, it made malloc merge
//   every chunk in those bins first (a free of 64 KiB or more does): with
//   what followed from it (the merged chunks served the next text by
//   malloc's slower paths), about 790 instructions a lazy load in W4
//   (docs/performance.md).
constexpr std::size_t kCachedBytes = 32 * 1024 * 1024;

class MemoryCache {
public:
    // A kept piece of exactly `bytes` bytes (the last one kept: the most
    // likely still in cache), or nullptr.
    std::unique_ptr<std::byte[]> take(std::size_t bytes) {
        std::lock_guard lock(mutex_);
        for (std::size_t i = kept_.size(); i-- > 0;) {
            if (kept_[i].bytes != bytes) continue;
            auto piece = std::move(kept_[i].piece);
            kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(i));
            total_ -= bytes;
            return piece;
        }
        return nullptr;
    }
    // Keeps what fits of pieces of `bytes` bytes each; the rest is freed
    // by the caller (with its owner). Called as a store ends: never throws
    // (a piece the list cannot take for want of memory is freed).
    void keep(std::span<std::unique_ptr<std::byte[]>> pieces, std::size_t bytes) noexcept {
        std::lock_guard lock(mutex_);
        for (auto& piece : pieces) {
            if (total_ + bytes > kCachedBytes) return;
            try {
                kept_.push_back({bytes, std::move(piece)});
            } catch (const std::bad_alloc&) {
                return;
            }
            total_ += bytes;
        }
    }
    std::size_t release() {
        std::vector<Kept> gone;
        std::lock_guard lock(mutex_);
        gone.swap(kept_);
        return std::exchange(total_, 0);
    }

private:
    struct Kept {
        std::size_t bytes;
        std::unique_ptr<std::byte[]> piece;
    };
    std::mutex mutex_;
    std::vector<Kept> kept_;
    std::size_t total_ = 0;
};

MemoryCache& memory_cache() {
    static MemoryCache* cache = new MemoryCache;  // never destroyed: sessions may end during exit
    return *cache;
}

// A record list of `capacity` entries: from the cache when it is of the kept size.
std::unique_ptr<std::byte[]> new_list(std::size_t capacity) {
    const std::size_t bytes = capacity * sizeof(RecordBase*);
    if (bytes >= kLargestBlock)
        if (auto kept = memory_cache().take(bytes)) return kept;
    return std::make_unique_for_overwrite<std::byte[]>(bytes);
}

// The bytes a saved copy of `length` bytes takes: its length, then the bytes,
// rounded up to keep the next copy 4-aligned.
std::size_t room_for(std::uint32_t length) { return (sizeof length + length + 3) & ~std::size_t{3}; }

// Copies `size` bytes (more than 7) to `to`: up to 32 inline, 8 at a time
// (the last 8 overlapping the ones before: every access stays within the
// bytes), longer ones by memcpy. A load saves a copy of every text of 8
// bytes or more; a call to memcpy for each was a fifth of the saving.
constexpr std::size_t kInlineCopy = 32;
void copy_saved_bytes(std::byte* to, const void* data, std::size_t size) {
    if (size > kInlineCopy) {
        std::memcpy(to, data, size);
        return;
    }
    const auto* from = static_cast<const std::byte*>(data);
    std::uint64_t word;
    for (std::size_t i = 0; i + 8 < size; i += 8) {
        std::memcpy(&word, from + i, 8);
        std::memcpy(to + i, &word, 8);
    }
    std::memcpy(&word, from + size - 8, 8);
    std::memcpy(to + size - 8, &word, 8);
}

}  // namespace

std::size_t release_cached_blocks() { return memory_cache().release(); }

namespace {

// save_bytes for a copy that may reuse `previous`'s room, is longer than
// kInlineCopy, or needs a new block: out of line, so that the common path (a
// load's new copy of a short text) saves no registers.
[[gnu::noinline]] std::uint64_t save_bytes_in_general(Store& store, std::uint64_t previous, const void* data,
                                                      std::size_t size) {
    if (size > std::numeric_limits<std::uint32_t>::max())
        throw Error("strata: a value of " + std::to_string(size) + " bytes is too long to track (at most 4 GiB)");
    const auto length = static_cast<std::uint32_t>(size);
    std::byte* at = nullptr;
    if (previous && !(previous & 1)) {  // a copy of its own: reused when the new bytes fit its room
        at = reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(previous));
        std::uint32_t old_length;
        std::memcpy(&old_length, at, sizeof old_length);
        if (room_for(old_length) < room_for(length)) at = nullptr;
    }
    if (!at) at = store.saved_bytes(room_for(length));
    std::memcpy(at, &length, sizeof length);
    copy_saved_bytes(at + sizeof length, data, size);
    return reinterpret_cast<std::uintptr_t>(at);
}

}  // namespace

STRATA_DETAIL_HOT_PATH std::uint64_t save_bytes(Store& store, std::uint64_t previous, const void* data, std::size_t size) {
    if (size <= kInlineSavedBytes) return inline_saved_word(data, size);
    std::byte* at = previous || size > kInlineCopy ? nullptr : store.saved_bytes_if_room(room_for(static_cast<std::uint32_t>(size)));
    if (!at) return save_bytes_in_general(store, previous, data, size);
    const auto length = static_cast<std::uint32_t>(size);
    std::memcpy(at, &length, sizeof length);
    copy_saved_bytes(at + sizeof length, data, size);
    return reinterpret_cast<std::uintptr_t>(at);
}

std::shared_ptr<Store> Store::make() {
    auto store = std::make_shared<Store>();
    store->self = store;
    return store;
}

Store::Store() : free_(inline_block_), end_(inline_block_ + sizeof(inline_block_)) {}

Store::~Store() { destroy_records(true); }

void Store::clear() {
    destroy_records(false);
    count_ = 0;
    destroyed_ = 0;
    if (list_ != reinterpret_cast<RecordBase**>(heap_list_.get())) {  // inline, or in the memory freed below (reserve_records)
        list_ = inline_records_;
        capacity_ = kInlineRecords;
    }
    full_blocks_.clear();
    blocks_.clear();
    block_size_ = 0;
    last_model_ = nullptr;
    model_count_ = 0;
    free_ = inline_block_;
    end_ = inline_block_ + sizeof(inline_block_);
}

// The records, and the full-size blocks to the cache (the rest of the memory
// goes with the members); `ending` (the store's end): a large list too. (Here,
// not in the destructor: a session per request's end saves a call's worth.)
void Store::destroy_records(bool ending) {
    const std::span<RecordBase* const> list = records();
    for (std::size_t i = destroyed_; i < list.size();) {
        RecordBase* r = list[i];
        // A run of one model's records: its loop (at least this one).
        const DestroyLoop destroy = r->in_arena ? destroy_loop_of(r->mapper) : nullptr;
        if (destroy) {
            i += destroy(r->mapper, list.data() + i, list.size() - i);
        } else {
            destroy_one(r);
            ++i;
        }
    }
    if (!full_blocks_.empty()) memory_cache().keep(full_blocks_, kLargestBlock);
    // When set, heap_list_ is the list (capacity_ entries); one too small
    // or that does not fit stays with it, and goes with the store.
    const std::size_t list_bytes = capacity_ * sizeof(RecordBase*);
    if (ending && heap_list_ && list_bytes >= kLargestBlock) memory_cache().keep({&heap_list_, 1}, list_bytes);
}

void Store::note_new_model(const Mapper& m) {
    last_model_ = &m;
    if (destroy_loop_of(&m) || model_count_ == kModels) return;
    models_[model_count_++] = {&m, m.factory.destroy};
}

Store::DestroyLoop Store::destroy_loop_of(const Mapper* m) const {
    for (std::size_t i = 0; i < model_count_; ++i)
        if (models_[i].mapper == m) return models_[i].destroy;
    return nullptr;
}

std::byte* Store::allocate_in_new_block(std::size_t size, std::size_t align) {
    // A stream's batch fills whole blocks, one after the other: it takes
    // full-size ones (from the cache) from the start.
    block_size_ = block_size_ ? std::min(block_size_ * 2, kLargestBlock) : batch ? kLargestBlock : kFirstHeapBlock;
    const std::size_t bytes = std::max(block_size_, size + align);
    auto& list = bytes == kLargestBlock ? full_blocks_ : blocks_;
    std::unique_ptr<std::byte[]> block = bytes == kLargestBlock ? memory_cache().take(kLargestBlock) : nullptr;
    list.push_back(block ? std::move(block) : std::make_unique_for_overwrite<std::byte[]>(bytes));
    free_ = list.back().get();  // new[] memory is aligned for any fundamental type
    end_ = free_ + bytes;
    return allocate(size, align);
}

void Store::grow_list() {
    const std::size_t capacity = capacity_ * 2;
    auto list = new_list(capacity);  // if it throws, nothing has changed
    auto* entries = reinterpret_cast<RecordBase**>(list.get());
    std::copy(list_, list_ + count_, entries);
    // The list outgrown is freed, not kept: kept, it would add to the
    // session's peak memory, and no text has been freed yet for malloc to merge.
    heap_list_ = std::move(list);
    list_ = entries;
    capacity_ = capacity;
}

void Store::reserve_records(std::size_t n) {
    if (n <= capacity_) return;
    auto* list = reinterpret_cast<RecordBase**>(allocate(n * sizeof(RecordBase*), alignof(RecordBase*)));
    std::copy(list_, list_ + count_, list);
    list_ = list;
    heap_list_.reset();
    capacity_ = n;
}

RecordBase* Store::adopt(std::unique_ptr<RecordBase> r) {
    if (count_ == capacity_) grow_list();
    r->store = this;
    RecordBase* raw = r.release();
    list_[count_++] = raw;
    return raw;
}

}  // namespace strata::detail
