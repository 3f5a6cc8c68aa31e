#include "tensormem/tensor.hpp"

#include <limits>

namespace tensormem {
namespace {

// Bytes for `numel` elements of dtype; INVALID_SHAPE when size_t cannot hold it
// (a real limit on wasm32, where size_t is 32 bits).
std::size_t checked_bytes(const Layout& layout, DType dtype) {
  const auto numel = static_cast<std::uint64_t>(layout.numel());
  const std::uint64_t item = size_of(dtype);
  if (numel > std::numeric_limits<std::size_t>::max() / item) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidShape, "shape {} of {} needs {} elements of {} bytes, more than the {} bytes this "
                  "platform can address",
                  layout.shape(), to_string(dtype), numel, item, std::numeric_limits<std::size_t>::max());
  }
  return static_cast<std::size_t>(numel * item);
}

}  // namespace

Tensor Tensor::empty(Storage& storage, IntList shape, DType dtype) {
  const Layout layout = Layout::contiguous(shape);
  return Tensor(SharedBuffer(storage, checked_bytes(layout, dtype)), dtype, layout);
}

Tensor Tensor::zeros(Storage& storage, IntList shape, DType dtype) {
  Tensor result = empty(storage, shape, dtype);
  std::memset(result.buffer_.data(), 0, result.nbytes());
  return result;
}

Tensor Tensor::from_buffer(Storage& storage, BufferHandle buffer, DType dtype, IntList shape) {
  const Layout layout = Layout::contiguous(shape);
  return from_buffer(storage, buffer, dtype, shape, layout.strides(), 0);
}

Tensor Tensor::from_buffer(Storage& storage, BufferHandle buffer, DType dtype, IntList shape, IntList strides,
                           std::int64_t offset) {
  const auto capacity = static_cast<std::int64_t>(storage.size(buffer) / size_of(dtype));
  Tensor result(SharedBuffer::share(storage, buffer), dtype, Layout::strided(shape, strides, offset, capacity));
  result.read_only_ = result.layout_.may_alias();
  return result;
}

Tensor Tensor::view(IntList shape) const {
  return {*this, [&](const Layout& layout) { return layout.view(shape); }};
}

Tensor Tensor::reshape(IntList shape) const {
  Tensor result(*this, [](const Layout& layout) { return layout; });
  if (layout_.try_view(shape, result.layout_, "reshape")) return result;
  result = clone();
  result.layout_ = result.layout_.view(shape);  // contiguous: always viewable
  return result;
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  return reshape(layout_.flattened_shape(start_dim, end_dim));
}

Tensor Tensor::squeeze() const {
  return {*this, [](const Layout& layout) { return layout.squeeze(); }};
}
Tensor Tensor::squeeze(std::int64_t dim) const {
  return {*this, [&](const Layout& layout) { return layout.squeeze(dim); }};
}
Tensor Tensor::unsqueeze(std::int64_t dim) const {
  return {*this, [&](const Layout& layout) { return layout.unsqueeze(dim); }};
}
Tensor Tensor::slice(std::int64_t dim, const Slice& range) const {
  return {*this, [&](const Layout& layout) { return layout.slice(dim, range); }};
}
Tensor Tensor::slice(std::span<const Slice> ranges) const {
  return {*this, [&](const Layout& layout) { return layout.slice(ranges); }};
}
Tensor Tensor::select(std::int64_t dim, std::int64_t index) const {
  return {*this, [&](const Layout& layout) { return layout.select(dim, index); }};
}
Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  return {*this, [&](const Layout& layout) { return layout.narrow(dim, start, length); }};
}
Tensor Tensor::permute(IntList dims) const {
  return {*this, [&](const Layout& layout) { return layout.permute(dims); }};
}
Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  return {*this, [&](const Layout& layout) { return layout.transpose(dim0, dim1); }};
}

Tensor Tensor::as_read_only() const {
  Tensor result(*this, [](const Layout& layout) { return layout; });
  result.read_only_ = true;
  return result;
}

Tensor Tensor::expand(IntList shape) const {
  Tensor result(*this, [&](const Layout& layout) { return layout.expand(shape); });
  // expand() adds no aliasing beyond its stride-0 dims: no need for may_alias().
  result.read_only_ = read_only_ || result.layout_.broadcasts();
  return result;
}

Tensor Tensor::as_strided(IntList shape, IntList strides, std::int64_t offset) const {
  const auto capacity = static_cast<std::int64_t>(record().size / itemsize());
  Tensor result(*this, [&](const Layout&) { return Layout::strided(shape, strides, offset, capacity); });
  result.read_only_ = read_only_ || result.layout_.may_alias();
  return result;
}

Tensor Tensor::contiguous() const {
  (void)record();
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const { return to_new_buffer(dtype_); }

Tensor Tensor::to(DType dtype) const {
  (void)record();
  return dtype == dtype_ ? *this : to_new_buffer(dtype);
}

Tensor Tensor::to_new_buffer(DType dtype) const {
  Storage& storage = *checked_buffer().storage();
  (void)record();
  Tensor result = empty(storage, shape(), dtype);
  // Resolve after allocating: allocation may grow the handle table.
  detail::copy_strided(shape(), result.operand(result.record()), operand(record()));
  return result;
}

void Tensor::copy_from(const Tensor& src) const {
  const BufferRecord& target = record();
  const BufferRecord& source = src.record();
  check_writable("copy_from");
  const Layout broadcast = src.layout_.expand(shape());
  if (shares_storage(src) && numel() > 0) {
    const std::array<std::int64_t, 2> mine = layout_.extent();
    const std::array<std::int64_t, 2> theirs = broadcast.extent();
    const auto my_item = static_cast<std::int64_t>(itemsize());
    const auto their_item = static_cast<std::int64_t>(src.itemsize());
    if (mine[0] * my_item < (theirs[1] + 1) * their_item && theirs[0] * their_item < (mine[1] + 1) * my_item) {
      copy_from(src.clone());  // through a temporary, so no element is read after it was overwritten
      return;
    }
  }
  detail::copy_strided(shape(), operand(target),
                       {src.element_address(source, broadcast.offset()), src.dtype_, broadcast.strides().data()});
}

void Tensor::raise_no_buffer() {
  detail::raise(ErrorCode::kDisposed, "tensor has no buffer: it was reset, moved from or never assigned");
}

void Tensor::raise_dtype(const char* op, DType requested) const {
  detail::raise(ErrorCode::kDtypeMismatch, "{}<{}>: the tensor holds {}", op, to_string(requested), to_string(dtype_));
}

void Tensor::raise_read_only(const char* op) const {
  detail::raise(ErrorCode::kReadOnly,
                "{}: the tensor of shape {} with strides {} is a read-only view (it aliases elements, as expand() "
                "does); write to contiguous() or clone() instead",
                op, shape(), strides());
}

void Tensor::raise_not_contiguous(const char* op) const {
  detail::raise(ErrorCode::kNotContiguous, "{}: the tensor of shape {} with strides {} is not contiguous; call "
                "contiguous() first",
                op, shape(), strides());
}

void Tensor::raise_count(const char* op, std::size_t count) const {
  detail::raise(ErrorCode::kInvalidShape, "{}: {} values for a tensor of shape {} ({} elements)", op, count, shape(),
                numel());
}

}  // namespace tensormem
