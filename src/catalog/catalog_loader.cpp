// Reads data/catalog/*.yaml into a Catalog. Every error names the file, the line, the entry
// and the key, and says what would be valid; nothing unknown is silently ignored.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/catalog/hf_config.h"
#include "tokenfab/core/names.h"
#include "tokenfab/core/units.h"

namespace tokenfab {
namespace {

std::string Location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read file");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

YAML::Node ParseYamlFile(const std::string& path) {
  const std::string text = ReadText(path);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(Location(path, e.mark) + ": invalid YAML: " + e.msg);
  }
}

// Indexed by Dimension, in its declaration order.
constexpr std::string_view kUnitExamples[] = {"80 GB", "3.35 TB/s", "989 TFLOPS",
                                              "5 us",  "700 W",     "0.8"};

// What one kind of entry may hold. `sourced` are the keys whose values must be covered by
// `sources`; `keys` lists every valid key, in the order the files use.
struct Schema {
  std::string section;  // top-level key of the file
  std::string kind;     // "gpu", as errors name it
  std::vector<std::string> sourced;
  std::vector<std::string> keys;
};

Schema MakeSchema(std::string section, std::string kind, std::vector<std::string> leading,
                  std::vector<std::string> sourced) {
  std::vector<std::string> keys = std::move(leading);
  keys.insert(keys.end(), sourced.begin(), sourced.end());
  if (!sourced.empty()) keys.insert(keys.end(), {"sources", "notes"});
  return {std::move(section), std::move(kind), std::move(sourced), std::move(keys)};
}

constexpr std::size_t Index(Precision p) { return static_cast<std::size_t>(p); }

// One catalog entry, a YAML map. Rejects unknown and duplicate keys on construction; the typed
// getters report a missing or malformed value at its line.
class EntryReader {
 public:
  EntryReader(std::string file, const Schema& schema, std::string id, const YAML::Node& node,
              const YAML::Mark& id_mark)
      : file_(std::move(file)),
        kind_(schema.kind),
        id_(std::move(id)),
        mark_(id_mark),
        sourced_(schema.sourced) {
    const std::vector<std::string>& valid_keys = schema.keys;
    if (!node.IsMap()) throw InputError(Prefix(mark_) + ": expected a map of keys");
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(valid_keys.begin(), valid_keys.end(), key) == valid_keys.end()) {
        throw InputError(Prefix(it->first.Mark()) + ": " +
                         UnknownNameMessage("key", key, valid_keys));
      }
      if (!fields_.emplace(key, it->second).second) {
        throw InputError(Prefix(it->first.Mark()) + ": duplicate key '" + key + "'");
      }
    }
  }

  // A key written as `key: ~` counts as absent, which documents "not supported" in the data.
  bool Has(const std::string& key) const {
    const auto it = fields_.find(key);
    return it != fields_.end() && !it->second.IsNull();
  }

  std::string Text(const std::string& key) const { return Scalar(key).Scalar(); }
  std::string OptionalText(const std::string& key) const { return Has(key) ? Text(key) : ""; }

  // A dimensioned number; the unit is mandatory so "hbm: 80" cannot silently mean 80 bytes.
  double Quantity(const std::string& key, Dimension d, bool allow_zero = false) const {
    const YAML::Node& node = Scalar(key);
    const std::string& text = node.Scalar();
    const std::string where = Where(key);
    const char last = text.empty() ? '0' : text.back();
    if (d != Dimension::kDimensionless &&
        (std::isdigit(static_cast<unsigned char>(last)) || last == '.')) {
      throw InputError(where + ": '" + text + "' needs a unit, e.g. '" +
                       std::string(kUnitExamples[static_cast<int>(d)]) + "'");
    }
    const double value = ParseQuantity(text, d, where);
    if (value < 0 || (value == 0 && !allow_zero)) {
      throw InputError(where + ": must be " + (allow_zero ? "zero or more" : "positive") +
                       ", got '" + text + "'");
    }
    return value;
  }
  double OptionalQuantity(const std::string& key, Dimension d) const {
    return Has(key) ? Quantity(key, d) : 0.0;
  }

  // A fraction of a peak, in (0, 1].
  double Fraction(const std::string& key) const {
    const double value = Quantity(key, Dimension::kDimensionless);
    if (value > 1) {
      throw InputError(Where(key) + ": must be a fraction in (0, 1], got '" + Text(key) + "'");
    }
    return value;
  }

  // One of a fixed set of words.
  std::string OneOf(const std::string& key, const std::vector<std::string>& valid) const {
    const std::string value = Text(key);
    if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
      throw InputError(Where(key) + ": " + UnknownNameMessage(key, value, valid));
    }
    return value;
  }

  int Int(const std::string& key) const {
    const YAML::Node& node = Scalar(key);
    const std::string& text = node.Scalar();
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < 1) {
      throw InputError(Where(key) + ": expected a positive integer, got '" + text + "'");
    }
    return value;
  }

  // A list of positive integers in increasing order, e.g. `[1, 2, 4, 8]`.
  std::vector<int> IncreasingInts(const std::string& key) const {
    const YAML::Node& node = fields_.at(key);
    if (!node.IsSequence()) {
      throw InputError(Where(key) +
                       ": expected a list of increasing positive integers, e.g. "
                       "[1, 2, 4, 8]");
    }
    std::vector<std::string> items;
    for (const YAML::Node& item : node) items.push_back(item.IsScalar() ? item.Scalar() : "");
    return ParseIncreasingSizes(items, Where(key));
  }

  bool Bool(const std::string& key) const {
    const YAML::Node& node = Scalar(key);
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True") return true;
    if (text == "false" || text == "False") return false;
    throw InputError(Where(key) + ": expected true or false, got '" + text + "'");
  }

  // `sources` is one string for the whole entry, or a map from field name (or `default`) to
  // a citation. Every sourced field the entry sets must be covered: no number is unsourced.
  std::string Sources() const {
    if (!Has("sources")) {
      throw InputError(Prefix(mark_) + ": missing key 'sources' (where the numbers come from)");
    }
    const YAML::Node& node = fields_.at("sources");
    if (node.IsScalar()) return node.Scalar();
    if (!node.IsMap()) {
      throw InputError(Where("sources") + ": expected a string or a map field -> source");
    }
    std::vector<std::string> valid = {"default"};
    for (const auto& key : sourced_) {
      if (Has(key)) valid.push_back(key);
    }
    std::set<std::string> covered;
    std::string flat;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
        throw InputError(Prefix(it->first.Mark()) +
                         ": sources: " + UnknownNameMessage("field set by this entry", key, valid));
      }
      if (!it->second.IsScalar()) {
        throw InputError(Prefix(it->second.Mark()) + ": sources." + key + ": expected a string");
      }
      covered.insert(key);
      flat += (flat.empty() ? "" : "; ") + key + ": " + it->second.Scalar();
    }
    if (!covered.count("default")) {
      for (const auto& key : valid) {
        if (key != "default" && !covered.count(key)) {
          throw InputError(Where("sources") + ": no source for '" + key +
                           "'; add it to sources or give sources.default");
        }
      }
    }
    return flat;
  }

  const std::string& id() const { return id_; }

  // "file:line: gpu 'h100-sxm' key 'hbm'", at the key's value when it is present.
  std::string Where(const std::string& key) const {
    const auto it = fields_.find(key);
    const bool at_value = it != fields_.end() && !it->second.Mark().is_null();
    return Prefix(at_value ? it->second.Mark() : mark_) + " key '" + key + "'";
  }
  std::string Prefix(const YAML::Mark& mark) const {
    return Location(file_, mark) + ": " + kind_ + " '" + id_ + "'";
  }

 private:
  const YAML::Node& Scalar(const std::string& key) const {
    if (!Has(key)) throw InputError(Prefix(mark_) + ": missing key '" + key + "'");
    const YAML::Node& node = fields_.at(key);
    if (!node.IsScalar()) throw InputError(Where(key) + ": expected a single value");
    return node;
  }

  std::string file_;
  std::string kind_;
  std::string id_;
  YAML::Mark mark_;
  std::vector<std::string> sourced_;
  std::map<std::string, YAML::Node> fields_;
};

// Calls fn(reader) for each entry under the file's top-level section. Besides it, a
// file may hold `references`: citations defined once as YAML anchors and used as aliases.
template <typename Fn>
void ForEachEntry(const std::string& file, const Schema& schema, Fn fn) {
  const YAML::Node root = ParseYamlFile(file);
  const std::vector<std::string> top_keys = {schema.section, "references"};
  if (!root.IsMap()) {
    throw InputError(file + ": expected a map with top-level key '" + schema.section + "'");
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key != schema.section && key != "references") {
      throw InputError(Location(file, it->first.Mark()) + ": " +
                       UnknownNameMessage("top-level key", key, top_keys));
    }
  }
  const YAML::Node entries = root[schema.section];
  if (!entries || !entries.IsMap()) {
    throw InputError(file + ": expected top-level key '" + schema.section +
                     "' holding a map of entries");
  }
  std::set<std::string> seen;
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    const std::string id = it->first.Scalar();
    if (!seen.insert(id).second) {
      throw InputError(Location(file, it->first.Mark()) + ": duplicate id '" + id + "'");
    }
    fn(EntryReader(file, schema, id, it->second, it->first.Mark()));
  }
}

}  // namespace

class CatalogLoader {
 public:
  CatalogLoader(Catalog& catalog, const std::string& data_dir)
      : catalog_(catalog), dir_(data_dir + "/catalog") {
    catalog_.data_dir_ = data_dir;
  }

  void Run() {
    const Schema gpus =
        MakeSchema("gpus", "gpu", {"name", "vendor"},
                   {"fp4_dense", "fp8_dense", "bf16_dense", "tf32_dense", "fp32_dense", "fp8_mamf",
                    "bf16_mamf", "hbm", "hbm_bandwidth", "scale_up_bandwidth", "scale_up_domain",
                    "scale_out_bandwidth", "tdp", "architecture"});
    ForEachEntry(dir_ + "/gpus.yaml", gpus,
                 [&](const EntryReader& r) { catalog_.gpus_.emplace(r.id(), ReadGpu(r)); });
    const Schema systems =
        MakeSchema("systems", "system", {"name", "gpu"}, {"gpus", "nvlink_domain", "power"});
    ForEachEntry(dir_ + "/systems.yaml", systems,
                 [&](const EntryReader& r) { catalog_.systems_.emplace(r.id(), ReadSystem(r)); });
    const Schema engines = MakeSchema("engines", "engine", {"name"},
                                      {"max_batch_size",
                                       "max_num_tokens",
                                       "kv_block_size",
                                       "chunked_prefill",
                                       "gpu_memory_fraction",
                                       "memory_fraction_basis",
                                       "batch_limits",
                                       "batch_limits_scope",
                                       "percentiles",
                                       "kv_admission",
                                       "iteration_overhead",
                                       "per_sequence_overhead",
                                       "gemm_efficiency",
                                       "attention_efficiency",
                                       "memory_efficiency",
                                       "network_efficiency",
                                       "collective_latency",
                                       "host_time_per_sequence",
                                       "grouped_gemm_efficiency",
                                       "compute_memory_overlap",
                                       "cuda_graph_batch_sizes",
                                       "kv_read_efficiency",
                                       "moe_fused_finalize",
                                       "mixed_prefill",
                                       "new_token_ratio",
                                       "preemption_order"});
    ForEachEntry(dir_ + "/engines.yaml", engines,
                 [&](const EntryReader& r) { catalog_.engines_.emplace(r.id(), ReadEngine(r)); });
    // Models are optional: a data dir may hold hardware only, and Catalog::Model still takes
    // config.json paths. Each carries one `source`, for the config.json it points to.
    const std::filesystem::path models = dir_ + "/models/models.yaml";
    if (!std::filesystem::exists(models)) return;
    const Schema schema = MakeSchema("models", "model",
                                     {"name", "config", "source", "params_published", "notes"}, {});
    ForEachEntry(models.string(), schema, [&](const EntryReader& r) {
      catalog_.models_.emplace(r.id(), ReadModel(r, models.parent_path()));
    });
  }

 private:
  static GpuSpec ReadGpu(const EntryReader& r) {
    constexpr Dimension kFlops = Dimension::kFlopsPerSecond;
    constexpr Dimension kRate = Dimension::kBytesPerSecond;
    GpuSpec g;
    g.id = r.id();
    g.name = r.Text("name");
    g.vendor = r.Text("vendor");
    g.architecture = r.Has("architecture") ? r.Text("architecture") : r.id();
    g.peak_flops[Index(Precision::kFp4)] = r.OptionalQuantity("fp4_dense", kFlops);
    g.peak_flops[Index(Precision::kFp8)] = r.OptionalQuantity("fp8_dense", kFlops);
    // FP16 and BF16 run at the same tensor rate on every catalogued GPU.
    g.peak_flops[Index(Precision::kBf16)] = r.Quantity("bf16_dense", kFlops);
    g.peak_flops[Index(Precision::kFp16)] = g.peak_flops[Index(Precision::kBf16)];
    // An FP32 matmul runs as TF32 on tensor cores where the GPU has them.
    g.peak_flops[Index(Precision::kFp32)] = r.Has("tf32_dense")
                                                ? r.Quantity("tf32_dense", kFlops)
                                                : r.OptionalQuantity("fp32_dense", kFlops);
    g.achievable_matmul_flops[Index(Precision::kFp8)] = r.OptionalQuantity("fp8_mamf", kFlops);
    g.achievable_matmul_flops[Index(Precision::kBf16)] = r.OptionalQuantity("bf16_mamf", kFlops);
    g.hbm_bytes = r.Quantity("hbm", Dimension::kBytes);
    g.hbm_bandwidth = r.Quantity("hbm_bandwidth", kRate);
    g.scale_up_bandwidth = r.Quantity("scale_up_bandwidth", kRate);
    g.scale_up_domain = r.Int("scale_up_domain");
    g.scale_out_bandwidth = r.Quantity("scale_out_bandwidth", kRate);
    g.tdp_watts = r.Quantity("tdp", Dimension::kWatts);
    g.sources = r.Sources();
    g.notes = r.OptionalText("notes");
    return g;
  }

  SystemSpec ReadSystem(const EntryReader& r) const {
    SystemSpec s;
    s.id = r.id();
    s.name = r.Text("name");
    s.gpu = r.Text("gpu");
    if (!catalog_.gpus_.count(s.gpu)) {
      throw InputError(r.Where("gpu") + ": " + UnknownNameMessage("gpu", s.gpu, catalog_.GpuIds()));
    }
    s.gpus = r.Int("gpus");
    s.nvlink_domain = r.Int("nvlink_domain");
    s.power_watts = r.Quantity("power", Dimension::kWatts);
    s.sources = r.Sources();
    s.notes = r.OptionalText("notes");
    return s;
  }

  static EngineProfile ReadEngine(const EntryReader& r) {
    constexpr Dimension kTime = Dimension::kSeconds;
    EngineProfile e;
    e.id = r.id();
    e.name = r.Text("name");
    e.max_batch_size = r.Int("max_batch_size");
    e.max_num_tokens = r.Int("max_num_tokens");
    e.kv_block_size = r.Int("kv_block_size");
    e.chunked_prefill = r.Bool("chunked_prefill");
    if (r.Has("moe_fused_finalize")) e.moe_fused_finalize = r.Bool("moe_fused_finalize");
    if (r.Has("mixed_prefill")) e.mixed_prefill = r.Bool("mixed_prefill");
    e.gpu_memory_fraction = r.Fraction("gpu_memory_fraction");
    e.percentiles = r.OneOf("percentiles", {"linear", "floor_index"}) == "linear"
                        ? PercentileMethod::kLinear
                        : PercentileMethod::kFloorIndex;
    e.kv_admission = r.OneOf("kv_admission", {"on_demand", "reserve_full"});
    if (r.Has("new_token_ratio")) e.new_token_ratio = r.Fraction("new_token_ratio");
    if (r.Has("preemption_order")) {
      e.preemption_order = r.OneOf("preemption_order", {"newest", "fewest_outputs"});
    }
    if (r.Has("memory_fraction_basis")) {
      e.memory_fraction_basis = r.OneOf("memory_fraction_basis", {"total", "free_after_weights"});
    }
    if (r.Has("batch_limits"))
      e.batch_limits = r.OneOf("batch_limits", {"defaults", "trtllm_bench"});
    if (r.Has("batch_limits_scope"))
      e.batch_limits_scope = r.OneOf("batch_limits_scope", {"instance", "rank"});
    e.iteration_overhead_s = r.Quantity("iteration_overhead", kTime, true);
    e.per_sequence_overhead_s = r.Quantity("per_sequence_overhead", kTime, true);
    e.gemm_efficiency = r.Fraction("gemm_efficiency");
    e.attention_efficiency = r.Fraction("attention_efficiency");
    e.memory_efficiency = r.Fraction("memory_efficiency");
    e.network_efficiency = r.Fraction("network_efficiency");
    e.collective_latency_s = r.Quantity("collective_latency", kTime, true);
    if (r.Has("host_time_per_sequence"))
      e.host_time_per_sequence_s = r.Quantity("host_time_per_sequence", kTime, true);
    if (r.Has("grouped_gemm_efficiency"))
      e.grouped_gemm_efficiency = r.Fraction("grouped_gemm_efficiency");
    if (r.Has("compute_memory_overlap"))
      e.compute_memory_overlap = r.Fraction("compute_memory_overlap");
    if (r.Has("kv_read_efficiency")) e.kv_read_efficiency = r.Fraction("kv_read_efficiency");
    if (r.Has("cuda_graph_batch_sizes"))
      e.cuda_graph_batch_sizes = r.IncreasingInts("cuda_graph_batch_sizes");
    e.sources = r.Sources();
    return e;
  }

  static ModelSpec ReadModel(const EntryReader& r, const std::filesystem::path& dir) {
    const std::string config = (dir / r.Text("config")).string();
    if (!std::filesystem::exists(config)) {
      throw InputError(r.Where("config") + ": no such file " + config);
    }
    Result<ModelSpec> model = ParseHfConfig(ReadText(config), config, r.id());
    if (!model.ok()) {
      throw InputError(r.Where("config") + ": " + model.error().message);
    }
    model->id = r.id();
    if (r.Has("name")) model->name = r.Text("name");
    model->source = r.Text("source");
    r.OptionalText("params_published");  // the authors' count, for readers; checked as text only
    return std::move(model).value();
  }

  Catalog& catalog_;
  std::string dir_;
};

Result<Catalog> Catalog::Load(const std::string& data_dir) {
  return CatchInputErrors([&] {
    Catalog catalog;
    CatalogLoader(catalog, data_dir).Run();
    return catalog;
  });
}

}  // namespace tokenfab
