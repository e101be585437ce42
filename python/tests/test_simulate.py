"""The Python front end: simulate, overrides, tables, errors, validate and the catalog.

Each test runs a small scenario (a few hundred requests) so the file takes seconds.
"""

import concurrent.futures
import copy
import pathlib
import sys

import pytest

import tokenfab

REPO = pathlib.Path(__file__).resolve().parents[2]
SMALL = {"workload__num_requests": 200}


def without_wall_time(metrics):
    m = copy.deepcopy(metrics)
    del m["sim"]["wall_s"]
    return m


def test_default_scenario_returns_the_cli_metric_keys():
    m = tokenfab.simulate(**SMALL)
    for section in ("config", "throughput", "latency", "goodput", "kv_cache", "energy", "sim"):
        assert section in m
    assert m["throughput"]["output_tokens_per_s"] > 0
    assert m["latency"]["ttft_ms"]["p99"] >= m["latency"]["ttft_ms"]["p50"] > 0
    assert m["requests"]["completed"] == 200
    assert "tables" not in m


def test_keyword_and_dotted_overrides_change_the_config():
    m = tokenfab.simulate(parallelism__tp=4, **SMALL)
    assert m["config"]["parallelism"]["tp"] == 4
    m = tokenfab.simulate(set={"parallelism.tp": 2, "workload.num_requests": 50})
    assert m["config"]["parallelism"]["tp"] == 2
    assert m["requests"]["completed"] == 50


def test_override_values_may_be_python_values_or_yaml_text():
    m = tokenfab.simulate(
        workload__input_tokens={"dist": "fixed", "mean": 128},
        workload__output_tokens="{dist: fixed, mean: 16}",
        engine__chunked_prefill=False,
        **SMALL,
    )
    assert m["config"]["workload"]["input_tokens"]["dist"] == "fixed"
    assert m["config"]["workload"]["output_tokens"]["mean"] == 16
    assert m["config"]["engine"]["chunked_prefill"] is False
    assert m["requests"]["output_tokens"] == 200 * 16


def test_dict_scenario():
    scenario = {
        "model": "llama-3.1-8b",
        "hardware": {"gpu": "h100-sxm", "num_gpus": 1},
        "parallelism": {"tp": 1},
        "workload": {"num_requests": 20, "input_tokens": 256, "output_tokens": 32},
    }
    m = tokenfab.simulate(scenario)
    assert m["config"]["model"] == "llama-3.1-8b"
    assert m["config"]["num_gpus"] == 1
    assert m["requests"]["completed"] == 20


def test_scenario_file_path_and_pathlike():
    path = REPO / "examples" / "default.yaml"
    by_path = tokenfab.simulate(path, seed=3, **SMALL)
    by_str = tokenfab.simulate(str(path), seed=3, **SMALL)
    assert without_wall_time(by_path) == without_wall_time(by_str)


def test_requests_table_has_one_record_per_request_with_the_csv_columns():
    m = tokenfab.simulate(requests=True, **SMALL)
    rows = m["tables"]["requests"]
    assert len(rows) == m["requests"]["completed"] == 200
    assert list(rows[0]) == [
        "id", "instance", "arrival_s", "first_token_s", "finish_s", "input_tokens",
        "output_tokens", "ttft_ms", "e2e_ms", "preemptions",
    ]
    assert sorted(r["id"] for r in rows) == list(range(200))
    assert sum(r["output_tokens"] for r in rows) == m["requests"]["output_tokens"]
    assert all(r["finish_s"] >= r["first_token_s"] >= r["arrival_s"] for r in rows)
    assert "iterations" not in m["tables"]


def test_iterations_table_has_one_record_per_iteration():
    m = tokenfab.simulate(iterations=True, **SMALL)
    rows = m["tables"]["iterations"]
    assert len(rows) == m["batch"]["iterations"]
    assert {"start_s", "end_s", "batch_tokens", "kv_blocks_used", "joules"} <= set(rows[0])
    assert "requests" not in m["tables"]


def test_same_seed_gives_identical_metrics_except_wall_time():
    a = tokenfab.simulate(seed=7, **SMALL)
    b = tokenfab.simulate(seed=7, **SMALL)
    c = tokenfab.simulate(seed=8, **SMALL)
    assert a["config"]["seed"] == 7
    assert without_wall_time(a) == without_wall_time(b)
    assert without_wall_time(a) != without_wall_time(c)


def test_bad_key_raises_tokenfab_error_naming_it_and_the_nearest_valid_key():
    with pytest.raises(tokenfab.TokenfabError) as e:
        tokenfab.simulate(parallelism__tpp=4)
    assert isinstance(e.value, ValueError)
    message = str(e.value)
    assert "parallelism.tpp" in message
    assert "did you mean" in message and "parallelism.tp" in message


def test_bad_dict_key_and_missing_file_raise_tokenfab_error():
    with pytest.raises(tokenfab.TokenfabError, match="worklaod"):
        tokenfab.simulate({"worklaod": {"rate": 1}})
    with pytest.raises(tokenfab.TokenfabError, match="no-such-scenario.yaml"):
        tokenfab.simulate("no-such-scenario.yaml")
    with pytest.raises(tokenfab.TokenfabError, match="h100-sxn"):
        tokenfab.simulate(hardware__gpu="h100-sxn")
    with pytest.raises(TypeError):
        tokenfab.simulate(42)


def test_catalog_lists_gpus_models_and_engines_with_sources():
    c = tokenfab.catalog()
    assert "h100-sxm" in c["gpus"] and "llama-3.1-70b" in c["models"]
    h100 = c["gpus"]["h100-sxm"]
    assert h100["hbm_bandwidth"] > 1e12 and h100["peak_flops"]["bf16"] > 1e14
    assert h100["sources"]
    assert c["models"]["llama-3.1-70b"]["parameters"] > 6e10
    # gpt-oss's MXFP4 checkpoint keeps attention in BF16 (quantization_config)
    assert c["models"]["gpt-oss-20b"]["attention_unquantized"]
    assert not c["models"]["llama-3.1-70b"]["attention_unquantized"]
    assert all(e["sources"] for e in c["engines"].values())
    # trtllm-bench pads decode batches to its CUDA graph sizes; vLLM's are not modelled
    assert c["engines"]["trtllm"]["cuda_graph_batch_sizes"][:4] == [1, 2, 4, 8]
    assert c["engines"]["vllm"]["cuda_graph_batch_sizes"] == []


def test_keys_table():
    keys = {k["key"]: k for k in tokenfab.keys()}
    assert "parallelism.tp" in keys and "workload.rate" in keys
    assert keys["parallelism.tp"]["type"] == "integer"
    assert all(k["help"] for k in keys.values())


def test_to_dataframe():
    pandas = pytest.importorskip("pandas")
    m = tokenfab.simulate(requests=True, **SMALL)
    df = tokenfab.to_dataframe(m["tables"]["requests"])
    assert isinstance(df, pandas.DataFrame)
    assert len(df) == 200 and "ttft_ms" in df.columns


def test_to_dataframe_without_pandas_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="needs pandas"):
        tokenfab.to_dataframe([{"a": 1}])


def test_simulations_in_threads_are_independent():
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda seed: tokenfab.simulate(seed=seed, **SMALL), [5, 5, 6, 6]))
    assert without_wall_time(runs[0]) == without_wall_time(runs[1])
    assert without_wall_time(runs[2]) == without_wall_time(runs[3])
    assert without_wall_time(runs[0]) != without_wall_time(runs[2])


def test_validate_filtered_rows():
    v = tokenfab.validate(filter="llama-3.1-8b", max_requests=50, threads=2)
    assert v["options"]["filter"] == "llama-3.1-8b"
    assert v["rows"] and all(r["model"] == "llama-3.1-8b" for r in v["rows"])
    assert {"predicted", "measured", "ape_pct", "metric"} <= set(v["rows"][0])
    assert "summaries" in v
    with pytest.raises(tokenfab.TokenfabError, match="fit, holdout or all"):
        tokenfab.validate(split="bogus")
    with pytest.raises(tokenfab.TokenfabError, match="no-such-table.csv"):
        tokenfab.validate(data="no-such-table.csv")


def test_calibration_applies_fitted_constants_as_the_cli_does():
    scenario = {"model": "llama-3.1-8b", "hardware": {"gpu": "h100-sxm"},
                "engine": {"profile": "trtllm"},
                "workload": {"kind": "offline", "num_requests": 200,
                             "input_tokens": 1024, "output_tokens": 256}}
    plain = tokenfab.simulate(scenario)
    cal = str(REPO / "data" / "calibration" / "trtllm.yaml")
    fitted = tokenfab.simulate(scenario, calibration=cal)
    assert fitted["throughput"]["output_tokens_per_s"] != plain["throughput"]["output_tokens_per_s"]
    assert without_wall_time(tokenfab.simulate(scenario, calibration=[cal])) == \
        without_wall_time(fitted)
    with pytest.raises(tokenfab.TokenfabError, match="no-such-calibration.yaml"):
        tokenfab.simulate(scenario, calibration="no-such-calibration.yaml")
