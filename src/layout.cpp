#include "tensormem/layout.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "tensormem/error.hpp"

namespace tensormem {
namespace {

using Int = std::int64_t;
constexpr Int kIntMax = std::numeric_limits<Int>::max();

[[nodiscard]] bool multiply_overflows(Int a, Int b, Int* out) noexcept {
#if defined(__wasm__)
  // wasm32 has no 64x64->128 multiply, so the builtin is a __multi3 call.
  // A double product below 2^62 proves the exact one fits (error < 2^-52).
  if (std::fabs(static_cast<double>(a) * static_cast<double>(b)) < 0x1p62) {
    *out = a * b;
    return false;
  }
#endif
  return __builtin_mul_overflow(a, b, out);
}
[[nodiscard]] bool add_overflows(Int a, Int b, Int* out) noexcept { return __builtin_add_overflow(a, b, out); }

void check_dim_count(std::size_t count, IntList shape, const char* op) {
  if (count > static_cast<std::size_t>(kMaxDims)) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "{}: shape {} has {} dims; at most {} are supported", op, shape, count,
                  kMaxDims);
  }
}

// Element count of a validated shape (sizes >= 0); INVALID_SHAPE on overflow.
Int checked_numel(IntList shape, const char* op) {
  Int numel = 1;
  bool overflowed = false;
  for (const Int size : shape) overflowed |= multiply_overflows(numel, size, &numel);
  // A zero anywhere makes the count 0 even if a partial product overflowed.
  if (overflowed && std::find(shape.begin(), shape.end(), 0) == shape.end()) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "{}: shape {} has more than {} elements", op, shape, kIntMax);
  }
  return overflowed ? 0 : numel;
}

void check_sizes(IntList shape, const char* op) {
  check_dim_count(shape.size(), shape, op);
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape, "{}: shape {} has size {} at dim {}; sizes must be >= 0", op, shape,
                    shape[d], d);
    }
  }
}

// Fills row-major strides; size-0 and size-1 dims get the stride they would
// have with size 1, as in PyTorch, so that no stride is 0. An empty shape can
// have sizes whose product overflows: INVALID_SHAPE then.
void fill_contiguous_strides(IntList shape, Int* strides, const char* op) {
  Int stride = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    if (multiply_overflows(stride, std::max<Int>(shape[d], 1), &stride) && d > 0) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape, "{}: shape {} is too large: its strides overflow int64", op, shape);
    }
  }
}

// Writes `shape` to `sizes` with a -1 resolved against `numel`. INVALID_SHAPE
// names both shapes.
void infer_shape(IntList shape, IntList old_shape, Int numel, const char* op, Int* sizes) {
  check_dim_count(shape.size(), shape, op);
  std::optional<std::size_t> inferred;
  Int known = 1;
  bool overflowed = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const Int size = shape[d];
    if (size == -1) {
      if (inferred) [[unlikely]] {
        detail::raise(ErrorCode::kInvalidShape, "{}: shape {} has more than one -1; only one size can be inferred", op,
                      shape);
      }
      inferred = d;
    } else if (size < 0) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape, "{}: shape {} has size {} at dim {}; sizes must be >= 0 (or -1 to infer one)",
                    op, shape, size, d);
    } else {
      overflowed |= multiply_overflows(known, size, &known);
    }
    sizes[d] = size;
  }
  const bool has_zero = std::find(shape.begin(), shape.end(), 0) != shape.end();
  if (overflowed && !has_zero) known = -1;  // cannot match any element count
  if (inferred) {
    if (known <= 0 || numel % known != 0) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape, "{}: shape {} is invalid for a tensor of shape {} ({} elements){}", op,
                    shape, old_shape, numel, known == 0 ? ": the -1 is ambiguous next to a size 0" : "");
    }
    sizes[*inferred] = numel / known;
  } else if ((overflowed ? (has_zero ? 0 : -1) : known) != numel) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "{}: shape {} is invalid for a tensor of shape {} ({} elements)", op, shape,
                  old_shape, numel);
  }
}

// PyTorch's computeStride (aten/src/ATen/TensorUtils.cpp, classic form): walk
// the old dims from the innermost, group them into chunks that are contiguous
// with each other, and pack the new dims into each chunk.
bool compute_view_strides(IntList old_shape, IntList old_strides, IntList new_shape, Int numel, Int* new_strides) {
  const auto new_ndim = static_cast<int>(new_shape.size());
  if (old_shape.empty()) {  // 0-d: every new dim has size 1
    for (int d = 0; d < new_ndim; ++d) new_strides[d] = 1;
    return true;
  }
  if (numel == 0) {
    if (old_shape == new_shape) {
      std::copy(old_strides.begin(), old_strides.end(), new_strides);
    } else {
      fill_contiguous_strides(new_shape, new_strides, "view");
    }
    return true;
  }
  int view_d = new_ndim - 1;
  Int chunk_base_stride = old_strides[old_strides.size() - 1];
  Int tensor_numel = 1;
  Int view_numel = 1;
  for (int tensor_d = static_cast<int>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    const auto t = static_cast<std::size_t>(tensor_d);
    tensor_numel *= old_shape[t];
    // A chunk ends at dim 0, or where the next-outer dim is not contiguous with this one.
    if (tensor_d == 0 ||
        (old_shape[t - 1] != 1 && old_strides[t - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[static_cast<std::size_t>(view_d)] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[static_cast<std::size_t>(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[t - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

[[noreturn]] void raise_slice_bound(const char* which, Int value, Int size, std::size_t dim, IntList shape) {
  detail::raise(ErrorCode::kOutOfBounds, "Slice {} {} is out of bounds for dimension of size {} (dim {} of shape {})",
                which, value, size, dim, shape);
}

[[noreturn]] void raise_index_bound(Int index, std::size_t dim, Int size, IntList shape) {
  detail::raise(ErrorCode::kOutOfBounds, "Index {} is out of bounds for dim {} of size {} (shape {})", index, dim, size,
                shape);
}

}  // namespace

Layout Layout::contiguous(IntList shape) {
  check_sizes(shape, "shape");
  (void)checked_numel(shape, "shape");
  Layout layout;
  layout.ndim_ = static_cast<int>(shape.size());
  std::copy(shape.begin(), shape.end(), layout.sizes_.begin());
  fill_contiguous_strides(shape, layout.strides_.data(), "shape");
  return layout;
}

Layout Layout::strided(IntList shape, IntList strides, Int offset, Int capacity) {
  check_sizes(shape, "as_strided");
  (void)checked_numel(shape, "as_strided");
  if (strides.size() != shape.size()) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "as_strided: {} strides {} for the {} dims of shape {}", strides.size(),
                  strides, shape.size(), shape);
  }
  if (offset < 0 || offset > capacity) [[unlikely]] {
    detail::raise(ErrorCode::kOutOfBounds, "as_strided: offset {} is outside a buffer of {} elements", offset,
                  capacity);
  }
  Layout layout;
  layout.ndim_ = static_cast<int>(shape.size());
  std::copy(shape.begin(), shape.end(), layout.sizes_.begin());
  std::copy(strides.begin(), strides.end(), layout.strides_.begin());
  layout.offset_ = offset;
  if (layout.numel() == 0) return layout;
  Int low = offset;
  Int high = offset;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    Int reach = 0;
    if (multiply_overflows(shape[d] - 1, strides[d], &reach) || add_overflows(reach < 0 ? low : high, reach, reach < 0 ? &low : &high))
        [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "as_strided: shape {} with strides {} reaches beyond the int64 range",
                    shape, strides);
    }
  }
  if (low < 0 || high >= capacity) [[unlikely]] {
    detail::raise(ErrorCode::kOutOfBounds,
                  "as_strided: shape {} with strides {} and offset {} reaches element {}, outside a buffer of {} "
                  "elements",
                  shape, strides, offset, low < 0 ? low : high, capacity);
  }
  return layout;
}

std::size_t Layout::wrap(Int dim, const char* op) const {
  if (dim < -ndim_ || dim >= ndim_) [[unlikely]] {
    if (ndim_ == 0) {
      detail::raise(ErrorCode::kInvalidArgument, "{}: dim {} is out of range for a 0-d tensor (it has no dims)", op,
                    dim);
    }
    detail::raise(ErrorCode::kInvalidArgument, "{}: dim {} is out of range for a tensor of shape {} (dims {}..{})", op,
                  dim, shape(), -ndim_, ndim_ - 1);
  }
  return static_cast<std::size_t>(dim < 0 ? dim + ndim_ : dim);
}

Int Layout::numel() const noexcept {
  // Sizes before a 0 may multiply past int64 (construction allows that when the count is 0).
  Int numel = 1;
  for (int d = 0; d < ndim_; ++d) {
    if (sizes_[static_cast<std::size_t>(d)] == 0) return 0;
  }
  for (int d = 0; d < ndim_; ++d) numel *= sizes_[static_cast<std::size_t>(d)];
  return numel;
}

bool Layout::is_contiguous() const noexcept {
  if (numel() == 0) return true;
  Int expected = 1;
  for (int d = ndim_ - 1; d >= 0; --d) {
    const auto i = static_cast<std::size_t>(d);
    if (sizes_[i] != 1) {
      if (strides_[i] != expected) return false;
      expected *= sizes_[i];
    }
  }
  return true;
}

bool Layout::may_alias() const noexcept {
  // Sufficient condition for no aliasing: with the dims sorted by |stride|,
  // each stride exceeds the span of all smaller ones.
  std::array<std::pair<Int, Int>, kMaxDims> dims{};  // (|stride|, size)
  std::size_t count = 0;
  // An empty layout's strides are unchecked (it reaches nothing): look at none of them.
  if (numel() == 0) return false;
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim_); ++d) {
    if (sizes_[d] == 1) continue;
    if (strides_[d] == 0) return true;
    dims[count++] = {strides_[d] < 0 ? -strides_[d] : strides_[d], sizes_[d]};
  }
  for (std::size_t i = 1; i < count; ++i) {  // insertion sort: at most kMaxDims entries
    for (std::size_t j = i; j > 0 && dims[j] < dims[j - 1]; --j) std::swap(dims[j], dims[j - 1]);
  }
  Int span = 0;  // highest offset reachable with the smaller dims
  for (std::size_t i = 0; i < count; ++i) {
    if (dims[i].first <= span) return true;
    span += dims[i].first * (dims[i].second - 1);
  }
  return false;
}

bool Layout::broadcasts() const noexcept {
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim_); ++d) {
    if (strides_[d] == 0 && sizes_[d] > 1) return true;
  }
  return false;
}

std::array<Int, 2> Layout::extent() const noexcept {
  std::array<Int, 2> extent{offset_, offset_};
  if (numel() == 0) return extent;
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim_); ++d) {
    const Int reach = (sizes_[d] - 1) * strides_[d];
    extent[reach < 0 ? 0 : 1] += reach;
  }
  return extent;
}

Int Layout::element(IntList index) const {
  if (index.size() != static_cast<std::size_t>(ndim_)) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "{} indices {} for a tensor of shape {} ({} dims)", index.size(), index,
                  shape(), ndim_);
  }
  // Every index is checked before any stride is used: a layout with a size-0
  // dim has unchecked strides, and no index reaches into it.
  std::array<Int, kMaxDims> wrapped{};
  for (std::size_t d = 0; d < index.size(); ++d) {
    Int i = index[d];
    const Int size = sizes_[d];
    if (i < 0) i += size;
    if (i < 0 || i >= size) [[unlikely]] {
      raise_index_bound(index[d], d, size, shape());
    }
    wrapped[d] = i;
  }
  Int element = offset_;
  for (std::size_t d = 0; d < index.size(); ++d) {
    if (wrapped[d] != 0) element += wrapped[d] * strides_[d];  // index 0 of a size-1 dim: stride unchecked
  }
  return element;
}

bool Layout::try_view(IntList shape, Layout& out, const char* op) const {
  // Straight into `out`: staging in a local array and copying it over costs a
  // store-forwarding stall (measured: a third of the op).
  const Int count = numel();
  infer_shape(shape, this->shape(), count, op, out.sizes_.data());
  out.ndim_ = static_cast<int>(shape.size());
  out.offset_ = offset_;
  return compute_view_strides(this->shape(), strides(), out.shape(), count, out.strides_.data());
}

Layout Layout::view(IntList shape) const {
  Layout result = *this;
  if (!try_view(shape, result)) [[unlikely]] {
    detail::raise(ErrorCode::kNotViewable,
                  "view: shape {} is not possible for a tensor of shape {} with strides {}: its elements are not "
                  "evenly spaced in that grouping; reshape() copies instead",
                  shape, this->shape(), strides());
  }
  return result;
}

Dims Layout::flattened_shape(Int start_dim, Int end_dim) const {
  Dims shape;
  if (ndim_ == 0) {  // as in PyTorch: a 0-d tensor flattens to one element
    if ((start_dim != 0 && start_dim != -1) || (end_dim != 0 && end_dim != -1)) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "flatten: dims {} and {} are out of range for a 0-d tensor", start_dim,
                    end_dim);
    }
    shape.push_back(1);
    return shape;
  }
  const std::size_t start = wrap(start_dim, "flatten");
  const std::size_t end = wrap(end_dim, "flatten");
  if (start > end) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "flatten: start_dim {} comes after end_dim {} for a tensor of shape {}",
                  start_dim, end_dim, this->shape());
  }
  Int merged = 1;
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim_); ++d) {
    if (d < start || d > end) {
      shape.push_back(sizes_[d]);
    } else {
      // Only an empty tensor can overflow here: the other sizes may be anything.
      if (multiply_overflows(merged, sizes_[d], &merged)) [[unlikely]] {
        detail::raise(ErrorCode::kInvalidShape, "flatten: dims {}..{} of shape {} merge to more than {} elements",
                      start_dim, end_dim, this->shape(), kIntMax);
      }
      if (d == end) shape.push_back(merged);
    }
  }
  return shape;
}

Layout Layout::squeeze() const noexcept {
  Layout result = *this;
  result.ndim_ = 0;
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim_); ++d) {
    if (sizes_[d] == 1) continue;
    const auto r = static_cast<std::size_t>(result.ndim_++);
    result.sizes_[r] = sizes_[d];
    result.strides_[r] = strides_[d];
  }
  return result;
}

Layout Layout::squeeze(Int dim) const {
  const std::size_t d = wrap(dim, "squeeze");
  if (sizes_[d] != 1) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "squeeze: dim {} has size {}, not 1 (shape {})", dim, sizes_[d], shape());
  }
  Layout result = *this;
  result.erase_dim(d);
  return result;
}

void Layout::erase_dim(std::size_t d) noexcept {
  const auto first = static_cast<std::ptrdiff_t>(d);
  std::copy(sizes_.begin() + first + 1, sizes_.end(), sizes_.begin() + first);
  std::copy(strides_.begin() + first + 1, strides_.end(), strides_.begin() + first);
  --ndim_;
  sizes_[static_cast<std::size_t>(ndim_)] = 0;
  strides_[static_cast<std::size_t>(ndim_)] = 0;
}

Layout Layout::unsqueeze(Int dim) const {
  if (dim < -(ndim_ + 1) || dim > ndim_) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "unsqueeze: dim {} is out of range for a tensor of shape {} (dims {}..{})",
                  dim, shape(), -(ndim_ + 1), ndim_);
  }
  if (ndim_ == kMaxDims) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "unsqueeze: a tensor of shape {} already has {} dims, the most supported",
                  shape(), kMaxDims);
  }
  const auto d = static_cast<std::size_t>(dim < 0 ? dim + ndim_ + 1 : dim);
  Layout result = *this;
  std::copy_backward(sizes_.begin() + static_cast<std::ptrdiff_t>(d), sizes_.begin() + ndim_, result.sizes_.begin() + ndim_ + 1);
  std::copy_backward(strides_.begin() + static_cast<std::ptrdiff_t>(d), strides_.begin() + ndim_,
                     result.strides_.begin() + ndim_ + 1);
  result.sizes_[d] = 1;
  // Any stride works for a size-1 dim; this one keeps contiguous layouts contiguous.
  Int stride = 1;
  if (d < static_cast<std::size_t>(ndim_) && multiply_overflows(sizes_[d], strides_[d], &stride)) stride = 1;
  result.strides_[d] = stride;
  ++result.ndim_;
  return result;
}

Layout Layout::slice(Int dim, const Slice& range) const {
  const std::size_t d = wrap(dim, "slice");
  Layout result = *this;
  bool empty = numel() == 0;
  result.slice_in_place(d, range, empty);
  return result;
}

// In place: one Layout copy per slice() call rather than one per dim (a
// 144-byte copy read back at once stalls on store forwarding).
void Layout::slice_in_place(std::size_t d, const Slice& range, bool& empty) {
  const Int size = sizes_[d];
  const Int step = range.step;
  if (step == 0 || step == std::numeric_limits<Int>::min()) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "Slice step {} is invalid (dim {} of shape {}): it must be nonzero{}",
                  step, d, shape(), step == 0 ? "" : " and greater than the minimum int64");
  }
  // Bounds are strict: a start must name an element or the end; nothing is clamped.
  Int start = 0;
  Int stop = 0;
  Int length = 0;
  if (step > 0) {
    start = range.start.value_or(0);
    stop = range.stop.value_or(size);
    if (start < 0) start += size;
    if (stop < 0) stop += size;
    if (start < 0 || start > size) raise_slice_bound("start", *range.start, size, d, shape());
    if (stop < 0 || stop > size) raise_slice_bound("stop", *range.stop, size, d, shape());
    length = stop > start ? (stop - start - 1) / step + 1 : 0;
  } else {
    // Reversed: from start down to (not including) stop; an open stop runs past element 0.
    start = range.start.value_or(size - 1);
    stop = range.stop.value_or(-1);
    if (range.start && start < 0) start += size;
    if (range.stop && stop < 0) stop += size;
    if (range.start && (start < 0 || start >= size)) raise_slice_bound("start", *range.start, size, d, shape());
    if (range.stop && (stop < 0 || stop > size)) raise_slice_bound("stop", *range.stop, size, d, shape());
    length = start > stop ? (start - stop - 1) / -step + 1 : 0;
  }
  if (length > 0 && !empty) {
    const Int stride = strides_[d];
    if (length > 1 && multiply_overflows(stride, step, &strides_[d])) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "Slice step {} times stride {} overflows int64 (dim {} of shape {})",
                    step, stride, d, shape());
    }
    offset_ += start * stride;
  }
  sizes_[d] = length;
  empty = empty || length == 0;
}

Layout Layout::slice(std::span<const Slice> ranges) const {
  if (ranges.size() > static_cast<std::size_t>(ndim_)) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "slice: {} ranges for a tensor of shape {} ({} dims)", ranges.size(),
                  shape(), ndim_);
  }
  Layout result = *this;
  bool empty = numel() == 0;
  for (std::size_t d = 0; d < ranges.size(); ++d) result.slice_in_place(d, ranges[d], empty);
  return result;
}

Layout Layout::select(Int dim, Int index) const {
  const std::size_t d = wrap(dim, "select");
  const Int size = sizes_[d];
  const Int i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) [[unlikely]] {
    raise_index_bound(index, d, size, shape());
  }
  Layout result = *this;
  // An empty layout reaches nothing, and its strides are unchecked: keep its offset.
  if (numel() > 0) result.offset_ += i * strides_[d];
  result.erase_dim(d);
  return result;
}

Layout Layout::narrow(Int dim, Int start, Int length) const {
  const std::size_t d = wrap(dim, "narrow");
  const Int size = sizes_[d];
  const Int first = start < 0 ? start + size : start;
  if (first < 0 || first > size) [[unlikely]] {
    detail::raise(ErrorCode::kOutOfBounds, "narrow: start {} is out of bounds for dim {} of size {} (shape {})", start, d,
                  size, shape());
  }
  if (length < 0 || length > size - first) [[unlikely]] {
    detail::raise(ErrorCode::kOutOfBounds,
                  "narrow: length {} from start {} does not fit dim {} of size {} (shape {})", length, start, d, size,
                  shape());
  }
  Layout result = *this;
  result.sizes_[d] = length;
  if (length > 0 && numel() > 0) result.offset_ += first * strides_[d];
  return result;
}

Layout Layout::permute(IntList dims) const {
  if (dims.size() != static_cast<std::size_t>(ndim_)) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "permute: {} lists {} dims for a tensor of shape {} ({} dims)", dims,
                  dims.size(), shape(), ndim_);
  }
  Layout result = *this;
  unsigned seen = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::size_t d = wrap(dims[i], "permute");
    if ((seen >> d & 1U) != 0) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "permute: {} repeats dim {}; each of the {} dims of shape {} must appear once",
                    dims, d, ndim_, shape());
    }
    seen |= 1U << d;
    result.sizes_[i] = sizes_[d];
    result.strides_[i] = strides_[d];
  }
  return result;
}

Layout Layout::transpose(Int dim0, Int dim1) const {
  const std::size_t a = wrap(dim0, "transpose");
  const std::size_t b = wrap(dim1, "transpose");
  Layout result = *this;
  std::swap(result.sizes_[a], result.sizes_[b]);
  std::swap(result.strides_[a], result.strides_[b]);
  return result;
}

Layout Layout::expand(IntList shape) const {
  check_dim_count(shape.size(), shape, "expand");
  if (shape.size() < static_cast<std::size_t>(ndim_)) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "expand: shape {} has fewer dims than the tensor's shape {}", shape,
                  this->shape());
  }
  Layout result = *this;  // a copy, not a zeroed Layout: zeroing costs more than the whole op
  result.ndim_ = static_cast<int>(shape.size());
  const std::size_t leading = shape.size() - static_cast<std::size_t>(ndim_);
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const Int target = shape[d];
    if (d < leading) {  // a new dim: every index reaches the same elements
      if (target < 0) [[unlikely]] {
        detail::raise(ErrorCode::kInvalidShape,
                      "expand: size {} at new leading dim {} of shape {}; a new dim needs a size >= 0", target, d,
                      shape);
      }
      result.sizes_[d] = target;
      result.strides_[d] = 0;
      continue;
    }
    const std::size_t own = d - leading;
    const Int size = sizes_[own];
    if (target == -1 || target == size) {
      result.sizes_[d] = size;
      result.strides_[d] = strides_[own];
    } else if (size == 1 && target >= 0) {
      result.sizes_[d] = target;
      result.strides_[d] = 0;
    } else [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape,
                    "expand: size {} at dim {} of shape {} does not match size {} at dim {} of the tensor's shape {}; "
                    "only size-1 dims expand",
                    target, d, shape, size, own, this->shape());
    }
  }
  (void)checked_numel(result.shape(), "expand");
  return result;
}

}  // namespace tensormem
