#include "tensormem/history.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tensormem/storage.hpp"
#include "tensormem/version.hpp"
#include "test_support.hpp"

namespace tensormem {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// ---- a strict JSON reader (RFC 8259), enough to check snapshots -------------------------

class Json {
 public:
  // Whether `text` is exactly one valid JSON value, with only whitespace around it.
  static bool valid(std::string_view text) {
    Json json(text);
    json.space();
    if (!json.value()) return false;
    json.space();
    return json.pos_ == text.size();
  }

  // The raw text of each member of the top-level object (keys without escapes); empty if invalid.
  static std::map<std::string, std::string> members(std::string_view text) {
    std::map<std::string, std::string> out;
    if (!valid(text)) return out;
    Json json(text);
    json.space();
    ++json.pos_;  // {
    for (json.space(); json.text_[json.pos_] != '}';) {
      const std::size_t key_start = json.pos_ + 1;
      json.string();
      const std::string key(text.substr(key_start, json.pos_ - 1 - key_start));
      json.space();
      ++json.pos_;  // :
      json.space();
      const std::size_t value_start = json.pos_;
      json.value();
      out[key] = std::string(text.substr(value_start, json.pos_ - value_start));
      json.space();
      if (json.text_[json.pos_] == ',') ++json.pos_;
      json.space();
    }
    return out;
  }

 private:
  explicit Json(std::string_view text) : text_(text) {}

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool digits() {
    const std::size_t start = pos_;
    while (peek() >= '0' && peek() <= '9') ++pos_;
    return pos_ > start;
  }
  bool number() {
    eat('-');
    if (!eat('0') && !digits()) return false;
    if (eat('.') && !digits()) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    if (!eat('"')) return false;
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        const char e = peek();
        ++pos_;
        if (e == 'u') {
          for (int i = 0; i < 4; ++i, ++pos_) {
            if (std::strchr("0123456789abcdefABCDEF", peek()) == nullptr || peek() == '\0') return false;
          }
        } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
          return false;
        }
      }
    }
    return false;
  }
  bool list(char close, bool keyed) {
    space();
    if (eat(close)) return true;
    for (;;) {
      space();
      if (keyed) {
        if (!string()) return false;
        space();
        if (!eat(':')) return false;
        space();
      }
      if (!value()) return false;
      space();
      if (eat(close)) return true;
      if (!eat(',')) return false;
    }
  }
  bool value() {
    if (++depth_ > 64) return false;
    bool ok = false;
    switch (peek()) {
      case '{': ++pos_, ok = list('}', true); break;
      case '[': ++pos_, ok = list(']', false); break;
      case '"': ok = string(); break;
      case 't': ok = literal("true"); break;
      case 'f': ok = literal("false"); break;
      case 'n': ok = literal("null"); break;
      default: ok = number();
    }
    --depth_;
    return ok;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

TEST(HistoryJsonReader, AcceptsValidAndRejectsInvalidDocuments) {
  // The reader checks every snapshot below, so it must itself tell the two apart.
  for (const char* good : {R"({"a":[1,-2.5e3,true,false,null,"x\"\\\n\u00e9"],"b":{}})", "[]", " 0 ", R"("é")"}) {
    EXPECT_TRUE(Json::valid(good)) << good;
  }
  for (const char* bad : {R"({"a":1,})", "[1 2]", "{'a':1}", "01", R"("\x")", "\"tab\there\"", "[1]]", "", "nul",
                          R"({"a"})", "1.", "-", R"("\u12")"}) {
    EXPECT_FALSE(Json::valid(bad)) << bad;
  }
  const auto members = Json::members(R"({"a":[1,{"b":2}],"c":null})");
  EXPECT_EQ(members.at("a"), R"([1,{"b":2}])");
  EXPECT_EQ(members.at("c"), "null");
}

// ---- helpers --------------------------------------------------------------------------------

// A clock the test sets by hand (it must outlive the History).
struct FakeClock {
  std::uint64_t now = 0;
  History::Clock clock() {
    return [this] { return now; };
  }
};

// A clock that never moves, for tests about anything but time.
History::Clock still_clock() {
  return [] { return std::uint64_t{0}; };
}

// The snapshot, checked to be valid JSON, split into its top-level members.
std::map<std::string, std::string> snapshot_of(const Storage& storage) {
  const std::string json = storage.snapshot_json();
  EXPECT_TRUE(Json::valid(json)) << json;
  return Json::members(json);
}

// ---- snapshots of scripted sequences ------------------------------------------------------

TEST(History, SnapshotWithoutHistoryHoldsTheStateAndNoEvents) {
  Storage storage;
  const BufferHandle a = storage.allocate(1000);
  const BufferHandle b = storage.allocate(100);
  storage.retain(a);
  storage.release(b);  // cached: 128 bytes
  EXPECT_EQ(storage.snapshot_json(),
            R"({"format":"tensormem-snapshot","version":1,)"
            R"("producer":{"library":"tensormem","version":")" TENSORMEM_VERSION_STRING R"(","layer":"storage"},)"
            R"("stats":{"bytes_in_use":1024,"bytes_requested":1000,"bytes_cached":128,"bytes_reserved":1152,)"
            R"("peak_bytes_in_use":1152,"peak_bytes_reserved":1152,"max_bytes":null,"live_buffers":1,)"
            R"("allocations":2,"frees":1,"pool_hits":0,"pool_misses":2,"compactions":0,"bytes_released":0,)"
            R"("failed_allocations":0,"guard_violations":0,"failed_releases":0,)"
            R"("size_classes":[{"block_bytes":128,"in_use":0,"cached":1,"hits":0,"misses":1},)"
            R"({"block_bytes":1024,"in_use":1,"cached":0,"hits":0,"misses":1}],)"
            R"("large":{"block_bytes":0,"in_use":0,"cached":0,"hits":0,"misses":0}},)"
            R"("size_classes":[)"
            R"({"class":1,"block_bytes":128,"in_use_blocks":0,"in_use_bytes":0,"cached_blocks":1,"cached_bytes":128,)"
            R"("hits":0,"misses":1},)"
            R"({"class":15,"block_bytes":1024,"in_use_blocks":1,"in_use_bytes":1024,"cached_blocks":0,)"
            R"("cached_bytes":0,"hits":0,"misses":1}],)"
            R"("buffers":[{"index":0,"generation":1,"bytes":1000,"block_bytes":1024,"size_class":15,"refcount":2}],)"
            R"("strings":[],"history":null})");
  storage.release(a);
  storage.release(a);
}

TEST(History, RecordsAllocateRetainAndReleaseWithTimesAndTotals) {
  FakeClock clock{100};
  History history({.max_events = 16}, clock.clock());
  Storage storage;
  storage.attach_history(history);
  clock.now = 110;
  const BufferHandle a = storage.allocate(1000);  // a 1 KiB block
  clock.now = 120;
  const BufferHandle b = storage.allocate(100);  // a 128-byte block
  clock.now = 130;
  storage.retain(a);  // a view
  clock.now = 140;
  EXPECT_EQ(storage.release(a), 1U);
  clock.now = 150;
  EXPECT_EQ(storage.release(b), 0U);  // freed: its block is cached
  clock.now = 160;
  const auto snapshot = snapshot_of(storage);
  EXPECT_EQ(snapshot.at("buffers"),
            R"([{"index":0,"generation":1,"bytes":1000,"block_bytes":1024,"size_class":15,"refcount":1}])");
  EXPECT_EQ(snapshot.at("strings"), "[]");
  EXPECT_EQ(snapshot.at("history"),
            R"({"max_events":16,"recorded":5,"dropped":0,"dropped_strings":0,"now_ns":60,"events":[)"
            R"({"kind":"allocate","time_ns":10,"buffer":{"index":0,"generation":1},"bytes":1000,"block_bytes":1024,)"
            R"("refcount":1,"bytes_in_use":1024,"bytes_cached":0,"bytes_reserved":1024},)"
            R"({"kind":"allocate","time_ns":20,"buffer":{"index":1,"generation":1},"bytes":100,"block_bytes":128,)"
            R"("refcount":1,"bytes_in_use":1152,"bytes_cached":0,"bytes_reserved":1152},)"
            R"({"kind":"retain","time_ns":30,"buffer":{"index":0,"generation":1},"bytes":1000,"block_bytes":1024,)"
            R"("refcount":2,"bytes_in_use":1152,"bytes_cached":0,"bytes_reserved":1152},)"
            R"({"kind":"release","time_ns":40,"buffer":{"index":0,"generation":1},"bytes":1000,"block_bytes":1024,)"
            R"("refcount":1,"bytes_in_use":1152,"bytes_cached":0,"bytes_reserved":1152},)"
            R"({"kind":"release","time_ns":50,"buffer":{"index":1,"generation":1},"bytes":100,"block_bytes":128,)"
            R"("refcount":0,"bytes_in_use":1024,"bytes_cached":128,"bytes_reserved":1152}]})");
  EXPECT_EQ(storage.release(a), 0U);
}

TEST(History, RecordsACompactionWithTheBytesReleased) {
  FakeClock clock{0};
  History history({}, clock.clock());
  Storage storage;
  storage.release(storage.allocate(1000));  // before attaching: not recorded
  storage.attach_history(history);
  clock.now = 5;
  EXPECT_EQ(storage.compact(), 1024U);
  clock.now = 6;
  EXPECT_EQ(storage.compact(), 0U);  // nothing cached: nothing happened, nothing recorded
  EXPECT_EQ(snapshot_of(storage).at("history"),
            R"({"max_events":16384,"recorded":1,"dropped":0,"dropped_strings":0,"now_ns":6,"events":[)"
            R"({"kind":"compact","time_ns":5,"bytes":1024,"bytes_in_use":0,"bytes_cached":0,"bytes_reserved":0}]})");
}

TEST(History, RecordsTheCompactionBeforeALimitFailureAndTheFailureNumbers) {
  // The leaky loader: 1 MiB buffers until the limit stops the next, larger one.
  FakeClock clock{0};
  History history({}, clock.clock());
  Storage storage({.max_bytes = 4 * kMiB});
  storage.attach_history(history);
  const BufferHandle first = storage.allocate(kMiB);
  const BufferHandle second = storage.allocate(kMiB);
  const BufferHandle third = storage.allocate(kMiB);
  storage.release(third);  // cached
  clock.now = 50;
  EXPECT_TM_ERROR((void)storage.allocate(3 * kMiB), ErrorCode::kMemoryLimit,
                  "Memory limit exceeded: requested 3145728 bytes (block of 3145728), 2097152 bytes in use, 0 bytes "
                  "cached, limit 4194304 bytes");
  ASSERT_EQ(history.size(), 6U);
  const std::string events = snapshot_of(storage).at("history");
  const std::string expected_tail =
      R"({"kind":"compact","time_ns":50,"bytes":1048576,"bytes_in_use":2097152,"bytes_cached":0,)"
      R"("bytes_reserved":2097152},)"
      R"({"kind":"limit_failure","time_ns":50,"bytes":3145728,"block_bytes":3145728,"limit_bytes":4194304,)"
      R"("bytes_in_use":2097152,"bytes_cached":0,"bytes_reserved":2097152}]})";
  ASSERT_GE(events.size(), expected_tail.size());
  EXPECT_EQ(events.substr(events.size() - expected_tail.size()), expected_tail) << events;
  // The failure changed nothing else: the storage goes on.
  EXPECT_EQ(storage.stats().live_buffers, 2U);
  storage.release(first);
  storage.release(second);
}

TEST(History, RecordsTheAutomaticCompactionBeforeASuccessfulAllocation) {
  FakeClock clock{0};
  History history({}, clock.clock());
  Storage storage({.max_bytes = 10 * kMiB});  // auto-compaction at 8 MiB
  const BufferHandle kept = storage.allocate(4 * kMiB);
  storage.release(storage.allocate(3 * kMiB));  // 3 MiB cached
  storage.attach_history(history);
  const BufferHandle big = storage.allocate(2 * kMiB);  // 4 + 3 + 2 > 8: compacts, then reserves
  EXPECT_EQ(snapshot_of(storage).at("history"),
            R"({"max_events":16384,"recorded":2,"dropped":0,"dropped_strings":0,"now_ns":0,"events":[)"
            R"({"kind":"compact","time_ns":0,"bytes":3145728,"bytes_in_use":4194304,"bytes_cached":0,)"
            R"("bytes_reserved":4194304},)"
            R"({"kind":"allocate","time_ns":0,"buffer":{"index":1,"generation":3},"bytes":2097152,)"
            R"("block_bytes":2097152,"refcount":1,"bytes_in_use":6291456,"bytes_cached":0,"bytes_reserved":6291456}]})");
  storage.release(big);
  storage.release(kept);
}

TEST(History, RecordsAnOutOfMemoryFailureWithNoBlockForAnImpossibleSize) {
  History history({}, still_clock());
  Storage storage;
  storage.attach_history(history);
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  EXPECT_TM_ERROR_HAS((void)storage.allocate(huge), ErrorCode::kOutOfMemory, "Out of memory: requested");
  ASSERT_EQ(history.size(), 1U);
  const HistoryEvent& failure = history.event(0);
  EXPECT_EQ(failure.kind, EventKind::kOutOfMemory);
  EXPECT_EQ(failure.bytes, huge);
  EXPECT_EQ(failure.block_bytes, 0U);  // no block that large can exist
  EXPECT_EQ(failure.limit_bytes, kUnlimited);
  EXPECT_EQ(Json::members(storage.snapshot_json()).at("history"),
            fmt::format(R"({{"max_events":16384,"recorded":1,"dropped":0,"dropped_strings":0,"now_ns":0,"events":[)"
                        R"({{"kind":"out_of_memory","time_ns":0,"bytes":{},"block_bytes":0,"limit_bytes":null,)"
                        R"("bytes_in_use":0,"bytes_cached":0,"bytes_reserved":0}}]}})",
                        huge));
}

TEST(History, TheRingKeepsTheNewestEventsAndCountsTheDropped) {
  FakeClock clock{0};
  History history({.max_events = 3}, clock.clock());
  Storage storage;
  storage.attach_history(history);
  const BufferHandle x = storage.allocate(64);  // t=0
  clock.now = 1;
  const BufferHandle y = storage.allocate(64);
  clock.now = 2;
  storage.release(x);
  clock.now = 3;
  storage.release(y);
  clock.now = 4;
  const BufferHandle z = storage.allocate(64);  // reuses y's slot (the free list is LIFO) and its block
  EXPECT_EQ(history.recorded(), 5U);
  EXPECT_EQ(history.dropped(), 2U);
  ASSERT_EQ(history.size(), 3U);
  EXPECT_EQ(history.event(0).time_ns, 2U);
  EXPECT_EQ(history.event(2).time_ns, 4U);
  EXPECT_EQ(snapshot_of(storage).at("history"),
            R"({"max_events":3,"recorded":5,"dropped":2,"dropped_strings":0,"now_ns":4,"events":[)"
            R"({"kind":"release","time_ns":2,"buffer":{"index":0,"generation":1},"bytes":64,"block_bytes":64,)"
            R"("refcount":0,"bytes_in_use":64,"bytes_cached":64,"bytes_reserved":128},)"
            R"({"kind":"release","time_ns":3,"buffer":{"index":1,"generation":1},"bytes":64,"block_bytes":64,)"
            R"("refcount":0,"bytes_in_use":0,"bytes_cached":128,"bytes_reserved":128},)"
            R"({"kind":"allocate","time_ns":4,"buffer":{"index":1,"generation":3},"bytes":64,"block_bytes":64,)"
            R"("refcount":1,"bytes_in_use":64,"bytes_cached":64,"bytes_reserved":128}]})");
  EXPECT_TM_ERROR((void)history.event(3), ErrorCode::kOutOfBounds,
                  "history event 3 is out of bounds: the history holds 3 events");
  storage.release(z);
}

TEST(History, HigherLayersRecordObjectsKernelsHeapGrowthAndReclaims) {
  FakeClock clock{1000};
  History history({}, clock.clock());
  Storage storage;
  storage.attach_history(history);
  const std::uint32_t site = history.intern("at loadFile (app.mjs:12:5)");
  const std::uint32_t matmul = history.intern("matmul");
  const BufferHandle audio = storage.allocate(4000);
  clock.now = 1010;
  storage.record({.kind = EventKind::kHeapGrowth, .bytes = 65536, .heap_bytes = 16842752});
  storage.record({.kind = EventKind::kObjectCreated, .owner_kind = OwnerKind::kTensor, .dtype = DType::kFloat32,
                  .label = site, .bytes = 4000, .owner = 4294967297, .buffer = audio, .shape = Dims{}});
  clock.now = 1020;
  storage.record({.kind = EventKind::kKernelCall, .label = matmul, .bytes_added = -4096});
  storage.record({.kind = EventKind::kReclaimed, .owner_kind = OwnerKind::kView, .label = site, .bytes = 4000,
                  .owner = 8589934593, .buffer = audio});
  storage.record({.kind = EventKind::kObjectDisposed, .owner_kind = OwnerKind::kData, .owner = 3});
  HistoryEvent shaped{.kind = EventKind::kObjectCreated, .owner_kind = OwnerKind::kKernelOutput,
                      .dtype = DType::kInt32, .bytes = 4000, .owner = 5, .buffer = audio};
  shaped.shape.push_back(10);
  shaped.shape.push_back(100);
  storage.record(shaped);
  const auto snapshot = snapshot_of(storage);
  EXPECT_EQ(snapshot.at("strings"), R"json(["at loadFile (app.mjs:12:5)","matmul"])json");
  const std::string events = snapshot.at("history");
  const std::string after_allocate = events.substr(events.find("},{\"kind\":\"heap_growth\"") + 2);
  EXPECT_EQ(after_allocate,
            R"({"kind":"heap_growth","time_ns":10,"bytes":65536,"heap_bytes":16842752,)"
            R"("bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096},)"
            R"({"kind":"object_created","time_ns":10,"owner":{"id":4294967297,"kind":"tensor"},)"
            R"("buffer":{"index":0,"generation":1},"bytes":4000,"dtype":"float32","shape":[],"site":0,)"
            R"("bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096},)"
            R"({"kind":"kernel_call","time_ns":20,"name":1,"bytes_added":-4096,)"
            R"("bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096},)"
            R"({"kind":"reclaimed","time_ns":20,"owner":{"id":8589934593,"kind":"view"},)"
            R"("buffer":{"index":0,"generation":1},"bytes":4000,"site":0,)"
            R"("bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096},)"
            R"({"kind":"object_disposed","time_ns":20,"owner":{"id":3,"kind":"data"},"buffer":null,"bytes":0,)"
            R"("dtype":null,"shape":null,"site":null,"bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096},)"
            R"({"kind":"object_created","time_ns":20,"owner":{"id":5,"kind":"kernel_output"},)"
            R"("buffer":{"index":0,"generation":1},"bytes":4000,"dtype":"int32","shape":[10,100],"site":null,)"
            R"("bytes_in_use":4096,"bytes_cached":0,"bytes_reserved":4096}]})");
  storage.release(audio);
}

TEST(History, RecordRefusesTheKindsTheStorageRecordsItself) {
  History history({}, still_clock());
  Storage storage;
  storage.attach_history(history);
  EXPECT_TM_ERROR(storage.record({.kind = EventKind::kAllocate}), ErrorCode::kInvalidArgument,
                  "allocate events are recorded by the storage itself, not through record()");
  EXPECT_TM_ERROR(storage.record({.kind = EventKind::kOutOfMemory}), ErrorCode::kInvalidArgument,
                  "out_of_memory events are recorded by the storage itself, not through record()");
  EXPECT_EQ(history.recorded(), 0U);
  Storage unrecorded;
  unrecorded.record({.kind = EventKind::kHeapGrowth, .bytes = 1});  // no history: nothing, no error
}

TEST(History, AReleaseWithAGuardOverrunIsRecordedAsAFree) {
  History history({}, still_clock());
  Storage storage({.debug = true});
  storage.attach_history(history);
  const BufferHandle handle = storage.allocate(10);  // 10 + 16 guard bytes: a 64-byte block
  storage.data(handle)[10] = std::byte{1};
  EXPECT_TM_ERROR(storage.release(handle), ErrorCode::kOutOfBounds,
                  "buffer #0 (generation 1) was written past its end: guard byte at offset 10 of a 10-byte buffer "
                  "was overwritten (detected on release)");
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history.event(1).kind, EventKind::kRelease);
  EXPECT_EQ(history.event(1).refcount, 0U);
  EXPECT_EQ(history.event(1).block_bytes, 64U);
  EXPECT_EQ(history.event(1).bytes_in_use, 0U);
  EXPECT_FALSE(storage.is_live(handle));
}

TEST(History, FailedRetainsAndReleasesRecordNothing) {
  History history({}, still_clock());
  Storage storage;
  storage.attach_history(history);
  const BufferHandle handle = storage.allocate(64);
  storage.release(handle);
  EXPECT_TM_ERROR(storage.release(handle), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 2");
  EXPECT_TM_ERROR(storage.retain(handle), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 2");
  storage.release_noexcept(handle);  // counted as a failed release, not recorded
  EXPECT_EQ(history.recorded(), 2U);
  EXPECT_EQ(storage.stats().failed_releases, 1U);
  EXPECT_EQ(storage.history(), &history);  // still recording after the errors
  const BufferHandle next = storage.allocate(64);
  storage.release_noexcept(next);
  EXPECT_EQ(history.recorded(), 4U);
  EXPECT_EQ(history.event(3).kind, EventKind::kRelease);
}

TEST(History, BuffersFromBeforeAttachingAreInTheStateButHaveNoEvents) {
  History history({}, still_clock());
  Storage storage;
  const BufferHandle old = storage.allocate(2 * kMiB);  // a large block
  storage.attach_history(history);
  const auto snapshot = snapshot_of(storage);
  EXPECT_EQ(snapshot.at("buffers"),
            R"([{"index":0,"generation":1,"bytes":2097152,"block_bytes":2097152,"size_class":"large","refcount":1}])");
  EXPECT_EQ(snapshot.at("size_classes"),
            R"([{"class":"large","block_bytes":null,"in_use_blocks":1,"in_use_bytes":2097152,"cached_blocks":0,)"
            R"("cached_bytes":0,"hits":0,"misses":1}])");
  EXPECT_EQ(history.recorded(), 0U);
  storage.release(old);
  EXPECT_EQ(history.event(0).kind, EventKind::kRelease);
}

TEST(History, LargeCachedBytesAreWhatTheSmallClassesDoNotHold) {
  Storage storage;
  storage.release(storage.allocate(2 * kMiB));
  storage.release(storage.allocate(100));
  const BufferHandle kept = storage.allocate(3 * kMiB);
  EXPECT_EQ(snapshot_of(storage).at("size_classes"),
            R"([{"class":1,"block_bytes":128,"in_use_blocks":0,"in_use_bytes":0,"cached_blocks":1,"cached_bytes":128,)"
            R"("hits":0,"misses":1},)"
            R"({"class":"large","block_bytes":null,"in_use_blocks":1,"in_use_bytes":3145728,"cached_blocks":1,)"
            R"("cached_bytes":2097152,"hits":0,"misses":2}])");
  storage.release(kept);
}

// ---- texts ----------------------------------------------------------------------------------

TEST(History, InternKeepsEachTextOnceWithinItsBounds) {
  History history({.max_strings = 2, .max_string_bytes = 10}, still_clock());
  EXPECT_EQ(history.intern("conv"), 0U);
  EXPECT_EQ(history.intern("conv"), 0U);
  EXPECT_EQ(history.intern("too long a text"), History::kNoString);  // past max_string_bytes
  EXPECT_EQ(history.intern("matmul"), 1U);
  EXPECT_EQ(history.intern("relu"), History::kNoString);  // past max_strings
  EXPECT_EQ(history.intern("matmul"), 1U);               // known texts still resolve
  EXPECT_EQ(history.string_count(), 2U);
  EXPECT_EQ(history.dropped_strings(), 2U);
  EXPECT_EQ(history.text(1), "matmul");
  EXPECT_EQ(history.text(2), "");
  EXPECT_EQ(history.text(History::kNoString), "");
}

TEST(History, TextsAreEscapedIntoValidJson) {
  History history({}, still_clock());
  Storage storage;
  storage.attach_history(history);
  history.intern("say \"hi\"\\ now\n\tat f (a.mjs:1)\r\x01");
  history.intern("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");  // valid UTF-8 stays as it is
  history.intern("bad \xFF, cut \xE2\x82, overlong \xC0\xAF, surrogate \xED\xA0\x80");
  const std::string json = storage.snapshot_json();
  EXPECT_TRUE(Json::valid(json)) << json;
  EXPECT_EQ(Json::members(json).at("strings"),
            "[\"say \\\"hi\\\"\\\\ now\\n\\tat f (a.mjs:1)\\r\\u0001\","
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\","
            "\"bad \\ufffd, cut \\ufffd\\ufffd, overlong \\ufffd\\ufffd, surrogate \\ufffd\\ufffd\\ufffd\"]");
}

// ---- attaching, detaching, lifetimes ----------------------------------------------------------

TEST(History, OneHistoryRecordsOneStorageAtATime) {
  History first({}, still_clock());
  History second({}, still_clock());
  Storage storage;
  Storage other;
  storage.attach_history(first);
  EXPECT_TM_ERROR(storage.attach_history(second), ErrorCode::kInvalidArgument,
                  "the storage already records into a history; detach it first");
  EXPECT_TM_ERROR(storage.attach_history(first), ErrorCode::kInvalidArgument,
                  "the storage already records into a history; detach it first");
  EXPECT_TM_ERROR(other.attach_history(first), ErrorCode::kInvalidArgument,
                  "the history already records another storage; detach it first");
  EXPECT_TRUE(first.is_attached());
  EXPECT_FALSE(second.is_attached());
  storage.detach_history();
  EXPECT_FALSE(first.is_attached());
  other.attach_history(first);  // free again
  EXPECT_EQ(other.history(), &first);
}

TEST(History, DetachingStopsRecording) {
  History history({}, still_clock());
  Storage storage;
  storage.attach_history(history);
  storage.release(storage.allocate(64));
  storage.detach_history();
  storage.detach_history();  // twice is fine
  storage.release(storage.allocate(64));
  EXPECT_EQ(history.recorded(), 2U);
  EXPECT_EQ(storage.history(), nullptr);
  EXPECT_EQ(Json::members(storage.snapshot_json()).at("history"), "null");
}

TEST(History, DestroyingEitherSideDetachesTheOther) {
  Storage storage;
  {
    History history({}, still_clock());
    storage.attach_history(history);
  }
  EXPECT_EQ(storage.history(), nullptr);
  storage.release(storage.allocate(64));  // no dangling history

  History history({}, still_clock());
  {
    auto doomed = std::make_unique<Storage>();
    doomed->attach_history(history);
    (void)doomed->allocate(64);  // still live when the storage goes: its destructor records nothing
  }
  EXPECT_FALSE(history.is_attached());
  EXPECT_EQ(history.recorded(), 1U);
  Storage next;
  next.attach_history(history);  // and it can record another storage
}

TEST(History, OptionsAreChecked) {
  EXPECT_TM_ERROR(History({.max_events = 0}), ErrorCode::kInvalidArgument,
                  "history max_events must be at least 1, got 0");
  EXPECT_TM_ERROR(History({}, History::Clock{}), ErrorCode::kInvalidArgument, "history clock is empty");
  EXPECT_TM_ERROR(History({.max_strings = History::kNoString}), ErrorCode::kInvalidArgument,
                  "history max_strings must be below 4294967295, got 4294967295");
  EXPECT_TM_ERROR_HAS(History({.max_events = std::numeric_limits<std::size_t>::max() / 2}), ErrorCode::kOutOfMemory,
                      "could not reserve a history of ");
}

TEST(History, TheDefaultClockIsMonotonic) {
  History history;
  Storage storage;
  storage.attach_history(history);
  storage.release(storage.allocate(64));
  ASSERT_EQ(history.size(), 2U);
  EXPECT_LE(history.event(0).time_ns, history.event(1).time_ns);
  EXPECT_LE(history.event(1).time_ns, history.now_ns());
}

}  // namespace
}  // namespace tensormem
