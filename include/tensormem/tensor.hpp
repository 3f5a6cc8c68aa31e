// Tensor: a checked, refcounted view of a Storage buffer.
//
// A tensor is a buffer reference (handle), a dtype and a Layout (shape,
// strides, offset; see layout.hpp). Copying a tensor retains its buffer and
// destroying it releases, so the buffer lives while any view of it does.
// Every view op (view, reshape, slice, permute, expand, ...) is O(ndim),
// allocates nothing and shares the buffer; only reshape/flatten of elements
// that strides cannot regroup, contiguous() of a non-contiguous tensor,
// clone() and to() copy, and shares_storage() tells the caller which happened.
//
// Checks happen once per call: the buffer is alive (else DISPOSED, also after
// its slot was reused), the dtype matches (DTYPE_MISMATCH), each index lies in
// its dim (OUT_OF_BOUNDS), and writes go only through views whose elements are
// distinct (READ_ONLY for expanded or overlapping views). The layout itself is
// checked against the buffer's size when the tensor is made from raw strides,
// and every view op preserves that, so no access needs a range check beyond
// its indices.
//
//   Tensor t = Tensor::from_data<float>(storage, {2, 3}, values);
//   Tensor row = t.select(0, 1);         // shares t's buffer
//   row.set<float>({2}, 7.0f);           // t.at<float>({1, 2}) == 7
//   Tensor flat = t.transpose(0, 1).reshape({-1});
//   flat.shares_storage(t);              // false: a transpose cannot be flattened in place
//
// Shallow constness, as with std::span: a const Tensor& can write elements.
// Not thread-safe (see Storage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <utility>

#include "tensormem/convert.hpp"
#include "tensormem/copy.hpp"
#include "tensormem/dims.hpp"
#include "tensormem/dtype.hpp"
#include "tensormem/error.hpp"
#include "tensormem/layout.hpp"
#include "tensormem/shared_buffer.hpp"
#include "tensormem/storage.hpp"

namespace tensormem {

class Tensor {
 public:
  // A tensor with no buffer: every use but assignment throws DISPOSED.
  Tensor() noexcept = default;

  // --- factories: a new contiguous buffer -------------------------------------
  // Contents unspecified. INVALID_SHAPE for a bad shape or one whose byte size
  // does not fit size_t; MEMORY_LIMIT / OUT_OF_MEMORY from the pool.
  [[nodiscard]] static Tensor empty(Storage& storage, IntList shape, DType dtype = DType::kFloat32);
  [[nodiscard]] static Tensor zeros(Storage& storage, IntList shape, DType dtype = DType::kFloat32);
  // Every element `value`, converted to dtype (see convert.hpp).
  template <typename T>
  [[nodiscard]] static Tensor full(Storage& storage, IntList shape, T value, DType dtype = dtype_of<T>);
  // A copy of `values` (row-major, one per element), converted to dtype.
  template <typename T>
  [[nodiscard]] static Tensor from_data(Storage& storage, IntList shape, std::span<const T> values,
                                        DType dtype = dtype_of<T>);
  // A view of an existing buffer, adding a reference. The layout is checked
  // against the buffer's size (OUT_OF_BOUNDS); without strides it is row-major.
  [[nodiscard]] static Tensor from_buffer(Storage& storage, BufferHandle buffer, DType dtype, IntList shape);
  [[nodiscard]] static Tensor from_buffer(Storage& storage, BufferHandle buffer, DType dtype, IntList shape,
                                          IntList strides, std::int64_t offset);

  // --- lifetime: copies share the buffer (retain), destruction releases --------
  // Releases this reference now, throwing what Storage::release throws; the
  // tensor has no buffer afterwards either way.
  void reset() { buffer_.reset(); }

  // --- observers (no checks: metadata stays readable after the buffer is gone) --
  [[nodiscard]] Storage* storage() const noexcept { return buffer_.storage(); }
  [[nodiscard]] BufferHandle buffer() const noexcept { return buffer_.handle(); }
  [[nodiscard]] DType dtype() const noexcept { return dtype_; }
  [[nodiscard]] std::size_t itemsize() const noexcept { return size_of(dtype_); }
  [[nodiscard]] const Layout& layout() const noexcept { return layout_; }
  [[nodiscard]] int ndim() const noexcept { return layout_.ndim(); }
  [[nodiscard]] IntList shape() const noexcept { return layout_.shape(); }
  [[nodiscard]] IntList strides() const noexcept { return layout_.strides(); }
  [[nodiscard]] std::int64_t offset() const noexcept { return layout_.offset(); }
  [[nodiscard]] std::int64_t size(std::int64_t dim) const { return layout_.size(dim); }
  [[nodiscard]] std::int64_t stride(std::int64_t dim) const { return layout_.stride(dim); }
  [[nodiscard]] std::int64_t numel() const noexcept { return layout_.numel(); }
  [[nodiscard]] std::size_t nbytes() const noexcept { return static_cast<std::size_t>(numel()) * itemsize(); }
  [[nodiscard]] bool is_contiguous() const noexcept { return layout_.is_contiguous(); }
  // Writes are refused (READ_ONLY): the view aliases elements, or was derived from one that did.
  [[nodiscard]] bool is_read_only() const noexcept { return read_only_; }
  // Throw what a write (READ_ONLY) or a span (NOT_CONTIGUOUS) would, for
  // callers that access elements by other means (the JavaScript facade).
  void require_writable(const char* op) const { check_writable(op); }
  void require_contiguous(const char* op) const {
    if (!is_contiguous()) [[unlikely]] raise_not_contiguous(op);
  }
  // Whether the buffer is still live (false for a tensor without one).
  [[nodiscard]] bool is_alive() const noexcept { return buffer_ && buffer_.storage()->is_live(buffer_.handle()); }
  // Whether both name the same buffer: how a caller learns that reshape() or
  // contiguous() returned a view (true) or a copy (false).
  [[nodiscard]] bool shares_storage(const Tensor& other) const noexcept {
    return buffer_ && buffer_.storage() == other.buffer_.storage() && buffer_.handle() == other.buffer_.handle();
  }
  // The buffer's reference count (checked).
  [[nodiscard]] std::uint32_t use_count() const { return record().refcount; }
  // Address of element (0, ..., 0) (checked). Valid until the buffer is released.
  [[nodiscard]] std::byte* data() const { return element_address(record(), layout_.offset()); }

  // --- view ops: O(ndim), no allocation, share the buffer -----------------------
  [[nodiscard]] Tensor view(IntList shape) const;
  [[nodiscard]] bool can_view(IntList shape) const { return layout_.try_view(shape).has_value(); }
  // A view when can_view(shape), else a contiguous copy.
  [[nodiscard]] Tensor reshape(IntList shape) const;
  // reshape() to the shape with dims start_dim..end_dim merged.
  [[nodiscard]] Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  [[nodiscard]] Tensor squeeze() const;
  [[nodiscard]] Tensor squeeze(std::int64_t dim) const;
  [[nodiscard]] Tensor unsqueeze(std::int64_t dim) const;
  [[nodiscard]] Tensor slice(std::int64_t dim, const Slice& range) const;
  [[nodiscard]] Tensor slice(std::span<const Slice> ranges) const;
  [[nodiscard]] Tensor slice(std::initializer_list<Slice> ranges) const { return slice(std::span(ranges.begin(), ranges.size())); }
  [[nodiscard]] Tensor select(std::int64_t dim, std::int64_t index) const;
  [[nodiscard]] Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  [[nodiscard]] Tensor permute(IntList dims) const;
  [[nodiscard]] Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  // Read-only when a dim is actually broadcast (stride 0 over size > 1).
  [[nodiscard]] Tensor expand(IntList shape) const;
  // Any layout over the same buffer, `offset` counted from the buffer's start.
  // OUT_OF_BOUNDS when an element would lie outside it; read-only when two
  // indices might reach the same element.
  [[nodiscard]] Tensor as_strided(IntList shape, IntList strides, std::int64_t offset) const;
  // The same view, refusing writes (READ_ONLY), as are all views derived from
  // it: for handing a tensor to code that must not change it, and for
  // rebuilding a view whose read-only flag its layout alone does not show.
  [[nodiscard]] Tensor as_read_only() const;

  // --- copies ----------------------------------------------------------------
  // *this when already contiguous, else a contiguous copy.
  [[nodiscard]] Tensor contiguous() const;
  // A contiguous, writable copy in a new buffer.
  [[nodiscard]] Tensor clone() const;
  // A contiguous copy converted to dtype (*this when the dtype is already that).
  [[nodiscard]] Tensor to(DType dtype) const;
  // Copies src into this tensor, broadcasting src's shape (as expand) and
  // converting its dtype. Overlapping buffers are handled.
  void copy_from(const Tensor& src) const;
  // Copies `values` (row-major, exactly numel()) in, or the elements out, converting.
  template <typename T>
  void copy_from(std::span<const T> values) const;
  template <typename T>
  void copy_to(std::span<T> out) const;
  template <typename T>
  void fill(T value) const;

  // --- element access ---------------------------------------------------------
  // T must be this tensor's element type (DTYPE_MISMATCH otherwise). One index
  // per dim, negatives counting from the end.
  template <typename T>
  [[nodiscard]] T at(IntList index) const;
  template <typename T>
  void set(IntList index, T value) const;
  // Any dtype, converting (see convert.hpp).
  template <typename T>
  [[nodiscard]] T get_as(IntList index) const;
  template <typename T>
  void set_as(IntList index, T value) const;

  // The elements of a contiguous tensor (NOT_CONTIGUOUS otherwise), checked
  // once. span<const float>() reads; span<float>() also needs a writable view.
  // Valid until the buffer is released. A bool span first rewrites each
  // nonzero byte as 1 (same value, but a C++ bool must be 0 or 1; raw bytes
  // from the handle API may be anything).
  template <typename T>
  [[nodiscard]] std::span<T> span() const;
  // Calls f(T&) for every element in row-major logical order, any strides,
  // with the checks of span() done once (and bool bytes made 0 or 1 likewise).
  template <typename T, typename F>
  void for_each(F&& f) const;

 private:
  Tensor(SharedBuffer buffer, DType dtype, const Layout& layout) noexcept
      : buffer_(std::move(buffer)), layout_(layout), dtype_(dtype) {}
  // A view of source's buffer with layout make_layout(source.layout()). The
  // layout is built in place (a temporary Layout read back right after being
  // written costs a store-forwarding stall, measured: 41 -> 14 ns for expand).
  // The buffer is retained first, so DISPOSED comes before argument errors,
  // and released again if make_layout throws.
  template <typename MakeLayout>
  Tensor(const Tensor& source, MakeLayout&& make_layout)
      : buffer_(source.checked_buffer()), layout_(make_layout(source.layout_)), dtype_(source.dtype_),
        read_only_(source.read_only_) {}

  [[nodiscard]] const SharedBuffer& checked_buffer() const {
    if (!buffer_) [[unlikely]] raise_no_buffer();
    return buffer_;
  }
  [[nodiscard]] const BufferRecord& record() const {
    return checked_buffer().storage()->get(buffer_.handle());
  }
  [[nodiscard]] std::byte* element_address(const BufferRecord& record, std::int64_t element) const noexcept {
    return record.data + element * static_cast<std::int64_t>(itemsize());
  }
  template <typename T>
  void check_dtype(const char* op) const {
    if (dtype_of<std::remove_const_t<T>> != dtype_ || !kHasDType<std::remove_const_t<T>>) [[unlikely]] {
      raise_dtype(op, dtype_of<std::remove_const_t<T>>);
    }
  }
  void check_writable(const char* op) const {
    if (read_only_) [[unlikely]] raise_read_only(op);
  }
  [[nodiscard]] detail::StridedOperand operand(const BufferRecord& record) const noexcept {
    return {element_address(record, layout_.offset()), dtype_, layout_.strides().data()};
  }

  // A contiguous copy of dtype in a new buffer.
  [[nodiscard]] Tensor to_new_buffer(DType dtype) const;

  [[noreturn]] static void raise_no_buffer();
  [[noreturn]] void raise_dtype(const char* op, DType requested) const;
  [[noreturn]] void raise_read_only(const char* op) const;
  [[noreturn]] void raise_not_contiguous(const char* op) const;
  [[noreturn]] void raise_count(const char* op, std::size_t count) const;

  SharedBuffer buffer_;
  Layout layout_{};
  DType dtype_ = DType::kFloat32;
  bool read_only_ = false;
};

// --- templates ------------------------------------------------------------------

template <typename T>
Tensor Tensor::full(Storage& storage, IntList shape, T value, DType dtype) {
  Tensor result = empty(storage, shape, dtype);
  result.fill(value);
  return result;
}

template <typename T>
Tensor Tensor::from_data(Storage& storage, IntList shape, std::span<const T> values, DType dtype) {
  const Layout layout = Layout::contiguous(shape);  // validate before allocating
  if (values.size() != static_cast<std::size_t>(layout.numel())) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "from_data: {} values for shape {} ({} elements)", values.size(), shape,
                  layout.numel());
  }
  Tensor result = empty(storage, shape, dtype);
  result.copy_from(values);
  return result;
}

template <typename T>
void Tensor::copy_from(std::span<const T> values) const {
  static_assert(kHasDType<T>, "copy_from needs an element type with a DType");
  const BufferRecord& target = record();
  check_writable("copy_from");
  if (values.size() != static_cast<std::size_t>(numel())) [[unlikely]] raise_count("copy_from", values.size());
  const Layout source = Layout::contiguous(shape());
  // The caller's memory is a borrowed operand: the kernel never writes it.
  detail::copy_strided(shape(), operand(target),
                       {const_cast<std::byte*>(reinterpret_cast<const std::byte*>(values.data())), dtype_of<T>,
                        source.strides().data()});
}

template <typename T>
void Tensor::copy_to(std::span<T> out) const {
  static_assert(kHasDType<T> && !std::is_const_v<T>, "copy_to needs a writable element type with a DType");
  const BufferRecord& source = record();
  if (out.size() != static_cast<std::size_t>(numel())) [[unlikely]] raise_count("copy_to", out.size());
  const Layout target = Layout::contiguous(shape());
  detail::copy_strided(shape(), {reinterpret_cast<std::byte*>(out.data()), dtype_of<T>, target.strides().data()},
                       operand(source));
}

template <typename T>
void Tensor::fill(T value) const {
  const BufferRecord& target = record();
  check_writable("fill");
  visit(dtype_, [&](auto element) {
    const auto converted = convert<decltype(element)>(value);
    detail::fill_strided(shape(), operand(target), reinterpret_cast<const std::byte*>(&converted));
  });
}

template <typename T>
T Tensor::at(IntList index) const {
  const BufferRecord& buffer = record();
  check_dtype<T>("at");
  const std::byte* address = element_address(buffer, layout_.element(index));
  if constexpr (std::is_same_v<T, bool>) {
    return std::to_integer<std::uint8_t>(*address) != 0;  // any byte value is a valid bool element
  } else {
    return *reinterpret_cast<const T*>(address);
  }
}

template <typename T>
void Tensor::set(IntList index, T value) const {
  const BufferRecord& buffer = record();
  check_dtype<T>("set");
  check_writable("set");
  *reinterpret_cast<T*>(element_address(buffer, layout_.element(index))) = value;
}

template <typename T>
T Tensor::get_as(IntList index) const {
  const BufferRecord& buffer = record();
  const std::byte* address = element_address(buffer, layout_.element(index));
  return visit(dtype_, [address](auto element) -> T {
    using E = decltype(element);
    if constexpr (std::is_same_v<E, bool>) {
      return convert<T>(std::to_integer<std::uint8_t>(*address) != 0);
    } else {
      return convert<T>(*reinterpret_cast<const E*>(address));
    }
  });
}

template <typename T>
void Tensor::set_as(IntList index, T value) const {
  const BufferRecord& buffer = record();
  check_writable("set_as");
  std::byte* address = element_address(buffer, layout_.element(index));
  visit(dtype_, [address, value](auto element) {
    using E = decltype(element);
    *reinterpret_cast<E*>(address) = convert<E>(value);
  });
}

template <typename T>
std::span<T> Tensor::span() const {
  const BufferRecord& buffer = record();
  check_dtype<T>("span");
  if (!is_contiguous()) [[unlikely]] raise_not_contiguous("span");
  if constexpr (!std::is_const_v<T>) check_writable("span");
  std::byte* first = element_address(buffer, layout_.offset());
  if constexpr (std::is_same_v<std::remove_const_t<T>, bool>) {
    for (std::byte& b : std::span(first, static_cast<std::size_t>(numel()))) b = detail::canonical_bool(b);
  }
  return {reinterpret_cast<T*>(first), static_cast<std::size_t>(numel())};
}

template <typename T, typename F>
void Tensor::for_each(F&& f) const {
  const BufferRecord& buffer = record();
  check_dtype<T>("for_each");
  if constexpr (!std::is_const_v<T>) check_writable("for_each");
  if (numel() == 0) return;
  T* const base = reinterpret_cast<T*>(element_address(buffer, layout_.offset()));
  const auto visit_element = [&f](T* element) {
    if constexpr (std::is_same_v<std::remove_const_t<T>, bool>) {
      auto* byte = reinterpret_cast<std::byte*>(const_cast<bool*>(element));
      *byte = detail::canonical_bool(*byte);
    }
    f(*element);
  };
  const int n = ndim();
  if (n == 0) {
    visit_element(base);
    return;
  }
  const auto last = static_cast<std::size_t>(n - 1);
  const std::int64_t inner_size = layout_.shape()[last];
  const std::int64_t inner_stride = layout_.strides()[last];
  std::int64_t index[kMaxDims] = {};
  T* row = base;
  for (;;) {
    if (inner_stride == 1) {
      for (std::int64_t i = 0; i < inner_size; ++i) visit_element(row + i);
    } else {
      for (std::int64_t i = 0; i < inner_size; ++i) visit_element(row + i * inner_stride);
    }
    int d = n - 2;
    for (; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      if (layout_.shape()[u] == 1) continue;  // its stride is unchecked: never step by it
      row += layout_.strides()[u];
      if (++index[u] < layout_.shape()[u]) break;
      row -= layout_.strides()[u] * layout_.shape()[u];
      index[u] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace tensormem
