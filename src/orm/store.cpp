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

Store::Store() : free_(inline_block_), end_(inline_block_ + sizeof(inline_block_)) {}

Store::~Store() {
    for (RecordBase* r : records()) {
        if (r->in_arena) r->~RecordBase();
        else delete r;
    }
}

std::byte* Store::allocate_in_new_block(std::size_t size, std::size_t align) {
    block_size_ = block_size_ ? std::min(block_size_ * 2, kLargestBlock) : kFirstHeapBlock;
    const std::size_t bytes = std::max(block_size_, size + align);
    blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(bytes));
    free_ = blocks_.back().get();  // new[] memory is aligned for any fundamental type
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

RecordBase* Store::adopt(std::unique_ptr<RecordBase> r) {
    if (count_ == capacity_) grow_list();
    r->store = this;
    RecordBase* raw = r.release();
    list_[count_++] = raw;
    return raw;
}

}  // namespace strata::detail
