// The identity map of a session: per model, its objects by primary key.
//
// Integer keys go in IntKeyMap: open addressing with linear probing in one
// array (std::unordered_map allocated a node for every object loaded and
// chased a pointer per lookup, a third of the cost of loading a row). Its
// first few slots live inside the map, so a session that loads one object
// (a get() per request) allocates nothing for it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "strata/detail/compiler.hpp"

namespace strata::detail {

class RecordBase;

class IntKeyMap {
public:
    // Only the inline slots' values are cleared (a free slot's key is never
    // read): a session builds two of these, and zeroing them whole took a
    // string instruction each, half the cost of building the session.
    IntKeyMap() {
        for (Slot& s : inline_) s.value = nullptr;
    }
    IntKeyMap(const IntKeyMap&) = delete;  // slots_ may point into the object itself
    IntKeyMap& operator=(const IntKeyMap&) = delete;

    RecordBase* find(std::int64_t key) const {
        for (std::size_t i = home(key);; i = next(i)) {
            const Slot& s = slots_[i];
            if (!s.value) return nullptr;
            if (s.key == key) return s.value;
        }
    }

    struct Slot {
        std::int64_t key;     // meaningful only in a slot in use
        RecordBase* value;    // nullptr: the slot is free
    };

    // The slot of key: holding its record, or free for fill() to take --
    // before anything else changes the map. A row loaded probes once for
    // "is it known?" and "where does it go?".
    Slot& slot_for(std::int64_t key) {
        if ((size_ + 1) * 5 > capacity_ * 4) grow(size_ + 1);
        std::size_t i = home(key);
        while (slots_[i].value && slots_[i].key != key) i = next(i);
        return slots_[i];
    }
    void fill(Slot& free_slot, std::int64_t key, RecordBase* r) {
        free_slot = {key, r};
        ++size_;
        filled_by_ = 0;
    }

    // Maps key to r (replacing what it mapped to).
    void set(std::int64_t key, RecordBase* r) {
        Slot& s = slot_for(key);
        if (s.value) {
            s.value = r;
            filled_by_ = 0;
        } else {
            fill(s, key, r);
        }
    }

    // Says that every entry the map now holds was entered by the load of
    // stream batch `batch` (Store::serial, not 0) into an empty map:
    // filled_only_by(batch) stays true until any entry is entered, replaced
    // or removed, or the map is emptied.
    void note_filled_by(std::uint64_t batch) { filled_by_ = batch; }
    bool filled_only_by(std::uint64_t batch) const { return batch != 0 && filled_by_ == batch; }

    // Removes key if it maps to r.
    void erase(std::int64_t key, const RecordBase* r) {
        if (!r) return;
        std::size_t i = home(key);
        while (slots_[i].value && slots_[i].key != key) i = next(i);
        if (slots_[i].value != r) return;
        // Backward-shift deletion: later entries of the run move up, so
        // lookups never need tombstones.
        for (std::size_t j = next(i);; j = next(j)) {
            if (!slots_[j].value) break;
            const std::size_t h = home(slots_[j].key);
            // Entry j may fill the hole at i if its home is not in (i, j].
            if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = {};
        --size_;
        filled_by_ = 0;
    }

    // Starts fetching the memory key's lookup will read (to look it up a few
    // keys later, when the memory has arrived).
    void prefetch(std::int64_t key) const { STRATA_DETAIL_PREFETCH(&slots_[home(key)]); }

    // Starts fetching the slot key + 8 would take: the next run's (see
    // home()), when keys come in ascending order, as a collection's do. A
    // load probes each run once from memory (a cache miss per 8 keys); asked
    // a run ahead, the miss overlaps the reading of the 8 rows before it. A
    // guess only: any other key order loads as it did.
    void prefetch_next_run(std::int64_t key) const {
        const auto next = static_cast<std::int64_t>(static_cast<std::uint64_t>(key) + kRun);  // wraps, as a guess may
        STRATA_DETAIL_PREFETCH(&slots_[home(next)]);
    }

    // A load of many new keys hashes each once: where its probe starts
    // (prefetched), then its slot from there, as slot_for() gives it -- with
    // room for it already reserved (no growth, so `start` stays valid).
    std::size_t prefetch_home(std::int64_t key) const {
        const std::size_t i = home(key);
        STRATA_DETAIL_PREFETCH(&slots_[i]);
        return i;
    }
    Slot& reserved_slot_for(std::int64_t key, std::size_t start) {
        std::size_t i = start;
        while (slots_[i].value && slots_[i].key != key) i = next(i);
        return slots_[i];
    }

    // Empties the map, keeping its array for the next keys (a stream's next batch).
    void forget_all() {
        std::fill(slots_, slots_ + capacity_, Slot{});
        size_ = 0;
        filled_by_ = 0;
    }

    void reserve(std::size_t n) {
        if (n * 5 > capacity_ * 4) grow(n);
    }
    void clear() {
        heap_.reset();
        std::fill(std::begin(inline_), std::end(inline_), Slot{});
        slots_ = inline_;
        capacity_ = kInline;
        bits_ = std::countr_zero(kInline);
        size_ = 0;
        filled_by_ = 0;
    }
    std::size_t size() const { return size_; }

    // The farthest any key sits from its home slot: what a lookup may have to
    // walk. Tests check that real key patterns keep it short.
    std::size_t longest_probe() const {
        std::size_t longest = 0;
        for (std::size_t i = 0; i < capacity_; ++i)
            if (slots_[i].value) longest = std::max(longest, (i - home(slots_[i].key)) & (capacity_ - 1));
        return longest;
    }

private:
    // Few, so that a session (two of these inline) stays within the
    // allocator's fast path for small blocks.
    static constexpr std::size_t kInline = 4;
    static constexpr int kRunBits = 3;
    static constexpr std::uint64_t kRun = 1u << kRunBits;

    // Keys are placed in runs of 8: key k goes to slot (k mod 8) of the run
    // that Fibonacci hashing picks for k / 8. A query's ascending keys then
    // share runs (one cache miss per 8 rows, not per row, at 100,000 rows),
    // while the runs themselves are spread evenly whatever the keys are: a
    // table-sized window of keys in order would pile windows onto each other.
    std::size_t home(std::int64_t key) const {
        const auto k = static_cast<std::uint64_t>(key);
        const std::uint64_t in_run = k & (kRun - 1);
        if (bits_ <= kRunBits) return static_cast<std::size_t>(k & (capacity_ - 1));  // the inline slots
        const std::uint64_t run = ((k >> kRunBits) * 0x9e3779b97f4a7c15ULL) >> (64 - (bits_ - kRunBits));
        return static_cast<std::size_t>((run << kRunBits) | in_run);
    }
    std::size_t next(std::size_t i) const { return (i + 1) & (capacity_ - 1); }

    void grow(std::size_t n) {
        std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, n * 5 / 4 + 1));
        if (capacity <= capacity_) capacity = capacity_ * 2;
        // Allocated before anything moves: if it throws, the map is as it was.
        auto fresh = std::make_unique<Slot[]>(capacity);
        // The old slots (inline_ or the old heap array) stay readable while
        // their entries move into the new array.
        const std::unique_ptr<Slot[]> old_heap = std::move(heap_);
        const Slot* old = slots_;
        const std::size_t old_capacity = capacity_;

        heap_ = std::move(fresh);
        slots_ = heap_.get();
        capacity_ = capacity;
        bits_ = std::countr_zero(capacity);
        size_ = 0;
        for (std::size_t i = 0; i < old_capacity; ++i)
            if (old[i].value) place(old[i]);
    }
    // An entry moving into a grown array: its key is not there yet, and there is room.
    void place(const Slot& entry) {
        std::size_t i = home(entry.key);
        while (slots_[i].value) i = next(i);
        slots_[i] = entry;
        ++size_;
    }

    Slot inline_[kInline];
    std::unique_ptr<Slot[]> heap_;
    Slot* slots_ = inline_;
    std::size_t capacity_ = kInline;  // a power of two
    int bits_ = std::countr_zero(kInline);
    std::size_t size_ = 0;
    std::uint64_t filled_by_ = 0;  // see note_filled_by (0: no batch)
};

struct IdentityMap {
    IntKeyMap by_int;

    // Other keys, by their text; the map is made on first use (most models
    // have integer keys, and every session builds and ends its identity maps).
    RecordBase* find_text(const std::string& key) const {
        if (!by_text_) return nullptr;
        auto it = by_text_->find(key);
        return it == by_text_->end() ? nullptr : it->second;
    }
    RecordBase*& text_slot(const std::string& key) {
        if (!by_text_) by_text_ = std::make_unique<std::unordered_map<std::string, RecordBase*>>();
        return (*by_text_)[key];
    }
    void erase_text(const std::string& key, const RecordBase* r) {
        if (!by_text_) return;
        auto it = by_text_->find(key);
        if (it != by_text_->end() && it->second == r) by_text_->erase(it);
    }
    void clear() {
        by_int.clear();
        by_text_.reset();
    }

private:
    std::unique_ptr<std::unordered_map<std::string, RecordBase*>> by_text_;
};

// One IdentityMap per model: the first few inside the session (no
// allocation for them), the rest in one array made when first needed.
class IdentityMaps {
public:
    explicit IdentityMaps(std::size_t models) : count_(models) {}

    // Every get() and load asks: the inline maps' case stays small enough to
    // inline, the array's (made on first use) is out of line.
    IdentityMap& operator[](std::size_t model) {
        if (model < kInline) return inline_[model];
        return extra(model);
    }
    const IdentityMap& operator[](std::size_t model) const {
        if (model < kInline) return inline_[model];
        static const IdentityMap none;
        return extra_ ? extra_[model - kInline] : none;
    }
    void clear() {
        for (auto& map : inline_) map.clear();
        extra_.reset();
    }

private:
    [[gnu::noinline]] IdentityMap& extra(std::size_t model) {
        if (!extra_) extra_ = std::make_unique<IdentityMap[]>(count_ - kInline);
        return extra_[model - kInline];
    }
    static constexpr std::size_t kInline = 2;  // keeps a session within the allocator's fast path for small blocks
    IdentityMap inline_[kInline];
    std::unique_ptr<IdentityMap[]> extra_;
    std::size_t count_;
};

}  // namespace strata::detail
