#!/usr/bin/env python3
"""Fits how much the output lengths of each dataset of the Triton online-serving table (`trtol`)
vary; writes output_length_fits.csv, which make_row_settings.py turns into row settings.

Why: the table gives each dataset as a pair of mean lengths (467/256, 467/16, 202/214) and does
not say whether every request has exactly those lengths. The twin's default is that they do,
which fits the 467/256 and 467/16 runs (0.90-1.06x at infinite rate) but not the 202/214 runs of
the same server, GPUs and models (1.4-1.6x throughput at high load, with a run ~525 decode
steps longer than the twin's at every offered rate: the tail of a few long answers). So the
spread is a property of each dataset, and it can be measured from the rows, as an engine constant
is by `tokenfab calibrate`: on the `fit` rows only, judged on the `holdout` rows.

Model: output lengths log-normal with the table's mean and a coefficient of variation `cv`
(the twin's `{dist: lognormal, mean, cv}`); cv = 0 is the fixed length. One cv per dataset, the
value of the grid 0, 0.05, ..., 1.5 with the least sum of squared log(predicted / measured) over
the dataset's fit rows (every metric), engine constants from data/calibration/trtllm-engine.yaml.
A dataset keeps fixed lengths unless a cv > 0 fits strictly better. Deterministic: the twin is.

Run from this folder after building: python3 fit_output_lengths.py [path/to/tokenfab]
(default ../../build/tokenfab); then python3 make_row_settings.py > row_settings.csv.
`--grid 0,0.55,0.6,0.65 --out FILE` searches fewer values and writes elsewhere (the test that
checks the committed fit is a local optimum does this).
"""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

GRID = [round(0.05 * i, 2) for i in range(31)]
CALIBRATION = "../calibration/trtllm-engine.yaml"
OUT = "output_length_fits.csv"


def datasets(rows):
    found = {}
    for r in rows:
        if r["id"].startswith("trtol") and r["simulatable"] == "1":
            found.setdefault((r["input_tokens"], r["output_tokens"]), []).append(r["id"])
    return found


def setting(output_tokens, cv):
    """The workload.output_tokens value of a dataset's rows (make_row_settings.py writes it)."""
    return "{dist: lognormal, mean: %s, cv: %s}" % (output_tokens, cv)


def base_settings():
    """row_settings.csv without an earlier fit's output lengths, which this fit replaces."""
    return [s for s in csv.reader(open("row_settings.csv", newline=""))
            if s[1] != "workload.output_tokens"]


def evaluate(tokenfab, folder, base, ids, output_tokens, cv):
    """Sum of squared log errors of the fit rows `ids` with output lengths of this cv."""
    with open(os.path.join(folder, "row_settings.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerows(base)
        if cv > 0:
            for i in ids:
                w.writerow([i, "workload.output_tokens", setting(output_tokens, cv), "fit"])
    result = subprocess.run(
        [tokenfab, "validate", "--data", os.path.join(folder, "measured.csv"), "--split", "fit",
         "--filter", "trtol", "--calibration", CALIBRATION, "--json", "-", "--quiet"],
        check=True, capture_output=True, text=True)
    wanted = set(ids)
    errors = [math.log(r["predicted"] / r["measured"])
              for r in json.loads(result.stdout)["rows"] if r["id"] in wanted]
    return sum(e * e for e in errors), len(errors)


def main(tokenfab, grid, out):
    rows = list(csv.DictReader(open("measured.csv", newline="")))
    split = {r["id"]: r["split"] for r in csv.DictReader(open("split.csv", newline=""))}
    base = base_settings()
    folder = tempfile.mkdtemp(prefix="tokenfab-fit-lengths-")
    try:
        for name in ("measured.csv", "split.csv"):
            shutil.copy(name, folder)
        fits = []
        for (isl, osl), ids in sorted(datasets(rows).items()):
            fit_ids = [i for i in ids if split.get(i) == "fit"]
            scores = {cv: evaluate(tokenfab, folder, base, fit_ids, osl, cv) for cv in grid}
            best = min(grid, key=lambda cv: (scores[cv][0], cv))
            n = scores[0.0][1]
            rms = {cv: math.sqrt(s / n) for cv, (s, _) in scores.items()}
            fits.append([isl, osl, n, best, "%.4f" % rms[0.0], "%.4f" % rms[best]])
            print(f"{isl}/{osl}: {n} fit rows, cv {best} (RMS log error {rms[0.0]:.4f} with "
                  f"fixed lengths, {rms[best]:.4f} fitted)", file=sys.stderr)
    finally:
        shutil.rmtree(folder)
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["input_tokens", "output_tokens", "fit_rows", "cv", "rms_log_error_fixed",
                    "rms_log_error_fitted"])
        w.writerows(fits)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tokenfab", nargs="?", default="../../build/tokenfab")
    parser.add_argument("--grid", default=",".join(str(cv) for cv in GRID),
                        help="coefficients of variation to try, comma-separated (must include 0)")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    grid = sorted({float(cv) for cv in args.grid.split(",")})
    if grid[0] != 0:
        parser.error("--grid must include 0 (fixed lengths)")
    main(os.path.abspath(args.tokenfab), grid, os.path.abspath(args.out))
