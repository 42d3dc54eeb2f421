#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/corpus/<target>/ from the repository's
fixtures and jobs: small real models (trimmed to a few trees so that an execution stays fast),
truncated and edited variants, CSV samples (quotes, CRLF, BOM, empty fields, LZ4 frames) and job
files. Deterministic; run from anywhere: python3 fuzz/make-corpus.py (needs the lz4 command)."""

import glob
import json
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def path(*p):
    return os.path.join(ROOT, *p)


def target(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def variants(d, stem, data, cuts=(0.5, 0.9)):
    """The file whole and cut at a few fractions (truncated files)."""
    write(d, stem, data)
    for c in cuts:
        write(d, f"{stem}.cut{int(c * 100)}", data[: int(len(data) * c)])


# --- XGBoost JSON: the real models with their tree lists cut to the first few trees.
def xgboost_trim(src, trees_per_group):
    m = json.load(open(src))
    g = m["learner"]["gradient_booster"]["model"]
    groups = max(1, int(m["learner"]["learner_model_param"].get("num_class", "0") or 0))
    n = trees_per_group * groups
    g["trees"] = g["trees"][:n]
    for i, t in enumerate(g["trees"]):
        t["id"] = i
    g["tree_info"] = g["tree_info"][:n]
    g["iteration_indptr"] = [i * groups for i in range(trees_per_group + 1)]
    g["gbtree_model_param"]["num_trees"] = str(n)
    return json.dumps(m, separators=(",", ":")).encode()


def xgboost():
    d = target("xgboost")
    for src, k in [("fixtures/churn/churn_xgb.json", 2), ("fixtures/churn/churn_xgb_reg.json", 2),
                   ("fixtures/extra/xgb_multi.json", 1), ("fixtures/extra/xgb_multi_softmax.json", 1),
                   ("fixtures/extra/xgb_reg_logistic.json", 2), ("fixtures/extra/xgb_bare_base_score.json", 2),
                   ("fixtures/unusual/xgb_bare_matrix.json", 2)]:
        stem = os.path.basename(src)
        data = xgboost_trim(path(src), k)
        variants(d, stem, data)
    base = xgboost_trim(path("fixtures/churn/churn_xgb.json"), 1)
    m = json.loads(base)
    edits = {
        "split-index-out-of-range": lambda m: m["learner"]["gradient_booster"]["model"]["trees"][0].__setitem__(
            "split_indices", [99] * len(m["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"])),
        "child-cycle": lambda m: m["learner"]["gradient_booster"]["model"]["trees"][0].__setitem__(
            "left_children", [0] * len(m["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"])),
        "num-class-3": lambda m: m["learner"]["learner_model_param"].__setitem__("num_class", "3"),
        "num-feature-0": lambda m: m["learner"]["learner_model_param"].__setitem__("num_feature", "0"),
        "num-trees-9": lambda m: m["learner"]["gradient_booster"]["model"]["gbtree_model_param"].__setitem__("num_trees", "9"),
        "base-score-nan": lambda m: m["learner"]["learner_model_param"].__setitem__("base_score", "[NaN]"),
        "objective-unknown": lambda m: m["learner"]["objective"].__setitem__("name", "rank:pairwise"),
    }
    for name, edit in edits.items():
        e = json.loads(base)
        edit(e)
        write(d, f"edit-{name}.json", json.dumps(e, separators=(",", ":")))
    write(d, "empty-object.json", "{}")
    write(d, "deep.json", "[" * 64 + "]" * 64)
    write(d, "numbers.json", '{"a":[1e309,-0,1E-400,0.1e+5,-12345678901234567890123]}')
    write(d, "strings.json", '{"\\u00e9\\ud83d\\ude00":"\\"\\\\\\/\\b\\f\\n\\r\\t","x":"\\ud800"}')


# --- LightGBM text: the header, the first few trees (tree_sizes kept in step), the tail.
def lightgbm_trim(src, keep):
    text = open(src, newline="").read()
    head, rest = text.split("\nTree=0\n", 1)
    blocks = ("Tree=0\n" + rest).split("\n\n\n")  # trees end with two blank lines
    trees = [b for b in blocks if b.startswith("Tree=")]
    tail = rest[rest.index("end of trees"):]
    kept = trees[:keep]
    lines = []
    for line in head.split("\n"):
        if line.startswith("tree_sizes="):
            line = "tree_sizes=" + " ".join(str(len(t) + 3) for t in kept)
        lines.append(line)
    return ("\n".join(lines) + "\n" + "\n\n\n".join(kept + [tail])).encode()


def lightgbm():
    d = target("lightgbm")
    for src, k in [("fixtures/churn/churn_lgbm.txt", 2), ("fixtures/extra/lgbm_multi.txt", 3),
                   ("fixtures/extra/lgbm_rf.txt", 2), ("fixtures/extra/lgbm_zero_missing.txt", 2),
                   ("fixtures/extra/lgbm_huber.txt", 2), ("fixtures/extra/lgbm_reg.txt", 2),
                   ("fixtures/unusual/lgbm_bare_matrix.txt", 2)]:
        variants(d, os.path.basename(src), lightgbm_trim(path(src), k))
    base = lightgbm_trim(path("fixtures/churn/churn_lgbm.txt"), 1).decode()
    edits = {
        "split-feature-99": ("split_feature=5 ", "split_feature=99 "),
        "left-child-self": ("left_child=2 ", "left_child=0 "),
        "num-leaves-1": ("num_leaves=31", "num_leaves=1"),
        "num-class-0": ("num_class=1", "num_class=0"),
        "cat-boundaries-past-end": ("cat_boundaries=0 1", "cat_boundaries=0 400"),
        "crlf": ("\n", "\r\n"),
        "objective-unknown": ("objective=binary sigmoid:1", "objective=lambdarank"),
    }
    for name, (a, b) in edits.items():
        write(d, f"edit-{name}.txt", base.replace(a, b))
    write(d, "just-tree.txt", "tree\n")


# --- ONNX: the small real graphs whole; tree ensembles truncated.
def onnx():
    d = target("onnx")
    for src in ["fixtures/churn/churn_logreg.onnx", "fixtures/onnx/onnx_logreg_multi.onnx",
                "fixtures/onnx/onnx_minmax_onehot_int.onnx", "fixtures/onnx/missing_columns.onnx",
                "fixtures/onnx/unsupported_op.onnx", "fixtures/onnx/onnx_gbc.onnx"]:
        data = open(path(src), "rb").read()
        variants(d, os.path.basename(src), data, cuts=(0.3, 0.7, 0.99))
    # Output operations after the estimator, post transforms, a -0.0 imputer (fixtures/unusual/).
    for src in ["fixtures/unusual/onnx_logreg_post.onnx", "fixtures/unusual/onnx_logreg_multi_post.onnx",
                "fixtures/unusual/onnx_imputer_neg0_linear.onnx"]:
        variants(d, os.path.basename(src), open(path(src), "rb").read(), cuts=(0.5,))
    write(d, "onnx_lgbm_mul.onnx", open(path("fixtures/unusual/onnx_lgbm_mul.onnx"), "rb").read())
    # Inputs the fuzzer found (fixtures/fuzz/, each a regression test): good seeds near edges.
    for src in sorted(glob.glob(path("fixtures/fuzz", "*.onnx"))):
        write(d, "finding-" + os.path.basename(src), open(src, "rb").read())
    write(d, "empty.onnx", b"")
    write(d, "one-byte.onnx", b"\x08")


# --- CSV: samples of each rule, a slice of the real input, and LZ4 frames of some of them.
CSV = {
    "plain.csv": "a,b,c\n1,2,3\n4,5,6\n",
    "crlf.csv": "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "bom.csv": "\ufeffa,b\n1,2\n",
    "quotes.csv": 'name,note\n"Smith, J","said ""hi"""\n"multi\nline",x\n"",""\n',
    "empty-fields.csv": "a,b,c\n,,\n1,,3\n,2,\n",
    "blank-lines.csv": "a,b\n\n1,2\n\n\n3,4\n",
    "no-final-newline.csv": "a,b\n1,2",
    "ragged.csv": "a,b,c\n1,2\n1,2,3,4\n",
    "unterminated-quote.csv": 'a,b\n"open,2\n',
    "quote-mid-field.csv": 'a,b\nx"y,2\n"a"b,3\n',
    "cr-only.csv": "a,b\r1,2\r3,4\r",
    "duplicate-header.csv": "a,b,a\n1,2,3\n",
    "header-only.csv": "a,b,c\n",
    "empty-header.csv": "\n1,2\n",
    "spaces.csv": " a , b \n 1 , 2 \n",
    "numbers.csv": "x,y\n1e308,-1e-308\nnan,inf\n0x10,1_000\n-0,+5\n",
    "nul-and-utf8.csv": "k,v\nab\x00c,1\n\xe9t\xe9,2\n",
}


def csv():
    d = target("csv")
    for name, text in CSV.items():
        write(d, name, text.encode("utf-8", "surrogatepass") if "\ufeff" not in text else text.encode("utf-8"))
    write(d, "invalid-utf8.csv", b"k,v\n\xff\xfe,1\n\xc3,2\n")
    with open(path("fixtures/churn/score_input.csv"), "rb") as f:
        real = b"".join(f.readlines()[:12])
    write(d, "churn-head.csv", real)
    for name, data in [("plain", CSV["plain.csv"].encode()), ("quotes", CSV["quotes.csv"].encode()),
                       ("churn-head", real)]:
        # Without checksums, so that mutations of the compressed bytes still reach the CSV parser.
        z = subprocess.run(["lz4", "-q", "-c", "--no-frame-crc", "-BD"], input=data, stdout=subprocess.PIPE, check=True).stdout
        write(d, f"{name}.csv.lz4", z)
        write(d, f"{name}.csv.lz4.cut", z[: len(z) * 2 // 3])
        zc = subprocess.run(["lz4", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        write(d, f"{name}.checksum.csv.lz4", zc)
    two = subprocess.run(["lz4", "-q", "-c", "--no-frame-crc"], input=b"a,b\n1,2\n", stdout=subprocess.PIPE, check=True).stdout
    write(d, "two-frames.csv.lz4", two + subprocess.run(["lz4", "-q", "-c", "--no-frame-crc"], input=b"3,4\n",
                                                         stdout=subprocess.PIPE, check=True).stdout)


# --- Job YAML: the shipped jobs, the job corpus (good and bad), and small variants.
def job():
    d = target("job")
    for src in sorted(glob.glob(path("jobs", "*.yaml")) + glob.glob(path("fixtures/job-corpus/good", "*.yaml"))
                      + glob.glob(path("fixtures/job-corpus/bad", "*.yaml"))):
        kind = os.path.basename(os.path.dirname(src))
        write(d, f"{kind}-{os.path.basename(src)}", open(src, "rb").read())
    nightly = open(path("jobs/churn-nightly.yaml"), "rb").read()
    write(d, "variant-cut.yaml", nightly[: len(nightly) // 2])
    write(d, "variant-tabs.yaml", nightly.replace(b"  ", b"\t"))
    write(d, "variant-anchors.yaml", b"a: &x [*x]\n")
    write(d, "variant-flow.yaml", b"{name: x, model: {path: m.json}, source: {csv: in.csv}, sink: {csv: out.csv}, schedule: {cron: '*/7 * 31 2 *'}}\n")
    write(d, "variant-cron-feb30.yaml", nightly.replace(b"name:", b"schedule:\n  cron: \"0 0 30 2 *\"\nname:", 1))


if __name__ == "__main__":
    xgboost()
    lightgbm()
    onnx()
    csv()
    job()
    total = sum(os.path.getsize(f) for f in glob.glob(os.path.join(OUT, "*", "*")))
    print(f"{len(glob.glob(os.path.join(OUT, '*', '*')))} seed files, {total} bytes")
