#!/usr/bin/env python3
"""Train the day-ahead demand and PV forecasters on SimBench profiles; export ONNX.

    ci/install-python.sh
    ~/.cache/aipchain/venv/bin/python offchain/matcher/training/train.py

Inputs: data/simbench/profiles.csv.gz and grid.json (data/export_simbench.py).
Outputs (offchain/matcher/models/): load.onnx, pv.onnx, metrics.json, and
fixtures.json (history windows, feature rows and onnxruntime outputs that the
Rust tests compare against).

Task: at midnight UTC before day D, forecast each of D's 96 quarter hours of a
normalised profile (SimBench units: load in per unit of the rated power, PV in
per unit of the installed power), knowing everything up to the end of D-1.
One model for all load profiles, one for all PV profiles. Held out: every day
from HOLDOUT_START to the end of 2016 (never seen in training or model choice).
Model choice: three gradient-boosting settings (CONFIGS) compared on the last
VALIDATION_DAYS days before the held-out period, the best refitted on all of the
training period.

Compression (what makes 1,000 households x 96 slots fit in 100 ms): the refitted
ensemble is then pruned to at most TREE_BUDGET[kind] trees by post-processing
(Friedman and Popescu's importance-sampled learning ensembles): every tree's
output on the training rows is a column, and a non-negative lasso fits the full
ensemble's training predictions with as few columns as the budget allows (the
lasso path's least penalty whose support fits the budget). The kept trees are
reweighted by their coefficients in the ONNX graph (TreeEnsembleRegressor
target_weights, intercept into base_values). The held-out period plays no part:
the budget comes from the speed target, the weights from training rows only.
metrics.json gives the held-out figures of both, the full ensemble's as
`full_model`.

Feature vector (f32, FEATURES below; the Rust `features` module rebuilds it
bit-for-bit from a 7-day history, see offchain/matcher/src/features.rs):
  lag_1d, lag_2d, lag_7d        value at the same slot 1, 2, 7 days earlier
  mean_1d, mean_7d              mean of day D-1, mean of day D-7
  last                          the last known value (23:45 of D-1)
  tod_sin, tod_cos              time of day of the slot
  dow, weekend                  weekday of D (Monday 0) and Sat/Sun flag
  holiday, holiday_1d, holiday_7d   German public holiday on D, D-1, D-7
  doy_sin, doy_cos              day of year of D
  clearsky                      Haurwitz clear-sky GHI / 1000 at the slot midpoint
  csi_1d                        clear-sky index of D-1: sum(value) / sum(clearsky)
  cs_expected                   clearsky * csi_1d (f32 product)
  csi_7d                        clear-sky index of the 7 days before D
Loss: absolute error (the metric is MAE). PV is trained on daylight rows only and
set to 0 where the clear-sky irradiance is 0.
Baselines on the same days: seasonal naive (lag_1d: the same time yesterday)
and persistence (last). Outputs are clipped at 0 (PV also at night).
"""
import datetime as dt
import gzip
import json
import os
import time

import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DATA = os.path.join(ROOT, "data", "simbench")
OUT = os.path.join(ROOT, "offchain", "matcher", "models")
DAY = 96
HOLDOUT_START = "2016-09-01"
SEED = 7
FEATURES = ["lag_1d", "lag_2d", "lag_7d", "mean_1d", "mean_7d", "last", "tod_sin", "tod_cos",
            "dow", "weekend", "holiday", "holiday_1d", "holiday_7d", "doy_sin", "doy_cos",
            "clearsky", "csi_1d", "cs_expected", "csi_7d"]


# ---- calendar and sun (mirrored in Rust: keep the formulas identical) -------------------------

def easter(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def german_holidays(year):
    """The nine nationwide German public holidays."""
    e = easter(year)
    return {dt.date(year, 1, 1), e - dt.timedelta(days=2), e + dt.timedelta(days=1),
            dt.date(year, 5, 1), e + dt.timedelta(days=39), e + dt.timedelta(days=50),
            dt.date(year, 10, 3), dt.date(year, 12, 25), dt.date(year, 12, 26)}


def is_holiday(day):
    return day in german_holidays(day.year)


def clearsky_ghi(unix, lat, lon):
    """Haurwitz clear-sky GHI (W/m^2) with the NOAA/Spencer solar position; unix seconds UTC."""
    unix = np.asarray(unix, dtype=np.float64)
    days = np.floor(unix / 86400.0)
    secs = unix - days * 86400.0
    # day of year (1-based) from the civil date
    doy = np.array([(dt.date.fromordinal(int(d) + 719163) - dt.date(dt.date.fromordinal(int(d) + 719163).year, 1, 1)).days + 1
                    for d in days], dtype=np.float64)
    hour = secs / 3600.0
    g = 2.0 * np.pi / 365.0 * (doy - 1.0 + (hour - 12.0) / 24.0)
    eqt = 229.18 * (0.000075 + 0.001868 * np.cos(g) - 0.032077 * np.sin(g)
                    - 0.014615 * np.cos(2 * g) - 0.040849 * np.sin(2 * g))
    decl = (0.006918 - 0.399912 * np.cos(g) + 0.070257 * np.sin(g) - 0.006758 * np.cos(2 * g)
            + 0.000907 * np.sin(2 * g) - 0.002697 * np.cos(3 * g) + 0.00148 * np.sin(3 * g))
    tst = secs / 60.0 + eqt + 4.0 * lon
    ha = np.radians(tst / 4.0 - 180.0)
    phi = np.radians(lat)
    cz = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(ha)
    out = np.zeros_like(cz)
    pos = cz > 0.0
    out[pos] = 1098.0 * cz[pos] * np.exp(-0.059 / cz[pos])
    return out


def day_calendar(day_unix):
    """Calendar features of the day starting at day_unix (midnight UTC)."""
    d = dt.datetime.fromtimestamp(int(day_unix), dt.timezone.utc).date()
    dow = d.weekday()
    doy = (d - dt.date(d.year, 1, 1)).days + 1
    ang = 2.0 * np.pi * (doy - 1) / 365.25
    return dict(dow=dow, weekend=float(dow >= 5), holiday=float(is_holiday(d)),
                holiday_1d=float(is_holiday(d - dt.timedelta(days=1))),
                holiday_7d=float(is_holiday(d - dt.timedelta(days=7))),
                doy_sin=np.sin(ang), doy_cos=np.cos(ang))


def day_features(hist, day_unix, cs_day, cs_hist):
    """Features for the 96 slots of one day. hist: the 7 * 96 values before the day (f32);
    cs_day, cs_hist: clear-sky GHI of the day and of the 7 days before it."""
    hist = np.asarray(hist, dtype=np.float32)
    assert hist.shape == (7 * DAY,)
    cal = day_calendar(day_unix)
    x = np.zeros((DAY, len(FEATURES)), dtype=np.float32)
    i = np.arange(DAY)
    x[:, 0] = hist[6 * DAY + i]
    x[:, 1] = hist[5 * DAY + i]
    x[:, 2] = hist[i]
    x[:, 3] = np.float32(np.mean(hist[6 * DAY:], dtype=np.float64))
    x[:, 4] = np.float32(np.mean(hist[:DAY], dtype=np.float64))
    x[:, 5] = hist[-1]
    x[:, 6] = np.sin(2.0 * np.pi * i / DAY)
    x[:, 7] = np.cos(2.0 * np.pi * i / DAY)
    for k in ("dow", "weekend", "holiday", "holiday_1d", "holiday_7d", "doy_sin", "doy_cos"):
        x[:, FEATURES.index(k)] = cal[k]
    x[:, 15] = (cs_day / 1000.0).astype(np.float32)
    s_cs = float(np.sum(cs_hist[6 * DAY:] / 1000.0))
    x[:, 16] = np.float32(float(np.sum(hist[6 * DAY:], dtype=np.float64)) / s_cs if s_cs > 1e-6 else 0.0)
    x[:, 17] = x[:, 15] * x[:, 16]
    s_cs7 = float(np.sum(cs_hist / 1000.0))
    x[:, 18] = np.float32(float(np.sum(hist, dtype=np.float64)) / s_cs7 if s_cs7 > 1e-6 else 0.0)
    return x


# ---- data set ---------------------------------------------------------------------------------

def build(series, slots, lat, lon):
    """Rows for every day with 7 days of history. Returns X, y, day index, baselines."""
    n_days = len(series) // DAY
    cs = clearsky_ghi(slots + 450, lat, lon).reshape(n_days, DAY)
    X, Y, D = [], [], []
    for d in range(7, n_days):
        hist = series[(d - 7) * DAY:d * DAY]
        X.append(day_features(hist, slots[d * DAY], cs[d], cs[d - 7:d].reshape(-1)))
        Y.append(series[d * DAY:(d + 1) * DAY])
        D.append(np.full(DAY, d))
    return np.concatenate(X), np.concatenate(Y).astype(np.float32), np.concatenate(D)


def metrics(y, p):
    e = np.clip(p, 0.0, None) - y
    return {"mae": float(np.mean(np.abs(e))), "rmse": float(np.sqrt(np.mean(e * e)))}


def to_onnx_hgb(model, sample):
    """skl2onnx 1.20 passes numpy bools in an int-list attribute of TreeEnsembleRegressor
    (`nodes_missing_value_tracks_true`) for HistGradientBoosting, which onnx 1.23 rejects;
    cast bool lists to ints while converting."""
    import onnx.helper as oh
    from skl2onnx import to_onnx

    orig = oh.make_attribute

    def make_attribute(key, value, *a, **kw):
        if isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value):
            value = [int(v) for v in value]
        elif isinstance(value, np.ndarray) and value.dtype == np.bool_:
            value = value.astype(np.int64)
        return orig(key, value, *a, **kw)

    oh.make_attribute = make_attribute
    try:
        return to_onnx(model, sample, target_opset={"": 17, "ai.onnx.ml": 3})
    finally:
        oh.make_attribute = orig


CONFIGS = [
    dict(learning_rate=0.08, max_iter=300, min_samples_leaf=40, max_leaf_nodes=31),
    dict(learning_rate=0.05, max_iter=500, min_samples_leaf=200, max_leaf_nodes=15),
    dict(learning_rate=0.03, max_iter=800, min_samples_leaf=300, max_leaf_nodes=15),
]
VALIDATION_DAYS = 42

# Trees kept after compression, per model. From the speed target (1,000
# households x 96 slots, features included, within 100 ms on 2 cores): the full
# ensembles cost about 0.55 ms per tree (load, 96,000 rows) and 0.36 ms (PV, the
# longest day's 68,000 daylight rows) on one thread in the Rust bench, so 60 +
# 160 trees were budgeted for about 90 ms on one thread. Measured after
# compression (the kept trees are the larger ones): 67-86 ms on two threads,
# 100-124 ms on one (docs/benchmarks.md, "Compressed forecasters").
TREE_BUDGET = {"load": 60, "pv": 160}
# the penalties the lasso path tries, largest first
LASSO_ALPHAS = np.geomspace(1e-4, 1e-9, 51)


def tree_outputs(model, X):
    """Each tree's output on the rows of X (n x trees, float64) and the
    ensemble's baseline: the model's prediction is baseline + row sum."""
    base = float(model._baseline_prediction.ravel()[0])
    prev, cols = base, []
    for p in model.staged_predict(X):
        cols.append(p - prev)
        prev = p
    return np.stack(cols, 1), base


def compress(model, X, budget):
    """Non-negative lasso of the full ensemble's predictions on X over its
    trees' outputs: the least penalty of LASSO_ALPHAS whose support has at
    most `budget` trees. Returns (weights per tree, intercept, alpha)."""
    from sklearn.linear_model import lasso_path
    C, base = tree_outputs(model, X)
    target = C.sum(1)
    # the path fits no intercept: centre the columns and the target
    alphas, coefs, _ = lasso_path(C - C.mean(0), target - target.mean(), alphas=LASSO_ALPHAS,
                                  positive=True, max_iter=5000)
    best = None
    for a, w in zip(alphas, coefs.T):
        if (w > 0).sum() <= budget:
            best = (a, w)
    if best is None:
        raise SystemExit(f"no penalty keeps {budget} trees or fewer")
    a, w = best
    intercept = float(target.mean() - C.mean(0) @ w)
    return w, base + intercept, float(a)


def compressed_onnx(onx, weights, base):
    """The exported TreeEnsembleRegressor with only the trees of positive weight,
    their leaf values scaled by it and renumbered 0.., and `base` as base value."""
    import onnx.helper as oh
    node = next(n for n in onx.graph.node if n.op_type == "TreeEnsembleRegressor")
    att = {a.name: oh.get_attribute_value(a) for a in node.attribute}
    keep = {t: i for i, t in enumerate(np.flatnonzero(weights > 0))}
    out = {}
    ntree = att["nodes_treeids"]
    for k, v in att.items():
        if k.startswith("nodes_"):
            out[k] = [x for x, t in zip(v, ntree) if t in keep]
    out["nodes_treeids"] = [keep[t] for t in ntree if t in keep]
    ttree = att["target_treeids"]
    sel = [j for j, t in enumerate(ttree) if t in keep]
    out["target_treeids"] = [keep[ttree[j]] for j in sel]
    out["target_nodeids"] = [att["target_nodeids"][j] for j in sel]
    out["target_ids"] = [att["target_ids"][j] for j in sel]
    out["target_weights"] = [float(att["target_weights"][j] * weights[ttree[j]]) for j in sel]
    out["base_values"] = [float(base)]
    for k in ("n_targets", "post_transform", "aggregate_function"):
        if k in att:
            out[k] = att[k]
    new = oh.make_node("TreeEnsembleRegressor", list(node.input), list(node.output),
                       name=node.name, domain=node.domain, **{
                           k: ([x.decode() if isinstance(x, bytes) else x for x in v]
                               if isinstance(v, list) else
                               (v.decode() if isinstance(v, bytes) else v))
                           for k, v in out.items()})
    idx = list(onx.graph.node).index(node)
    onx.graph.node.remove(node)
    onx.graph.node.insert(idx, new)
    return onx


def make_model(cfg):
    from sklearn.ensemble import HistGradientBoostingRegressor
    return HistGradientBoostingRegressor(loss="absolute_error", l2_regularization=1.0,
                                         random_state=SEED, **cfg)


def postprocess(kind, p, X):
    p = np.clip(p, 0.0, None)
    return np.where(X[:, 15] > 0, p, 0.0) if kind == "pv" else p


def train_kind(kind, cols, prof, lat, lon, holdout_day):
    import onnxruntime as ort

    slots = prof["slot"].to_numpy(np.int64)
    parts = [build(prof[c].to_numpy(np.float32), slots, lat, lon) for c in cols]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    tr, te = d < holdout_day, d >= holdout_day
    if kind == "pv":  # night is zero by construction: learn the day only
        tr = tr & (X[:, 15] > 0)
    # model choice on a validation period at the end of the training period (the
    # held-out period is used only for the final figures)
    val = tr & (d >= holdout_day - VALIDATION_DAYS)
    fit_rows = tr & ~val
    choice = []
    for cfg in CONFIGS:
        m = make_model(cfg).fit(X[fit_rows], y[fit_rows])
        p = postprocess(kind, m.predict(X[val]), X[val])
        choice.append((float(np.mean(np.abs(p - y[val]))), cfg))
        print(kind, "validation MAE %.5f" % choice[-1][0], cfg, flush=True)
    best_cfg = min(choice, key=lambda c: c[0])[1]
    t0 = time.time()
    model = make_model(best_cfg)
    model.fit(X[tr], y[tr])
    fit_s = time.time() - t0
    p_full = postprocess(kind, model.predict(X[te]), X[te])
    t0 = time.time()
    weights, base, alpha = compress(model, X[tr], TREE_BUDGET[kind])
    compress_s = time.time() - t0
    onx = compressed_onnx(to_onnx_hgb(model, X[:1]), weights, base)
    path = os.path.join(OUT, f"{kind}.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    p_onnx = sess.run(None, {in_name: X[te]})[0].reshape(-1)
    p_ref = base + tree_outputs(model, X[te])[0] @ weights
    assert np.max(np.abs(p_onnx - p_ref)) < 1e-3, "ONNX graph differs from the compressed ensemble"
    p_onnx = postprocess(kind, p_onnx, X[te])
    res = {
        "series": cols,
        "train_rows": int(tr.sum()), "holdout_rows": int(te.sum()),
        "fit_seconds": round(fit_s, 1),
        "config": best_cfg,
        "validation": [{"mae": m, "config": c} for m, c in choice],
        "trees": int((weights > 0).sum()), "trees_full": int(model.n_iter_),
        "compression": {"tree_budget": TREE_BUDGET[kind], "lasso_alpha": alpha,
                        "seconds": round(compress_s, 1)},
        "model": metrics(y[te], p_onnx),
        "full_model": metrics(y[te], p_full),
        "seasonal_naive": metrics(y[te], X[te][:, 0]),
        "persistence": metrics(y[te], X[te][:, 5]),
    }
    res["mae_vs_seasonal_naive_pct"] = round(100.0 * (1 - res["model"]["mae"] / res["seasonal_naive"]["mae"]), 1)
    res["rmse_vs_seasonal_naive_pct"] = round(100.0 * (1 - res["model"]["rmse"] / res["seasonal_naive"]["rmse"]), 1)
    res["full_model_mae_vs_seasonal_naive_pct"] = round(
        100.0 * (1 - res["full_model"]["mae"] / res["seasonal_naive"]["mae"]), 1)
    # fixtures: one held-out day of the first series, with its history, for the Rust tests
    fx_day = holdout_day + 10
    s0 = prof[cols[0]].to_numpy(np.float32)
    hist = s0[(fx_day - 7) * DAY:fx_day * DAY]
    cs = clearsky_ghi(slots + 450, lat, lon).reshape(-1, DAY)
    fx = day_features(hist, slots[fx_day * DAY], cs[fx_day], cs[fx_day - 7:fx_day].reshape(-1))
    fx_out = sess.run(None, {in_name: fx})[0].reshape(-1)
    fixture = {"series": cols[0], "day_start": int(slots[fx_day * DAY]),
               "history": [float(v) for v in hist], "features": fx.tolist(),
               "outputs": [float(v) for v in fx_out]}
    return res, fixture


def main():
    os.makedirs(OUT, exist_ok=True)
    grid = json.load(open(os.path.join(DATA, "grid.json")))
    lat, lon = grid["location"]["lat"], grid["location"]["lon"]
    with gzip.open(os.path.join(DATA, "profiles.csv.gz"), "rt") as f:
        prof = pd.read_csv(f)
    slots = prof["slot"].to_numpy(np.int64)
    holdout_day = int((pd.Timestamp(HOLDOUT_START, tz="UTC").value // 10**9 - slots[0]) // 86400)

    # our holiday list equals the `holidays` package's nationwide German list
    import holidays as hol
    for y in (2015, 2016, 2017, 2026):
        assert german_holidays(y) == set(hol.Germany(years=y).keys()) - {dt.date(2017, 10, 31)}, y
    # our clear-sky model agrees with pvlib (Haurwitz on pvlib's SPA zenith)
    import pvlib
    times = pd.date_range("2016-01-01", "2016-12-31 23:45", freq="15min", tz="UTC")
    sp = pvlib.solarposition.get_solarposition(times + pd.Timedelta(seconds=450), lat, lon)
    ref = pvlib.clearsky.haurwitz(sp["apparent_zenith"]).to_numpy().reshape(-1)
    ours = clearsky_ghi(slots + 450, lat, lon)
    cs_err = float(np.max(np.abs(ours - ref)))
    assert cs_err < 40.0, cs_err

    load_cols = [c for c in prof.columns if c.startswith("load:")]
    pv_cols = [c for c in prof.columns if c.startswith("pv:")]
    out = {"task": "day-ahead, 96 quarter hours, issued at midnight UTC", "features": FEATURES,
           "holdout": f"{HOLDOUT_START} .. 2016-12-31", "train": f"2016-01-08 .. {HOLDOUT_START} (exclusive)",
           "units": "normalised profile (per unit of rated power)",
           "clearsky_max_abs_diff_vs_pvlib_wm2": round(cs_err, 2),
           "location": {"lat": lat, "lon": lon}}
    fixtures = {"features": FEATURES, "location": {"lat": lat, "lon": lon}}
    for kind, cols in (("load", load_cols), ("pv", pv_cols)):
        res, fx = train_kind(kind, cols, prof, lat, lon, holdout_day)
        out[kind] = res
        fixtures[kind] = fx
        print(kind, json.dumps({k: res[k] for k in ("model", "full_model", "trees", "seasonal_naive",
                                                    "mae_vs_seasonal_naive_pct",
                                                    "full_model_mae_vs_seasonal_naive_pct")}))
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(fixtures, f)
        f.write("\n")


if __name__ == "__main__":
    main()
