// Generation-tagged handles: a slot table of (index, generation).
//
// A live slot has an odd generation; releasing it makes the generation even,
// and reusing it makes it odd again. So a handle resolves only while its slot
// still has the generation it was issued with, a released handle stays stale
// forever (even after its slot is reused), and even or future generations can
// only come from a forged handle. A slot whose generation would wrap is
// retired instead of reused.
//
// A table's state moves as plain values (export_slots / restore): every
// slot's generation, the free list in order and the retired count, beside the
// live payloads. A restored table resolves, fails and reuses slots exactly as
// the original did (storage_image.hpp turns this into bytes).
//
// Every failed lookup says which slot and which generations:
//   DISPOSED          "buffer #12 (generation 3) was released; current generation is 4"
//   INVALID_ARGUMENT  "buffer #12 (generation 8) was never issued; current generation is 5"
//   INVALID_ARGUMENT  "buffer #99 (generation 1) does not exist: the table has 13 slots"
//   INVALID_ARGUMENT  "buffer handle is null"
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "tensormem/format.hpp"

#include "tensormem/error.hpp"

namespace tensormem {

// One 64-bit value (generation << 32 | index): passed in a register across
// any call, also in wasm, where a two-field struct would go through memory.
class Handle {
 public:
  constexpr Handle() noexcept = default;
  constexpr Handle(std::uint32_t index, std::uint32_t generation) noexcept
      : bits_(std::uint64_t{generation} << 32 | index) {}

  [[nodiscard]] constexpr std::uint32_t index() const noexcept { return static_cast<std::uint32_t>(bits_); }
  // 0 is the null handle; issued handles have odd generations.
  [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return static_cast<std::uint32_t>(bits_ >> 32); }
  [[nodiscard]] constexpr bool is_null() const noexcept { return generation() == 0; }
  friend constexpr bool operator==(Handle, Handle) noexcept = default;

 private:
  std::uint64_t bits_ = 0;
};

// A HandleTable's state apart from its payloads: with the live payloads, all
// it takes to rebuild a table that behaves exactly as this one.
struct TableSlots {
  std::vector<std::uint32_t> generations;  // per slot: odd live, even free (or retired at >= RetireAt)
  std::vector<std::uint32_t> free_list;    // every free slot once; the next insert takes the first
  std::size_t retired = 0;                 // slots at or past RetireAt: never reused

  [[nodiscard]] std::size_t live() const noexcept {
    std::size_t count = 0;
    for (const std::uint32_t generation : generations) count += generation & 1U;
    return count;
  }
};

// Payload must be copyable and provide `static constexpr const char* kNoun`
// ("buffer"), used in messages. `RetireAt` is the even generation at which a
// slot is retired; tests lower it to see retirement happen.
template <typename Payload, std::uint32_t RetireAt = std::numeric_limits<std::uint32_t>::max() - 1>
class HandleTable {
  static_assert(RetireAt % 2 == 0 && RetireAt >= 2, "RetireAt must be an even generation");

 public:
  using payload_type = Payload;
  static constexpr std::uint32_t kRetireAt = RetireAt;

  // Ensures the next insert() cannot fail. Throws OUT_OF_MEMORY when the
  // table cannot grow; the table is unchanged.
  void reserve_one() {
    if (free_head_ == kNoSlot && generations_.size() == generations_.capacity()) [[unlikely]] grow();
  }

  // Stores a payload and issues its handle. After reserve_one() it cannot
  // fail; without, it may throw OUT_OF_MEMORY while growing. Small on
  // purpose, so that it inlines everywhere.
  Handle insert(const Payload& payload) { return emplace(payload); }
  // A payload that owns resources (a Tensor) is moved in, not copied and destroyed.
  Handle insert(Payload&& payload) { return emplace(std::move(payload)); }

  // The payload of a live handle; throws DISPOSED or INVALID_ARGUMENT.
  // The reference is valid until the next insert().
  [[nodiscard]] Payload& get(Handle handle) {
    if (resolves(handle)) [[likely]] return slots_[handle.index()].payload;
    fail(handle);
  }
  [[nodiscard]] const Payload& get(Handle handle) const {
    if (resolves(handle)) [[likely]] return slots_[handle.index()].payload;
    fail(handle);
  }

  // Whether a handle names a live slot: in range, same generation, and odd.
  [[nodiscard]] bool resolves(Handle handle) const noexcept {
    return handle.index() < slot_count_ && generations_.data()[handle.index()] == handle.generation() &&
           (handle.generation() & 1U) != 0;
  }

  // The payload of a live handle, or null.
  [[nodiscard]] Payload* find(Handle handle) noexcept {
    return resolves(handle) ? &slots_[handle.index()].payload : nullptr;
  }
  [[nodiscard]] const Payload* find(Handle handle) const noexcept {
    return const_cast<HandleTable*>(this)->find(handle);
  }

  // Releases a live handle's slot: every copy of the handle goes stale.
  // Throws DISPOSED / INVALID_ARGUMENT for a handle that does not resolve.
  void erase(Handle handle) {
    (void)get(handle);
    erase_resolved(handle);
  }

  // erase() for a handle the caller has just resolved with get() or find().
  void erase_resolved(Handle handle) noexcept {
    const std::uint32_t generation = ++generations_[handle.index()];  // odd -> even: released
    if (generation >= RetireAt) {
      ++retired_;  // never reused, so its generation never wraps
      return;
    }
    slots_[handle.index()].next_free = free_head_;
    free_head_ = handle.index();
  }

  // Calls f(handle, payload) for every live slot, in index order.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t i = 0; i < generations_.size(); ++i) {
      if ((generations_[i] & 1U) != 0) f(Handle{i, generations_[i]}, slots_[i].payload);
    }
  }

  // Live handles, counted (not kept: a counter would cost every insert and erase).
  [[nodiscard]] std::size_t live() const noexcept {
    std::size_t count = 0;
    for (const std::uint32_t generation : generations_) count += generation & 1U;
    return count;
  }
  [[nodiscard]] std::size_t slot_count() const noexcept { return generations_.size(); }
  [[nodiscard]] std::size_t retired() const noexcept { return retired_; }
  // The generation a slot has now (0 for an index past the table).
  [[nodiscard]] std::uint32_t current_generation(std::uint32_t index) const noexcept {
    return index < generations_.size() ? generations_[index] : 0;
  }

  // --- moving a table --------------------------------------------------------
  // The slots as plain values (the live payloads are for_each()'s). Throws
  // OUT_OF_MEMORY when the copy cannot be allocated.
  [[nodiscard]] TableSlots export_slots() const {
    try {
      TableSlots slots{generations_, {}, retired_};
      for (std::uint32_t i = free_head_; i != kNoSlot; i = slots_[i].next_free) slots.free_list.push_back(i);
      return slots;
    } catch (const std::exception&) {
      detail::raise(ErrorCode::kOutOfMemory, "could not copy the state of a {} table of {} slots", Payload::kNoun,
                    generations_.size());
    }
  }

  // What makes `slots` impossible for this table (the first problem found),
  // or an empty string: each slot has a generation a table can give it, the
  // free list names every free slot exactly once (so it has no cycle) and
  // nothing else, and the retired count matches. Throws only OUT_OF_MEMORY.
  [[nodiscard]] static std::string check_slots(const TableSlots& slots) {
    const std::size_t count = slots.generations.size();
    if (count > kMaxSlots) return detail::format("{} slots, more than a table holds ({})", count, kMaxSlots);
    std::vector<bool> listed;
    try {
      listed.resize(count);
    } catch (const std::exception&) {
      detail::raise(ErrorCode::kOutOfMemory, "could not allocate the check of a {} table of {} slots", Payload::kNoun,
                    count);
    }
    for (std::size_t k = 0; k < slots.free_list.size(); ++k) {
      const std::uint32_t index = slots.free_list[k];
      if (index >= count) {
        return detail::format("free list entry {} names {} #{}, past the table's {} slots", k, Payload::kNoun, index,
                              count);
      }
      const std::uint32_t generation = slots.generations[index];
      if (listed[index]) return detail::format("free list names {} #{} twice: it would be a cycle", Payload::kNoun, index);
      if ((generation & 1U) != 0) {
        return detail::format("free list names {} #{}, which is live (generation {})", Payload::kNoun, index, generation);
      }
      if (generation >= RetireAt) {
        return detail::format("free list names {} #{}, which is retired (generation {})", Payload::kNoun, index,
                              generation);
      }
      listed[index] = true;
    }
    std::size_t retired = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint32_t generation = slots.generations[i];
      if (generation == 0) return detail::format("{} #{} has generation 0, which no slot in use has", Payload::kNoun, i);
      if ((generation & 1U) != 0) {
        if (generation > RetireAt) {
          return detail::format("{} #{} is live at generation {}, past the table's retirement at {}", Payload::kNoun, i,
                                generation, RetireAt);
        }
      } else if (generation >= RetireAt) {
        ++retired;
      } else if (!listed[i]) {
        return detail::format("{} #{} is free (generation {}) but not on the free list", Payload::kNoun, i, generation);
      }
    }
    if (retired != slots.retired) {
      return detail::format("{} retired slots counted, but {} slots are at or past generation {}", slots.retired, retired,
                            RetireAt);
    }
    return {};
  }

  // A table in the state `slots` describes, holding `live`: the payloads of
  // the live slots in index order. Every handle resolves or fails as it did
  // where the state was exported (same payloads, same messages), and inserts
  // take the same slots in the same order. INVALID_ARGUMENT for a state
  // check_slots() rejects or a payload count that does not match;
  // OUT_OF_MEMORY when the table cannot be allocated.
  [[nodiscard]] static HandleTable restore(const TableSlots& slots, std::vector<Payload> live) {
    if (std::string problem = check_slots(slots); !problem.empty()) {
      detail::raise(ErrorCode::kInvalidArgument, "{} table state: {}", Payload::kNoun, problem);
    }
    if (const std::size_t live_slots = slots.live(); live.size() != live_slots) {
      detail::raise(ErrorCode::kInvalidArgument, "{} table state: {} live slots, but {} payloads", Payload::kNoun,
                    live_slots, live.size());
    }
    const std::size_t count = slots.generations.size();
    HandleTable table;
    try {
      // slots_ at least as large as generations_: reserve_one() looks at the latter only.
      table.generations_.reserve(count);
      table.slots_.reserve(table.generations_.capacity());
      table.generations_ = slots.generations;
      table.slots_.resize(count);
    } catch (const std::exception&) {
      detail::raise(ErrorCode::kOutOfMemory, "could not allocate a {} table of {} slots", Payload::kNoun, count);
    }
    table.slot_count_ = static_cast<std::uint32_t>(count);
    std::size_t next = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if ((slots.generations[i] & 1U) != 0) table.slots_[i].payload = std::move(live[next++]);
    }
    for (std::size_t k = slots.free_list.size(); k-- > 0;) {
      table.slots_[slots.free_list[k]].next_free = table.free_head_;
      table.free_head_ = slots.free_list[k];
    }
    table.retired_ = slots.retired;
    return table;
  }

 private:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kMaxSlots = kNoSlot;

  struct Slot {
    Payload payload{};
    std::uint32_t next_free = kNoSlot;  // while free
  };

  // insert(), for a copied or a moved payload.
  template <typename P>
  Handle emplace(P&& payload) {
    std::uint32_t index = free_head_;
    if (index != kNoSlot) [[likely]] {
      free_head_ = slots_[index].next_free;
    } else {
      index = append_slot();
    }
    slots_[index].payload = std::forward<P>(payload);
    const std::uint32_t generation = ++generations_[index];  // even -> odd: live
    return Handle{index, generation};
  }

  // A new slot at the end. Out of line: vector's growth path would
  // otherwise bloat every insert().
  [[gnu::noinline]] std::uint32_t append_slot() {
    if (generations_.size() == generations_.capacity()) grow();  // only if reserve_one() was skipped
    const auto index = static_cast<std::uint32_t>(generations_.size());
    slots_.emplace_back();
    generations_.emplace_back();  // generation 0: free
    ++slot_count_;
    return index;
  }

  // Out of line: its try/catch would otherwise sit in every inlined caller.
  [[gnu::noinline]] void grow() {
    if (generations_.size() >= kMaxSlots) {
      detail::raise(ErrorCode::kOutOfMemory, "all {} {} slots are in use or retired", generations_.size(),
                    Payload::kNoun);
    }
    const std::size_t grown = generations_.empty() ? 64 : generations_.size() * 2;
    try {
      // Both first, so that insert() only ever uses reserved capacity. A
      // failure after the first leaves spare capacity, which is harmless.
      slots_.reserve(grown);
      generations_.reserve(grown);
    } catch (const std::exception&) {  // bad_alloc, or length_error past max_size()
      detail::raise(ErrorCode::kOutOfMemory, "could not grow the {} table beyond {} slots", Payload::kNoun,
                    generations_.size());
    }
  }

  [[noreturn, gnu::noinline, gnu::cold]] void fail(Handle handle) const {
    if (handle.is_null()) detail::raise(ErrorCode::kInvalidArgument, "{} handle is null", Payload::kNoun);
    if (handle.index() >= generations_.size()) {
      detail::raise(ErrorCode::kInvalidArgument, "{} #{} (generation {}) does not exist: the table has {} slot{}",
                    Payload::kNoun, handle.index(), handle.generation(), generations_.size(),
                    generations_.size() == 1 ? "" : "s");
    }
    const std::uint32_t current = generations_[handle.index()];
    if ((handle.generation() & 1U) != 0 && handle.generation() < current) {
      detail::raise(ErrorCode::kDisposed, "{} #{} (generation {}) was released; current generation is {}",
                    Payload::kNoun, handle.index(), handle.generation(), current);
    }
    detail::raise(ErrorCode::kInvalidArgument, "{} #{} (generation {}) was never issued; current generation is {}",
                  Payload::kNoun, handle.index(), handle.generation(), current);
  }

  // Generations apart from payloads: a lookup reads one dense 4-byte entry.
  std::vector<std::uint32_t> generations_;
  std::uint32_t slot_count_ = 0;  // generations_.size(), without the subtract and shift on every lookup
  std::vector<Slot> slots_;
  std::uint32_t free_head_ = kNoSlot;
  std::size_t retired_ = 0;
};

}  // namespace tensormem
