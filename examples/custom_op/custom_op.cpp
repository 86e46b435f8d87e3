// A custom op written the way PyTorch extensions are: y = x * sigmoid(x) (SiLU) and its
// gradient, for float, double and half tensors of any shape and layout.
#include <torch/extension.h>

#include <cmath>

torch::Tensor custom_forward(torch::Tensor input) {
  TORCH_CHECK(input.is_floating_point(), "custom_forward: expected a floating tensor, got ",
              input.scalar_type());
  auto x = input.contiguous();
  auto out = torch::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES_AND_HALF(x.scalar_type(), "custom_forward", [&] {
    const scalar_t* px = x.data_ptr<scalar_t>();
    scalar_t* po = out.data_ptr<scalar_t>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      double v = static_cast<double>(px[i]);
      po[i] = static_cast<scalar_t>(v / (1.0 + std::exp(-v)));
    }
  });
  return out;
}

torch::Tensor custom_backward(torch::Tensor grad, torch::Tensor input) {
  TORCH_CHECK(grad.sizes() == input.sizes(), "custom_backward: grad has shape ", grad.sizes(),
              " but input has shape ", input.sizes());
  TORCH_CHECK(grad.scalar_type() == input.scalar_type(), "custom_backward: dtype mismatch, ",
              grad.scalar_type(), " vs ", input.scalar_type());
  auto g = grad.contiguous();
  auto x = input.contiguous();
  auto out = torch::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES_AND_HALF(x.scalar_type(), "custom_backward", [&] {
    const scalar_t* px = x.data_ptr<scalar_t>();
    const scalar_t* pg = g.data_ptr<scalar_t>();
    scalar_t* po = out.data_ptr<scalar_t>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      double v = static_cast<double>(px[i]);
      double s = 1.0 / (1.0 + std::exp(-v));
      po[i] = static_cast<scalar_t>(static_cast<double>(pg[i]) * s * (1.0 + v * (1.0 - s)));
    }
  });
  return out;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("custom_forward", &custom_forward, "x * sigmoid(x)");
  m.def("custom_backward", &custom_backward, "gradient of x * sigmoid(x)");
}
