// Replays the fuzzer's corpus (and any files named on the command line)
// through LLVMFuzzerTestOneInput, without libFuzzer, as fmt's test/fuzzing
// does: an ordinary test program for every tree, wasm under node included. A
// failing input aborts with the fuzzer's message (see tensor_ops_fuzzer.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "corpus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  for (const tensormem::fuzz::CorpusFile& file : tensormem::fuzz::corpus()) {
    std::printf("replay %s (%zu bytes)\n", file.name.c_str(), file.bytes.size());
    std::fflush(stdout);
    (void)LLVMFuzzerTestOneInput(file.bytes.data(), file.bytes.size());
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::printf("replay %s (%zu bytes)\n", argv[i], bytes.size());
    std::fflush(stdout);
    (void)LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("replayed %zu corpus files and %d others\n", tensormem::fuzz::corpus().size(), argc - 1);
  return 0;
}
