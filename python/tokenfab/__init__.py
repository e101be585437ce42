"""tokenfab: a digital twin of an AI factory (LLM serving on GPU clusters), from Python.

    >>> import tokenfab
    >>> m = tokenfab.simulate(parallelism__tp=4, requests=True)
    >>> m["throughput"]["output_tokens_per_s"]
    >>> tokenfab.to_dataframe(m["tables"]["requests"])   # needs pandas

Every job returns what `tokenfab <job> --json` writes, as Python values; jobs that simulate a
scenario take it as the CLI does (a YAML file, a dict, or the built-in default, plus overrides). A bad
scenario raises TokenfabError with the message the CLI prints. Scenario keys: keys() or
`tokenfab keys`; metric keys: docs/metrics.md.
"""

import json
import os

from . import _tokenfab
from ._tokenfab import TokenfabError

__all__ = ["TokenfabError", "simulate", "validate", "catalog", "keys", "to_dataframe"]

TokenfabError.__module__ = __name__
TokenfabError.__doc__ = (
    "A scenario, catalog or trace the simulator cannot use; the message is the one the CLI "
    "prints (file, line or key, and what would be valid)."
)


def _scenario_source(scenario):
    """(path, yaml text) for the compiled jobs: a path, a dict as JSON text, or the default."""
    if scenario is None:
        return "", ""
    if isinstance(scenario, dict):
        return "", json.dumps(scenario)
    if isinstance(scenario, (str, os.PathLike)):
        return os.fspath(scenario), ""
    raise TypeError(
        "scenario must be a path, a dict or None (the built-in default), not "
        + type(scenario).__name__
    )


def _override_value(value):
    # Strings go through as written, like --set KEY=VALUE (so "{dist: fixed, mean: 128}" works);
    # everything else as JSON, which is YAML: True -> true, {"dist": "fixed"} -> a mapping.
    return value if isinstance(value, str) else json.dumps(value)


def _overrides(dotted, overrides, seed):
    """["key=value", ...]: `set` keys are dotted, keyword overrides use __ for the dots."""
    items = list((dotted or {}).items())
    items += [(key.replace("__", "."), value) for key, value in overrides.items()]
    out = [f"{key}={_override_value(value)}" for key, value in items]
    if seed is not None:
        out.append(f"seed={int(seed)}")
    return out


def _records(table):
    columns = table["columns"]
    return [dict(zip(columns, row)) for row in table["rows"]]


def simulate(scenario=None, *, requests=False, iterations=False, seed=None, set=None,
             calibration=(), **overrides):
    """Simulates a serving deployment, as `tokenfab simulate --json`.

    scenario: a scenario YAML file (str or PathLike), a dict with the same structure, or None
        for the built-in default.
    requests: also return result["tables"]["requests"], one record (dict) per finished request
        with the columns of requests.csv (`tokenfab simulate --csv`).
    iterations: also return result["tables"]["iterations"], one record per engine iteration
        (iterations.csv).
    seed: overrides the scenario seed.
    set: overrides by dotted key, e.g. set={"parallelism.tp": 4}.
    **overrides: the same with "__" for the dots, e.g. parallelism__tp=4, workload__rate=2.5.
    calibration: engine constants fitted by `tokenfab calibrate`, a YAML path or a list of them
        (as `tokenfab simulate --calibration`), e.g. "data/calibration/trtllm.yaml".

    Returns the metrics dict ("config", "throughput", "latency", "goodput", "kv_cache",
    "energy", "requests", "memory", "sim", ...), plus "tables" when requests or iterations is
    set. Raises TokenfabError on a bad scenario or override.
    """
    path, yaml = _scenario_source(scenario)
    if isinstance(calibration, (str, os.PathLike)):
        calibration = [calibration]
    result = json.loads(
        _tokenfab.simulate(
            path, yaml, _overrides(set, overrides, seed), [os.fspath(c) for c in calibration],
            bool(requests), bool(iterations)
        )
    )
    tables = result.get("tables", {})
    for name in tables:
        tables[name] = _records(tables[name])
    return result


def validate(*, data=None, split_file=None, split="all", filter=None, metric_class=None,
             profile=None, calibration=(), max_requests=30000, threads=0):
    """Simulates every published measurement of a table, as `tokenfab validate --json`.

    data: the measured table (CSV); None for data/validation/measured.csv.
    split_file: the fit/holdout split (CSV); None for the split.csv beside the table.
    split: "fit", "holdout" or "all" rows.
    filter: only rows whose id, model or gpu contains this text.
    metric_class: only rows of this class ("throughput", "ttft", "tpot" or "other").
    profile: only rows served by this engine profile ("trtllm", "trtllm-1.0", "trtllm-engine", "vllm", "sglang").
    calibration: calibrated engine constants, a YAML path or a list of them.
    max_requests: requests per simulation at most.
    threads: worker threads (0: one per core).

    Returns the rows (predicted against measured) and the error summaries.
    """
    if isinstance(calibration, (str, os.PathLike)):
        calibration = [calibration]
    return json.loads(
        _tokenfab.validate(
            os.fspath(data or ""), os.fspath(split_file or ""), split, filter or "",
            metric_class or "", profile or "", [os.fspath(c) for c in calibration],
            int(max_requests), int(threads),
        )
    )


def catalog():
    """The built-in catalog: {"gpus": {id: {...}}, "systems", "models", "engines"}, each entry
    with its fields (SI units: FLOP/s, bytes, bytes/s, watts, seconds) and its "sources"."""
    return json.loads(_tokenfab.catalog())


def keys():
    """Every scenario key: [{"key", "type", "default" (None: derived), "help"}, ...]."""
    return _records(json.loads(_tokenfab.keys()))


def to_dataframe(records):
    """A pandas DataFrame of records (e.g. simulate(requests=True)["requests"])."""
    try:
        import pandas
    except ImportError as e:
        raise ImportError(
            "tokenfab.to_dataframe needs pandas (Debian: apt-get install python3-pandas); "
            "the records themselves are plain lists of dicts"
        ) from e
    return pandas.DataFrame.from_records(records)
