// blockspec/optim/schedule.hpp — learning-rate schedules: constant, linear warmup, cosine, warmup-stable-decay.
//
// A Schedule maps the 0-based step index i (the update that produces w_{i+1})
// to a factor in [0, 1]; the runner passes lr_i = lr * factor(i) to the optimizer.
//   constant:            1
//   linear_warmup(W):    (i + 1)/W for i < W, then 1
//   cosine(D, f, W):     warmup as above for i < W; then, with p = min(1, (i - W)/D),
//                        f + (1 - f)(1 + cos(pi p))/2   (1 at the start of the decay, f from i = W + D on)
//   warmup_stable_decay(W, S, D, f): warmup for i < W; 1 for W <= i < W + S;
//                        1 - (1 - f)(i - W - S + 1)/D for the next D steps (reaching f); f afterwards
// Cost: O(1) per step.
// References: I. Loshchilov and F. Hutter, "SGDR: Stochastic gradient descent
// with warm restarts", ICLR 2017 (cosine); P. Goyal et al., "Accurate, large
// minibatch SGD" (2017) (linear warmup); S. Hu et al., "MiniCPM" (2024) and
// K. Wen et al., "Understanding warmup-stable-decay learning rates" (2024) (WSD).
#pragma once

#include <blockspec/error.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace blockspec {

enum class ScheduleKind { constant, linear_warmup, cosine, warmup_stable_decay };

inline const char* to_string(ScheduleKind k) noexcept {
  switch (k) {
    case ScheduleKind::constant: return "constant";
    case ScheduleKind::linear_warmup: return "linear_warmup";
    case ScheduleKind::cosine: return "cosine";
    case ScheduleKind::warmup_stable_decay: return "warmup_stable_decay";
  }
  return "unknown";
}

/// A learning-rate schedule; build it with the static factories.
/// Example: `auto s = blockspec::Schedule::cosine(1000);  double f = s.factor(10);`
struct Schedule {
  ScheduleKind kind = ScheduleKind::constant;
  int warmup = 0;              ///< W
  int stable = 0;              ///< S (warmup_stable_decay)
  int decay = 0;               ///< D (cosine, warmup_stable_decay)
  double final_factor = 0.0;   ///< f in [0, 1]

  static Schedule constant() { return {}; }
  static Schedule linear_warmup(int warmup_steps) {
    return {.kind = ScheduleKind::linear_warmup, .warmup = warmup_steps};
  }
  static Schedule cosine(int decay_steps, double final_factor = 0.0, int warmup_steps = 0) {
    return {.kind = ScheduleKind::cosine, .warmup = warmup_steps, .decay = decay_steps, .final_factor = final_factor};
  }
  static Schedule warmup_stable_decay(int warmup_steps, int stable_steps, int decay_steps, double final_factor = 0.0) {
    return {.kind = ScheduleKind::warmup_stable_decay,
            .warmup = warmup_steps,
            .stable = stable_steps,
            .decay = decay_steps,
            .final_factor = final_factor};
  }

  void validate(const std::string& where = "Schedule") const {
    detail::require(warmup >= 0, where, "warmup must be >= 0, got " + std::to_string(warmup));
    detail::require(stable >= 0, where, "stable must be >= 0, got " + std::to_string(stable));
    detail::require(decay >= 0, where, "decay must be >= 0, got " + std::to_string(decay));
    detail::require(std::isfinite(final_factor) && final_factor >= 0.0 && final_factor <= 1.0, where,
                    "final_factor must be in [0, 1], got " + detail::format_double(final_factor));
    if (kind == ScheduleKind::linear_warmup) detail::require(warmup > 0, where, "linear_warmup needs warmup > 0, got " + std::to_string(warmup));
    if (kind == ScheduleKind::cosine) detail::require(decay > 0, where, "cosine needs decay > 0, got " + std::to_string(decay));
    if (kind == ScheduleKind::warmup_stable_decay) detail::require(decay > 0, where, "warmup_stable_decay needs decay > 0, got " + std::to_string(decay));
  }

  /// The factor of 0-based step i (see the file comment).
  double factor(long long i) const {
    if (i < 0) i = 0;
    if (kind == ScheduleKind::constant) return 1.0;
    if (i < warmup) return static_cast<double>(i + 1) / static_cast<double>(warmup);
    const long long j = i - warmup;
    switch (kind) {
      case ScheduleKind::linear_warmup: return 1.0;
      case ScheduleKind::cosine: {
        const double p = std::min(1.0, static_cast<double>(j) / static_cast<double>(decay));
        return final_factor + (1.0 - final_factor) * 0.5 * (1.0 + std::cos(std::numbers::pi * p));
      }
      case ScheduleKind::warmup_stable_decay: {
        if (j < stable) return 1.0;
        const long long k = j - stable;
        if (k >= decay) return final_factor;
        return 1.0 - (1.0 - final_factor) * static_cast<double>(k + 1) / static_cast<double>(decay);
      }
      default: return 1.0;
    }
  }
};

}  // namespace blockspec
