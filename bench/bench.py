#!/usr/bin/env python3
"""Nightjar side by side with the anchor engines, on the same models, rows and thread counts.

    python3 bench/bench.py [--nightjar PATH] [--threads 1,2] [--repeat 3] [--rounds 5]
                           [--treelite] [--lleaves] [--no-e2e] [--contributions] [--workdir bench/data]

(`bench/run.sh` makes a virtual environment with the pinned versions and calls this.)

It generates the seeded data (make_classification: 28 features, 18 informative, 2% of the values
missing; 200,000 training rows and 200,000 scoring rows), trains XGBoost (500 trees, depth 8),
LightGBM (500 trees, 127 leaves), a scikit-learn RandomForest (100 trees, depth 12) and a
LogisticRegression (both exported with skl2onnx), then times, at each thread count:

- scoring only (rows already in memory): Nightjar (`nightjar bench`), the library's own predictor,
  ONNX Runtime (XGBoost/LightGBM converted by onnxmltools), and with --treelite Treelite + TL2cgen
  compiled C, with --lleaves lleaves (LLVM; ~16 minutes and > 5.7 GB of memory to compile);
- the same, scoring only, on the churn fixture models (fixtures/churn: categorical splits, XGBoost
  partitions and LightGBM bitsets) over 200,000 generated churn rows, the libraries fed pandas
  categorical frames with each model's own category lists;
- with --contributions, exact per-feature contributions (TreeSHAP) of the XGBoost and LightGBM
  models and of the churn XGBoost and LightGBM models (categorical): `nightjar bench --contributions` against
  xgboost `predict(pred_contribs=True)`, lightgbm `predict(pred_contrib=True)` and, if installed,
  shap.TreeExplainer, on the first --contrib-rows rows;
- end to end, CSV in -> SQLite out, on a 1,000,000-row CSV: `nightjar score` against pandas
  read_csv + xgboost + to_sql (bench/baseline_score.py), and CSV parsing alone against pandas.

These machines are noisy (the same pair measured 0.88x and 1.39x an hour apart), so the scoring
figures are taken in --rounds rounds, each round timing every engine once in turn (each figure the
best of --repeat runs): the table shows each engine's median rows/s over the rounds and, for each
anchor, the median of the per-round ratios Nightjar / anchor (a slow moment hits both sides of a
round alike), and for Nightjar its own scaling, the median per-round ratio of N threads to 1.
Prints one table and a description of the machine.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED = 20261129
N_FEATURES = 28
TRAIN_ROWS = 200_000
SCORE_ROWS = 200_000
E2E_ROWS = 1_000_000
NAMES = [f"f{i}" for i in range(N_FEATURES)]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data and models

def make_data(workdir):
    """Training and scoring matrices (float32, NaN missing) and the scoring CSVs."""
    cache = os.path.join(workdir, "data.npz")
    if os.path.exists(cache):
        d = np.load(cache)
        return d["X_train"], d["y_train"], d["X_score"]
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=TRAIN_ROWS + SCORE_ROWS, n_features=N_FEATURES, n_informative=18,
                               n_redundant=4, random_state=SEED)
    rng = np.random.default_rng(SEED)
    X = X.astype(np.float32)
    X[rng.random(X.shape) < 0.02] = np.nan
    X_train, y_train, X_score = X[:TRAIN_ROWS], y[:TRAIN_ROWS], X[TRAIN_ROWS:]
    np.savez(cache, X_train=X_train, y_train=y_train, X_score=X_score)
    return X_train, y_train, X_score


def write_csv(path, X, copies):
    """`copies` copies of X with an `id` column; float32 values written with 9 significant digits,
    so that every engine reads exactly the float32 values the in-memory anchors get."""
    if os.path.exists(path):
        return
    log(f"writing {path}")
    text = np.char.mod("%.9g", X)
    text[np.isnan(X)] = ""
    lines = [",".join(row) for row in text]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("id," + ",".join(NAMES) + "\n")
        n = 0
        for _ in range(copies):
            f.writelines(f"{n + i},{line}\n" for i, line in enumerate(lines))
            n += len(lines)
    os.replace(tmp, path)


def train_models(workdir, X, y):
    import lightgbm as lgb
    import xgboost as xgb
    paths = {k: os.path.join(workdir, v) for k, v in {
        "xgb": "xgb.json", "lgb": "lgb.txt", "xgb_onnx": "xgb.onnx", "lgb_onnx": "lgb.onnx",
        "rf_onnx": "rf.onnx", "lr_onnx": "lr.onnx"}.items()}
    threads = os.cpu_count()
    if not os.path.exists(paths["xgb"]):
        log("training XGBoost (500 trees, depth 8)")
        m = xgb.XGBClassifier(n_estimators=500, max_depth=8, learning_rate=0.1, tree_method="hist",
                              random_state=SEED, n_jobs=threads)
        m.fit(X, y)
        booster = m.get_booster()
        booster.feature_names = NAMES  # so that scripts select the CSV columns by name
        booster.save_model(paths["xgb"])
    if not os.path.exists(paths["lgb"]):
        log("training LightGBM (500 trees, 127 leaves)")
        m = lgb.LGBMClassifier(n_estimators=500, num_leaves=127, learning_rate=0.1, random_state=SEED,
                               n_jobs=threads, verbose=-1)
        m.fit(X, y, feature_name=NAMES)
        m.booster_.save_model(paths["lgb"])
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    if not os.path.exists(paths["xgb_onnx"]):
        log("converting XGBoost to ONNX (onnxmltools, target_opset=15)")
        b = xgb.XGBClassifier()
        b.load_model(paths["xgb"])
        onx = onnxmltools.convert_xgboost(b, initial_types=[("input", MLFloat([None, N_FEATURES]))], target_opset=15)
        onnxmltools.utils.save_model(onx, paths["xgb_onnx"])
    if not os.path.exists(paths["lgb_onnx"]):
        log("converting LightGBM to ONNX (onnxmltools, target_opset=15)")
        b = lgb.Booster(model_file=paths["lgb"])
        onx = onnxmltools.convert_lightgbm(b, initial_types=[("input", MLFloat([None, N_FEATURES]))],
                                           target_opset=15, zipmap=False)
        onnxmltools.utils.save_model(onx, paths["lgb_onnx"])
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    for key, name, est in [
        ("rf_onnx", "RandomForest (100 trees, depth 12)",
         RandomForestClassifier(n_estimators=100, max_depth=12, random_state=SEED, n_jobs=threads)),
        ("lr_onnx", "LogisticRegression", LogisticRegression(max_iter=1000)),
    ]:
        if os.path.exists(paths[key]):
            continue
        log(f"training scikit-learn {name} behind a median imputer, exporting with skl2onnx")
        pipe = Pipeline([("impute", SimpleImputer(strategy="median")), ("model", est)])
        pipe.fit(X, y)
        onx = to_onnx(pipe, initial_types=[("input", FloatTensorType([None, N_FEATURES]))], target_opset=15,
                      options={id(pipe): {"zipmap": False}})
        with open(paths[key], "wb") as f:
            f.write(onx.SerializeToString())
    return paths


# ---------------------------------------------------------------- churn (categorical) models

CHURN = os.path.join(ROOT, "fixtures", "churn")
CHURN_ROWS = 200_000


def xgboost_categories(path):
    """The category lists XGBoost 3 stores in its JSON (`cats`): {feature: [category, ...]}."""
    learner = json.load(open(path))["learner"]
    enc = learner["gradient_booster"]["model"]["cats"]["enc"]
    out = {}
    for name, e in zip(learner["feature_names"], enc):
        if e["offsets"]:
            raw, o = bytes(e["values"]), e["offsets"]
            out[name] = [raw[o[i]:o[i + 1]].decode() for i in range(len(o) - 1)]
    return out


def lightgbm_categories(path, categorical):
    """LightGBM's `pandas_categorical` lists, for the categorical columns in the model's order."""
    line = next(l for l in open(path) if l.startswith("pandas_categorical:"))
    return dict(zip(categorical, json.loads(line.split(":", 1)[1])))


def churn_frame(raw, names, cats):
    """The model's input frame: categorical columns as pandas Categorical with the model's own
    category list (other values missing), the rest float64."""
    import pandas as pd
    out = pd.DataFrame(index=raw.index)
    for c in names:
        out[c] = (pd.Categorical(raw[c].where(raw[c].isin(cats[c])), categories=cats[c]) if c in cats
                  else raw[c].astype(np.float64))
    return out


# ---------------------------------------------------------------- timing

def best_rate(fn, rows, repeat):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return rows / best


def nightjar_bench(args, model, csv, rows, threads, features=False, contributions=False):
    cmd = [args.nightjar, "bench", "--model", model, "--input", csv, "--rows", str(rows), "--threads", str(threads),
           "--repeat", str(args.repeat)]
    if features:
        cmd += ["--features", ",".join(NAMES)]
    if contributions:
        cmd += ["--contributions"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ort_session(path, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1048576:.0f} GiB"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nightjar", default=os.path.join(ROOT, ".build", "release", "nightjar"))
    ap.add_argument("--workdir", default=os.path.join(HERE, "data"))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the scoring timings (median reported)")
    ap.add_argument("--treelite", action="store_true", help="also Treelite + TL2cgen compiled C (minutes to compile)")
    ap.add_argument("--lleaves", action="store_true", help="also lleaves (about 16 minutes and > 5.7 GB to compile)")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end CSV -> SQLite rows")
    ap.add_argument("--contributions", action="store_true",
                    help="also exact per-feature contributions (TreeSHAP) against pred_contribs / pred_contrib")
    ap.add_argument("--contributions-only", action="store_true", help="only the contributions timings (implies --no-e2e)")
    ap.add_argument("--contrib-rows", type=int, default=1000,
                    help="rows of the contributions timings (the libraries take seconds per hundred rows)")
    args = ap.parse_args()
    if args.contributions_only:
        args.contributions = args.no_e2e = True
    threads_list = [int(t) for t in args.threads.split(",")]
    os.makedirs(args.workdir, exist_ok=True)
    if not os.path.exists(args.nightjar):
        sys.exit(f"{args.nightjar} not found: build it with `swift build -c release` (or pass --nightjar)")

    import lightgbm as lgb
    import xgboost as xgb

    X_train, y_train, X_score = make_data(args.workdir)
    paths = train_models(args.workdir, X_train, y_train)
    score_csv = os.path.join(args.workdir, "score.csv")
    write_csv(score_csv, X_score, 1)
    X64 = X_score.astype(np.float64)
    n = len(X_score)

    # rows[(model, engine)] = {threads: [rows/s, one per round]}
    rows = {}
    def put(model, engine, t, v):
        rows.setdefault((model, engine), {}).setdefault(t, []).append(v)

    xgb_booster = xgb.Booster(model_file=paths["xgb"])
    lgb_booster = lgb.Booster(model_file=paths["lgb"])
    compiled = {}
    if args.treelite:
        import tl2cgen
        import treelite
        def xgboost_for_treelite(path):
            # Treelite 4.1 rejects the "cats" object XGBoost 3.x writes even for models without
            # categorical features; the benchmark model has none, so it is dropped for Treelite.
            model = json.load(open(path))
            booster = model["learner"]["gradient_booster"]["model"]
            if not any(booster.get("cats", {}).get("enc", [])):
                booster.pop("cats", None)
            # ... and reads the bracketed base_score ("[4.9898E-1]") as 0, compiling a margin of -inf.
            param = model["learner"]["learner_model_param"]
            param["base_score"] = param["base_score"].strip("[]")
            return treelite.frontend.from_xgboost_json(json.dumps(model))

        for key, load in [("xgb", lambda: xgboost_for_treelite(paths["xgb"])),
                          ("lgb", lambda: treelite.frontend.load_lightgbm_model(paths["lgb"]))]:
            lib = os.path.join(args.workdir, f"{key}_tl2cgen.so")
            if not os.path.exists(lib):
                log(f"compiling {key} with TL2cgen")
                t = time.perf_counter()
                tl2cgen.export_lib(load(), toolchain="gcc", libpath=lib, params={"parallel_comp": 8})
                log(f"  compiled in {time.perf_counter() - t:.0f} s")
            compiled[key] = lib
    lleaves_model = None
    if args.lleaves:
        import lleaves
        lleaves_model = lleaves.Model(model_file=paths["lgb"])
        cache = os.path.join(args.workdir, "lgb_lleaves.o")
        log("compiling the LightGBM model with lleaves (cached after the first run)")
        t = time.perf_counter()
        lleaves_model.compile(cache=cache)
        log(f"  ready in {time.perf_counter() - t:.0f} s")

    # The churn fixtures: categorical splits (XGBoost partitions, LightGBM bitsets), fed to the
    # libraries as pandas categorical frames with the categories each model stores.
    import pandas as pd
    churn_csv = os.path.join(args.workdir, f"churn_{CHURN_ROWS}.csv")
    if not os.path.exists(churn_csv):
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "make_big_csv.py"), str(CHURN_ROWS), churn_csv],
                       check=True, stdout=subprocess.DEVNULL)
    churn_raw = pd.read_csv(churn_csv, dtype={"customer_id": str, "region": str, "plan": str})
    churn_xgb_path = os.path.join(CHURN, "churn_xgb.json")
    churn_lgb_path = os.path.join(CHURN, "churn_lgbm.txt")
    churn_xgb = xgb.Booster(model_file=churn_xgb_path)
    churn_lgb = lgb.Booster(model_file=churn_lgb_path)
    churn_xgb_frame = churn_frame(churn_raw, churn_xgb.feature_names, xgboost_categories(churn_xgb_path))
    categorical = [c for c in churn_lgb.feature_name() if not pd.api.types.is_numeric_dtype(churn_raw[c])]
    churn_lgb_frame = churn_frame(churn_raw, churn_lgb.feature_name(), lightgbm_categories(churn_lgb_path, categorical))
    churn_n = len(churn_raw)
    churn_models = [
        (f"churn XGBoost, {churn_xgb.num_boosted_rounds()} trees, 2 categorical features", churn_xgb_path),
        (f"churn LightGBM, {churn_lgb.num_trees()} trees, 2 categorical features", churn_lgb_path),
    ]

    models = [
        ("XGBoost, 500 trees, depth 8", paths["xgb"], False),
        ("LightGBM, 500 trees, 127 leaves", paths["lgb"], False),
        ("scikit-learn RandomForest, 100 trees, depth 12 (ONNX)", paths["rf_onnx"], True),
        ("scikit-learn LogisticRegression (ONNX)", paths["lr_onnx"], True),
    ]
    for t, rnd in [(t, r) for r in range(0 if args.contributions_only else args.rounds) for t in threads_list]:
        log(f"round {rnd + 1} of {args.rounds}: scoring at {t} thread(s)")
        for label, path, features in models:
            r = nightjar_bench(args, path, score_csv, n, t, features)
            put(label, "Nightjar", t, r["scoring_rows_per_second"])
        xgb_booster.set_param({"nthread": t})
        put(models[0][0], "xgboost inplace_predict", t,
            best_rate(lambda: xgb_booster.inplace_predict(X_score), n, args.repeat))
        s = ort_session(paths["xgb_onnx"], t)
        put(models[0][0], "ONNX Runtime (onnxmltools)", t, best_rate(lambda: s.run(None, {"input": X_score}), n, args.repeat))
        put(models[1][0], "lightgbm predict", t,
            best_rate(lambda: lgb_booster.predict(X64, num_threads=t), n, args.repeat))
        s = ort_session(paths["lgb_onnx"], t)
        put(models[1][0], "ONNX Runtime (onnxmltools)", t, best_rate(lambda: s.run(None, {"input": X_score}), n, args.repeat))
        if compiled:
            import tl2cgen
            for key, model in [("xgb", models[0][0]), ("lgb", models[1][0])]:
                p = tl2cgen.Predictor(compiled[key], nthread=t)
                dm = tl2cgen.DMatrix(X_score if key == "xgb" else X64)
                put(model, "Treelite + TL2cgen (compiled C)", t, best_rate(lambda: p.predict(dm), n, args.repeat))
        if lleaves_model is not None:
            put(models[1][0], "lleaves (LLVM-compiled)", t,
                best_rate(lambda: lleaves_model.predict(X64, n_jobs=t), n, args.repeat))
        for label, path, _ in models[2:]:
            s = ort_session(path, t)
            put(label, "ONNX Runtime", t, best_rate(lambda: s.run(None, {"input": X_score}), n, args.repeat))
        for label, path in churn_models:
            r = nightjar_bench(args, path, churn_csv, churn_n, t)
            put(label, "Nightjar", t, r["scoring_rows_per_second"])
        churn_xgb.set_param({"nthread": t})
        put(churn_models[0][0], "xgboost inplace_predict (categorical frame)", t,
            best_rate(lambda: churn_xgb.inplace_predict(churn_xgb_frame), churn_n, args.repeat))
        put(churn_models[1][0], "lightgbm predict (categorical frame)", t,
            best_rate(lambda: churn_lgb.predict(churn_lgb_frame, num_threads=t), churn_n, args.repeat))

    if args.contributions:
        # Same rows (the first --contrib-rows of score.csv), same thread count, interleaved rounds.
        # The libraries are timed once per round (a pass takes seconds); Nightjar best of --repeat.
        m = min(args.contrib_rows, n)
        Xc, Xc64 = X_score[:m], X64[:m]
        xgb_label = f"contributions: {models[0][0]}"
        lgb_label = f"contributions: {models[1][0]}"
        churn_label = f"contributions: {churn_models[0][0]}"
        churn_lgb_label = f"contributions: {churn_models[1][0]}"
        churn_dm = xgb.DMatrix(churn_xgb_frame.iloc[:m], enable_categorical=True)
        churn_lgb_rows = churn_lgb_frame.iloc[:m]
        try:
            import shap
        except ImportError:
            shap = None
            log("shap is not installed: no shap.TreeExplainer rows")

        def once(fn):
            t0 = time.perf_counter()
            fn()
            return m / (time.perf_counter() - t0)

        for t, rnd in [(t, r) for r in range(args.rounds) for t in threads_list]:
            log(f"round {rnd + 1} of {args.rounds}: contributions at {t} thread(s)")
            for label, path in [(xgb_label, paths["xgb"]), (lgb_label, paths["lgb"])]:
                r = nightjar_bench(args, path, score_csv, m, t, contributions=True)
                put(label, "Nightjar (--contributions)", t, r["scoring_rows_per_second"])
            xgb_booster.set_param({"nthread": t})
            dm = xgb.DMatrix(Xc, feature_names=NAMES)
            put(xgb_label, "xgboost predict(pred_contribs=True)", t, once(lambda: xgb_booster.predict(dm, pred_contribs=True)))
            put(lgb_label, "lightgbm predict(pred_contrib=True)", t,
                once(lambda: lgb_booster.predict(Xc64, pred_contrib=True, num_threads=t)))
            if shap is not None:
                explainer = shap.TreeExplainer(xgb_booster)
                put(xgb_label, "shap.TreeExplainer", t, once(lambda: explainer.shap_values(Xc)))
            # The churn model: categorical splits, the same first rows of the churn CSV.
            r = nightjar_bench(args, churn_xgb_path, churn_csv, m, t, contributions=True)
            put(churn_label, "Nightjar (--contributions)", t, r["scoring_rows_per_second"])
            churn_xgb.set_param({"nthread": t})
            put(churn_label, "xgboost predict(pred_contribs=True)", t,
                once(lambda: churn_xgb.predict(churn_dm, pred_contribs=True)))
            r = nightjar_bench(args, churn_lgb_path, churn_csv, m, t, contributions=True)
            put(churn_lgb_label, "Nightjar (--contributions)", t, r["scoring_rows_per_second"])
            put(churn_lgb_label, "lightgbm predict(pred_contrib=True)", t,
                once(lambda: churn_lgb.predict(churn_lgb_rows, pred_contrib=True, num_threads=t)))

    if not args.no_e2e:
        e2e_csv = os.path.join(args.workdir, "e2e_1m.csv")
        write_csv(e2e_csv, X_score, E2E_ROWS // n)
        e2e_rows = (E2E_ROWS // n) * n
        label = "end to end, CSV in -> SQLite out, XGBoost model above (1M rows)"
        parse_label = "CSV parsing alone, to numbers in memory (1M rows, 28 numeric columns)"
        import pandas as pd
        # Best of several passes, as for Nightjar's figures.
        best = float("inf")
        for _ in range(max(1, args.repeat - 1)):
            t0 = time.perf_counter()
            pd.read_csv(e2e_csv)
            best = min(best, time.perf_counter() - t0)
        put(parse_label, "pandas read_csv", threads_list[0], e2e_rows / best)
        for t in threads_list:
            log(f"end to end at {t} thread(s)")
            out_db = os.path.join(args.workdir, "e2e_out.db")
            best = float("inf")
            for _ in range(max(1, args.repeat - 1)):
                t0 = time.perf_counter()
                subprocess.run([args.nightjar, "score", "--model", paths["xgb"], "--input", e2e_csv, "--output", out_db,
                                "--key", "id", "--threads", str(t), "--quiet"], check=True)
                best = min(best, time.perf_counter() - t0)
            put(label, "Nightjar (`nightjar score`)", t, e2e_rows / best)
            r = nightjar_bench(args, paths["xgb"], e2e_csv, e2e_rows, t)
            # Fields to numbers, as read_csv does: streamed chunk by chunk on one thread.
            put(parse_label, "Nightjar (parse + encode, one thread)", t, r["parse_encode_rows_per_second"])
            base_db = os.path.join(args.workdir, "e2e_baseline.db")
            # Best of the same number of passes as Nightjar's end-to-end figure.
            base_best = 0
            for _ in range(max(1, args.repeat - 1)):
                out = subprocess.run([sys.executable, os.path.join(HERE, "baseline_score.py"), paths["xgb"], e2e_csv, base_db,
                                      "--threads", str(t), "--key", "id"], check=True, capture_output=True, text=True).stdout
                base_best = max(base_best, json.loads(out)["rows_per_second"])
            put(label, "pandas read_csv + xgboost + to_sql", t, base_best)

    # The table.
    print(f"machine: {machine()}")
    print(f"scoring: {n:,} rows x {N_FEATURES} features in memory (float32 for the anchors); "
          f"median of {args.rounds} interleaved rounds, each figure the best of {args.repeat}")
    heads = " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads_list)
    ratios = " | ".join(f"Nightjar / this, {t}t" for t in threads_list)
    print(f"\n| model | engine | {heads} | {ratios} |")
    print("|---|---|" + "---|" * (2 * len(threads_list)))

    def median(values):
        v = sorted(values)
        return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

    def ratio(a, b):
        """Median of the per-round ratios a[i] / b[i] (rounds both have)."""
        pairs = [x / y for x, y in zip(a, b) if y > 0]
        return median(pairs) if pairs else None

    done = set()
    for (model, engine) in rows:
        if model in done:
            continue
        done.add(model)
        ours = next((v for (m, e), v in rows.items() if m == model and e.startswith("Nightjar")), {})
        for (m, e), v in rows.items():
            if m != model:
                continue
            cells = " | ".join(f"{median(v[t]):,.0f}" if t in v else "" for t in threads_list)
            if e.startswith("Nightjar"):
                # Nightjar's own scaling: N threads against 1, per round.
                base = v.get(threads_list[0])
                rcells = " | ".join("" if t == threads_list[0] or t not in v or not base else
                                    f"{ratio(v[t], base):.2f}x of {threads_list[0]}t" for t in threads_list)
            else:
                rcells = " | ".join("" if t not in v or t not in ours else f"{ratio(ours[t], v[t]):.2f}x" for t in threads_list)
            print(f"| {m} | {e} | {cells} | {rcells} |")


if __name__ == "__main__":
    main()
