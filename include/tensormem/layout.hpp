// Layout: how a tensor's logical elements map onto a buffer.
//
// A layout is a shape, strides (in elements, possibly negative or zero) and an
// offset (in elements), at most kMaxDims dimensions, all stored inline. Element
// (i0, i1, ...) lives at offset + i0*stride0 + i1*stride1 + ...
//
// Every transform here is O(ndim), allocates nothing and either returns a
// layout that reaches only elements the input reached, or throws naming the
// offending value: a dim out of range, a slice bound, a shape that does not
// match. That invariant is what lets Tensor check a layout against its buffer
// once, when it is created from raw strides (strided()), and never again.
//
// Dims accept negatives (-1 is the last). Bounds are strict: nothing is clamped.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "tensormem/dims.hpp"

namespace tensormem {

// One dim's range for slice(): NumPy semantics. An open start or stop means
// "from the first" / "to the last" element in the step's direction, so
// Slice{{}, {}, -1} reverses. Negative values count from the end.
struct Slice {
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::int64_t step = 1;
};

class Layout {
 public:
  // A 0-d layout: one element, at offset 0.
  constexpr Layout() noexcept = default;

  // Row-major strides. Throws INVALID_SHAPE for more than kMaxDims dims, a
  // negative size, or an element count that overflows int64.
  [[nodiscard]] static Layout contiguous(IntList shape);

  // Explicit strides and offset, checked so that every reachable element lies
  // in [0, capacity): OUT_OF_BOUNDS names the element that would not, or an
  // offset outside [0, capacity]. INVALID_ARGUMENT for mismatched lengths.
  [[nodiscard]] static Layout strided(IntList shape, IntList strides, std::int64_t offset, std::int64_t capacity);

  // --- observers -------------------------------------------------------------
  [[nodiscard]] constexpr int ndim() const noexcept { return ndim_; }
  [[nodiscard]] constexpr IntList shape() const noexcept { return {sizes_.data(), static_cast<std::size_t>(ndim_)}; }
  [[nodiscard]] constexpr IntList strides() const noexcept {
    return {strides_.data(), static_cast<std::size_t>(ndim_)};
  }
  [[nodiscard]] constexpr std::int64_t offset() const noexcept { return offset_; }
  // Size and stride of a dim (negatives allowed); throws INVALID_ARGUMENT.
  [[nodiscard]] std::int64_t size(std::int64_t dim) const { return sizes_[wrap(dim, "size")]; }
  [[nodiscard]] std::int64_t stride(std::int64_t dim) const { return strides_[wrap(dim, "stride")]; }
  [[nodiscard]] std::int64_t numel() const noexcept;
  // Row-major with no gaps (strides of size-1 dims do not matter); an empty
  // layout is contiguous.
  [[nodiscard]] bool is_contiguous() const noexcept;
  // Whether two different indices might name the same element (a stride 0
  // from expand, or overlapping as_strided): such views are read-only. False
  // only when provably not.
  [[nodiscard]] bool may_alias() const noexcept;
  // Whether a dim of size > 1 has stride 0 (what expand() adds).
  [[nodiscard]] bool broadcasts() const noexcept;
  // The lowest and highest element reached; {offset, offset} when empty.
  [[nodiscard]] std::array<std::int64_t, 2> extent() const noexcept;
  // The element at `index`, one value per dim, negatives counting from the end.
  // Throws INVALID_ARGUMENT for a wrong count and OUT_OF_BOUNDS naming the
  // index, its dim and the dim's size.
  [[nodiscard]] std::int64_t element(IntList index) const;

  // --- transforms: views of the same elements ---------------------------------
  // The same elements in `shape` (one -1 is inferred), or nullopt when the
  // strides cannot express it (PyTorch's computeStride rule). Throws
  // INVALID_SHAPE when the element counts differ.
  [[nodiscard]] std::optional<Layout> try_view(IntList shape) const {
    Layout result;
    return try_view(shape, result) ? std::optional<Layout>(result) : std::nullopt;
  }
  // The same, into `out` (unspecified when false; must not be *this): no
  // Layout temporary to copy. `op` names the caller in the INVALID_SHAPE message.
  [[nodiscard]] bool try_view(IntList shape, Layout& out, const char* op = "view") const;
  // try_view or NOT_VIEWABLE naming both shapes and the strides.
  [[nodiscard]] Layout view(IntList shape) const;
  // The shape flatten(start, end) has; whether it is a view is try_view's call.
  [[nodiscard]] Dims flattened_shape(std::int64_t start_dim, std::int64_t end_dim) const;
  // All size-1 dims removed / the one given removed (INVALID_SHAPE if its size is not 1).
  [[nodiscard]] Layout squeeze() const noexcept;
  [[nodiscard]] Layout squeeze(std::int64_t dim) const;
  // A size-1 dim inserted at `dim` (in -(ndim+1)..ndim).
  [[nodiscard]] Layout unsqueeze(std::int64_t dim) const;
  [[nodiscard]] Layout slice(std::int64_t dim, const Slice& range) const;
  // One range per leading dim; the remaining dims are kept whole.
  [[nodiscard]] Layout slice(std::span<const Slice> ranges) const;
  // The sub-layout at `index` of `dim`, which is dropped.
  [[nodiscard]] Layout select(std::int64_t dim, std::int64_t index) const;
  // Elements [start, start + length) of `dim`.
  [[nodiscard]] Layout narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  // Dims reordered: result dim i is input dim dims[i]. Every dim exactly once.
  [[nodiscard]] Layout permute(IntList dims) const;
  [[nodiscard]] Layout transpose(std::int64_t dim0, std::int64_t dim1) const;
  // Broadcast to `shape` (new leading dims allowed, -1 keeps a size): size-1
  // dims become stride 0. The result may alias (see may_alias).
  [[nodiscard]] Layout expand(IntList shape) const;

  friend bool operator==(const Layout& a, const Layout& b) noexcept {
    return a.shape() == b.shape() && a.strides() == b.strides() && a.offset_ == b.offset_;
  }

 private:
  // `dim` in [-n, n) as an index; INVALID_ARGUMENT names `op` and the shape.
  [[nodiscard]] std::size_t wrap(std::int64_t dim, const char* op) const;
  // slice() of dim d (in range), applied to this layout; `empty` says whether
  // it has no elements, and is kept up to date across calls.
  void slice_in_place(std::size_t d, const Slice& range, bool& empty);
  // Removes dim d (in range), shifting the later dims down.
  void erase_dim(std::size_t d) noexcept;

  std::array<std::int64_t, kMaxDims> sizes_{};
  std::array<std::int64_t, kMaxDims> strides_{};
  std::int64_t offset_ = 0;
  int ndim_ = 0;
};

}  // namespace tensormem
