#include "tensormem/handle_table.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

struct Thing {
  static constexpr const char* kNoun = "thing";
  int value = 0;
};

TEST(HandleTable, IssuesOddGenerationsAndResolvesLiveHandles) {
  HandleTable<Thing> table;
  table.reserve_one();
  const Handle a = table.insert({7});
  table.reserve_one();
  const Handle b = table.insert({8});
  EXPECT_EQ(a, (Handle{0, 1}));
  EXPECT_EQ(b, (Handle{1, 1}));
  EXPECT_EQ(table.get(a).value, 7);
  EXPECT_EQ(table.get(b).value, 8);
  EXPECT_EQ(table.live(), 2U);
}

TEST(HandleTable, AReleasedHandleIsStaleWithItsIndexAndGenerations) {
  HandleTable<Thing> table;
  table.reserve_one();
  const Handle handle = table.insert({1});
  table.erase(handle);
  EXPECT_EQ(table.find(handle), nullptr);
  EXPECT_TM_ERROR((void)table.get(handle), ErrorCode::kDisposed,
                  "thing #0 (generation 1) was released; current generation is 2");
  EXPECT_TM_ERROR(table.erase(handle), ErrorCode::kDisposed,
                  "thing #0 (generation 1) was released; current generation is 2");
}

TEST(HandleTable, SlotReuseNeverAliasesAStaleHandle) {
  HandleTable<Thing> table;
  table.reserve_one();
  const Handle old_handle = table.insert({1});
  table.erase(old_handle);
  table.reserve_one();
  const Handle new_handle = table.insert({2});
  EXPECT_EQ(new_handle.index(), old_handle.index());  // the slot is reused...
  EXPECT_EQ(new_handle.generation(), 3U);           // ...under a new generation
  EXPECT_EQ(table.get(new_handle).value, 2);
  EXPECT_TM_ERROR((void)table.get(old_handle), ErrorCode::kDisposed,
                  "thing #0 (generation 1) was released; current generation is 3");
}

TEST(HandleTable, ForgedHandlesAreRejectedNamingIndexAndGeneration) {
  HandleTable<Thing> table;
  for (int i = 0; i < 13; ++i) {
    table.reserve_one();
    (void)table.insert({i});
  }
  EXPECT_TM_ERROR((void)table.get(Handle{99, 1}), ErrorCode::kInvalidArgument,
                  "thing #99 (generation 1) does not exist: the table has 13 slots");
  EXPECT_TM_ERROR((void)table.get(Handle{12, 9}), ErrorCode::kInvalidArgument,
                  "thing #12 (generation 9) was never issued; current generation is 1");
  EXPECT_TM_ERROR((void)table.get(Handle{12, 2}), ErrorCode::kInvalidArgument,
                  "thing #12 (generation 2) was never issued; current generation is 1");
  EXPECT_TM_ERROR((void)table.get(Handle{}), ErrorCode::kInvalidArgument, "thing handle is null");
  EXPECT_EQ(table.live(), 13U);  // failed lookups change nothing
}

TEST(HandleTable, AnEvenGenerationNeverResolvesEvenOnAFreeSlot) {
  HandleTable<Thing> table;
  table.reserve_one();
  const Handle handle = table.insert({1});
  table.erase(handle);
  const Handle forged{handle.index(), table.current_generation(handle.index())};  // 2: the free slot's own
  EXPECT_EQ(table.find(forged), nullptr);
  EXPECT_TM_ERROR((void)table.get(forged), ErrorCode::kInvalidArgument,
                  "thing #0 (generation 2) was never issued; current generation is 2");
}

TEST(HandleTable, ASlotIsRetiredBeforeItsGenerationCouldWrap) {
  HandleTable<Thing, /*RetireAt=*/6> table;
  std::vector<Handle> issued;
  for (int round = 0; round < 3; ++round) {
    table.reserve_one();
    issued.push_back(table.insert({round}));
    table.erase(issued.back());
  }
  EXPECT_EQ(issued[0], (Handle{0, 1}));
  EXPECT_EQ(issued[1], (Handle{0, 3}));
  EXPECT_EQ(issued[2], (Handle{0, 5}));
  EXPECT_EQ(table.retired(), 1U);
  table.reserve_one();
  const Handle fresh = table.insert({9});
  EXPECT_EQ(fresh, (Handle{1, 1}));  // slot 0 is never handed out again
  for (const Handle& stale : issued) EXPECT_EQ(table.find(stale), nullptr);
}

TEST(HandleTable, ForEachVisitsLiveSlotsOnly) {
  HandleTable<Thing> table;
  std::vector<Handle> handles;
  for (int i = 0; i < 5; ++i) {
    table.reserve_one();
    handles.push_back(table.insert({i}));
  }
  table.erase(handles[1]);
  table.erase(handles[3]);
  std::vector<int> seen;
  table.for_each([&](Handle handle, const Thing& thing) {
    EXPECT_EQ(table.find(handle), &table.get(handle));
    seen.push_back(thing.value);
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(table.live(), 3U);
}

TEST(HandleTable, ThousandsOfChurningHandlesNeverResolveAfterRelease) {
  HandleTable<Thing> table;
  std::vector<Handle> live;
  std::vector<Handle> dead;
  for (int i = 0; i < 5000; ++i) {
    table.reserve_one();
    live.push_back(table.insert({i}));
    if (i % 3 == 2) {
      const Handle victim = live[static_cast<std::size_t>(i * 7919) % live.size()];
      table.erase(victim);
      std::erase(live, victim);
      dead.push_back(victim);
    }
  }
  for (const Handle& handle : live) ASSERT_NE(table.find(handle), nullptr);
  for (const Handle& handle : dead) ASSERT_EQ(table.find(handle), nullptr);
  EXPECT_EQ(table.live(), live.size());
}

TEST(HandleTable, InsertWithoutReserveStillGrowsTheTable) {
  HandleTable<Thing> table;
  std::vector<Handle> handles;
  for (int i = 0; i < 1000; ++i) handles.push_back(table.insert({i}));  // no reserve_one()
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(table.get(handles[static_cast<std::size_t>(i)]).value, i);
  EXPECT_EQ(table.slot_count(), 1000U);
}

struct Owner {
  static constexpr const char* kNoun = "owner";
  std::vector<int> items;
};

// A payload that owns a resource is moved into its slot, not copied.
TEST(HandleTable, InsertMovesAnRvaluePayload) {
  HandleTable<Owner> table;
  std::vector<int> items{1, 2, 3};
  const int* storage = items.data();
  table.reserve_one();
  const Handle handle = table.insert(Owner{std::move(items)});
  EXPECT_EQ(table.get(handle).items.data(), storage);
  const Owner copy{{4}};
  table.reserve_one();
  EXPECT_EQ(table.get(table.insert(copy)).items, std::vector<int>{4});
  EXPECT_EQ(copy.items, std::vector<int>{4});
}

}  // namespace
}  // namespace tensormem
