// Store: the memory a session's objects live in.
#include <cstdint>
#include <memory>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

// Heap blocks double from 4 KiB up to 64 KiB: small sessions stay small, a
// 100,000-row query takes a few hundred allocations instead of 100,000.
constexpr std::size_t kFirstHeapBlock = 4096;
constexpr std::size_t kLargestBlock = 64 * 1024;

}  // namespace

Store::Store() = default;

Store::~Store() {
    for (RecordBase* r : records()) {
        if (r->in_arena) r->~RecordBase();
        else delete r;
    }
}

void* Store::allocate(std::size_t size, std::size_t align) {
    if (!free_) {
        free_ = inline_block_;
        free_size_ = sizeof(inline_block_);
    }
    void* at = free_;
    std::size_t room = free_size_;
    if (!std::align(align, size, at, room)) {
        block_size_ = block_size_ ? std::min(block_size_ * 2, kLargestBlock) : kFirstHeapBlock;
        const std::size_t bytes = std::max(block_size_, size + align);
        blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(bytes));
        at = blocks_.back().get();
        room = bytes;
        std::align(align, size, at, room);  // new[] memory is aligned for any fundamental type
    }
    free_ = static_cast<std::byte*>(at) + size;
    free_size_ = room - size;
    return at;
}

// Makes sure push() cannot throw (a record built must find its place).
void Store::make_room() {
    if (spilled_.empty()) {
        if (count_ < kInlineRecords) return;
        spilled_.reserve(4 * kInlineRecords);
        spilled_.assign(inline_records_, inline_records_ + count_);
    } else if (spilled_.size() == spilled_.capacity()) {
        spilled_.reserve(spilled_.capacity() * 2);
    }
}

void Store::push(RecordBase* r) {
    if (spilled_.empty()) inline_records_[count_++] = r;
    else spilled_.push_back(r);
}

RecordBase* Store::create(const Mapper& m) {
    make_room();  // first: once built, the record must find its place without throwing
    void* at = allocate(m.factory.size, m.factory.align);
    RecordBase* r = m.factory.construct(at);  // if it throws, the memory waits for the store to go
    r->in_arena = true;
    r->mapper = &m;
    r->store = this;
    push(r);
    return r;
}

RecordBase* Store::adopt(std::unique_ptr<RecordBase> r) {
    make_room();
    r->store = this;
    RecordBase* raw = r.release();
    push(raw);
    return raw;
}

}  // namespace strata::detail
