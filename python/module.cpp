// _tokenfab: the compiled half of `import tokenfab`. Each job runs with the GIL released and
// returns JSON text, which tokenfab/__init__.py turns into Python values; a user error raises
// tokenfab.TokenfabError (a ValueError) carrying the message the CLI prints.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>

#include "jobs.h"

namespace py = pybind11;

namespace tokenfab::python {
namespace {

class JobError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Binds `job` as `name`: Python arguments in, JSON text out, the GIL released while it runs.
template <typename... Args>
void DefJob(py::module_& m, const char* name, Result<nlohmann::json> (*job)(Args...),
            const char* doc) {
  m.def(
      name,
      [job](Args... args) -> std::string {
        py::gil_scoped_release release;
        Result<nlohmann::json> result = [&]() -> Result<nlohmann::json> {
          try {
            return job(args...);
          } catch (const InputError& e) {
            return Error{e.what()};
          }
        }();
        if (!result) throw JobError(result.error().message);
        return result->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      },
      doc);
}

}  // namespace
}  // namespace tokenfab::python

PYBIND11_MODULE(_tokenfab, m) {
  using namespace tokenfab::python;
  m.doc() = "tokenfab jobs as JSON text; use the `tokenfab` package, not this module";
  py::register_exception<JobError>(m, "TokenfabError", PyExc_ValueError);
  DefJob(m, "simulate", &SimulateJob,
         "simulate(path, yaml, overrides, calibration, requests, iterations) -> JSON text");
  DefJob(m, "catalog", &CatalogJob, "catalog() -> JSON text");
  DefJob(m, "keys", &KeysJob, "keys() -> JSON text");
  DefJob(m, "validate", &ValidateJob,
         "validate(data, split_file, split, filter, metric_class, profile, calibration, "
         "max_requests, threads) -> JSON text");
}
