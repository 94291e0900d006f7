// Store: the memory a session's objects live in.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <memory>
#include <mutex>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

// Heap blocks double from 4 KiB up to 64 KiB: small sessions stay small, a
// 100,000-row query takes a few hundred allocations instead of 100,000.
constexpr std::size_t kFirstHeapBlock = 4096;
constexpr std::size_t kLargestBlock = 64 * 1024;

// Full-size blocks of finished sessions, kept for the next ones (up to
// kCachedBytes in all): a session's objects then land in memory the process
// has already touched, instead of fresh pages the kernel must fault in and
// zero -- a quarter of the time of loading 100,000 rows. The same trade
// malloc makes for its own heap (it keeps freed memory up to a threshold),
// here for the memory a program is most likely to ask for again.
constexpr std::size_t kCachedBytes = 32 * 1024 * 1024;

class BlockCache {
public:
    std::unique_ptr<std::byte[]> take() {
        std::lock_guard lock(mutex_);
        if (blocks_.empty()) return nullptr;
        auto block = std::move(blocks_.back());
        blocks_.pop_back();
        return block;
    }
    // Keeps what fits; the rest is freed with `blocks`.
    void keep(std::vector<std::unique_ptr<std::byte[]>>& blocks) {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < blocks.size() && blocks_.size() < kCachedBytes / kLargestBlock; ++i)
            blocks_.push_back(std::move(blocks[i]));
    }
    std::size_t release() {
        std::vector<std::unique_ptr<std::byte[]>> gone;
        std::lock_guard lock(mutex_);
        gone.swap(blocks_);
        return gone.size() * kLargestBlock;
    }

private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<std::byte[]>> blocks_;
};

BlockCache& block_cache() {
    static BlockCache* cache = new BlockCache;  // never destroyed: sessions may end during exit
    return *cache;
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

std::size_t release_cached_blocks() { return block_cache().release(); }

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

Store::~Store() { destroy_records(); }

void Store::clear() {
    destroy_records();
    count_ = 0;
    destroyed_ = 0;
    if (list_ != heap_list_.get()) {  // inline, or in the memory freed below (reserve_records)
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
// goes with the members).
void Store::destroy_records() {
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
    if (!full_blocks_.empty()) block_cache().keep(full_blocks_);
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
    std::unique_ptr<std::byte[]> block = bytes == kLargestBlock ? block_cache().take() : nullptr;
    list.push_back(block ? std::move(block) : std::make_unique_for_overwrite<std::byte[]>(bytes));
    free_ = list.back().get();  // new[] memory is aligned for any fundamental type
    end_ = free_ + bytes;
    return allocate(size, align);
}

void Store::grow_list() {
    const std::size_t capacity = capacity_ * 2;
    auto list = std::make_unique_for_overwrite<RecordBase*[]>(capacity);
    std::copy(list_, list_ + count_, list.get());
    heap_list_ = std::move(list);
    list_ = heap_list_.get();
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
