#!/usr/bin/env bash
# Recreates the example registry models/churn/{1,2} from the churn fixtures: version 1 is the
# XGBoost model, version 2 the LightGBM model, each proving on 200 golden rows that Nightjar
# reproduces the training library's own predictions. The bundles are committed; run this only
# to rebuild them (it refuses to overwrite a version: delete models/churn/N first).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product nightjar >/dev/null
BIN="$(swift build -c release --show-bin-path)/nightjar"
"$BIN" bundle create --model fixtures/churn/churn_xgb.json --name churn --version 1 --registry models \
    --train-sample fixtures/churn/train_sample.csv --expected fixtures/churn/churn_xgb.expected.csv \
    --golden-input fixtures/churn/score_input.csv --golden-rows 200 --library xgboost=3.2.0 --library scikit-learn=1.9.1
"$BIN" bundle create --model fixtures/churn/churn_lgbm.txt --name churn --version 2 --registry models \
    --train-sample fixtures/churn/train_sample.csv --expected fixtures/churn/churn_lgbm.expected.csv \
    --golden-input fixtures/churn/score_input.csv --golden-rows 200 --library lightgbm=4.7.0 --library scikit-learn=1.9.1
