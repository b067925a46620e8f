// examples/torch/models.hpp — the three models of issue 12 §2 and their data, for the LibTorch examples.
//
// TinyGPT (character-level, fortunes computers/science/literature/education/linux), TinyCNN and the
// scaled MLP (Fashion-MNIST). make_problem(name, options) builds a model with PyTorch's default
// initialization after torch::manual_seed(seed), draws its fixed Hessian batches and evaluation
// batches by seed, and gives a training-batch stream (step s draws from seed and s only, so every
// optimizer sees the same batches). save_problem writes the initial weights and the batches as .npy
// so another program (e.g. a Python reference) can load exactly the same problem.
// Data: read from the Debian packages' files; a missing file throws blockspec::io_error naming the
// package to install (fortunes, dataset-fashion-mnist) as models::missing_data (an io_error). Nothing is ever downloaded.
// Cost: reading the data once (~0.5 MB text, the 47 MB of gunzipped Fashion-MNIST training
// images); the models have 115,328 (TinyGPT), 5,018 (TinyCNN) and 59,210 (MLP) parameters.
// Caveats: the issue does not fix the MLP's activation; it is tanh here (smooth, so the Hessian has
// no kinks and finite differences apply). The MLP's scales c_l grow geometrically from 1 to the
// spread over the 4 layers. Pixels are scaled to [0, 1], without mean subtraction.
#pragma once

#include "../cli/real_heterogeneity_args.hpp"

#include <blockspec/adapters/torch.hpp>
#include <blockspec/error.hpp>
#include <blockspec/io/npy.hpp>

#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace models {

inline const char* const fortunes_dir = "/usr/share/games/fortunes";
inline const char* const fashion_dir = "/usr/share/datasets/fashion-mnist";
/// The five fortune files of issue 12 (none of the offensive ones).
inline const std::vector<std::string> fortune_files{"computers", "science", "literature", "education", "linux"};

// ---------------------------------------------------------------- data

/// A data file of a Debian package is missing or unreadable; what() names the package to install.
class missing_data : public blockspec::io_error {
 public:
  using blockspec::io_error::io_error;
};

/// The code points of UTF-8 text (invalid bytes are taken as Latin-1 code points).
inline std::vector<char32_t> decode_utf8(const std::string& s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; ok && k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      ok = (d >> 6) == 0x2;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (!ok) {
      out.push_back(c);
      ++i;
    } else {
      out.push_back(cp);
      i += static_cast<std::size_t>(len);
    }
  }
  return out;
}

/// The character corpus: vocabulary from the five files as read (control characters and the '%'
/// separator lines kept: 107 code points), token ids of the text with the "%" lines removed.
struct Corpus {
  std::vector<char32_t> vocabulary;  ///< sorted code points
  std::vector<std::int64_t> tokens;  ///< the text without separator lines, as vocabulary indices
};

inline Corpus load_corpus() {
  std::string raw, text;
  for (const auto& name : fortune_files) {
    const std::filesystem::path p = std::filesystem::path(fortunes_dir) / name;
    std::ifstream in(p, std::ios::binary);
    if (!in)
      throw missing_data("models::load_corpus: cannot read " + p.string() +
                                ": install the Debian package fortunes (this program never downloads)");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    raw += s;
    std::istringstream lines(s);
    for (std::string line; std::getline(lines, line);)
      if (line != "%") text += line + "\n";
  }
  Corpus c;
  const auto all = decode_utf8(raw);
  std::set<char32_t> set(all.begin(), all.end());
  c.vocabulary.assign(set.begin(), set.end());
  std::map<char32_t, std::int64_t> id;
  for (std::size_t i = 0; i < c.vocabulary.size(); ++i) id[c.vocabulary[i]] = static_cast<std::int64_t>(i);
  for (char32_t cp : decode_utf8(text)) c.tokens.push_back(id.at(cp));
  return c;
}

/// The whole gunzipped file; throws io_error naming the package when it cannot be read.
inline std::vector<unsigned char> gunzip(const std::filesystem::path& path) {
  std::vector<unsigned char> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw missing_data("models::gunzip: cannot read " + path.string() +
                              ": install the Debian package dataset-fashion-mnist (this program never downloads)");
  std::vector<unsigned char> buf(1 << 16);
  int got = 0;
  while ((got = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    out.insert(out.end(), buf.begin(), buf.begin() + got);
  gzclose(f);
  return out;
}

inline std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// Fashion-MNIST training set: images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64.
struct Fashion {
  torch::Tensor images, labels;
};

inline Fashion load_fashion() {
  const auto dir = std::filesystem::path(fashion_dir);
  const auto img = gunzip(dir / "train-images-idx3-ubyte.gz");
  const auto lab = gunzip(dir / "train-labels-idx1-ubyte.gz");
  const char* where = "models::load_fashion";
  if (img.size() < 16 || be32(img.data()) != 2051 || be32(img.data() + 8) != 28 || be32(img.data() + 12) != 28)
    throw blockspec::io_error(std::string(where) + ": train-images-idx3-ubyte.gz is not a 28x28 idx3 image file");
  if (lab.size() < 8 || be32(lab.data()) != 2049)
    throw blockspec::io_error(std::string(where) + ": train-labels-idx1-ubyte.gz is not an idx1 label file");
  const auto n = static_cast<std::int64_t>(be32(img.data() + 4));
  if (static_cast<std::int64_t>(be32(lab.data() + 4)) != n || img.size() < 16 + static_cast<std::size_t>(n) * 784 ||
      lab.size() < 8 + static_cast<std::size_t>(n))
    throw blockspec::io_error(std::string(where) + ": the image and label files are truncated or disagree in count");
  Fashion f;
  f.images = torch::from_blob(const_cast<unsigned char*>(img.data() + 16), {n, 1, 28, 28}, torch::kUInt8)
                 .to(torch::kFloat32)
                 .div_(255.0);
  f.labels = torch::from_blob(const_cast<unsigned char*>(lab.data() + 8), {n}, torch::kUInt8).to(torch::kInt64);
  return f;
}

// ---------------------------------------------------------------- models

/// Causal self-attention with separate Q, K, V, O projections without bias.
struct AttentionImpl : torch::nn::Module {
  int heads;
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  AttentionImpl(int width, int heads_) : heads(heads_) {
    auto opt = torch::nn::LinearOptions(width, width).bias(false);
    q = register_module("q", torch::nn::Linear(opt));
    k = register_module("k", torch::nn::Linear(opt));
    v = register_module("v", torch::nn::Linear(opt));
    o = register_module("o", torch::nn::Linear(opt));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const auto B = x.size(0), T = x.size(1), C = x.size(2), hd = C / heads;
    auto split = [&](const torch::Tensor& t) { return t.view({B, T, heads, hd}).transpose(1, 2); };
    auto qh = split(q(x)), kh = split(k(x)), vh = split(v(x));
    auto att = torch::matmul(qh, kh.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));
    auto mask = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool)).triu(1);
    att = torch::softmax(att.masked_fill(mask, -std::numeric_limits<double>::infinity()), -1);
    return o(torch::matmul(att, vh).transpose(1, 2).contiguous().view({B, T, C}));
  }
};
TORCH_MODULE(Attention);

/// A pre-LayerNorm Transformer block: x + attn(ln1 x), then x + mlp(ln2 x), MLP width -> 4 width -> width, GELU.
struct GptBlockImpl : torch::nn::Module {
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  Attention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  GptBlockImpl(int width, int heads) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    attn = register_module("attn", Attention(width, heads));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    fc1 = register_module("fc1", torch::nn::Linear(width, 4 * width));
    fc2 = register_module("fc2", torch::nn::Linear(4 * width, width));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = x + attn(ln1(x));
    return x + fc2(torch::gelu(fc1(ln2(x))));
  }
};
TORCH_MODULE(GptBlock);

/// TinyGPT: width 64, 4 heads, 2 pre-LN blocks, context 32, learned token and position embeddings,
/// final LayerNorm, untied head without bias. forward(tokens (B, T) int64) -> logits (B, T, vocab).
struct TinyGptImpl : torch::nn::Module {
  static constexpr int width = 64, heads = 4, layers = 2, context = 32;
  torch::nn::Embedding tok{nullptr}, pos{nullptr};
  torch::nn::ModuleList blocks;
  torch::nn::LayerNorm ln_f{nullptr};
  torch::nn::Linear head{nullptr};
  explicit TinyGptImpl(int vocab) {
    tok = register_module("tok", torch::nn::Embedding(vocab, width));
    pos = register_module("pos", torch::nn::Embedding(context, width));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int l = 0; l < layers; ++l) blocks->push_back(GptBlock(width, heads));
    ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    head = register_module("head", torch::nn::Linear(torch::nn::LinearOptions(width, vocab).bias(false)));
  }
  torch::Tensor forward(const torch::Tensor& idx) {
    const auto T = idx.size(1);
    auto x = tok(idx) + pos(torch::arange(T, torch::TensorOptions().dtype(torch::kInt64)));
    for (const auto& b : *blocks) x = b->as<GptBlockImpl>()->forward(x);
    return head(ln_f(x));
  }
};
TORCH_MODULE(TinyGpt);

/// TinyCNN: conv 1->8->16->16 (3x3, padding 1), each + ReLU + 2x2 max-pool (28 -> 14 -> 7 -> 3), linear 144 -> 10.
struct TinyCnnImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr};
  torch::nn::Linear fc{nullptr};
  TinyCnnImpl() {
    c1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 3).padding(1)));
    c2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3).padding(1)));
    c3 = register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 16, 3).padding(1)));
    fc = register_module("fc", torch::nn::Linear(144, 10));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c1(x)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    x = torch::max_pool2d(torch::relu(c3(x)), 2);
    return fc(x.flatten(1));
  }
};
TORCH_MODULE(TinyCnn);

/// The scaled ("man-made") MLP 784 -> 64 -> 64 -> 64 -> 10, tanh between layers; layer l's output is
/// multiplied by c_l = spread^(l / 3), l = 0..3 (so c_0 = 1 and c_3 = spread).
struct ScaledMlpImpl : torch::nn::Module {
  std::vector<torch::nn::Linear> fcs;
  std::vector<double> scales;
  explicit ScaledMlpImpl(double spread) {
    const int dims[] = {784, 64, 64, 64, 10};
    for (int l = 0; l < 4; ++l) {
      fcs.push_back(register_module("fc" + std::to_string(l + 1), torch::nn::Linear(dims[l], dims[l + 1])));
      scales.push_back(std::pow(spread, l / 3.0));
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    x = x.flatten(1);
    for (std::size_t l = 0; l < fcs.size(); ++l) {
      x = scales[l] * fcs[l](x);
      if (l + 1 < fcs.size()) x = torch::tanh(x);
    }
    return x;
  }
};
TORCH_MODULE(ScaledMlp);

// ---------------------------------------------------------------- problems

/// An input batch and its targets.
struct Batch {
  torch::Tensor x, y;
};

struct ProblemOptions {
  std::uint64_t seed = 0;         ///< torch::manual_seed for the weights; batches derive from it
  std::size_t hessian_batches = 2;  ///< the fixed batches of the Hessian
  std::size_t eval_batches = 8;   ///< the fixed batches of the reported (evaluation) loss
  torch::ScalarType dtype = torch::kFloat32;
};

/// A model, its loss, its fixed batches and a seeded training stream.
struct Problem {
  std::string name;  ///< tinygpt, tinycnn, mlp1, mlp10, mlp100 (mlp<spread>)
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  std::vector<Batch> hessian_batches, eval_batches;
  std::vector<char32_t> vocabulary;  ///< TinyGPT's code points (token id = index); empty otherwise
  std::function<Batch(std::int64_t step)> train_batch;  ///< depends on (seed, step) only
  torch::ScalarType dtype = torch::kFloat32;

  /// Mean cross-entropy of one batch (over all positions for TinyGPT).
  torch::Tensor loss(const Batch& b) const {
    auto logits = forward(b.x);
    return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), b.y.reshape({-1}));
  }
  /// The mean loss over the evaluation batches (no graph).
  double eval_loss() const {
    torch::NoGradGuard ng;
    double s = 0.0;
    for (const auto& b : eval_batches) s += loss(b).item<double>();
    return s / static_cast<double>(eval_batches.size());
  }
  /// The closure of the Hessian over the fixed batches.
  blockspec::torch::LossClosure closure() const {
    auto fwd = forward;  // by value: the closure must not refer to this Problem, which may move
    return blockspec::torch::LossClosure::over(*module, hessian_batches, [fwd](const Batch& b) {
      auto logits = fwd(b.x);
      return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), b.y.reshape({-1}));
    });
  }
};

inline const std::vector<std::string>& known_models() {
  static const std::vector<std::string> names{"tinygpt", "tinycnn", "mlp1", "mlp10", "mlp100"};
  return names;
}

namespace detail {

inline std::uint64_t mix(std::uint64_t seed, std::uint64_t stream) {
  std::seed_seq s{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                  static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  std::uint32_t w[2];
  s.generate(w, w + 2);
  return (std::uint64_t{w[0]} << 32) | w[1];
}

/// Batch of `count` sequences of context + 1 tokens at offsets drawn from mt19937_64(seed).
inline Batch text_batch(const std::shared_ptr<const Corpus>& c, std::uint64_t seed, int count) {
  const int T = TinyGptImpl::context;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> at(0, c->tokens.size() - static_cast<std::size_t>(T) - 1);
  auto x = torch::empty({count, T}, torch::kInt64), y = torch::empty({count, T}, torch::kInt64);
  auto xa = x.accessor<std::int64_t, 2>(), ya = y.accessor<std::int64_t, 2>();
  for (int i = 0; i < count; ++i) {
    const std::size_t o = at(rng);
    for (int t = 0; t < T; ++t) {
      xa[i][t] = c->tokens[o + static_cast<std::size_t>(t)];
      ya[i][t] = c->tokens[o + static_cast<std::size_t>(t) + 1];
    }
  }
  return {x, y};
}

/// Batch of `count` Fashion-MNIST training images drawn (with replacement) from mt19937_64(seed).
inline Batch image_batch(const std::shared_ptr<const Fashion>& f, std::uint64_t seed, int count, torch::ScalarType dt) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> at(0, f->images.size(0) - 1);
  auto idx = torch::empty({count}, torch::kInt64);
  auto ia = idx.accessor<std::int64_t, 1>();
  for (int i = 0; i < count; ++i) ia[i] = at(rng);
  return {f->images.index_select(0, idx).to(dt), f->labels.index_select(0, idx)};
}

inline constexpr std::uint64_t hessian_stream = 1, eval_stream = 2, train_stream = 3;

}  // namespace detail

/// Builds the named problem (see known_models()); unknown names throw invalid_argument. The data
/// are loaded once per process and shared by all problems.
inline Problem make_problem(const std::string& name, const ProblemOptions& o = {}) {
  static std::shared_ptr<const Corpus> corpus;
  static std::shared_ptr<const Fashion> fashion;
  const auto parsed = real_heterogeneity_cli::parse_model_name(name);  // unknown names throw here
  Problem p;
  p.name = name;
  p.dtype = o.dtype;
  torch::manual_seed(o.seed);
  const bool text = name == "tinygpt";
  std::function<Batch(std::uint64_t)> draw;
  if (text) {
    if (!corpus) corpus = std::make_shared<const Corpus>(load_corpus());
    auto m = TinyGpt(static_cast<int>(corpus->vocabulary.size()));
    m->to(o.dtype);
    p.module = m.ptr();
    p.forward = [m](const torch::Tensor& x) mutable { return m->forward(x); };
    p.vocabulary = corpus->vocabulary;
    auto c = corpus;
    draw = [c](std::uint64_t s) { return detail::text_batch(c, s, 8); };
  } else {
    if (name == "tinycnn") {
      auto m = TinyCnn();
      m->to(o.dtype);
      p.module = m.ptr();
      p.forward = [m](const torch::Tensor& x) mutable { return m->forward(x); };
    } else {
      auto m = ScaledMlp(parsed.spread);
      m->to(o.dtype);
      p.module = m.ptr();
      p.forward = [m](const torch::Tensor& x) mutable { return m->forward(x); };
    }
    if (!fashion) fashion = std::make_shared<const Fashion>(load_fashion());
    auto f = fashion;
    const auto dt = o.dtype;
    draw = [f, dt](std::uint64_t s) { return detail::image_batch(f, s, 64, dt); };
  }
  for (std::size_t b = 0; b < o.hessian_batches; ++b)
    p.hessian_batches.push_back(draw(detail::mix(o.seed, (detail::hessian_stream << 32) + b)));
  for (std::size_t b = 0; b < o.eval_batches; ++b)
    p.eval_batches.push_back(draw(detail::mix(o.seed, (detail::eval_stream << 32) + b)));
  const std::uint64_t seed = o.seed;
  p.train_batch = [draw, seed](std::int64_t step) {
    return draw(detail::mix(seed, (detail::train_stream << 32) + static_cast<std::uint64_t>(step)));
  };
  return p;
}

/// Writes a tensor as .npy (float32, float64 or int64, C order).
inline void save_tensor(const std::filesystem::path& file, const torch::Tensor& t) {
  auto c = t.detach().contiguous().cpu();
  std::vector<std::size_t> shape(c.sizes().begin(), c.sizes().end());
  const auto n = static_cast<std::size_t>(c.numel());
  switch (c.scalar_type()) {
    case torch::kFloat32: blockspec::detail::write_npy_raw(file, c.data_ptr<float>(), n, shape); break;
    case torch::kFloat64: blockspec::detail::write_npy_raw(file, c.data_ptr<double>(), n, shape); break;
    case torch::kInt64: blockspec::detail::write_npy_raw(file, c.data_ptr<std::int64_t>(), n, shape); break;
    default:
      throw blockspec::invalid_argument("models::save_tensor: " + file.string() + ": unsupported dtype " +
                                        std::string(c10::toString(c.scalar_type())));
  }
}

/// Writes the problem into `dir`: weights/<parameter name>.npy (initial values; the parameter order is
/// that of parameters.txt), hessian_x<b>.npy / hessian_y<b>.npy, eval_x<b>.npy / eval_y<b>.npy.
/// TinyGPT's inputs are token ids; vocabulary.txt then lists the code points (one decimal per line).
inline void save_problem(const Problem& p, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "weights");
  std::ofstream names(dir / "parameters.txt");
  for (const auto& item : p.module->named_parameters(true)) {
    save_tensor(dir / "weights" / (item.key() + ".npy"), item.value());
    names << item.key() << ' ' << item.value().sizes() << '\n';
  }
  for (std::size_t b = 0; b < p.hessian_batches.size(); ++b) {
    save_tensor(dir / ("hessian_x" + std::to_string(b) + ".npy"), p.hessian_batches[b].x);
    save_tensor(dir / ("hessian_y" + std::to_string(b) + ".npy"), p.hessian_batches[b].y);
  }
  for (std::size_t b = 0; b < p.eval_batches.size(); ++b) {
    save_tensor(dir / ("eval_x" + std::to_string(b) + ".npy"), p.eval_batches[b].x);
    save_tensor(dir / ("eval_y" + std::to_string(b) + ".npy"), p.eval_batches[b].y);
  }
  if (p.name == "tinygpt") {
    std::ofstream v(dir / "vocabulary.txt");
    for (char32_t cp : p.vocabulary) v << static_cast<std::uint32_t>(cp) << '\n';
  }
}

}  // namespace models
