// SplitMix64: a small deterministic PRNG. The wire seeds one per fault from
// the case seed, so the same seed and the same packet sequence give the same
// decisions on every run.
#pragma once

#include <cstdint>

namespace faultline {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double NextUnit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// The seed of fault `index` (1-based) for case seed `seed`.
inline uint64_t FaultSeed(uint64_t seed, int index) {
  SplitMix64 mix(seed ^ (0xd1b54a32d192ed03ULL * static_cast<uint64_t>(index)));
  return mix.Next();
}

}  // namespace faultline
