// The history ring and its texts, Storage's recording paths, and the snapshot.
#include "tensormem/history.hpp"

#include <ctime>
#include <exception>
#include <new>
#include <utility>


#include "tensormem/error.hpp"
#include "tensormem/options.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/version.hpp"

namespace tensormem {

// ---- History ----------------------------------------------------------------------

// CLOCK_MONOTONIC directly: libc++'s steady_clock::now() reports a failed read
// with a std::system_error, which carries libc's table of error texts and its
// printf into every wasm module. A failed read here is 0 (the history's start).
std::uint64_t History::steady_clock_ns() noexcept {
  timespec now{};
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 0;
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(now.tv_nsec);
}

History::History(HistoryOptions options, Clock clock) : options_(options), clock_(std::move(clock)) {
  if (options.max_events == 0) detail::raise(ErrorCode::kInvalidArgument, "history max_events must be at least 1, got 0");
  if (options.max_strings >= kNoString) {
    detail::raise(ErrorCode::kInvalidArgument, "history max_strings must be below {}, got {}", kNoString,
                  options.max_strings);
  }
  if (!clock_) detail::raise(ErrorCode::kInvalidArgument, "history clock is empty");
  try {
    ring_.reserve(options.max_events);
  } catch (const std::exception&) {  // bad_alloc, or length_error past max_size()
    detail::raise(ErrorCode::kOutOfMemory, "could not reserve a history of {} events of {} bytes each",
                  options.max_events, sizeof(HistoryEvent));
  }
  start_ns_ = clock_();
}

History::~History() {
  if (storage_ != nullptr) storage_->detach_history();
}

std::uint64_t History::now_ns() const {
  const std::uint64_t now = clock_();
  return now > start_ns_ ? now - start_ns_ : 0;  // a clock that steps back reads as the start
}

// Filled in place: a 168-byte event copied through the stack costs more than
// the rest of recording (its fields are stored narrow and reloaded wide).
HistoryEvent& History::next_event() noexcept {
  HistoryEvent* slot = nullptr;
  if (ring_.size() < options_.max_events) {
    slot = &ring_.emplace_back();  // within the capacity reserved by the constructor: never allocates
  } else {
    slot = &ring_[oldest_];
    *slot = HistoryEvent{};
    if (++oldest_ == ring_.size()) oldest_ = 0;
  }
  ++recorded_;
  slot->time_ns = now_ns();
  return *slot;
}

const HistoryEvent& History::event(std::size_t i) const {
  if (i >= ring_.size()) {
    detail::raise(ErrorCode::kOutOfBounds, "history event {} is out of bounds: the history holds {} event{}", i,
                  ring_.size(), ring_.size() == 1 ? "" : "s");
  }
  return ring_[(oldest_ + i) % ring_.size()];
}

std::uint32_t History::intern(std::string_view text) {
  try {
    std::string key(text);
    if (const auto found = ids_.find(key); found != ids_.end()) return found->second;
    if (strings_.size() >= options_.max_strings || text.size() > options_.max_string_bytes - string_bytes_) {
      ++dropped_strings_;
      return kNoString;
    }
    strings_.reserve(strings_.size() + 1);  // first: the push_back below cannot fail after the map took the key
    const auto id = static_cast<std::uint32_t>(strings_.size());
    const auto inserted = ids_.emplace(std::move(key), id).first;
    strings_.push_back(&inserted->first);
    string_bytes_ += text.size();
    return id;
  } catch (const std::bad_alloc&) {
    detail::raise(ErrorCode::kOutOfMemory, "could not keep a text of {} bytes in the history", text.size());
  }
}

std::string_view History::text(std::uint32_t id) const noexcept {
  return id < strings_.size() ? std::string_view(*strings_[id]) : std::string_view();
}

// ---- Storage: attaching and recording ---------------------------------------------------

// Clears history_ while a plain hot path runs, so that it records nothing itself.
class Storage::Paused {
 public:
  explicit Paused(Storage& storage) noexcept : storage_(storage), history_(std::exchange(storage.history_, nullptr)) {}
  ~Paused() { resume(); }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
  void resume() noexcept {
    if (history_ != nullptr) storage_.history_ = std::exchange(history_, nullptr);
  }

 private:
  Storage& storage_;
  History* history_;
};

void Storage::attach_history(History& history) {
  if (history_ != nullptr) {
    detail::raise(ErrorCode::kInvalidArgument, "the storage already records into a history; detach it first");
  }
  if (history.storage_ != nullptr) {
    detail::raise(ErrorCode::kInvalidArgument, "the history already records another storage; detach it first");
  }
  history_ = &history;
  history.storage_ = this;
}

void Storage::detach_history() noexcept {
  if (history_ == nullptr) return;
  history_->storage_ = nullptr;
  history_ = nullptr;
}

namespace {

// A new event of `kind` in `history`, with the pool's totals after it.
HistoryEvent& new_event(History& history, EventKind kind, std::size_t bytes_in_use,
                        std::size_t bytes_reserved) noexcept {
  HistoryEvent& event = history.next_event();
  event.kind = kind;
  event.bytes_in_use = bytes_in_use;
  event.bytes_reserved = bytes_reserved;
  return event;
}

HistoryEvent& new_event(History& history, EventKind kind, const Pool& pool) noexcept {
  return new_event(history, kind, pool.bytes_in_use(), pool.bytes_reserved());
}

}  // namespace

void Storage::record(HistoryEvent event) {
  if (event.kind < EventKind::kHeapGrowth) {
    detail::raise(ErrorCode::kInvalidArgument, "{} events are recorded by the storage itself, not through record()",
                  to_string(event.kind));
  }
  if (history_ == nullptr) return;
  HistoryEvent& slot = history_->next_event();
  event.time_ns = slot.time_ns;
  event.bytes_in_use = pool_.bytes_in_use();
  event.bytes_reserved = pool_.bytes_reserved();
  slot = event;
}

void Storage::record_compaction(std::size_t released) noexcept {
  new_event(*history_, EventKind::kCompact, pool_).bytes = released;
}

BufferHandle Storage::allocate_recorded(std::size_t bytes) {
  // The pool compacts on its own before it reserves a block past the
  // threshold or the limit; the event gets the totals between the two.
  const std::size_t released_before = pool_.bytes_released();
  const auto record_pool_compaction = [&](std::size_t reserved_since) {
    if (pool_.bytes_released() == released_before) return;
    new_event(*history_, EventKind::kCompact, pool_.bytes_in_use() - reserved_since,
              pool_.bytes_reserved() - reserved_since)
        .bytes = pool_.bytes_released() - released_before;
  };
  Paused paused(*this);
  try {
    const BufferHandle handle = allocate(bytes);
    paused.resume();
    const BufferRecord& made = buffers_.get(handle);
    record_pool_compaction(made.capacity);  // it compacted, so the block is a new one
    HistoryEvent& event = new_event(*history_, EventKind::kAllocate, pool_);
    event.refcount = 1;
    event.bytes = bytes;
    event.block_bytes = made.capacity;
    event.buffer = handle;
    return handle;
  } catch (const Error& error) {
    paused.resume();
    record_pool_compaction(0);  // a failure changes nothing else
    HistoryEvent& event = new_event(
        *history_, error.code() == ErrorCode::kMemoryLimit ? EventKind::kLimitFailure : EventKind::kOutOfMemory, pool_);
    event.bytes = bytes;
    event.block_bytes = pool_.block_bytes_for(bytes);
    event.limit_bytes = options().max_bytes;
    throw;
  }
}

void Storage::retain_recorded(BufferHandle handle) {
  {
    Paused paused(*this);
    retain(handle);  // a bad handle throws here, and nothing is recorded
  }
  const BufferRecord& kept = buffers_.get(handle);
  HistoryEvent& event = new_event(*history_, EventKind::kRetain, pool_);
  event.refcount = kept.refcount;
  event.bytes = kept.size;
  event.block_bytes = kept.capacity;
  event.buffer = handle;
}

std::uint32_t Storage::release_recorded(BufferHandle handle) {
  Paused paused(*this);
  const BufferRecord* found = buffers_.find(handle);
  if (found == nullptr) return release(handle);  // throws DISPOSED / INVALID_ARGUMENT; nothing is recorded
  const std::size_t size = found->size;
  const std::size_t capacity = found->capacity;
  const auto record_release = [&](std::uint32_t left) {
    paused.resume();
    HistoryEvent& event = new_event(*history_, EventKind::kRelease, pool_);
    event.refcount = left;
    event.bytes = size;
    event.block_bytes = capacity;
    event.buffer = handle;
  };
  std::uint32_t left = 0;
  try {
    left = release(handle);
  } catch (const Error&) {  // OUT_OF_BOUNDS in debug mode: an overrun, found after the buffer was freed
    record_release(0);
    throw;
  }
  record_release(left);
  return left;
}

// ---- the snapshot -------------------------------------------------------------------

namespace {

using Out = std::string;

// The length of the valid UTF-8 sequence at text[i] (a byte >= 0x80), or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t n = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;  // the range of the byte after the lead
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = i + 2; k < i + n; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return n;
}

// A JSON string: quotes, backslashes and control characters escaped; bytes
// that are not valid UTF-8 become U+FFFD, so that the document stays valid.
void append_string(Out& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out.append(std::string_view("\\n")); break;
        case '\r': out.append(std::string_view("\\r")); break;
        case '\t': out.append(std::string_view("\\t")); break;
        default: detail::format_to(out, "\\u{:04x}", c);
      }
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (const std::size_t n = utf8_length(text, i); n != 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out.append(std::string_view("\\ufffd"));
      ++i;
    }
  }
  out.push_back('"');
}

void append_bytes_or_null(Out& out, const char* name, std::uint64_t bytes) {
  if (bytes == kUnlimited) {
    detail::format_to(out, R"(,"{}":null)", name);
  } else {
    detail::format_to(out, R"(,"{}":{})", name, bytes);
  }
}

void append_event(Out& out, const HistoryEvent& e, std::size_t string_count) {
  detail::format_to(out, R"({{"kind":"{}","time_ns":{})", to_string(e.kind), e.time_ns);
  const auto buffer = [&] {
    if (e.buffer.is_null()) {
      detail::format_to(out, R"(,"buffer":null)");
    } else {
      detail::format_to(out, R"(,"buffer":{{"index":{},"generation":{}}})", e.buffer.index(), e.buffer.generation());
    }
  };
  const auto owner = [&] { detail::format_to(out, R"(,"owner":{{"id":{},"kind":"{}"}})", e.owner, to_string(e.owner_kind)); };
  const auto label = [&](const char* name) {
    if (e.label < string_count) {
      detail::format_to(out, R"(,"{}":{})", name, e.label);
    } else {
      detail::format_to(out, R"(,"{}":null)", name);
    }
  };
  const auto bytes = [&] { detail::format_to(out, R"(,"bytes":{})", e.bytes); };
  switch (e.kind) {
    case EventKind::kAllocate:
    case EventKind::kRetain:
    case EventKind::kRelease:
      buffer();
      bytes();
      detail::format_to(out, R"(,"block_bytes":{},"refcount":{})", e.block_bytes, e.refcount);
      break;
    case EventKind::kCompact:
      bytes();
      break;
    case EventKind::kLimitFailure:
    case EventKind::kOutOfMemory:
      bytes();
      detail::format_to(out, R"(,"block_bytes":{})", e.block_bytes);
      append_bytes_or_null(out, "limit_bytes", e.limit_bytes);
      break;
    case EventKind::kHeapGrowth:
      bytes();
      detail::format_to(out, R"(,"heap_bytes":{})", e.heap_bytes);
      break;
    case EventKind::kReclaimed:
      owner();
      buffer();
      bytes();
      label("site");
      break;
    case EventKind::kKernelCall:
      label("name");
      detail::format_to(out, R"(,"bytes_added":{})", e.bytes_added);
      break;
    case EventKind::kObjectCreated:
    case EventKind::kObjectDisposed:
      owner();
      buffer();
      bytes();
      if (e.dtype.has_value()) {
        detail::format_to(out, R"(,"dtype":"{}","shape":[)", to_string(*e.dtype));
        for (const std::int64_t extent : e.shape.list()) {
          if (out.back() != '[') out.push_back(',');
          detail::format_to(out, "{}", extent);
        }
        out.push_back(']');
      } else {
        detail::format_to(out, R"(,"dtype":null,"shape":null)");
      }
      label("site");
      break;
  }
  detail::format_to(out, R"(,"bytes_in_use":{},"bytes_cached":{},"bytes_reserved":{}}})", e.bytes_in_use,
                    e.bytes_reserved - e.bytes_in_use, e.bytes_reserved);
}

void append_size_class(Out& out, const SizeClassStats& c, std::size_t in_use_bytes, std::size_t cached_bytes) {
  detail::format_to(out,
                    R"("in_use_blocks":{},"in_use_bytes":{},"cached_blocks":{},"cached_bytes":{},"hits":{},"misses":{}}})",
                    c.in_use, in_use_bytes, c.cached, cached_bytes, c.hits, c.misses);
}

}  // namespace

std::string Storage::snapshot_json() const {
  Out out;
  const Stats stats = this->stats();
  detail::format_to(out,
                    R"({{"format":"tensormem-snapshot","version":{},)"
                    R"("producer":{{"library":"tensormem","version":"{}","layer":"storage"}},"stats":{})",
                    kSnapshotFormatVersion, TENSORMEM_VERSION_STRING, stats.to_json());

  // Size classes with bytes. Large blocks vary in size: their bytes in use are
  // summed over the live buffers, and their cached bytes are what the small
  // classes do not account for.
  detail::format_to(out, R"(,"size_classes":[)");
  std::size_t small_cached_bytes = 0;
  bool first = true;
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    const SizeClassStats& counts = stats.size_classes[c];
    small_cached_bytes += counts.cached * counts.block_bytes;
    if (counts.in_use + counts.cached + counts.hits + counts.misses == 0) continue;
    detail::format_to(out, R"({}{{"class":{},"block_bytes":{},)", first ? "" : ",", c, counts.block_bytes);
    append_size_class(out, counts, counts.in_use * counts.block_bytes, counts.cached * counts.block_bytes);
    first = false;
  }
  if (const SizeClassStats& large = stats.large; large.in_use + large.cached + large.hits + large.misses != 0) {
    std::size_t large_in_use_bytes = 0;
    for_each_buffer([&](BufferHandle, const BufferRecord& record) {
      if (record.size_class == kLargeSizeClass) large_in_use_bytes += record.capacity;
    });
    detail::format_to(out, R"({}{{"class":"large","block_bytes":null,)", first ? "" : ",");
    append_size_class(out, large, large_in_use_bytes, stats.bytes_cached - small_cached_bytes);
  }

  detail::format_to(out, R"(],"buffers":[)");
  first = true;
  for_each_buffer([&](BufferHandle handle, const BufferRecord& record) {
    detail::format_to(out, R"({}{{"index":{},"generation":{},"bytes":{},"block_bytes":{},"size_class":)", first ? "" : ",",
                      handle.index(), handle.generation(), record.size, record.capacity);
    if (record.size_class == kLargeSizeClass) {
      detail::format_to(out, R"("large")");
    } else {
      detail::format_to(out, "{}", record.size_class);
    }
    detail::format_to(out, R"(,"refcount":{}}})", record.refcount);
    first = false;
  });

  detail::format_to(out, R"(],"strings":[)");
  if (history_ != nullptr) {
    for (std::size_t id = 0; id < history_->string_count(); ++id) {
      if (id != 0) out.push_back(',');
      append_string(out, history_->text(static_cast<std::uint32_t>(id)));
    }
  }
  detail::format_to(out, R"(],"history":)");
  if (history_ == nullptr) {
    detail::format_to(out, "null}}");
    return out;
  }
  const History& history = *history_;
  detail::format_to(out, R"({{"max_events":{},"recorded":{},"dropped":{},"dropped_strings":{},"now_ns":{},"events":[)",
                    history.options().max_events, history.recorded(), history.dropped(), history.dropped_strings(),
                    history.now_ns());
  first = true;
  history.for_each_event([&](const HistoryEvent& event) {
    if (!first) out.push_back(',');
    append_event(out, event, history.string_count());
    first = false;
  });
  detail::format_to(out, "]}}}}");
  return out;
}

}  // namespace tensormem
