// The tensormem demo: two stories of wasm memory bugs (a tensor backend's views and
// pools, an app leaking a file per load), told by the runtime.
//
// 1. A buffer is shared by two owners; it lives until the last lets go.
// 2. A handle kept after its buffer was released is caught, even once the
//    memory and the slot have been reused by another buffer.
// 3. An app loads file after file: when it releases the previous
//    file's buffer, memory stays flat; when it forgets to, the limit stops it
//    with a readable error, and the app survives.
// 4. Compaction gives cached blocks back.
// 5. Views: reshape really reshapes and shares the buffer, a copy
//    is reported as one, bounds are checked, broadcast views refuse writes,
//    and a view never outlives its buffer's meaning.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tensormem/tensormem.hpp"

namespace {

using tensormem::BufferHandle;
using tensormem::Error;
using tensormem::SharedBuffer;
using tensormem::Slice;
using tensormem::Storage;
using tensormem::Tensor;

constexpr std::size_t kMiB = 1024 * 1024;

std::string mib(std::size_t bytes) { return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / kMiB); }

void show(const Storage& storage, const char* what) {
  const tensormem::Stats& s = storage.stats();
  fmt::print("  {:<40} in use {:>9}  cached {:>9}  reserved {:>9}  live {}  compactions {}\n", what,
             mib(s.bytes_in_use), mib(s.bytes_cached), mib(s.bytes_reserved), s.live_buffers, s.compactions);
}

void caught(const Error& error) { fmt::print("  caught {}: {}\n", error.code_name(), error.message()); }

void sharing(Storage& storage) {
  fmt::print("\n1. Sharing: a buffer lives while any owner does\n");
  SharedBuffer audio(storage, 2 * kMiB);
  auto samples = audio.bytes();
  std::memset(samples.data(), 0x2A, samples.size());
  show(storage, "allocated a 2 MiB buffer");
  SharedBuffer view = audio;  // a second owner, e.g. a view
  fmt::print("  a second owner shares it: use_count = {}\n", view.use_count());
  audio.reset();
  fmt::print("  first owner released; the view still reads byte 0 = 0x{:02X}, use_count = {}\n",
             std::to_integer<int>(view.bytes()[0]), view.use_count());
  view.reset();
  show(storage, "last owner released: block cached");
}

void stale_handles(Storage& storage) {
  fmt::print("\n2. Stale handles: caught every time, with index and generation\n");
  const BufferHandle old_handle = storage.allocate(1024);
  std::byte* old_memory = storage.data(old_handle);
  storage.release(old_handle);
  try {
    (void)storage.bytes(old_handle);
  } catch (const Error& error) {
    caught(error);
  }
  const BufferHandle reused = storage.allocate(1024);
  fmt::print("  a new buffer reuses slot #{} (now generation {}) and the same memory: {}\n", reused.index(),
             reused.generation(), storage.data(reused) == old_memory ? "yes" : "no");
  try {
    (void)storage.bytes(old_handle);
  } catch (const Error& error) {
    caught(error);
  }
  try {
    (void)storage.bytes(BufferHandle{4242, 1});  // forged
  } catch (const Error& error) {
    caught(error);
  }
  storage.release(reused);
}

void file_loads(Storage& storage) {
  fmt::print("\n3. Loading file after file\n");
  constexpr std::size_t kFileBytes = 3 * kMiB / 2;
  BufferHandle current{};
  for (int file = 1; file <= 5; ++file) {
    const BufferHandle next = storage.allocate(kFileBytes);
    std::memset(storage.data(next), file, kFileBytes);
    if (!current.is_null()) storage.release(current);  // the fix: free the previous file
    current = next;
    show(storage, fmt::format("file {} loaded, previous released", file).c_str());
  }
  storage.release(current);

  fmt::print("  now the bug: the previous file is never released\n");
  std::vector<BufferHandle> leaked;
  try {
    for (int file = 1; file <= 100; ++file) {
      leaked.push_back(storage.allocate(kFileBytes));
      show(storage, fmt::format("file {} loaded, nothing released", file).c_str());
    }
  } catch (const Error& error) {
    caught(error);
  }
  for (const BufferHandle& handle : leaked) storage.release(handle);
  const BufferHandle survived = storage.allocate(kFileBytes);
  show(storage, "leaks released; the next load succeeds");
  storage.release(survived);
}

void compaction(Storage& storage) {
  fmt::print("\n4. Compaction returns cached blocks to the allocator\n");
  show(storage, "before compact()");
  const std::size_t released = storage.compact();
  fmt::print("  compact() released {}\n", mib(released));
  show(storage, "after compact()");
}

std::string values(const Tensor& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  t.copy_to<float>(out);
  return fmt::format("{} {}", t.shape(), fmt::join(out, " "));
}

void views(Storage& storage) {
  fmt::print("\n5. Views: real, zero-copy where possible, checked\n");
  const std::vector<float> data{1, 2, 3, 4, 5, 6};
  const Tensor tensor = Tensor::from_data<float>(storage, {6}, data);
  const Tensor reshaped = tensor.reshape({2, 3});
  reshaped.set<float>({0, 0}, 999);
  fmt::print("  reshape([2, 3]) -> {}; shares the buffer: {}; the original now starts with {}\n", values(reshaped),
             reshaped.shares_storage(tensor) ? "yes" : "no", tensor.at<float>({0}));
  const Tensor flat = reshaped.transpose(0, 1).flatten();
  fmt::print("  transpose(0, 1).flatten() -> {}; shares the buffer: {} (strides cannot express it, so it copied)\n",
             values(flat), flat.shares_storage(tensor) ? "yes" : "no");
  fmt::print("  slice(step -2) -> {}\n", values(tensor.slice(0, Slice{{}, {}, -2})));
  try {
    (void)tensor.slice(0, Slice{0, 10});
  } catch (const Error& error) {
    caught(error);
  }
  const Tensor broadcast = tensor.narrow(0, 0, 3).unsqueeze(0).expand({2, 3});
  fmt::print("  expand([2, 3]) -> {}\n", values(broadcast));
  try {
    broadcast.set<float>({1, 0}, 0);
  } catch (const Error& error) {
    caught(error);
  }
  const BufferHandle buffer = tensor.buffer();
  const Tensor row = reshaped.select(0, 1);
  storage.release(buffer);  // a raw handle user releases a reference it does not own...
  while (storage.is_live(buffer)) storage.release(buffer);  // ...every one of them
  try {
    (void)row.at<float>({0});
  } catch (const Error& error) {
    caught(error);
  }
}

}  // namespace

int main() {
  try {
    fmt::print("tensormem {} demo ({})\n", TENSORMEM_VERSION_STRING,
#ifdef __EMSCRIPTEN__
               "WebAssembly"
#else
               "native"
#endif
    );
    Storage storage({.max_bytes = 8 * kMiB, .compact_threshold = 0.8});
    fmt::print("storage with max_bytes = {}, compact_threshold = 0.8\n", mib(storage.options().max_bytes));
    sharing(storage);
    stale_handles(storage);
    file_loads(storage);
    compaction(storage);
    {
      Storage view_storage;
      views(view_storage);
      // The views above were destroyed after their buffer: each counted a failed release.
      fmt::print("  tensors destroyed after their buffer: {} failed releases counted, {} live buffers\n",
                 view_storage.stats().failed_releases, view_storage.stats().live_buffers);
    }
    fmt::print("\nstats: {}\n", storage.stats().to_json());
    return storage.stats().live_buffers == 0 ? 0 : 1;
  } catch (const Error& error) {
    fmt::print(stderr, "unexpected {}: {}\n", error.code_name(), error.message());
    return 1;
  }
}
