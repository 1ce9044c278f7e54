// Backend selection by name. Only the CPU backend is compiled in today; the
// CUDA one will register here, and "auto" will prefer it when a device answers.
#include <stdexcept>
#include <string>

#include "backend.h"

namespace nestflow {

std::unique_ptr<Backend> makeBackend(const std::string& name, int threads) {
  if (name == "auto" || name == "cpu") return makeCpuBackend(threads);
  if (name == "cuda")
    throw std::range_error("backend 'cuda' is not available: this build of nestflow has no CUDA backend");
  throw std::range_error("unknown backend '" + name + "' (expected 'auto', 'cpu' or 'cuda')");
}

}  // namespace nestflow
