// SharedBuffer: the C++ owner of one reference to a Storage buffer.
//
// Copying retains, destroying releases: the buffer lives while any copy does.
//
//   Okay:     SharedBuffer a(storage, 1024); SharedBuffer b = a;  // two refs, one block
//   Okay:     auto h = a.handle(); storage.bytes(h);   // while a (or b) lives
//   Not okay: letting a SharedBuffer outlive its Storage; releasing its handle
//             through the raw API behind its back (its destructor then counts a
//             failed release in Stats::failed_releases).
//
// reset() releases now and reports errors by throwing; the destructor cannot
// throw, so there a failure is counted in the stats instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "tensormem/storage.hpp"

namespace tensormem {

class SharedBuffer {
 public:
  SharedBuffer() noexcept = default;

  // Allocates a new buffer and owns its first reference.
  SharedBuffer(Storage& storage, std::size_t bytes) : storage_(&storage), handle_(storage.allocate(bytes)) {}

  // Takes over one reference the caller already holds (no retain).
  [[nodiscard]] static SharedBuffer adopt(Storage& storage, BufferHandle handle) {
    (void)storage.get(handle);  // reject a bad handle now, not in a destructor
    return SharedBuffer(storage, handle);
  }
  // Adds a reference to a live buffer and owns it.
  [[nodiscard]] static SharedBuffer share(Storage& storage, BufferHandle handle) {
    storage.retain(handle);
    return SharedBuffer(storage, handle);
  }

  SharedBuffer(const SharedBuffer& other) : storage_(other.storage_), handle_(other.handle_) {
    if (storage_ != nullptr) storage_->retain(handle_);
  }
  SharedBuffer(SharedBuffer&& other) noexcept
      : storage_(std::exchange(other.storage_, nullptr)), handle_(std::exchange(other.handle_, {})) {}
  SharedBuffer& operator=(const SharedBuffer& other) {
    if (this != &other) *this = SharedBuffer(other);
    return *this;
  }
  SharedBuffer& operator=(SharedBuffer&& other) noexcept {
    if (this != &other) {
      if (storage_ != nullptr) storage_->release_noexcept(handle_);
      storage_ = std::exchange(other.storage_, nullptr);
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~SharedBuffer() {
    if (storage_ != nullptr) storage_->release_noexcept(handle_);
  }

  // Releases this reference now; throws what Storage::release throws. The
  // SharedBuffer is empty afterwards either way.
  void reset() {
    if (storage_ == nullptr) return;
    Storage* storage = std::exchange(storage_, nullptr);
    storage->release(std::exchange(handle_, {}));
  }

  // Gives up ownership without releasing: the caller now holds the reference.
  [[nodiscard]] BufferHandle detach() noexcept {
    storage_ = nullptr;
    return std::exchange(handle_, {});
  }

  [[nodiscard]] explicit operator bool() const noexcept { return storage_ != nullptr; }
  [[nodiscard]] BufferHandle handle() const noexcept { return handle_; }
  [[nodiscard]] Storage* storage() const noexcept { return storage_; }

  // Checked accessors: they throw DISPOSED if the buffer was released behind
  // this owner's back, and INVALID_ARGUMENT on an empty SharedBuffer.
  [[nodiscard]] std::span<std::byte> bytes() const { return checked_storage().bytes(handle_); }
  [[nodiscard]] std::byte* data() const { return checked_storage().data(handle_); }
  [[nodiscard]] std::size_t size() const { return checked_storage().size(handle_); }
  [[nodiscard]] std::uint32_t use_count() const { return checked_storage().use_count(handle_); }

 private:
  SharedBuffer(Storage& storage, BufferHandle handle) noexcept : storage_(&storage), handle_(handle) {}

  [[nodiscard]] Storage& checked_storage() const {
    if (storage_ == nullptr) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "SharedBuffer is empty (moved from, reset or detached)");
    }
    return *storage_;
  }

  Storage* storage_ = nullptr;
  BufferHandle handle_{};
};

}  // namespace tensormem
