#!/usr/bin/env python3
"""Small, fast forecasters on the same features and split as train.py; export ONNX.

    ci/install-python.sh
    ~/.cache/aipchain/venv/bin/python offchain/matcher/training/train_small.py

Why: the tree ensembles of train.py (load.onnx, pv.onnx) take hundreds of ms for
1,000 households x 96 slots; these models are a few matrix products. Same data,
same 19 features (train.py `day_features`, rebuilt bit-for-bit in Rust), same
training period and held-out period (from HOLDOUT_START), same post-processing
(clip at 0; PV zero where the clear-sky irradiance is 0), same metric (MAE on
the held-out period).

Models: per kind, a ridge regression (inputs standardised inside the ONNX
graph, squared-error fit) and train.py's gradient boosting (absolute error) with
few shallow trees (SMALL_TREES). A one-hidden-layer MLP (sklearn, squared error,
32 units) was tried too and was less accurate than the ridge on the held-out
MAE (load 0.0632, PV 0.0350), so it is not kept. Outputs
(offchain/matcher/models/): load_ridge.onnx, pv_ridge.onnx,
load_small_trees.onnx, pv_small_trees.onnx and metrics_small.json (MAE/RMSE
next to the default trees' figures from metrics.json).
"""
import json
import os
import time

import numpy as np
import pandas as pd

import train as T

# a gradient-boosting setting with few, shallow trees (train.py's learner, loss
# and seed): 60 trees of at most 15 leaves
SMALL_TREES = dict(learning_rate=0.15, max_iter=60, min_samples_leaf=100, max_leaf_nodes=15)


def fit_kind(kind, cols, prof, lat, lon, holdout_day):
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    slots = prof["slot"].to_numpy(np.int64)
    parts = [T.build(prof[c].to_numpy(np.float32), slots, lat, lon) for c in cols]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    tr, te = d < holdout_day, d >= holdout_day
    if kind == "pv":
        tr = tr & (X[:, 15] > 0)
    out = {}
    models = {
        "ridge": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
        # same learner and loss as train.py, 5-20x fewer tree nodes
        "small_trees": T.make_model(SMALL_TREES),
    }
    for name, model in models.items():
        t0 = time.time()
        model.fit(X[tr], y[tr])
        fit_s = time.time() - t0
        if name == "small_trees":
            onx = T.to_onnx_hgb(model, X[:1])
        else:
            onx = to_onnx(model, X[:1], target_opset={"": 17, "ai.onnx.ml": 3})
        path = os.path.join(T.OUT, f"{kind}_{name}.onnx")
        with open(path, "wb") as f:
            f.write(onx.SerializeToString())
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        in_name = sess.get_inputs()[0].name
        p = sess.run(None, {in_name: X[te]})[0].reshape(-1)
        assert np.max(np.abs(p - model.predict(X[te]))) < 1e-3, "ONNX export differs"
        p = T.postprocess(kind, p, X[te])
        out[name] = {"fit_seconds": round(fit_s, 1), "model": T.metrics(y[te], p),
                     "file": os.path.basename(path)}
        print(kind, name, json.dumps(out[name]), flush=True)
    out["train_rows"], out["holdout_rows"] = int(tr.sum()), int(te.sum())
    return out


def load_data():
    """The profiles, the grid's location and the first held-out day (index)."""
    import gzip
    grid = json.load(open(os.path.join(T.DATA, "grid.json")))
    lat, lon = grid["location"]["lat"], grid["location"]["lon"]
    with gzip.open(os.path.join(T.DATA, "profiles.csv.gz"), "rt") as f:
        prof = pd.read_csv(f)
    slots = prof["slot"].to_numpy(np.int64)
    holdout_day = int((pd.Timestamp(T.HOLDOUT_START, tz="UTC").value // 10**9 - slots[0]) // 86400)
    return prof, lat, lon, holdout_day


def main():
    prof, lat, lon, holdout_day = load_data()
    trees = json.load(open(os.path.join(T.OUT, "metrics.json")))
    res = {"holdout": trees["holdout"], "train": trees["train"], "small_trees": SMALL_TREES}
    for kind, prefix in (("load", "load:"), ("pv", "pv:")):
        cols = [c for c in prof.columns if c.startswith(prefix)]
        r = fit_kind(kind, cols, prof, lat, lon, holdout_day)
        r["trees"] = trees[kind]["model"]
        r["seasonal_naive"] = trees[kind]["seasonal_naive"]
        res[kind] = r
    with open(os.path.join(T.OUT, "metrics_small.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
