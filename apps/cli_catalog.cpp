#include <fmt/format.h>

#include "cli_commands.h"
#include "tokenfab/catalog/catalog.h"
#include "tokenfab/io/settings.h"

namespace tokenfab::cli {
namespace {

void PrintGpus(const Catalog& c) {
  fmt::print("GPUs ({}):\n", c.gpus().size());
  fmt::print("  {:<14} {:>9} {:>9} {:>9} {:>8} {:>9} {:>9} {:>7}\n", "id", "BF16 TF", "FP8 TF",
             "FP4 TF", "HBM GB", "HBM TB/s", "link GB/s", "TDP W");
  for (const auto& [id, g] : c.gpus()) {
    fmt::print("  {:<14} {:>9.0f} {:>9.0f} {:>9.0f} {:>8.0f} {:>9.2f} {:>9.0f} {:>7.0f}\n", id,
               g.peak_flops[static_cast<int>(Precision::kBf16)] / 1e12,
               g.peak_flops[static_cast<int>(Precision::kFp8)] / 1e12,
               g.peak_flops[static_cast<int>(Precision::kFp4)] / 1e12, g.hbm_bytes / 1e9,
               g.hbm_bandwidth / 1e12, g.scale_up_bandwidth / 1e9, g.tdp_watts);
    fmt::print("  {:<14} source: {}\n", "", g.sources);
  }
}

void PrintModels(const Catalog& c) {
  fmt::print("Models ({}):\n", c.models().size());
  fmt::print("  {:<18} {:>8} {:>8} {:>7} {:>6} {:>8} {:>8}\n", "id", "params B", "active B",
             "layers", "hidden", "experts", "attn");
  for (const auto& [id, m] : c.models()) {
    const ParameterCount p = CountParameters(m);
    fmt::print("  {:<18} {:>8.1f} {:>8.1f} {:>7} {:>6} {:>8} {:>8}\n", id, p.total / 1e9,
               p.active / 1e9, m.num_layers, m.hidden_size,
               m.IsMoe() ? fmt::format("{}/{}", m.experts_per_token, m.num_experts) : "-",
               m.attention == AttentionKind::kMla ? "MLA" : "GQA");
    fmt::print("  {:<18} source: {}\n", "", m.source);
  }
}

void PrintEngines(const Catalog& c) {
  fmt::print("Engine profiles ({}):\n", c.engines().size());
  for (const auto& [id, e] : c.engines()) {
    fmt::print(
        "  {:<8} {}: max_batch_size {}, max_num_tokens {}, kv_block_size {}, chunked_prefill {}, "
        "kv_admission {}, iteration overhead {:.2f} ms\n",
        id, e.name, e.max_batch_size, e.max_num_tokens, e.kv_block_size, e.chunked_prefill,
        e.kv_admission, e.iteration_overhead_s * 1e3);
    fmt::print("  {:<8} source: {}\n", "", e.sources);
  }
}

}  // namespace

void AddCatalog(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "catalog", "list the built-in GPUs, models and engine profiles with sources");
  cmd->add_option("what", *what, "gpus, models or engines (default: all)")
      ->check(CLI::IsMember({"gpus", "models", "engines", "systems"}));
  cmd->callback([what] {
    auto catalog = Catalog::Load(Catalog::DefaultDataDir());
    if (!catalog) return Fail(kExitInput, catalog.error().message);
    if (what->empty() || *what == "gpus") PrintGpus(*catalog);
    if (what->empty() || *what == "models") PrintModels(*catalog);
    if (what->empty() || *what == "engines") PrintEngines(*catalog);
    if (what->empty() || *what == "systems") {
      fmt::print("Systems ({}):\n", catalog->systems().size());
      for (const auto& [id, s] : catalog->systems()) {
        fmt::print("  {:<14} {} GPUs of {}, NVLink domain {}, {:.1f} kW; source: {}\n", id, s.gpus,
                   s.gpu, s.nvlink_domain, s.power_watts / 1e3, s.sources);
      }
    }
  });
}

void AddKeys(CLI::App& app) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* cmd =
      app.add_subcommand("keys", "list every scenario key with its type, default and meaning");
  cmd->add_flag("--markdown", *markdown, "print as a Markdown table (docs/scenario.md)");
  cmd->callback([markdown] {
    if (*markdown) {
      fmt::print("| key | type | default | meaning |\n|---|---|---|---|\n");
      for (const SettingInfo& s : ScenarioSettings()) {
        fmt::print("| `{}` | {} | {} | {} |\n", s.key, SettingTypeName(s.type),
                   s.default_text.empty() ? "(derived)" : "`" + std::string(s.default_text) + "`",
                   s.help);
      }
      return;
    }
    for (const SettingInfo& s : ScenarioSettings()) {
      fmt::print("{:<30} {:<10} default {:<28} {}\n", s.key, SettingTypeName(s.type),
                 s.default_text.empty() ? "(derived)" : std::string(s.default_text), s.help);
    }
  });
}

}  // namespace tokenfab::cli
