// Deterministic pseudo-random numbers for the corpus generator: splitmix64 seeding and
// xoshiro256**, with every derived draw (bounded integers, probabilities, picks) defined
// here in integer arithmetic so the corpus is byte-identical across compilers and standard
// libraries. std::uniform_int_distribution and friends are deliberately not used: their
// algorithms are implementation-defined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace triage::data::gen {

// splitmix64 step: also used to derive independent seeds from (seed, split, index).
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a over bytes: a stable hash for mixing names (split names) into seeds.
inline uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }

  // xoshiro256** next 64 bits.
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0; rejection sampling, so no modulo bias.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }

  // Uniform in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1)); }

  // True with probability p, p given in [0, 1]. Uses 53 bits: exact across platforms
  // because the conversion and comparison are IEEE-754 operations on exact values.
  bool chance(double p) {
    const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;
    return u < p;
  }

  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

  template <class T, size_t N>
  const T& pick(const T (&a)[N]) { return a[below(N)]; }

  // Index drawn with integer weights (sum > 0).
  size_t weighted(const std::vector<unsigned>& weights) {
    uint64_t total = 0;
    for (unsigned w : weights) total += w;
    uint64_t r = below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace triage::data::gen
