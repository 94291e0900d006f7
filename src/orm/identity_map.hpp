// The identity map's table for integer primary keys: open addressing with
// linear probing in one array. std::unordered_map allocated a node per
// object loaded (and chased a pointer per lookup), a third of the cost of
// loading a row.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::detail {

class RecordBase;

class IntKeyMap {
public:
    RecordBase* find(std::int64_t key) const {
        if (slots_.empty()) return nullptr;
        for (std::size_t i = home(key);; i = next(i)) {
            const Slot& s = slots_[i];
            if (!s.value) return nullptr;
            if (s.key == key) return s.value;
        }
    }

    // Maps key to r (replacing what it mapped to).
    void set(std::int64_t key, RecordBase* r) {
        if ((size_ + 1) * 5 > slots_.size() * 4) grow(size_ + 1);
        std::size_t i = home(key);
        while (slots_[i].value && slots_[i].key != key) i = next(i);
        if (!slots_[i].value) ++size_;
        slots_[i] = {key, r};
    }

    // Removes key if it maps to r.
    void erase(std::int64_t key, const RecordBase* r) {
        if (slots_.empty()) return;
        std::size_t i = home(key);
        while (slots_[i].value && slots_[i].key != key) i = next(i);
        if (slots_[i].value != r || !r) return;
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
    }

    void reserve(std::size_t n) {
        if (n * 5 > slots_.size() * 4) grow(n);
    }
    void clear() {
        slots_.clear();
        size_ = 0;
    }
    std::size_t size() const { return size_; }

private:
    struct Slot {
        std::int64_t key = 0;
        RecordBase* value = nullptr;
    };

    // Keys within one table-sized window keep their order (the low bits), so
    // a query's ascending keys fill neighbouring slots and the map is walked,
    // not jumped around in (a cache miss per row at 100,000 rows); windows
    // are spread by Fibonacci hashing of the high bits, so strided keys
    // (multiples of the table size) do not pile up.
    std::size_t home(std::int64_t key) const {
        const auto k = static_cast<std::uint64_t>(key);
        const std::uint64_t window = bits_ < 64 ? k >> bits_ : 0;
        return static_cast<std::size_t>((k + window * 0x9e3779b97f4a7c15ULL) & (slots_.size() - 1));
    }
    std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

    void grow(std::size_t n) {
        std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, n * 5 / 4 + 1));
        if (capacity <= slots_.size()) capacity = slots_.size() * 2;
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(capacity, Slot{});
        bits_ = std::countr_zero(capacity);
        size_ = 0;
        for (const Slot& s : old)
            if (s.value) set(s.key, s.value);
    }

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    int bits_ = 0;
};

}  // namespace strata::detail
