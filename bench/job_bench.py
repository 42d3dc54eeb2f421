#!/usr/bin/env python3
"""A nightly job end to end (CSV -> SQLite, replace_partition) side by side with `nightjar score`
of the same rows, interleaved over several rounds; prints rows/s, the median of the per-round
ratios, peak RSS and bytes per stored row.

    bench/job_bench.sh [--rows 1000000] [--rounds 5] [--threads 2] [--baseline OLD_NIGHTJAR] [--explain]

Each round runs, in order: `nightjar score` into a fresh file; the job for a date into a fresh
file ("first run"); the job again for the same date with --restart ("rerun": a new run that
replaces the partition); the job for the next date ("new date"). These machines are noisy: only
ratios taken within one round, and their median, are worth comparing. `--baseline` times another
nightjar binary (an earlier commit) the same way in the same rounds. `--explain` adds the job with
`explain: { reasons: 3 }` (exact contributions, three reason columns) for the first date into a
fresh file, and reports its speed as a share of the same job without explanations.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(ROOT, "fixtures", "churn", "churn_xgb.json")


def timed(cmd):
    """Wall seconds and peak RSS (MB) of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t0
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return seconds, usage.ru_maxrss / 1024


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def write_job(path, csv, db, threads, explain=False):
    with open(path, "w") as f:
        f.write(f"""name: job-bench
model: {{ path: {MODEL}, name: churn, version: "1" }}
source: {{ csv: {csv} }}
key: customer_id
chunk_rows: 50000
threads: {threads}
sink: {{ sqlite: {{ path: {db}, table: scores }} }}
write_mode: replace_partition
""" + ("explain: { reasons: 3 }\n" if explain else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nightjar", default=os.path.join(ROOT, ".build", "release", "nightjar"))
    ap.add_argument("--baseline", help="another nightjar binary to time the same way (before/after)")
    ap.add_argument("--workdir", default=os.path.join(HERE, "data", "jobs"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--explain", action="store_true", help="also the job with explain: { reasons: 3 }")
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    csv = os.path.join(args.workdir, f"churn_{args.rows}.csv")
    if not os.path.exists(csv):
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "make_big_csv.py"), str(args.rows), csv], check=True,
                       stdout=subprocess.DEVNULL)
    binaries = {"nightjar": args.nightjar}
    if args.baseline:
        binaries["baseline"] = args.baseline
    paths = ["score", "first run", "rerun", "new date"] + (["explained"] if args.explain else [])
    results = {(b, p): [] for b in binaries for p in paths}
    rss = {(b, p): 0.0 for b in binaries for p in paths}
    sizes = {}
    for r in range(args.rounds):
        for name, binary in binaries.items():
            score_db = os.path.join(args.workdir, f"{name}-score.db")
            job_db = os.path.join(args.workdir, f"{name}-job.db")
            job = os.path.join(args.workdir, f"{name}-job.yaml")
            write_job(job, csv, job_db, args.threads)
            explained_db = os.path.join(args.workdir, f"{name}-explained.db")
            explained = os.path.join(args.workdir, f"{name}-explained.yaml")
            write_job(explained, csv, explained_db, args.threads, explain=True)
            remove_db(score_db)
            remove_db(job_db)
            remove_db(explained_db)
            runs = [
                ("score", [binary, "score", "--model", MODEL, "--input", csv, "--output", score_db, "--key", "customer_id",
                           "--threads", str(args.threads)]),
                ("first run", [binary, "run", job, "--date", "2026-11-28", "--quiet"]),
                ("rerun", [binary, "run", job, "--date", "2026-11-28", "--quiet", "--restart"]),
                ("new date", [binary, "run", job, "--date", "2026-11-29", "--quiet"]),
            ] + ([("explained", [binary, "run", explained, "--date", "2026-11-28", "--quiet"])] if args.explain else [])
            for path, cmd in runs:
                seconds, peak = timed(cmd)
                results[(name, path)].append(seconds)
                rss[(name, path)] = max(rss[(name, path)], peak)
                if path == "first run":
                    sizes[name] = sum(os.path.getsize(job_db + s) for s in ("", "-wal") if os.path.exists(job_db + s))
            sizes[name + " score"] = os.path.getsize(score_db)
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(
            f"{n} {p} {results[(n, p)][-1]:.2f} s" for n in binaries for p in paths), file=sys.stderr)

    print(f"\n{args.rows:,} churn rows, XGBoost churn model, {args.threads} threads, {args.rounds} rounds (median)")
    print(f"{'binary':<10} {'path':<10} {'median s':>9} {'rows/s':>11} {'÷ score (median of rounds)':>27} {'peak RSS MB':>12}")
    for name in binaries:
        for path in paths:
            times = results[(name, path)]
            ratio = statistics.median(s / t for s, t in zip(results[(name, "score")], times))
            print(f"{name:<10} {path:<10} {statistics.median(times):9.2f} {args.rows / statistics.median(times):11,.0f} "
                  f"{ratio:27.2f} {rss[(name, path)]:12.0f}")
    if args.explain:
        for name in binaries:
            share = statistics.median(f / e for f, e in zip(results[(name, "first run")], results[(name, "explained")]))
            print(f"{name}: the job with explain: {{ reasons: 3 }} runs at {share:.1%} of the same job without "
                  f"(median of the per-round ratios of first runs)")
    for name in binaries:
        print(f"{name}: job file after the first run {sizes[name] / args.rows:.1f} bytes/row; "
              f"`nightjar score` file {sizes[name + ' score'] / args.rows:.1f} bytes/row")


if __name__ == "__main__":
    main()
