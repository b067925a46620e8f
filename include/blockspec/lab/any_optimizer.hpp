// blockspec/lab/any_optimizer.hpp — every optimizer of the zoo behind one value type, chosen by name.
//
// Lab component (blockspec::lab): run-time selection for command-line tools and demos, not core API;
// the core optimizers (blockspec/optim/) are used directly as types.
//
// AnyOptimizer holds one of the optimizers in a std::variant and forwards
// reset/step/name to it (no virtual calls, no heap). make_optimizer(name)
// builds one with its default options; command-line tools use it to choose
// optimizers at run time. Names: gd, heavy_ball, nesterov, adam,
// adam_frozen_v (Adam with beta1 = 0, beta2 = 1), adamw, rmsprop, adagrad,
// blockwise_gd, adam_mini, prodigy, nag_gs, sign_descent, muon, agd.
// Each optimizer's header names its reference.
#pragma once

#include <blockspec/error.hpp>
#include <blockspec/optim/adam.hpp>
#include <blockspec/optim/adam_mini.hpp>
#include <blockspec/optim/agd.hpp>
#include <blockspec/optim/blockwise_gd.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/muon.hpp>
#include <blockspec/optim/nag_gs.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/prodigy.hpp>
#include <blockspec/optim/rmsprop.hpp>
#include <blockspec/optim/sign_descent.hpp>

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace blockspec::lab {

/// One optimizer of the zoo, chosen at run time.
/// Example: `auto opt = blockspec::lab::make_optimizer("adam");  auto tr = blockspec::run(q, opt, {.lr = 0.1});`
class AnyOptimizer {
 public:
  using Variant = std::variant<Gd, HeavyBall, Nesterov, Adam, AdamW, RmsProp, Adagrad, BlockwiseGd, AdamMini, Prodigy,
                               NagGs, SignDescent, Muon, Agd>;

  template <class O>
    requires std::is_constructible_v<Variant, O>
  AnyOptimizer(O optimizer) : v_(std::move(optimizer)) {}  // NOLINT: implicit on purpose

  template <Problem P>
  void reset(const P& problem) {
    std::visit([&](auto& o) { o.reset(problem); }, v_);
  }
  void step(Eigen::Ref<Eigen::VectorXd> w, Eigen::Ref<const Eigen::VectorXd> g, std::int64_t t, double lr) {
    std::visit([&](auto& o) { o.step(w, g, t, lr); }, v_);
  }
  void step(Eigen::Ref<Eigen::VectorXf> w, Eigen::Ref<const Eigen::VectorXf> g, std::int64_t t, double lr) {
    std::visit([&](auto& o) { o.step(w, g, t, lr); }, v_);
  }
  std::string name() const {
    return std::visit([](const auto& o) { return std::string(o.name()); }, v_);
  }
  Variant& variant() noexcept { return v_; }
  const Variant& variant() const noexcept { return v_; }

 private:
  Variant v_;
};

/// The names make_optimizer accepts.
inline std::vector<std::string> optimizer_names() {
  return {"gd",      "heavy_ball",   "nesterov",  "adam",    "adam_frozen_v", "adamw",       "rmsprop",
          "adagrad", "blockwise_gd", "adam_mini", "prodigy", "nag_gs",        "sign_descent", "muon",
          "agd"};
}

/// An optimizer with default options by name (see optimizer_names()).
inline AnyOptimizer make_optimizer(const std::string& name) {
  if (name == "gd") return Gd{};
  if (name == "heavy_ball") return HeavyBall{};
  if (name == "nesterov") return Nesterov{};
  if (name == "adam") return Adam{};
  if (name == "adam_frozen_v") return Adam{AdamOptions::frozen_preconditioner()};
  if (name == "adamw") return AdamW{};
  if (name == "rmsprop") return RmsProp{};
  if (name == "adagrad") return Adagrad{};
  if (name == "blockwise_gd") return BlockwiseGd{};
  if (name == "adam_mini") return AdamMini{};
  if (name == "prodigy") return Prodigy{};
  if (name == "nag_gs") return NagGs{};
  if (name == "sign_descent") return SignDescent{};
  if (name == "muon") return Muon{};
  if (name == "agd") return Agd{};
  std::string all;
  for (const auto& n : optimizer_names()) all += (all.empty() ? "" : ", ") + n;
  throw invalid_argument("make_optimizer: unknown optimizer '" + name + "' (known: " + all + ")");
}

}  // namespace blockspec::lab
