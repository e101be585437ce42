// Reads a Hugging Face config.json into a ModelSpec: Llama/Qwen/Mistral-style dense models,
// Mixtral/Qwen-MoE/gpt-oss/Llama-4 MoE and DeepSeek-V2/V3 MoE with MLA.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/catalog/model.h"
#include "tokenfab/core/status.h"

namespace tokenfab {

// `origin` names the file in error messages; `id` becomes ModelSpec::id.
Result<ModelSpec> ParseHfConfig(std::string_view json_text, const std::string& origin,
                                const std::string& id);
Result<ModelSpec> LoadHfConfig(const std::string& path);

}  // namespace tokenfab
