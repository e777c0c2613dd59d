// Small, fast, portable random numbers for the emulator (same sequence on every platform and compiler,
// unlike std::normal_distribution).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

namespace modewise::sim::detail {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double uniform() { return (splitmix64(state_) >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {                                                    // Box-Muller, both values used
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(1.0 - u1));
    spare_ = r * std::sin(6.283185307179586 * u2);
    has_spare_ = true;
    return r * std::cos(6.283185307179586 * u2);
  }
  // Multiplicative lognormal noise with mean 1 and relative spread sigma.
  double lognormal(double sigma) { return std::exp(sigma * normal() - 0.5 * sigma * sigma); }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace modewise::sim::detail
