#include "tensormem/handle_table.hpp"

#include <string>
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

// ---- moving a table: export_slots / check_slots / restore ---------------------------

using SmallTable = HandleTable<Thing, /*RetireAt=*/6>;

// Live, free and retired slots, with a free list out of index order.
SmallTable churned_table(std::vector<Handle>& issued) {
  SmallTable table;
  auto insert = [&](int value) {
    table.reserve_one();
    issued.push_back(table.insert({value}));
    return issued.back();
  };
  std::vector<Handle> handles;
  for (int i = 0; i < 8; ++i) handles.push_back(insert(i));
  for (int round = 0; round < 2; ++round) {  // slot 2 to generation 6: retired
    table.erase(handles[2]);
    handles[2] = insert(100 + round);
  }
  table.erase(handles[2]);
  table.erase(handles[5]);
  table.erase(handles[1]);
  table.erase(handles[6]);
  return table;
}

// What a lookup of `handle` gives: the payload's value, or the error's code and text.
std::string outcome(const SmallTable& table, Handle handle) {
  try {
    return "value " + std::to_string(table.get(handle).value);
  } catch (const Error& error) {
    return std::string(error.code_name()) + ": " + error.message();
  }
}

std::vector<Thing> live_payloads(const SmallTable& table) {
  std::vector<Thing> payloads;
  table.for_each([&](Handle, const Thing& thing) { payloads.push_back(thing); });
  return payloads;
}

TEST(HandleTableMove, ExportedSlotsListGenerationsFreeListInReuseOrderAndRetired) {
  std::vector<Handle> issued;
  const SmallTable table = churned_table(issued);
  const TableSlots slots = table.export_slots();
  EXPECT_EQ(slots.generations, (std::vector<std::uint32_t>{1, 2, 6, 1, 1, 2, 2, 1}));
  EXPECT_EQ(slots.free_list, (std::vector<std::uint32_t>{6, 1, 5}));  // last released, first reused
  EXPECT_EQ(slots.retired, 1U);
  EXPECT_EQ(SmallTable::check_slots(slots), "");
}

TEST(HandleTableMove, ARestoredTableResolvesAndFailsEveryHandleAsTheOriginal) {
  std::vector<Handle> issued;
  const SmallTable table = churned_table(issued);
  const SmallTable restored = SmallTable::restore(table.export_slots(), live_payloads(table));
  // Every index in and past the table, every generation up to past retirement.
  for (std::uint32_t index = 0; index < table.slot_count() + 2; ++index) {
    for (std::uint32_t generation = 0; generation <= 8; ++generation) {
      const Handle handle{index, generation};
      ASSERT_EQ(outcome(restored, handle), outcome(table, handle)) << index << " " << generation;
    }
  }
  EXPECT_EQ(outcome(restored, issued[1]), "DISPOSED: thing #1 (generation 1) was released; current generation is 2");
  EXPECT_EQ(outcome(restored, Handle{3, 3}),
            "INVALID_ARGUMENT: thing #3 (generation 3) was never issued; current generation is 1");
  EXPECT_EQ(restored.live(), table.live());
  EXPECT_EQ(restored.retired(), 1U);
}

TEST(HandleTableMove, ARestoredTableReusesTheSameSlotsInTheSameOrderAndNeverARetiredOne) {
  std::vector<Handle> issued;
  SmallTable table = churned_table(issued);
  SmallTable restored = SmallTable::restore(table.export_slots(), live_payloads(table));
  for (int i = 0; i < 6; ++i) {  // three free slots, then new ones at the end
    table.reserve_one();
    restored.reserve_one();
    const Handle original = table.insert({i});
    ASSERT_EQ(restored.insert({i}), original);
    EXPECT_NE(original.index(), 2U);  // retired
  }
  EXPECT_EQ(restored.export_slots().generations, table.export_slots().generations);
}

TEST(HandleTableMove, RestoreMovesPayloadsIntoTheirSlots) {
  HandleTable<Owner> table;
  table.reserve_one();
  const Handle first = table.insert(Owner{{1}});
  table.reserve_one();
  const Handle second = table.insert(Owner{{2, 3}});
  table.erase(first);
  std::vector<Owner> payloads;
  payloads.push_back(Owner{{2, 3}});
  const int* items = payloads[0].items.data();
  const HandleTable<Owner> restored = HandleTable<Owner>::restore(table.export_slots(), std::move(payloads));
  EXPECT_EQ(restored.get(second).items.data(), items);
  EXPECT_TM_ERROR((void)restored.get(first), ErrorCode::kDisposed,
                  "owner #0 (generation 1) was released; current generation is 2");
}

TEST(HandleTableMove, CheckSlotsNamesEveryImpossibleState) {
  const auto problem = [](std::vector<std::uint32_t> generations, std::vector<std::uint32_t> free_list,
                          std::size_t retired) {
    return SmallTable::check_slots(TableSlots{std::move(generations), std::move(free_list), retired});
  };
  EXPECT_EQ(problem({}, {}, 0), "");
  EXPECT_EQ(problem({1, 2, 6}, {1}, 1), "");
  EXPECT_EQ(problem({1, 2}, {1, 2}, 0), "free list entry 1 names thing #2, past the table's 2 slots");
  EXPECT_EQ(problem({2, 4}, {0, 1, 0}, 0), "free list names thing #0 twice: it would be a cycle");
  EXPECT_EQ(problem({1, 2}, {0, 1}, 0), "free list names thing #0, which is live (generation 1)");
  EXPECT_EQ(problem({6, 2}, {1, 0}, 1), "free list names thing #0, which is retired (generation 6)");
  EXPECT_EQ(problem({1, 2, 4}, {2}, 0), "thing #1 is free (generation 2) but not on the free list");
  EXPECT_EQ(problem({1, 0}, {1}, 0), "thing #1 has generation 0, which no slot in use has");
  EXPECT_EQ(problem({7}, {}, 0), "thing #0 is live at generation 7, past the table's retirement at 6");
  EXPECT_EQ(problem({6, 8, 1}, {}, 1), "1 retired slots counted, but 2 slots are at or past generation 6");
}

TEST(HandleTableMove, RestoreRejectsAnImpossibleStateOrAWrongPayloadCount) {
  EXPECT_TM_ERROR((void)SmallTable::restore(TableSlots{{1, 2}, {}, 0}, {Thing{1}}), ErrorCode::kInvalidArgument,
                  "thing table state: thing #1 is free (generation 2) but not on the free list");
  EXPECT_TM_ERROR((void)SmallTable::restore(TableSlots{{1, 2, 3}, {1}, 0}, {Thing{1}}), ErrorCode::kInvalidArgument,
                  "thing table state: 2 live slots, but 1 payloads");
}

}  // namespace
}  // namespace tensormem
