#!/usr/bin/env python3
"""The script a user would otherwise write: pandas read_csv + the training library's predictor + to_sql.

Usage: python3 bench/baseline_score.py MODEL INPUT.csv OUTPUT.db [--threads N]
Prints one JSON object with rows, seconds and rows_per_second.
"""
import argparse, json, sqlite3, time, os

import numpy as np
import pandas as pd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--key", default="customer_id")
    args = ap.parse_args()
    start = time.perf_counter()
    if args.model.endswith(".json"):
        import xgboost as xgb
        booster = xgb.Booster(params={"nthread": args.threads})
        booster.load_model(args.model)
        names = booster.feature_names
        types = booster.feature_types or ["float"] * len(names)  # None when trained on a plain matrix
        df = pd.read_csv(args.input)
        X = df[names].copy()
        # Categories in training order, as stored in the model (XGBoost 3 keeps them under `cats`),
        # so that values unseen in training become missing, as in Nightjar.
        enc = json.load(open(args.model))["learner"]["gradient_booster"]["model"].get("cats", {}).get("enc", [])
        for i, (n, t) in enumerate(zip(names, types)):
            if t == "c":
                e = enc[i]
                raw = bytes(e["values"])
                cats = [raw[a:b].decode() for a, b in zip(e["offsets"], e["offsets"][1:])]
                X[n] = pd.Categorical(X[n].where(X[n].isin(cats)), categories=cats)
        dm = xgb.DMatrix(X, enable_categorical=True, nthread=args.threads)
        pred = booster.predict(dm)
    else:
        import lightgbm as lgb
        booster = lgb.Booster(model_file=args.model)
        names = booster.feature_name()
        df = pd.read_csv(args.input)
        X = df[names].copy()
        cat_lists = booster.pandas_categorical or []
        cat_cols = [n for n in names if not pd.api.types.is_numeric_dtype(X[n])]
        for n, cats in zip(cat_cols, cat_lists):
            X[n] = pd.Categorical(X[n].where(X[n].isin(cats)), categories=cats)
        pred = booster.predict(X, num_threads=args.threads)
    out = pd.DataFrame({args.key: df[args.key], "probability": pred, "label": (pred > 0.5).astype(np.int64)})
    with sqlite3.connect(args.output) as con:
        out.to_sql("predictions", con, if_exists="replace", index=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": len(out), "seconds": round(seconds, 3), "rows_per_second": round(len(out) / seconds)}))


if __name__ == "__main__":
    main()
