// Generation-tagged handles: a slot table of (index, generation).
//
// A live slot has an odd generation; releasing it makes the generation even,
// and reusing it makes it odd again. So a handle resolves only while its slot
// still has the generation it was issued with, a released handle stays stale
// forever (even after its slot is reused), and even or future generations can
// only come from a forged handle. A slot whose generation would wrap is
// retired instead of reused.
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
#include <vector>

#include "tensormem/error.hpp"

namespace tensormem {

struct Handle {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 is the null handle; issued handles are odd

  [[nodiscard]] constexpr bool is_null() const noexcept { return generation == 0; }
  friend constexpr bool operator==(Handle, Handle) noexcept = default;
};

// Payload must be copyable and provide `static constexpr const char* kNoun`
// ("buffer"), used in messages. `RetireAt` is the even generation at which a
// slot is retired; tests lower it to see retirement happen.
template <typename Payload, std::uint32_t RetireAt = std::numeric_limits<std::uint32_t>::max() - 1>
class HandleTable {
  static_assert(RetireAt % 2 == 0 && RetireAt >= 2, "RetireAt must be an even generation");

 public:
  // Ensures the next insert() cannot fail. Throws OUT_OF_MEMORY when the
  // table cannot grow; the table is unchanged.
  void reserve_one() {
    if (free_head_ != kNoSlot || slots_.size() < slots_.capacity()) [[likely]] return;
    if (slots_.size() >= kMaxSlots) {
      detail::raise(ErrorCode::kOutOfMemory, "all {} {} slots are in use or retired", slots_.size(), Payload::kNoun);
    }
    try {
      slots_.reserve(slots_.empty() ? 64 : slots_.size() * 2);
    } catch (const std::exception&) {  // bad_alloc, or length_error past max_size()
      detail::raise(ErrorCode::kOutOfMemory, "could not grow the {} table beyond {} slots", Payload::kNoun,
                    slots_.size());
    }
  }

  // Stores a payload and issues its handle. Call reserve_one() first.
  Handle insert(const Payload& payload) noexcept {
    std::uint32_t index;
    if (free_head_ != kNoSlot) {
      index = free_head_;
      Slot& slot = slots_[index];
      free_head_ = slot.next_free;
      slot.payload = payload;
      ++slot.generation;  // even -> odd: live again
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{payload, 1, kNoSlot});  // capacity ensured by reserve_one()
    }
    ++live_;
    return Handle{index, slots_[index].generation};
  }

  // The payload of a live handle; throws DISPOSED or INVALID_ARGUMENT.
  // The reference is valid until the next insert().
  [[nodiscard]] Payload& get(Handle handle) {
    if (Payload* payload = find(handle)) [[likely]] return *payload;
    fail(handle);
  }
  [[nodiscard]] const Payload& get(Handle handle) const {
    if (const Payload* payload = find(handle)) [[likely]] return *payload;
    fail(handle);
  }

  // The payload of a live handle, or null.
  [[nodiscard]] Payload* find(Handle handle) noexcept {
    if (handle.index < slots_.size()) [[likely]] {
      Slot& slot = slots_[handle.index];
      if (slot.generation == handle.generation && (handle.generation & 1U) != 0) [[likely]] return &slot.payload;
    }
    return nullptr;
  }
  [[nodiscard]] const Payload* find(Handle handle) const noexcept {
    return const_cast<HandleTable*>(this)->find(handle);
  }

  // Releases a live handle's slot: every copy of the handle goes stale.
  void erase(Handle handle) {
    (void)get(handle);
    Slot& slot = slots_[handle.index];
    slot.payload = Payload{};
    ++slot.generation;  // odd -> even: released
    --live_;
    if (slot.generation >= RetireAt) {
      ++retired_;  // never reused, so its generation never wraps
      return;
    }
    slot.next_free = free_head_;
    free_head_ = handle.index;
  }

  // Calls f(handle, payload) for every live slot, in index order.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if ((slots_[i].generation & 1U) != 0) f(Handle{i, slots_[i].generation}, slots_[i].payload);
    }
  }

  [[nodiscard]] std::size_t live() const noexcept { return live_; }
  [[nodiscard]] std::size_t slot_count() const noexcept { return slots_.size(); }
  [[nodiscard]] std::size_t retired() const noexcept { return retired_; }
  // The generation a slot has now (0 for an index past the table).
  [[nodiscard]] std::uint32_t current_generation(std::uint32_t index) const noexcept {
    return index < slots_.size() ? slots_[index].generation : 0;
  }

 private:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::size_t kMaxSlots = kNoSlot;

  struct Slot {
    Payload payload;
    std::uint32_t generation;
    std::uint32_t next_free;
  };

  [[noreturn]] void fail(Handle handle) const {
    if (handle.is_null()) detail::raise(ErrorCode::kInvalidArgument, "{} handle is null", Payload::kNoun);
    if (handle.index >= slots_.size()) {
      detail::raise(ErrorCode::kInvalidArgument, "{} #{} (generation {}) does not exist: the table has {} slot{}",
                    Payload::kNoun, handle.index, handle.generation, slots_.size(), slots_.size() == 1 ? "" : "s");
    }
    const std::uint32_t current = slots_[handle.index].generation;
    if ((handle.generation & 1U) != 0 && handle.generation < current) {
      detail::raise(ErrorCode::kDisposed, "{} #{} (generation {}) was released; current generation is {}",
                    Payload::kNoun, handle.index, handle.generation, current);
    }
    detail::raise(ErrorCode::kInvalidArgument, "{} #{} (generation {}) was never issued; current generation is {}",
                  Payload::kNoun, handle.index, handle.generation, current);
  }

  std::vector<Slot> slots_;
  std::uint32_t free_head_ = kNoSlot;
  std::size_t live_ = 0;
  std::size_t retired_ = 0;
};

}  // namespace tensormem
