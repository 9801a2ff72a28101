#!/usr/bin/env python3
"""PV tree ensembles between the small and the default ones: accuracy against time.

    ~/.cache/aipchain/venv/bin/python offchain/matcher/training/pv_budget.py

The forecast targets ask for both: held-out MAE at least 15 % below seasonal
naive, and 1,000 households x 96 slots (load and PV) in at most 100 ms. Before
train.py compressed its ensembles (TREE_BUDGET), the default trees (pv.onnx)
met the first, the small trees (train_small.py) the second; this script shows
why fitting fewer trees directly did not meet both. This fits train.py's learner with a few settings in between on the
same features and split (validation MAE on the last VALIDATION_DAYS of the
training period, as train.py chooses; held-out MAE for the figures), exports
each to ONNX and times one ONNX Runtime call on 96,000 rows, one thread,
median of 7. Nothing is written to models/.
"""
import json
import os
import tempfile
import time

import numpy as np
import train as T
from train_small import load_data

CANDIDATES = [
    dict(learning_rate=0.15, max_iter=60, min_samples_leaf=100, max_leaf_nodes=15),
    dict(learning_rate=0.1, max_iter=100, min_samples_leaf=100, max_leaf_nodes=15),
    dict(learning_rate=0.1, max_iter=80, min_samples_leaf=100, max_leaf_nodes=31),
    dict(learning_rate=0.08, max_iter=150, min_samples_leaf=100, max_leaf_nodes=15),
]


def main():
    import onnxruntime as ort

    prof, lat, lon, holdout_day = load_data()
    cols = [c for c in prof.columns if c.startswith("pv:")]
    parts = [T.build(prof[c].to_numpy(np.float32), slots, lat, lon) for c in cols]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    tr, te = d < holdout_day, d >= holdout_day
    tr = tr & (X[:, 15] > 0)
    val = tr & (d >= holdout_day - T.VALIDATION_DAYS)
    fit_rows = tr & ~val
    naive = float(np.mean(np.abs(X[te][:, 0] - y[te])))
    batch = np.tile(X[:96], (1000, 1)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pv.onnx")
        for cfg in CANDIDATES:
            m = T.make_model(cfg).fit(X[fit_rows], y[fit_rows])
            p = T.postprocess("pv", m.predict(X[val]), X[val])
            val_mae = float(np.mean(np.abs(p - y[val])))
            model = T.make_model(cfg).fit(X[tr], y[tr])
            with open(path, "wb") as f:
                f.write(T.to_onnx_hgb(model, X[:1]).SerializeToString())
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            name = s.get_inputs()[0].name
            p = T.postprocess("pv", s.run(None, {name: X[te]})[0].reshape(-1), X[te])
            mae = float(np.mean(np.abs(p - y[te])))
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                s.run(None, {name: batch})
                times.append(time.perf_counter() - t0)
            print(json.dumps(dict(config=cfg, validation_mae=round(val_mae, 5), holdout_mae=round(mae, 5),
                                  below_seasonal_naive_pct=round(100 * (1 - mae / naive), 2),
                                  ms_1000x96=round(1000 * sorted(times)[3], 1))), flush=True)


if __name__ == "__main__":
    main()
