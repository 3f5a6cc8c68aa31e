// The corpus of tensor_ops_fuzzer, embedded in tensor_ops_replay (corpus.cpp
// is generated from tests/fuzz/corpus/ by CMake).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tensormem::fuzz {

struct CorpusFile {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

const std::vector<CorpusFile>& corpus();

}  // namespace tensormem::fuzz
