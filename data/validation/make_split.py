#!/usr/bin/env python3
"""Assign every simulatable row of measured.csv to `fit` or `holdout`; writes split.csv.

The split is fixed in the repository: rerun this only when rows are added, and say so in the
change. Rules, so that the holdout measures generalization and not memory:
- The unit is a *run*: rows that share every configuration column (they differ only in the
  metric, e.g. throughput and TTFT of one benchmark run) go to the same side.
- Stratified by (gpu, model): inside each group, runs are ordered by the SHA-1 of their first
  row id and dealt alternately, so every group with >= 2 runs has runs on both sides. Which side
  gets the first run (the extra one of an odd group) is decided by the SHA-1 of the group name.
- Deterministic: no random state, no dependence on row order in the file.

Usage: python3 make_split.py [measured.csv] [split.csv]
"""
import collections
import csv
import hashlib
import sys

RUN_COLUMNS = ['model', 'gpu', 'num_gpus', 'tp', 'pp', 'ep', 'attention_dp', 'replicas',
               'precision', 'framework', 'scenario', 'concurrency', 'rate', 'num_requests',
               'input_tokens', 'output_tokens']


def digest(text):
    return int(hashlib.sha1(text.encode()).hexdigest(), 16)


def main(src, dst):
    rows = [r for r in csv.DictReader(open(src, newline='')) if r['simulatable'] == '1']
    runs = collections.OrderedDict()
    for r in rows:
        runs.setdefault(tuple(r[c] for c in RUN_COLUMNS), []).append(r['id'])
    groups = collections.defaultdict(list)
    for key, ids in runs.items():
        groups[(key[1], key[0])].append(ids)
    side = {}
    for (gpu, model), group in groups.items():
        group.sort(key=lambda ids: digest(ids[0]))
        first = digest(gpu + '/' + model) % 2
        for i, ids in enumerate(group):
            for row_id in ids:
                side[row_id] = 'fit' if (i + first) % 2 == 0 else 'holdout'
    with open(dst, 'w', newline='') as out:
        w = csv.writer(out, lineterminator='\n')
        w.writerow(['id', 'split'])
        for r in rows:
            w.writerow([r['id'], side[r['id']]])
    counts = collections.Counter(side.values())
    print(f'{len(rows)} rows: {counts["fit"]} fit, {counts["holdout"]} holdout')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'measured.csv',
         sys.argv[2] if len(sys.argv) > 2 else 'split.csv')
