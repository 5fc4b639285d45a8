// A small fully connected classifier for the training demo: ReLU hidden layers, softmax
// cross-entropy, forward and backward on the CPU with plain loops. Parameters and gradients live
// in one flat fp32 buffer each (what the optimizer and the collectives see).
//
// Layer l maps in_l -> out_l with weights stored transposed, Wt[k * out + o] (input-major), so
// both the forward pass and the weight gradient are axpy's over contiguous rows of `out` floats:
// a row is loaded once per batch and reused for every sample (batch sizes here are small, so the
// work is bounded by reading the weights once, not by flops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lioncub::demo {

class Mlp {
 public:
  // sizes = {inputs, hidden..., classes}.
  explicit Mlp(const std::vector<int>& sizes);

  std::size_t numel() const { return numel_; }
  const std::vector<int>& sizes() const { return sizes_; }

  // He-uniform weights, zero biases, from `seed` (the same on every rank).
  void init(float* params, std::uint64_t seed) const;

  // Mean cross-entropy of a batch (x: batch x inputs, row-major; labels in [0, classes)).
  // With grads != nullptr also writes d(loss)/d(params) into grads (every element).
  double forward_backward(const float* params, const float* x, const int* labels, int batch,
                          float* grads);

  // Cross-entropy sum and number of correct predictions over n samples (in chunks).
  void evaluate(const float* params, const float* x, const int* labels, int n, double* loss_sum,
                int* correct);

 private:
  std::vector<int> sizes_;
  std::vector<std::size_t> w_off_, b_off_;
  std::size_t numel_ = 0;
  std::vector<std::vector<float>> act_;   // act_[l]: batch x sizes_[l] (act_[0] = input)
  std::vector<std::vector<float>> grad_;  // d(loss)/d(pre-activation) of layer l's output
};

}  // namespace lioncub::demo
