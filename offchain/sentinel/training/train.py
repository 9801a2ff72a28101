"""Trains the sentinel's ML scorer: an isolation forest over per-account
features, exported to ONNX for `aip_sentinel::ml` (ONNX Runtime in Rust).

The feature tables come from `aip-sentinel features` over the simulation's
event logs (training/generate.sh): the honest-only run is what the forest
learns as normal; the attack run, with its labels, measures it. The
threshold is the honest training scores' 0.5th percentile, so at most
0.5 % of honest accounts score below it by construction of the training
set. Writes models/iforest.onnx and models/iforest.metrics.json.

    python training/train.py --train honest.csv --test attack.csv --out models
"""

import argparse
import csv
import json
import os

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    x = np.array([[float(v) for v in r[2:]] for r in rows], dtype=np.float32)
    labels = [r[1] for r in rows]
    return header[2:], x, labels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True, help="feature table of the honest-only run")
    p.add_argument("--test", required=True, help="feature table of the attack run (labelled)")
    p.add_argument("--out", default="models")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    names, x_train, _ = read(a.train)
    names_t, x_test, labels = read(a.test)
    assert names == names_t, "the two tables have different features"

    forest = IsolationForest(n_estimators=200, contamination="auto", random_state=a.seed)
    forest.fit(x_train)
    train_scores = forest.decision_function(x_train)
    threshold = float(np.percentile(train_scores, 0.5))

    onx = convert_sklearn(
        forest,
        initial_types=[("features", FloatTensorType([None, x_train.shape[1]]))],
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "iforest.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())

    # The exported model must score like scikit-learn.
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    onnx_scores = sess.run(["scores"], {"features": x_test})[0].ravel()
    sk_scores = forest.decision_function(x_test)
    max_diff = float(np.max(np.abs(onnx_scores - sk_scores)))

    y = np.array([lab != "honest" for lab in labels])
    flagged = onnx_scores < threshold
    per_kind = {}
    for kind in sorted(set(labels) - {"honest"}):
        m = np.array([lab == kind for lab in labels])
        per_kind[kind] = {"accounts": int(m.sum()), "recall": float(flagged[m].mean())}
    tp = int((flagged & y).sum())
    metrics = {
        "features": names,
        "train_accounts": int(len(x_train)),
        "test_accounts": int(len(x_test)),
        "test_adversaries": int(y.sum()),
        "threshold": threshold,
        "onnx_vs_sklearn_max_abs_diff": max_diff,
        "roc_auc": float(roc_auc_score(y, -onnx_scores)) if 0 < y.sum() < len(y) else None,
        "flagged": int(flagged.sum()),
        "precision": tp / int(flagged.sum()) if flagged.sum() else None,
        "recall": tp / int(y.sum()) if y.sum() else None,
        "honest_flagged": int((flagged & ~y).sum()),
        "per_kind_recall": per_kind,
    }
    with open(os.path.join(a.out, "iforest.metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
        f.write("\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
