// Minimal user of the installed package: include, allocate, release, check stats.
#include <tensormem/tensormem.hpp>

#include <cstdio>

int main() {
  std::printf("tensormem %s\n", TENSORMEM_VERSION_STRING);
  tensormem::Storage storage;
  auto h = storage.allocate(1024);
  storage.release(h);
  return storage.stats().live_buffers == 0 ? 0 : 1;
}
