#include "mlp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace lioncub::demo {
namespace {

// y += a * x over n floats. target_clones: an AVX2 copy picked at load time where the CPU has it.
__attribute__((target_clones("avx2", "default"))) void axpy(float* __restrict y,
                                                             const float* __restrict x, float a,
                                                             int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}

// Dot product with 8 independent partial sums (vectorizes without reassociating one sum).
__attribute__((target_clones("avx2", "default"))) float dot(const float* __restrict a,
                                                            const float* __restrict b, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  float s = 0;
  for (; i < n; ++i) s += a[i] * b[i];
  for (float v : acc) s += v;
  return s;
}

}  // namespace

Mlp::Mlp(const std::vector<int>& sizes) : sizes_(sizes) {
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    w_off_.push_back(numel_);
    numel_ += std::size_t(sizes_[l]) * sizes_[l + 1];
    b_off_.push_back(numel_);
    numel_ += std::size_t(sizes_[l + 1]);
  }
  act_.resize(sizes_.size());
  grad_.resize(sizes_.size());
}

void Mlp::init(float* params, std::uint64_t seed) const {
  std::mt19937_64 rng(seed);
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    const float bound = std::sqrt(6.0f / float(sizes_[l]));
    std::uniform_real_distribution<float> u(-bound, bound);
    float* w = params + w_off_[l];
    for (std::size_t i = 0; i < std::size_t(sizes_[l]) * sizes_[l + 1]; ++i) w[i] = u(rng);
    std::fill_n(params + b_off_[l], sizes_[l + 1], 0.0f);
  }
}

double Mlp::forward_backward(const float* params, const float* x, const int* labels, int batch,
                             float* grads) {
  const std::size_t layers = sizes_.size() - 1;
  act_[0].assign(x, x + std::size_t(batch) * sizes_[0]);
  for (std::size_t l = 0; l < layers; ++l) {
    const int in = sizes_[l], out = sizes_[l + 1];
    const float* wt = params + w_off_[l];
    const float* bias = params + b_off_[l];
    std::vector<float>& z = act_[l + 1];
    z.resize(std::size_t(batch) * out);
    for (int b = 0; b < batch; ++b) std::memcpy(&z[std::size_t(b) * out], bias, out * sizeof(float));
    const std::vector<float>& a = act_[l];
    for (int k = 0; k < in; ++k)
      for (int b = 0; b < batch; ++b) {
        const float v = a[std::size_t(b) * in + k];
        if (v != 0.0f) axpy(&z[std::size_t(b) * out], wt + std::size_t(k) * out, v, out);
      }
    if (l + 1 < layers)
      for (float& v : z) v = std::max(v, 0.0f);  // ReLU; kept as the activation
  }
  // Softmax cross-entropy on the logits act_[layers].
  const int classes = sizes_.back();
  std::vector<float>& dz = grad_[layers];
  dz.assign(std::size_t(batch) * classes, 0.0f);
  double loss = 0;
  for (int b = 0; b < batch; ++b) {
    const float* z = &act_[layers][std::size_t(b) * classes];
    const float mx = *std::max_element(z, z + classes);
    double sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(double(z[c] - mx));
    loss += std::log(sum) - double(z[labels[b]] - mx);
    for (int c = 0; c < classes; ++c) {
      const double p = std::exp(double(z[c] - mx)) / sum;
      dz[std::size_t(b) * classes + c] = float((p - (c == labels[b] ? 1.0 : 0.0)) / batch);
    }
  }
  loss /= batch;
  if (!grads) return loss;

  for (std::size_t l = layers; l-- > 0;) {
    const int in = sizes_[l], out = sizes_[l + 1];
    const float* wt = params + w_off_[l];
    float* dwt = grads + w_off_[l];
    float* db = grads + b_off_[l];
    const std::vector<float>& a = act_[l];
    const std::vector<float>& d = grad_[l + 1];
    std::fill_n(db, out, 0.0f);
    for (int b = 0; b < batch; ++b) axpy(db, &d[std::size_t(b) * out], 1.0f, out);
    for (int k = 0; k < in; ++k) {
      float* row = dwt + std::size_t(k) * out;
      std::fill_n(row, out, 0.0f);
      for (int b = 0; b < batch; ++b) {
        const float v = a[std::size_t(b) * in + k];
        if (v != 0.0f) axpy(row, &d[std::size_t(b) * out], v, out);
      }
    }
    if (l == 0) break;
    std::vector<float>& dprev = grad_[l];
    dprev.resize(std::size_t(batch) * in);
    for (int b = 0; b < batch; ++b)
      for (int k = 0; k < in; ++k) {
        const float act = a[std::size_t(b) * in + k];  // ReLU output: > 0 where it passed
        dprev[std::size_t(b) * in + k] =
            act > 0.0f ? dot(wt + std::size_t(k) * out, &d[std::size_t(b) * out], out) : 0.0f;
      }
  }
  return loss;
}

void Mlp::evaluate(const float* params, const float* x, const int* labels, int n,
                   double* loss_sum, int* correct) {
  *loss_sum = 0;
  *correct = 0;
  const int chunk = 64, classes = sizes_.back();
  for (int start = 0; start < n; start += chunk) {
    const int m = std::min(chunk, n - start);
    *loss_sum += forward_backward(params, x + std::size_t(start) * sizes_[0], labels + start, m,
                                  nullptr) * m;
    const std::vector<float>& z = act_.back();
    for (int b = 0; b < m; ++b) {
      const float* row = &z[std::size_t(b) * classes];
      if (std::max_element(row, row + classes) - row == labels[start + b]) ++*correct;
    }
  }
}

}  // namespace lioncub::demo
