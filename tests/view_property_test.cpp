// Property tests for the view layer: random chains of view ops on a Tensor,
// checked element by element against a reference model that knows nothing
// about strides, and random as_strided layouts checked by brute force.
//
// The model of a tensor is its shape plus, for every logical element in
// row-major order, the index of the buffer element it reaches. Each op is
// implemented on the model with multi-index arithmetic only. The buffers hold
// values that identify their elements, so reading a tensor shows which buffer
// element each logical element reaches.
//
// Random numbers come from std::mt19937_64 (fully specified by the standard)
// through raw engine output only, so every platform runs the same cases.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tensormem/error.hpp"
#include "tensormem/layout.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/tensor.hpp"
#include "test_support.hpp"

namespace tensormem {
namespace {

using Int = std::int64_t;
using testing::for_each_index;
using testing::product;
using testing::row_major;
using testing::Shape;

// Case counts: the same everywhere (native, sanitized, wasm), sized so that the
// sanitized Debug build stays within a few seconds.
constexpr int kChains = 2000;
constexpr int kMaxOpsPerChain = 8;
constexpr int kStridedCases = 20000;
constexpr Int kMaxStartElements = 64;  // elements of a chain's first tensor
constexpr Int kMaxElements = 256;      // expand never grows a view beyond this
constexpr int kMaxReportedFailures = 3;
constexpr Int kHugeStep = std::numeric_limits<Int>::max();  // a step whose product with any stride > 1 overflows

// --- random numbers ---------------------------------------------------------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  // Uniform enough in [lo, hi] for tiny ranges; derived from raw engine output only.
  Int between(Int lo, Int hi) {
    return lo + static_cast<Int>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  // True with probability num/den.
  bool chance(Int num, Int den) { return between(0, den - 1) < num; }
  template <typename T>
  T pick(const std::vector<T>& values) {
    return values[static_cast<std::size_t>(between(0, static_cast<Int>(values.size()) - 1))];
  }
  // Fisher-Yates on raw engine output (std::shuffle differs between standard libraries).
  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) {
      std::swap(values[i - 1], values[static_cast<std::size_t>(between(0, static_cast<Int>(i) - 1))]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// --- shapes and multi-indices ---------------------------------------------------------


std::string str(const Shape& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

std::string str(std::optional<Int> value) { return value ? std::to_string(*value) : ""; }

Shape shape_of(const Tensor& tensor) { return {tensor.shape().begin(), tensor.shape().end()}; }

// `dim` in [-n, n) as an index, or nothing.
std::optional<std::size_t> wrap_dim(Int dim, std::size_t ndim) {
  const auto n = static_cast<Int>(ndim);
  if (dim < -n || dim >= n) return std::nullopt;
  return static_cast<std::size_t>(dim < 0 ? dim + n : dim);
}

// The size of `dim`, or 0 when it is out of range.
Int size_or_zero(const Shape& shape, Int dim) {
  const std::optional<std::size_t> d = wrap_dim(dim, shape.size());
  return d ? shape[*d] : 0;
}

// --- the reference model ----------------------------------------------------------------

struct Model {
  Shape shape;
  std::vector<Int> elements;  // per logical element (row-major): the buffer element it reaches
  int buffer = 0;             // which of the chain's buffers
  bool read_only = false;     // derived from a view that reached some element twice

  [[nodiscard]] Int numel() const { return static_cast<Int>(elements.size()); }
};

// A model of `shape` whose element at `index` is m's element at old_index(index).
template <typename OldIndex>
Model gather(const Model& m, Shape shape, OldIndex&& old_index) {
  Model result;
  result.buffer = m.buffer;
  result.read_only = m.read_only;
  result.elements.reserve(static_cast<std::size_t>(product(shape)));
  for_each_index(shape, [&](const Shape& index) {
    result.elements.push_back(m.elements[static_cast<std::size_t>(row_major(m.shape, old_index(index)))]);
  });
  result.shape = std::move(shape);
  return result;
}

bool has_duplicates(std::vector<Int> elements) {
  std::sort(elements.begin(), elements.end());
  return std::adjacent_find(elements.begin(), elements.end()) != elements.end();
}

bool consecutive(const std::vector<Int>& elements) {
  for (std::size_t k = 1; k < elements.size(); ++k) {
    if (elements[k] != elements[0] + static_cast<Int>(k)) return false;
  }
  return true;
}

// Whether elements (in row-major order) regrouped as `shape` can be described
// by one stride per dim: element(index) == elements[0] + sum(index[d] * stride[d]).
// Brute force: the strides are forced by the unit steps, then every element is checked.
bool expressible_with_strides(const std::vector<Int>& elements, const Shape& shape) {
  if (elements.empty()) return true;
  Shape strides(shape.size(), 0);
  Int step = 1;  // row-major distance of a unit step in dim d
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] > 1) strides[d] = elements[static_cast<std::size_t>(step)] - elements[0];
    step *= shape[d];
  }
  bool ok = true;
  std::size_t k = 0;
  for_each_index(shape, [&](const Shape& index) {
    Int element = elements[0];
    for (std::size_t d = 0; d < shape.size(); ++d) element += index[d] * strides[d];
    ok = ok && element == elements[k++];
  });
  return ok;
}

// What an op should do: throw `error`, or produce `model`.
struct Expected {
  std::optional<ErrorCode> error;
  Model model;
  // For reshape-like ops: whether the result must be a view (else a copy).
  std::optional<bool> view;
};

Expected fail(ErrorCode code) { return {code, {}, {}}; }

// A shape as reshape() would resolve it for `numel` elements, or the error.
Expected resolve_shape(const Shape& requested, Int numel) {
  if (requested.size() > static_cast<std::size_t>(kMaxDims)) return fail(ErrorCode::kInvalidShape);
  Shape shape = requested;
  std::optional<std::size_t> inferred;
  Int known = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (inferred) return fail(ErrorCode::kInvalidShape);
      inferred = d;
    } else if (shape[d] < 0) {
      return fail(ErrorCode::kInvalidShape);
    } else {
      known *= shape[d];
    }
  }
  if (inferred) {
    if (known == 0 || numel % known != 0) return fail(ErrorCode::kInvalidShape);
    shape[*inferred] = numel / known;
  } else if (known != numel) {
    return fail(ErrorCode::kInvalidShape);
  }
  Expected result;
  result.model.shape = std::move(shape);
  return result;
}

// reshape (allow_copy) or view of `m` to `requested`. `copy_buffer` is the id a copy gets.
Expected model_reshape(const Model& m, const Shape& requested, bool allow_copy, int copy_buffer) {
  Expected result = resolve_shape(requested, m.numel());
  if (result.error) return result;
  const bool viewable = expressible_with_strides(m.elements, result.model.shape);
  if (!viewable && !allow_copy) return fail(ErrorCode::kNotViewable);
  result.view = viewable;
  if (viewable) {
    result.model.elements = m.elements;
    result.model.buffer = m.buffer;
    result.model.read_only = m.read_only;
  } else {  // a new contiguous buffer; its element k holds the value of m's element k
    for (Int k = 0; k < m.numel(); ++k) result.model.elements.push_back(k);
    result.model.buffer = copy_buffer;
    result.model.read_only = false;
  }
  return result;
}

Expected model_flatten(const Model& m, Int start_dim, Int end_dim, int copy_buffer) {
  const std::size_t n = m.shape.size();
  if (n == 0) {
    const auto zero_or_last = [](Int dim) { return dim == 0 || dim == -1; };
    if (!zero_or_last(start_dim) || !zero_or_last(end_dim)) return fail(ErrorCode::kInvalidArgument);
    return model_reshape(m, {1}, true, copy_buffer);
  }
  const std::optional<std::size_t> start = wrap_dim(start_dim, n);
  const std::optional<std::size_t> end = wrap_dim(end_dim, n);
  if (!start || !end || *start > *end) return fail(ErrorCode::kInvalidArgument);
  Shape shape;
  for (std::size_t d = 0; d < n; ++d) {
    if (d <= *start || d > *end) {
      shape.push_back(m.shape[d]);
    } else {
      shape.back() *= m.shape[d];
    }
  }
  return model_reshape(m, shape, true, copy_buffer);
}

Expected model_contiguous(const Model& m, int copy_buffer) {
  Expected result;
  result.view = m.numel() == 0 || consecutive(m.elements);
  if (*result.view) {
    result.model = m;
  } else {
    result.model.shape = m.shape;
    for (Int k = 0; k < m.numel(); ++k) result.model.elements.push_back(k);
    result.model.buffer = copy_buffer;
  }
  return result;
}

Expected ok(Model m) { return {std::nullopt, std::move(m), {}}; }

Expected model_squeeze_all(const Model& m) {
  Shape shape;
  for (const Int size : m.shape) {
    if (size != 1) shape.push_back(size);
  }
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old;
    std::size_t k = 0;
    for (const Int size : m.shape) old.push_back(size == 1 ? 0 : index[k++]);
    return old;
  }));
}

Expected model_squeeze(const Model& m, Int dim) {
  const std::optional<std::size_t> d = wrap_dim(dim, m.shape.size());
  if (!d) return fail(ErrorCode::kInvalidArgument);
  if (m.shape[*d] != 1) return fail(ErrorCode::kInvalidShape);
  Shape shape = m.shape;
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(*d));
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    old.insert(old.begin() + static_cast<std::ptrdiff_t>(*d), 0);
    return old;
  }));
}

Expected model_unsqueeze(const Model& m, Int dim) {
  const auto n = static_cast<Int>(m.shape.size());
  if (dim < -(n + 1) || dim > n) return fail(ErrorCode::kInvalidArgument);
  if (n == kMaxDims) return fail(ErrorCode::kInvalidShape);
  const auto d = static_cast<std::size_t>(dim < 0 ? dim + n + 1 : dim);
  Shape shape = m.shape;
  shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(d), 1);
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    old.erase(old.begin() + static_cast<std::ptrdiff_t>(d));
    return old;
  }));
}

// NumPy slicing with strict bounds: an index given for start must name an
// element (or, stepping forward, the end); a stop may be 0..size. Negative
// values count from the end; open ends run to the first/last element in the
// step's direction.
Expected model_slice(const Model& m, Int dim, const Slice& range) {
  const std::optional<std::size_t> d = wrap_dim(dim, m.shape.size());
  if (!d) return fail(ErrorCode::kInvalidArgument);
  if (range.step == 0) return fail(ErrorCode::kInvalidArgument);
  const Int size = m.shape[*d];
  const auto from_end = [size](Int i) { return i < 0 ? i + size : i; };
  std::vector<Int> picked;  // the indices of dim d that the slice keeps, in order
  if (range.step > 0) {
    const Int start = range.start ? from_end(*range.start) : 0;
    const Int stop = range.stop ? from_end(*range.stop) : size;
    if (start < 0 || start > size || stop < 0 || stop > size) return fail(ErrorCode::kOutOfBounds);
    for (Int i = start; i < stop; i += range.step) {  // (no overflow for huge steps)
      picked.push_back(i);
      if (range.step >= stop - i) break;
    }
  } else {
    const Int start = range.start ? from_end(*range.start) : size - 1;
    const Int stop = range.stop ? from_end(*range.stop) : -1;
    if (range.start && (start < 0 || start >= size)) return fail(ErrorCode::kOutOfBounds);
    if (range.stop && (stop < 0 || stop > size)) return fail(ErrorCode::kOutOfBounds);
    for (Int i = start; i > stop; i += range.step) {
      picked.push_back(i);
      if (-range.step >= i - stop) break;
    }
  }
  Shape shape = m.shape;
  shape[*d] = static_cast<Int>(picked.size());
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    old[*d] = picked[static_cast<std::size_t>(index[*d])];
    return old;
  }));
}

// One range per leading dim, applied in order.
Expected model_slices(const Model& m, const std::vector<Slice>& ranges) {
  if (ranges.size() > m.shape.size()) return fail(ErrorCode::kInvalidArgument);
  Expected result = ok(m);
  for (std::size_t d = 0; d < ranges.size(); ++d) {
    result = model_slice(result.model, static_cast<Int>(d), ranges[d]);
    if (result.error) return result;
  }
  return result;
}

Expected model_select(const Model& m, Int dim, Int index_in_dim) {
  const std::optional<std::size_t> d = wrap_dim(dim, m.shape.size());
  if (!d) return fail(ErrorCode::kInvalidArgument);
  const Int size = m.shape[*d];
  const Int i = index_in_dim < 0 ? index_in_dim + size : index_in_dim;
  if (i < 0 || i >= size) return fail(ErrorCode::kOutOfBounds);
  Shape shape = m.shape;
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(*d));
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    old.insert(old.begin() + static_cast<std::ptrdiff_t>(*d), i);
    return old;
  }));
}

Expected model_narrow(const Model& m, Int dim, Int start, Int length) {
  const std::optional<std::size_t> d = wrap_dim(dim, m.shape.size());
  if (!d) return fail(ErrorCode::kInvalidArgument);
  const Int size = m.shape[*d];
  const Int first = start < 0 ? start + size : start;
  if (first < 0 || first > size || length < 0 || first + length > size) return fail(ErrorCode::kOutOfBounds);
  Shape shape = m.shape;
  shape[*d] = length;
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    old[*d] += first;
    return old;
  }));
}

Expected model_permute(const Model& m, const Shape& dims) {
  const std::size_t n = m.shape.size();
  if (dims.size() != n) return fail(ErrorCode::kInvalidArgument);
  std::vector<std::size_t> order;
  for (const Int dim : dims) {
    const std::optional<std::size_t> d = wrap_dim(dim, n);
    if (!d || std::find(order.begin(), order.end(), *d) != order.end()) return fail(ErrorCode::kInvalidArgument);
    order.push_back(*d);
  }
  Shape shape;
  for (const std::size_t d : order) shape.push_back(m.shape[d]);
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old(n, 0);
    for (std::size_t i = 0; i < n; ++i) old[order[i]] = index[i];
    return old;
  }));
}

Expected model_transpose(const Model& m, Int dim0, Int dim1) {
  const std::optional<std::size_t> a = wrap_dim(dim0, m.shape.size());
  const std::optional<std::size_t> b = wrap_dim(dim1, m.shape.size());
  if (!a || !b) return fail(ErrorCode::kInvalidArgument);
  Shape shape = m.shape;
  std::swap(shape[*a], shape[*b]);
  return ok(gather(m, shape, [&](const Shape& index) {
    Shape old = index;
    std::swap(old[*a], old[*b]);
    return old;
  }));
}

Expected model_expand(const Model& m, const Shape& requested) {
  if (requested.size() > static_cast<std::size_t>(kMaxDims) || requested.size() < m.shape.size()) {
    return fail(ErrorCode::kInvalidShape);
  }
  const std::size_t leading = requested.size() - m.shape.size();
  Shape shape;
  for (std::size_t d = 0; d < requested.size(); ++d) {
    const Int target = requested[d];
    if (d < leading) {
      if (target < 0) return fail(ErrorCode::kInvalidShape);
      shape.push_back(target);
    } else {
      const Int size = m.shape[d - leading];
      if (target == -1 || target == size) {
        shape.push_back(size);
      } else if (size == 1 && target >= 0) {
        shape.push_back(target);
      } else {
        return fail(ErrorCode::kInvalidShape);
      }
    }
  }
  Expected result = ok(gather(m, shape, [&](const Shape& index) {
    Shape old;
    for (std::size_t d = leading; d < shape.size(); ++d) old.push_back(m.shape[d - leading] == 1 ? 0 : index[d]);
    return old;
  }));
  // Read-only when a dim is actually broadcast: a size-1 dim or a new dim became size > 1. That
  // is when two indices reach one element, except in an empty view (tensor.hpp documents expand()
  // by the broadcast).
  bool broadcast = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    broadcast = broadcast || (shape[d] > 1 && (d < leading || m.shape[d - leading] == 1));
  }
  result.model.read_only = m.read_only || broadcast;
  return result;
}

// --- random op arguments --------------------------------------------------------------------

// A dim of an ndim-dim tensor; out of range when `bad`.
Int random_dim(Rng& rng, std::size_t ndim, bool bad) {
  const auto n = static_cast<Int>(ndim);
  if (bad || n == 0) return rng.pick<Int>({n, -n - 1, n + 2, -n - 3});
  return rng.between(-n, n - 1);
}

// An index for a dim of `size`, counted from either end, in [lo, size + hi] (lo when that is empty).
Int random_index(Rng& rng, Int size, Int lo, Int hi) {
  if (size + hi < lo) return lo;
  const Int i = rng.between(lo, size + hi);
  return rng.chance(1, 3) ? i - size : i;
}

// Sizes with product `numel` (> 0) in `ndim` dims.
Shape random_factorization(Rng& rng, Int numel, int ndim) {
  Shape shape;
  Int rest = numel;
  for (int d = 0; d + 1 < ndim; ++d) {
    std::vector<Int> divisors;
    for (Int k = 1; k <= rest; ++k) {
      if (rest % k == 0) divisors.push_back(k);
    }
    shape.push_back(rng.pick(divisors));
    rest /= shape.back();
  }
  if (ndim > 0) shape.push_back(rest);
  return shape;
}

Shape random_reshape_target(Rng& rng, Int numel, bool bad) {
  Shape shape;
  if (numel == 0) {
    const int ndim = static_cast<int>(rng.between(1, 4));
    for (int d = 0; d < ndim; ++d) shape.push_back(rng.between(0, 3));
    shape[static_cast<std::size_t>(rng.between(0, ndim - 1))] = 0;
  } else {
    const int ndim = static_cast<int>(rng.between(numel == 1 ? 0 : 1, 5));
    shape = random_factorization(rng, numel, ndim);
    rng.shuffle(shape);
  }
  if (!shape.empty() && rng.chance(1, 3)) shape[static_cast<std::size_t>(rng.between(0, static_cast<Int>(shape.size()) - 1))] = -1;
  if (bad) {
    switch (rng.between(0, 3)) {
      case 0: shape.push_back(rng.pick<Int>({0, 2, 3})); break;  // element count changes (unless it stays 0)
      case 1:  // two inferred sizes
        shape.push_back(-1);
        shape.push_back(-1);
        break;
      case 2: shape.insert(shape.begin(), -2); break;              // a negative size
      default:                                                     // too many dims
        while (shape.size() <= static_cast<std::size_t>(kMaxDims)) shape.insert(shape.begin(), 1);
        break;
    }
  } else if (rng.chance(1, 8)) {
    while (shape.size() < static_cast<std::size_t>(kMaxDims)) shape.insert(shape.begin(), 1);  // exactly 8 dims
  }
  return shape;
}

std::optional<Int> random_bound(Rng& rng, Int size, bool bad) {
  if (!bad && rng.chance(1, 4)) return std::nullopt;
  if (bad) return rng.pick<Int>({size + 1, -size - 1, size + 3, -size - 4});
  return random_index(rng, size, 0, 0);
}

// --- running chains ---------------------------------------------------------------------------

// The state of one chain: every tensor it made, each with its model, and the
// values of every buffer (by model buffer id).
struct Chain {
  std::vector<Tensor> tensors;
  std::vector<Model> models;
  std::vector<std::vector<std::int32_t>> values;
  std::vector<BufferHandle> handles;
  std::ostringstream trace;
};

// Every check of `tensor` against `m`; the first mismatch as text, or "".
std::string mismatch(Storage& storage, const Chain& chain, const Tensor& tensor, const Model& m) {
  std::ostringstream why;
  if (shape_of(tensor) != m.shape) {
    why << "shape " << str(shape_of(tensor)) << ", expected " << str(m.shape);
    return why.str();
  }
  if (tensor.numel() != m.numel()) return "numel " + std::to_string(tensor.numel());
  if (tensor.dtype() != DType::kInt32) return "dtype changed";
  const std::vector<std::int32_t>& values = chain.values[static_cast<std::size_t>(m.buffer)];
  std::vector<std::int32_t> expected;
  for (const Int element : m.elements) expected.push_back(values[static_cast<std::size_t>(element)]);

  // Element access, alternating positive and negative indices.
  std::size_t k = 0;
  for_each_index(m.shape, [&](const Shape& index) {
    if (!why.str().empty()) return;
    Shape signed_index = index;
    if (k % 2 == 1) {
      for (std::size_t d = 0; d < index.size(); ++d) signed_index[d] -= m.shape[d];
    }
    const std::int32_t got = tensor.at<std::int32_t>(signed_index);
    if (got != expected[k]) {
      why << "at(" << str(signed_index) << ") = " << got << ", expected " << expected[k];
    } else if (tensor.get_as<Int>(index) != expected[k]) {
      why << "get_as<int64>(" << str(index) << ") = " << tensor.get_as<Int>(index);
    }
    ++k;
  });
  if (!why.str().empty()) return why.str();

  std::vector<Int> copied(expected.size(), -1);
  tensor.copy_to(std::span<Int>(copied));
  for (std::size_t i = 0; i < copied.size(); ++i) {
    if (copied[i] != expected[i]) {
      why << "copy_to: element " << i << " = " << copied[i] << ", expected " << expected[i];
      return why.str();
    }
  }
  std::vector<std::int32_t> visited;
  tensor.for_each<const std::int32_t>([&](const std::int32_t& value) { visited.push_back(value); });
  if (visited != expected) return "for_each visits other values or another order";

  const bool contiguous = m.numel() == 0 || consecutive(m.elements);
  if (tensor.is_contiguous() != contiguous) {
    why << "is_contiguous() = " << tensor.is_contiguous() << ", model elements " << str(m.elements);
    return why.str();
  }
  if (contiguous) {
    const std::span<const std::int32_t> span = tensor.span<const std::int32_t>();
    if (!std::equal(span.begin(), span.end(), expected.begin(), expected.end())) return "span differs";
  } else {
    try {
      (void)tensor.span<const std::int32_t>();
      return "span of a non-contiguous view did not throw";
    } catch (const Error& error) {
      if (error.code() != ErrorCode::kNotContiguous) return "span threw " + std::string(error.code_name());
    }
  }
  if (!tensor.is_read_only() && has_duplicates(m.elements)) return "writable, yet two indices reach one element";
  if (tensor.is_read_only() != m.read_only) {
    why << "is_read_only() = " << tensor.is_read_only() << ", expected " << m.read_only;
    return why.str();
  }

  // Reference counts: one per tensor the chain holds on each buffer.
  for (std::size_t b = 0; b < chain.handles.size(); ++b) {
    const auto holders = static_cast<std::uint32_t>(std::count_if(
        chain.models.begin(), chain.models.end(), [b](const Model& other) { return other.buffer == static_cast<int>(b); }));
    if (holders == 0) continue;
    if (storage.use_count(chain.handles[b]) != holders) {
      why << "buffer " << b << " has use_count " << storage.use_count(chain.handles[b]) << ", expected " << holders;
      return why.str();
    }
  }
  if (tensor.buffer() != chain.handles[static_cast<std::size_t>(m.buffer)]) return "names another buffer";
  return {};
}

// A write through a writable view lands on the model's buffer element; a
// read-only view refuses writes. Leaves every value as it was.
std::string write_check(Storage& storage, Rng& rng, const Chain& chain, const Tensor& tensor, const Model& m) {
  if (m.read_only) {
    try {
      tensor.fill(std::int32_t{0});
      return "fill through a read-only view did not throw";
    } catch (const Error& error) {
      return error.code() == ErrorCode::kReadOnly ? "" : "fill threw " + std::string(error.code_name());
    }
  }
  if (m.numel() == 0) return {};
  const Int k = rng.between(0, m.numel() - 1);
  Shape index(m.shape.size(), 0);
  for (std::size_t d = m.shape.size(), rest = static_cast<std::size_t>(k); d-- > 0;) {
    index[d] = static_cast<Int>(rest % static_cast<std::size_t>(m.shape[d]));
    rest /= static_cast<std::size_t>(m.shape[d]);
  }
  const auto element = static_cast<std::size_t>(m.elements[static_cast<std::size_t>(k)]);
  auto* buffer = reinterpret_cast<std::int32_t*>(storage.data(chain.handles[static_cast<std::size_t>(m.buffer)]));
  const std::int32_t original = buffer[element];
  tensor.set<std::int32_t>(index, -1 - original);
  const std::int32_t seen = buffer[element];
  tensor.set_as<double>(index, static_cast<double>(original));
  if (seen != -1 - original) return "set(" + str(index) + ") wrote elsewhere than buffer element " + std::to_string(element);
  if (buffer[element] != original) return "set_as did not restore the element";
  return {};
}

struct ChainStats {
  int ops = 0;
  int errors = 0;
  int reshape_copies = 0;
  int reshape_views = 0;
  int max_ndim = 0;
  int read_only_views = 0;
  int unsqueeze_past_max = 0;
  std::array<int, 16> errors_by_code{};  // by ErrorCode value
};

// Runs one random chain; returns the failure (with the chain's trace), or "".
std::string run_chain(Storage& storage, Rng& rng, int chain_number, ChainStats& stats) {
  Chain chain;
  chain.trace << "chain " << chain_number << ":";

  // The buffer: element i holds i. The first tensor is a row-major view of
  // part of it, made with as_strided at a random offset.
  const int start_ndim = rng.chance(1, 10) ? 0 : static_cast<int>(rng.between(1, 4));
  Shape shape;
  for (int d = 0; d < start_ndim; ++d) shape.push_back(rng.chance(1, 12) ? 0 : rng.between(1, 4));
  for (std::size_t d = shape.size(); d-- > 0 && product(shape) > kMaxStartElements;) shape[d] = 1;
  const Int numel = product(shape);
  const Int offset = rng.between(0, 3);
  const Int capacity = numel + offset + rng.between(0, 3);
  chain.tensors.push_back(Tensor::empty(storage, {capacity}, DType::kInt32));
  chain.handles.push_back(chain.tensors[0].buffer());
  chain.values.emplace_back();
  for (Int i = 0; i < capacity; ++i) chain.values[0].push_back(static_cast<std::int32_t>(i));
  std::copy(chain.values[0].begin(), chain.values[0].end(), chain.tensors[0].span<std::int32_t>().begin());
  Model buffer_model;
  buffer_model.shape = {capacity};
  buffer_model.elements.assign(chain.values[0].size(), 0);
  for (Int i = 0; i < capacity; ++i) buffer_model.elements[static_cast<std::size_t>(i)] = i;
  chain.models.push_back(buffer_model);

  Shape strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * std::max<Int>(shape[d], 1);
  chain.tensors.push_back(chain.tensors[0].as_strided(shape, strides, offset));
  Model first_view;
  first_view.shape = shape;
  for (Int k = 0; k < numel; ++k) first_view.elements.push_back(offset + k);
  chain.models.push_back(first_view);
  chain.trace << " buffer of " << capacity << " int32, as_strided(" << str(shape) << ", " << str(strides) << ", "
              << offset << ")";
  if (std::string why = mismatch(storage, chain, chain.tensors.back(), chain.models.back()); !why.empty()) {
    return chain.trace.str() + "\n  first view: " + why;
  }

  const int ops = static_cast<int>(rng.between(2, kMaxOpsPerChain));
  chain.tensors.reserve(chain.tensors.size() + static_cast<std::size_t>(ops));  // `current` stays valid
  for (int op = 0; op < ops; ++op) {
    const Tensor& current = chain.tensors.back();  // no extra reference: use counts stay exact
    const Model m = chain.models.back();
    const std::size_t n = m.shape.size();
    const bool bad = rng.chance(1, 12);
    const int copy_buffer = static_cast<int>(chain.handles.size());
    Expected expected;
    std::ostringstream text;
    Shape requested;  // for reshape-like ops: the shape asked for
    std::function<Tensor()> run;
    bool check_can_view = true;  // reshape-like ops: can_view(result shape) must say view-or-copy
    switch (rng.between(0, 16)) {
      case 0:
      case 1:
      case 2: {
        requested = random_reshape_target(rng, m.numel(), bad);
        text << "reshape(" << str(requested) << ")";
        expected = model_reshape(m, requested, true, copy_buffer);
        run = [&] { return current.reshape(requested); };
        break;
      }
      case 3:
      case 4: {
        requested = random_reshape_target(rng, m.numel(), bad);
        text << "view(" << str(requested) << ")";
        expected = model_reshape(m, requested, false, copy_buffer);
        run = [&] { return current.view(requested); };
        break;
      }
      case 5: {
        Int start_dim = random_dim(rng, n, bad && rng.chance(1, 2));
        Int end_dim = random_dim(rng, n, false);
        if (n > 0 && !bad) {  // usually start <= end
          const std::size_t a = *wrap_dim(start_dim, n);
          const std::size_t b = *wrap_dim(end_dim, n);
          if (a > b) std::swap(start_dim, end_dim);
        }
        text << "flatten(" << start_dim << ", " << end_dim << ")";
        expected = model_flatten(m, start_dim, end_dim, copy_buffer);
        run = [&, start_dim, end_dim] { return current.flatten(start_dim, end_dim); };
        break;
      }
      case 6: {
        if (rng.chance(1, 3)) {
          text << "squeeze()";
          expected = model_squeeze_all(m);
          run = [&] { return current.squeeze(); };
        } else {
          Int dim = random_dim(rng, n, bad);
          // Usually pick a size-1 dim when there is one.
          for (std::size_t d = 0; d < n && !bad && m.shape[static_cast<std::size_t>(*wrap_dim(dim, n))] != 1; ++d) {
            if (m.shape[d] == 1) dim = static_cast<Int>(d) - (rng.chance(1, 2) ? static_cast<Int>(n) : 0);
          }
          text << "squeeze(" << dim << ")";
          expected = model_squeeze(m, dim);
          run = [&, dim] { return current.squeeze(dim); };
        }
        break;
      }
      case 7: {
        const auto limit = static_cast<Int>(n);
        const Int dim = bad ? rng.pick<Int>({limit + 1, -limit - 2}) : rng.between(-limit - 1, limit);
        text << "unsqueeze(" << dim << ")";
        expected = model_unsqueeze(m, dim);
        if (expected.error == ErrorCode::kInvalidShape) ++stats.unsqueeze_past_max;
        run = [&, dim] { return current.unsqueeze(dim); };
        break;
      }
      case 8:
      case 9: {
        const Int dim = random_dim(rng, n, bad && rng.chance(1, 3));
        const Int size = size_or_zero(m.shape, dim);
        const auto random_slice = [&](Int size_in_dim) {
          Slice range;
          range.step = bad && rng.chance(1, 3) ? 0 : rng.pick<Int>({1, 1, 1, 2, 3, 7, kHugeStep, -1, -1, -2, -3, -7, -kHugeStep});
          const bool bad_bound = bad && rng.chance(1, 2);
          const bool bad_start = bad_bound && rng.chance(1, 2);
          range.start = random_bound(rng, size_in_dim, bad_start);
          range.stop = random_bound(rng, size_in_dim, bad_bound && !bad_start);
          return range;
        };
        const auto describe = [](const Slice& range) {
          return str(range.start) + ":" + str(range.stop) + ":" + std::to_string(range.step);
        };
        if (rng.chance(1, 4)) {  // slice({ranges...}): one range per leading dim
          const std::size_t count = bad && rng.chance(1, 3) ? n + 1 : static_cast<std::size_t>(rng.between(0, static_cast<Int>(n)));
          std::vector<Slice> ranges;
          text << "slice({";
          for (std::size_t d = 0; d < count; ++d) {
            ranges.push_back(random_slice(d < n ? m.shape[d] : 1));
            text << (d > 0 ? ", " : "") << describe(ranges.back());
          }
          text << "})";
          expected = model_slices(m, ranges);
          run = [&, ranges] { return current.slice(std::span<const Slice>(ranges)); };
          break;
        }
        const Slice range = random_slice(size);
        text << "slice(" << dim << ", " << describe(range) << ")";
        expected = model_slice(m, dim, range);
        run = [&, dim, range] { return current.slice(dim, range); };
        break;
      }
      case 10: {
        const Int dim = random_dim(rng, n, bad && rng.chance(1, 2));
        const Int size = wrap_dim(dim, n) ? m.shape[*wrap_dim(dim, n)] : 1;
        const Int index = bad ? rng.pick<Int>({size, -size - 1}) : random_index(rng, size, 0, -1);
        text << "select(" << dim << ", " << index << ")";
        expected = model_select(m, dim, index);
        run = [&, dim, index] { return current.select(dim, index); };
        break;
      }
      case 11: {
        const Int dim = random_dim(rng, n, bad && rng.chance(1, 3));
        const Int size = size_or_zero(m.shape, dim);
        const Int start = bad && rng.chance(1, 2) ? rng.pick<Int>({size + 1, -size - 1}) : random_index(rng, size, 0, 0);
        const Int first = start < 0 ? start + size : start;
        const Int length = bad ? rng.pick<Int>({-1, size - first + 1}) : rng.between(0, std::max<Int>(size - first, 0));
        text << "narrow(" << dim << ", " << start << ", " << length << ")";
        expected = model_narrow(m, dim, start, length);
        run = [&, dim, start, length] { return current.narrow(dim, start, length); };
        break;
      }
      case 12:
      case 13: {
        for (std::size_t d = 0; d < n; ++d) requested.push_back(static_cast<Int>(d));
        rng.shuffle(requested);
        for (Int& dim : requested) {
          if (rng.chance(1, 3)) dim -= static_cast<Int>(n);
        }
        if (bad) {
          switch (rng.between(0, 2)) {
            case 0: requested.push_back(0); break;  // a repeat, or one dim too many
            case 1:
              if (!requested.empty()) requested.pop_back();
              else requested.push_back(0);
              break;
            default:
              if (!requested.empty()) requested[0] = static_cast<Int>(n);
              else requested.push_back(1);
              break;
          }
        }
        text << "permute(" << str(requested) << ")";
        expected = model_permute(m, requested);
        run = [&] { return current.permute(requested); };
        break;
      }
      case 14: {
        const Int dim0 = random_dim(rng, n, bad && rng.chance(1, 2));
        const Int dim1 = random_dim(rng, n, false);
        text << "transpose(" << dim0 << ", " << dim1 << ")";
        expected = model_transpose(m, dim0, dim1);
        run = [&, dim0, dim1] { return current.transpose(dim0, dim1); };
        break;
      }
      default: {
        if (rng.chance(1, 6)) {
          text << "contiguous()";
          expected = model_contiguous(m, copy_buffer);
          check_can_view = false;
          run = [&] { return current.contiguous(); };
          break;
        }
        const Int leading = rng.between(0, 2);
        for (Int d = 0; d < leading; ++d) requested.push_back(rng.between(0, 3) == 0 ? rng.between(0, 1) : rng.between(2, 3));
        for (const Int size : m.shape) {
          if (size == 1) {
            requested.push_back(rng.pick<Int>({-1, 1, 0, 2, 3, 3}));
          } else {
            requested.push_back(rng.chance(1, 3) ? -1 : size);
          }
        }
        Shape result_shape = requested;
        for (std::size_t d = 0; d < n; ++d) {
          Int& target = result_shape[static_cast<std::size_t>(leading) + d];
          if (target == -1) target = m.shape[d];
        }
        if (product(result_shape) > kMaxElements) {  // keep views small: expand nothing
          requested.assign(n, -1);
        }
        if (requested.size() > static_cast<std::size_t>(kMaxDims)) {
          requested.erase(requested.begin(), requested.begin() + static_cast<std::ptrdiff_t>(requested.size() - n));
        }
        if (bad) {
          std::vector<std::size_t> wide;  // dims that cannot expand
          for (std::size_t d = 0; d < n; ++d) {
            if (m.shape[d] != 1) wide.push_back(d);
          }
          switch (rng.between(0, 3)) {
            case 0:
              if (!wide.empty()) {
                requested[requested.size() - n + rng.pick(wide)] += 1;
                break;
              }
              [[fallthrough]];
            case 1: requested.insert(requested.begin(), -1); break;  // a new dim cannot be inferred
            case 2:
              if (!requested.empty()) {
                requested.erase(requested.begin());  // fewer dims (or a shifted mismatch)
                break;
              }
              [[fallthrough]];
            default:
              while (requested.size() <= static_cast<std::size_t>(kMaxDims)) requested.insert(requested.begin(), 1);
              break;
          }
        }
        text << "expand(" << str(requested) << ")";
        expected = model_expand(m, requested);
        run = [&] { return current.expand(requested); };
        break;
      }
    }
    chain.trace << "\n  " << text.str();
    ++stats.ops;

    std::optional<Tensor> result;
    std::optional<ErrorCode> thrown;
    std::string thrown_message;
    try {
      result = run();
    } catch (const Error& error) {
      thrown = error.code();
      thrown_message = error.message();
    }
    if (thrown != expected.error) {
      chain.trace << "\n  -> expected " << (expected.error ? to_string(*expected.error) : "success") << ", got "
                  << (thrown ? std::string(to_string(*thrown)) + " (" + thrown_message + ")" : "success");
      if (result) chain.trace << " with shape " << str(shape_of(*result));
      return chain.trace.str();
    }
    if (thrown) {
      ++stats.errors;
      ++stats.errors_by_code[static_cast<std::size_t>(*thrown)];
      chain.trace << " -> " << to_string(*thrown);
      // The chain continues with the unchanged tensor; the failed op kept no reference (use counts).
      if (std::string why = mismatch(storage, chain, current, m); !why.empty()) {
        return chain.trace.str() + "\n  after the error: " + why;
      }
      continue;
    }

    if (expected.view) {
      const bool shares = result->shares_storage(current);
      chain.trace << (shares ? " (view)" : " (copy)");
      if (shares != *expected.view) {
        return chain.trace.str() + "\n  -> shares_storage() = " + (shares ? "true" : "false") +
               ", but the model says the regrouping is " + (*expected.view ? "" : "not ") + "expressible with strides";
      }
      if (check_can_view && current.can_view(expected.model.shape) != shares) {
        return chain.trace.str() + "\n  -> can_view(" + str(expected.model.shape) + ") disagrees";
      }
      if (shares) {
        ++stats.reshape_views;
      } else {
        ++stats.reshape_copies;
        // The copy's element k holds the value the view's element k had.
        std::vector<std::int32_t> copied;
        const std::vector<std::int32_t>& old_values = chain.values[static_cast<std::size_t>(m.buffer)];
        for (const Int element : m.elements) copied.push_back(old_values[static_cast<std::size_t>(element)]);
        chain.values.push_back(std::move(copied));
        chain.handles.push_back(result->buffer());
      }
    }
    chain.tensors.push_back(std::move(*result));
    chain.models.push_back(std::move(expected.model));
    stats.max_ndim = std::max(stats.max_ndim, chain.tensors.back().ndim());
    if (chain.models.back().read_only) ++stats.read_only_views;
    if (std::string why = mismatch(storage, chain, chain.tensors.back(), chain.models.back()); !why.empty()) {
      chain.trace << "\n  -> " << why;
      return chain.trace.str();
    }
    if (std::string why = write_check(storage, rng, chain, chain.tensors.back(), chain.models.back()); !why.empty()) {
      chain.trace << "\n  -> " << why;
      return chain.trace.str();
    }
  }
  return {};
}

TEST(ViewProperty, RandomChainsMatchTheReferenceModel) {
  Storage storage;
  Rng rng(0x5eed'7e45'04d0'0001ULL);
  ChainStats stats;
  int failures = 0;
  for (int c = 0; c < kChains && failures < kMaxReportedFailures; ++c) {
    const std::string failure = run_chain(storage, rng, c, stats);
    if (!failure.empty()) {
      ADD_FAILURE() << failure;
      ++failures;
    }
    // Every tensor of the chain is gone: so is every buffer.
    ASSERT_EQ(storage.stats().live_buffers, 0U) << "after chain " << c;
  }
  // The generator reaches every kind of outcome (else the test proves little).
  EXPECT_GT(stats.ops, kChains * 3);
  EXPECT_GT(stats.errors, stats.ops / 30);
  EXPECT_LT(stats.errors, stats.ops / 3);
  EXPECT_GT(stats.reshape_views, 100);
  EXPECT_GT(stats.reshape_copies, 50);
  EXPECT_GT(stats.read_only_views, 100);
  EXPECT_EQ(stats.max_ndim, kMaxDims);
  EXPECT_GT(stats.unsqueeze_past_max, 0);
  for (const ErrorCode code : {ErrorCode::kInvalidArgument, ErrorCode::kOutOfBounds, ErrorCode::kInvalidShape,
                               ErrorCode::kNotViewable}) {
    EXPECT_GT(stats.errors_by_code[static_cast<std::size_t>(code)], 20) << to_string(code);
  }
  EXPECT_EQ(storage.stats().failed_releases, 0U);
  std::printf("[ chains   ] %d chains, %d ops, %d expected errors (%d INVALID_ARGUMENT, %d OUT_OF_BOUNDS, %d "
              "INVALID_SHAPE, %d NOT_VIEWABLE), reshape-like %d views / %d copies, %d read-only views\n",
              kChains, stats.ops, stats.errors,
              stats.errors_by_code[static_cast<std::size_t>(ErrorCode::kInvalidArgument)],
              stats.errors_by_code[static_cast<std::size_t>(ErrorCode::kOutOfBounds)],
              stats.errors_by_code[static_cast<std::size_t>(ErrorCode::kInvalidShape)],
              stats.errors_by_code[static_cast<std::size_t>(ErrorCode::kNotViewable)], stats.reshape_views,
              stats.reshape_copies, stats.read_only_views);
}

// --- as_strided ---------------------------------------------------------------------------------

TEST(ViewProperty, AsStridedSucceedsExactlyWhenEveryReachableElementIsInTheBuffer) {
  Storage storage;
  Rng rng(0x5eed'a55'7d1d'0002ULL);
  int successes = 0;
  int out_of_bounds = 0;
  int aliasing = 0;
  int conservative = 0;
  int failures = 0;
  for (int c = 0; c < kStridedCases && failures < kMaxReportedFailures; ++c) {
    const Int capacity = rng.between(0, 24);
    const Tensor buffer = Tensor::empty(storage, {capacity}, DType::kInt32);
    for (Int i = 0; i < capacity; ++i) buffer.set<std::int32_t>({i}, static_cast<std::int32_t>(i));
    // as_strided counts the offset from the buffer's start, also from a view with its own offset.
    const Tensor source = capacity > 2 && rng.chance(1, 3) ? buffer.narrow(0, 1, capacity - 2) : buffer;

    const int ndim = static_cast<int>(rng.between(0, 4));
    Shape shape;
    Shape strides;
    for (int d = 0; d < ndim; ++d) {
      shape.push_back(rng.chance(1, 10) ? 0 : rng.between(1, 4));
      strides.push_back(rng.between(-5, 5));
    }
    Int offset = rng.between(-2, capacity + 2);
    std::optional<ErrorCode> argument_error;
    if (rng.chance(1, 30)) {
      switch (rng.between(0, 2)) {
        case 0:  // one stride too many
          strides.push_back(1);
          argument_error = ErrorCode::kInvalidArgument;
          break;
        case 1:  // a negative size
          shape.push_back(-1);
          strides.push_back(1);
          argument_error = ErrorCode::kInvalidShape;
          break;
        default:  // too many dims
          shape.assign(kMaxDims + 1, 1);
          strides.assign(kMaxDims + 1, 1);
          argument_error = ErrorCode::kInvalidShape;
          break;
      }
    }
    const bool empty = product(shape) == 0;
    if (empty && !argument_error) offset = rng.between(0, capacity);  // see the report: the rule for empty views

    // Brute force: every element reached, in row-major order.
    std::vector<Int> reached;
    if (!argument_error) {
      for_each_index(shape, [&](const Shape& index) {
        Int element = offset;
        for (std::size_t d = 0; d < shape.size(); ++d) element += index[d] * strides[d];
        reached.push_back(element);
      });
    }
    const bool inside = std::all_of(reached.begin(), reached.end(), [&](Int e) { return e >= 0 && e < capacity; });
    std::optional<ErrorCode> expected = argument_error;
    if (!expected && !inside) expected = ErrorCode::kOutOfBounds;

    std::string case_text = "buffer of " + std::to_string(capacity) + ", as_strided(" + str(shape) + ", " +
                            str(strides) + ", " + std::to_string(offset) + ")";
    std::optional<Tensor> result;
    try {
      result = source.as_strided(shape, strides, offset);
      if (expected) {
        ADD_FAILURE() << case_text << ": expected " << to_string(*expected) << ", got a view";
        ++failures;
      }
    } catch (const Error& error) {
      if (error.code() != expected) {
        ADD_FAILURE() << case_text << ": expected " << (expected ? to_string(*expected) : "success") << ", got "
                      << error.code_name() << " (" << error.message() << ")";
        ++failures;
      } else if (expected == ErrorCode::kOutOfBounds) {
        // The message names the offset, or the reached element furthest outside the buffer.
        const auto [low, high] = std::minmax_element(reached.begin(), reached.end());
        const std::string want =
            offset < 0 || offset > capacity
                ? "as_strided: offset " + std::to_string(offset) + " is outside a buffer of " +
                      std::to_string(capacity) + " elements"
                : "as_strided: shape " + str(shape) + " with strides " + str(strides) + " and offset " +
                      std::to_string(offset) + " reaches element " + std::to_string(*low < 0 ? *low : *high) +
                      ", outside a buffer of " + std::to_string(capacity) + " elements";
        if (error.message() != want) {
          ADD_FAILURE() << case_text << ": message\n  " << error.message() << "\nexpected\n  " << want;
          ++failures;
        }
        ++out_of_bounds;
      }
      if (buffer.use_count() != 2U) {  // buffer and source
        ADD_FAILURE() << case_text << ": a failed as_strided changed the use_count to " << buffer.use_count();
        ++failures;
      }
    }
    if (!result) continue;
    ++successes;

    // The view reaches exactly the brute-force elements, in order.
    std::vector<Int> seen;
    bool order_ok = true;
    std::size_t k = 0;
    for_each_index(shape, [&](const Shape& index) {
      const std::int32_t value = result->at<std::int32_t>(index);
      order_ok = order_ok && value == reached[k++];
    });
    result->for_each<const std::int32_t>([&](const std::int32_t& value) { seen.push_back(value); });
    if (!order_ok || seen != reached || shape_of(*result) != shape || result->offset() != offset) {
      ADD_FAILURE() << case_text << ": the view reaches " << str(seen) << ", expected " << str(reached);
      ++failures;
    }
    // Two indices reaching one element: the view must be read-only (the converse is allowed to be conservative).
    const bool duplicates = has_duplicates(reached);
    if (duplicates) {
      ++aliasing;
      if (!result->is_read_only()) {
        ADD_FAILURE() << case_text << ": two indices reach the same element, yet the view is writable";
        ++failures;
      } else {
        EXPECT_TM_ERROR_HAS(result->fill(std::int32_t{0}), ErrorCode::kReadOnly, "read-only view");
      }
    } else if (result->is_read_only()) {
      ++conservative;
    }
    if (result->use_count() != 3U) {  // buffer, source and the view
      ADD_FAILURE() << case_text << ": use_count " << result->use_count() << ", expected 3";
      ++failures;
    }
  }
  EXPECT_EQ(storage.stats().live_buffers, 0U);
  EXPECT_GT(successes, kStridedCases / 5);
  EXPECT_GT(out_of_bounds, kStridedCases / 5);
  EXPECT_GT(aliasing, kStridedCases / 40);
  std::printf("[ strided  ] %d cases: %d views (%d aliasing, %d read-only without aliasing), %d OUT_OF_BOUNDS\n",
              kStridedCases, successes, aliasing, conservative, out_of_bounds);
}

}  // namespace
}  // namespace tensormem
