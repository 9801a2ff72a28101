#!/usr/bin/env python3
"""Export one SimBench low-voltage grid and its 2016 profiles for AIPCHAIN.

Source: the PyPI package `simbench` (SimBench data, Open Database License 1.0,
see data/README.md). Run through `ci/install-python.sh`, which installs the
pinned data/requirements.txt into ~/.cache/aipchain/venv:

    ci/install-python.sh
    ~/.cache/aipchain/venv/bin/python data/export_simbench.py [--grid CODE] [--out DIR]

Writes (deterministic, so a re-run gives byte-identical files):

  DIR/grid.json            buses (zone, coordinates), lines (length, impedance,
                           thermal rating), households (bus, zone, load and PV
                           profile names and scales), zones, corridors
  DIR/network.json         the matcher's network model (`aip_matcher::Network`):
                           zones, corridors with capacity (Wh per slot) and loss
                           factors (basis points)
  DIR/profiles.csv.gz      the normalised SimBench profiles used by the grid
                           (one column per profile, 35,136 quarter hours of 2016)
  DIR/households_wh.csv.gz per household: load and PV energy in Wh per 15-min slot
                           for the whole year (integers, rounded to nearest)

Zones come from the topology: the transformer's low-voltage busbar plus any very
short feeder is zone 0 ("substation"); every other feeder leaving the busbar is a
zone, and a long feeder (>= SPLIT_BUSES buses) is split into a near and a far
section at the median electrical distance. Corridors link each zone to its
parent (towards the transformer):

  capacity_wh = sqrt(3) * U_n * I_max(weakest line on the link) * 0.25 h
  loss_bps    = 1e4 * P_ref * R_link / U_n^2, P_ref = REF_LOADING * thermal power,
                R_link = resistance between the two zones' roots
                (the relative I^2 R loss of a balanced three-phase transfer of P_ref)

and each zone's internal loss factor uses the mean resistance from the zone
root to its household buses at P_ref = REF_HOUSEHOLD_W.
"""
import argparse
import gzip
import io
import json
import math
import os
import warnings

warnings.filterwarnings("ignore")

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import simbench as sb  # noqa: E402

SPLIT_BUSES = 20  # feeders with at least this many buses get two zones
TINY_FEEDER_BUSES = 2  # feeders this small join the substation zone
REF_LOADING = 0.25  # corridor loss factor evaluated at 25 % of thermal power
REF_HOUSEHOLD_W = 10_000.0  # intra-zone loss factor evaluated at 10 kW
SLOT_H = 0.25
EPOCH_2016 = 1451606400  # 2016-01-01T00:00:00Z; SimBench timestamps taken as UTC


def three_phase_w(u_kv, i_ka):
    return math.sqrt(3.0) * u_kv * 1e3 * i_ka * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", default="1-LV-rural3--0-sw")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "simbench"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    net = sb.get_simbench_net(args.grid)
    assert len(net.trafo) == 1, "expected one MV/LV transformer"
    lv_bus = int(net.trafo.lv_bus.iloc[0])
    u_kv = float(net.bus.vn_kv[lv_bus])

    # Graph of closed, in-service lines.
    g = nx.Graph()
    for idx, ln in net.line.iterrows():
        if not ln.in_service:
            continue
        r = ln.r_ohm_per_km * ln.length_km / ln.parallel
        g.add_edge(int(ln.from_bus), int(ln.to_bus), line=int(idx), r=r,
                   i_ka=float(ln.max_i_ka) * ln.parallel)
    open_lines = set(net.switch[(net.switch.et == "l") & (~net.switch.closed)].element)
    for idx in open_lines:
        ln = net.line.loc[idx]
        if g.has_edge(int(ln.from_bus), int(ln.to_bus)):
            g.remove_edge(int(ln.from_bus), int(ln.to_bus))
    tree = nx.bfs_tree(g, lv_bus)  # radial operation: a tree rooted at the busbar
    parent = {v: u for u, v in tree.edges()}
    r_from_root = nx.single_source_dijkstra_path_length(g, lv_bus, weight="r")

    # Zones: substation, then feeders (split when long).
    zone_of = {lv_bus: 0}
    zones = [{"id": 0, "name": "substation", "root": lv_bus}]
    for head in sorted(tree.successors(lv_bus)):
        members = [head] + sorted(nx.descendants(tree, head))
        if len(members) <= TINY_FEEDER_BUSES:
            for b in members:
                zone_of[b] = 0
            continue
        fid = len(zones)
        zones.append({"id": fid, "name": f"feeder {head}", "root": head, "parent": 0})
        for b in members:
            zone_of[b] = fid
        if len(members) >= SPLIT_BUSES:
            med = float(np.median([r_from_root[b] for b in members]))
            # far section: the subtrees hanging from the first buses beyond the median
            far_roots = [b for b in members
                         if r_from_root[b] > med and r_from_root[parent[b]] <= med]
            for fr in sorted(far_roots):
                sub = [fr] + list(nx.descendants(tree, fr))
                if len(sub) < 3:
                    continue
                zid = len(zones)
                zones[fid]["name"] = f"feeder {head} near"
                zones.append({"id": zid, "name": f"feeder {head} far ({fr})", "root": fr,
                              "parent": fid})
                for b in sub:
                    zone_of[b] = zid

    def path_lines(a, b):
        path = nx.shortest_path(tree.to_undirected(), a, b)
        return [g.edges[path[i], path[i + 1]] for i in range(len(path) - 1)]

    corridors = []
    for z in zones[1:]:
        pz = zones[z["parent"]]
        lines = path_lines(pz["root"], z["root"])
        i_min = min(e["i_ka"] for e in lines)
        r_link = sum(e["r"] for e in lines)
        p_max = three_phase_w(u_kv, i_min)
        p_ref = REF_LOADING * p_max
        corridors.append({
            "id": len(corridors),
            "from": z["id"],
            "to": pz["id"],
            "capacity_wh": int(p_max * SLOT_H),
            "loss_bps": max(1, round(1e4 * p_ref * r_link / (u_kv * 1e3) ** 2)),
            "fee": 0,
            "length_m": round(sum(net.line.length_km[e["line"]] for e in lines) * 1000, 1),
            "r_ohm": round(r_link, 5),
        })

    households = []
    load_series, pv_series = {}, {}
    abs_vals = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    load_p = abs_vals[("load", "p_mw")]
    sgen_p = abs_vals[("sgen", "p_mw")]
    sgen_by_bus = {}
    for idx, sg in net.sgen.sort_index().iterrows():
        sgen_by_bus.setdefault(int(sg.bus), []).append(idx)
    for idx, ld in net.load.sort_index().iterrows():
        bus = int(ld.bus)
        hid = len(households)
        pv = sgen_by_bus.get(bus, [])
        pv_idx = pv.pop(0) if pv else None
        households.append({
            "id": hid, "name": ld["name"], "bus": bus, "zone": zone_of[bus],
            "load_profile": ld.profile, "load_p_w": round(float(ld.p_mw) * 1e6, 1),
            "pv_profile": None if pv_idx is None else net.sgen.profile[pv_idx],
            "pv_p_w": 0.0 if pv_idx is None else round(float(net.sgen.p_mw[pv_idx]) * 1e6, 1),
        })
        load_series[hid] = load_p[idx].to_numpy()
        pv_series[hid] = sgen_p[pv_idx].to_numpy() if pv_idx is not None else None
    for bus, rest in sorted(sgen_by_bus.items()):  # PV without a load at its bus
        for pv_idx in rest:
            hid = len(households)
            households.append({
                "id": hid, "name": net.sgen.name[pv_idx], "bus": bus, "zone": zone_of[bus],
                "load_profile": None, "load_p_w": 0.0,
                "pv_profile": net.sgen.profile[pv_idx],
                "pv_p_w": round(float(net.sgen.p_mw[pv_idx]) * 1e6, 1),
            })
            load_series[hid] = None
            pv_series[hid] = sgen_p[pv_idx].to_numpy()

    for z in zones:
        hb = [h["bus"] for h in households if h["zone"] == z["id"]]
        r_mean = float(np.mean([r_from_root[b] - r_from_root[z["root"]] for b in hb])) if hb else 0.0
        z["loss_bps"] = max(1, round(1e4 * REF_HOUSEHOLD_W * r_mean / (u_kv * 1e3) ** 2))
        z["households"] = len(hb)
        z["buses"] = sum(1 for b, zz in zone_of.items() if zz == z["id"])

    geo = {}
    for idx, b in net.bus.iterrows():
        try:
            lon, lat = json.loads(b.geo)["coordinates"]
            geo[int(idx)] = (round(lon, 6), round(lat, 6))
        except Exception:  # noqa: BLE001 - buses without coordinates
            geo[int(idx)] = (None, None)
    buses = [{"id": b, "name": net.bus.name[b], "zone": zone_of[b],
              "lon": geo[b][0], "lat": geo[b][1]} for b in sorted(zone_of)]
    lines = [{"id": int(i), "from_bus": int(l.from_bus), "to_bus": int(l.to_bus),
              "length_m": round(l.length_km * 1000, 2), "r_ohm_per_km": l.r_ohm_per_km,
              "x_ohm_per_km": l.x_ohm_per_km, "max_i_ka": l.max_i_ka, "std_type": l.std_type,
              "in_service": bool(l.in_service) and int(i) not in open_lines}
             for i, l in net.line.iterrows()]
    lons = [x for x, _ in geo.values() if x is not None]
    lats = [y for _, y in geo.values() if y is not None]

    grid = {
        "source": f"SimBench {args.grid} (PyPI simbench {sb.__version__}), ODbL 1.0",
        "grid": args.grid,
        "voltage_kv": u_kv,
        "transformer": {"name": net.trafo.name.iloc[0], "sn_kva": float(net.trafo.sn_mva.iloc[0]) * 1e3,
                        "lv_bus": lv_bus},
        "location": {"lon": round(float(np.mean(lons)), 4), "lat": round(float(np.mean(lats)), 4)},
        "slot_seconds": 900,
        "first_slot": EPOCH_2016,
        "slots": int(len(load_p)),
        "zones": [{k: z[k] for k in ("id", "name", "root", "loss_bps", "buses", "households")}
                  for z in zones],
        "corridors": corridors,
        "buses": buses,
        "lines": lines,
        "households": households,
    }
    with open(os.path.join(args.out, "grid.json"), "w") as f:
        json.dump(grid, f, indent=1)
        f.write("\n")
    network = {
        "zones": [{"id": z["id"], "name": z["name"], "loss_bps": z["loss_bps"]} for z in zones],
        "corridors": [{k: c[k] for k in ("id", "from", "to", "capacity_wh", "loss_bps", "fee")}
                      for c in corridors],
        "loss_price": 300,
    }
    with open(os.path.join(args.out, "network.json"), "w") as f:
        json.dump(network, f, indent=1)
        f.write("\n")

    # Normalised profiles (as shipped by SimBench), only those the grid uses.
    used_load = sorted({h["load_profile"] for h in households if h["load_profile"]})
    used_pv = sorted({h["pv_profile"] for h in households if h["pv_profile"]})
    prof = pd.DataFrame({"slot": EPOCH_2016 + 900 * np.arange(len(load_p))})
    for p in used_load:
        prof[f"load:{p}"] = net.profiles["load"][f"{p}_pload"].to_numpy()
    for p in used_pv:
        prof[f"pv:{p}"] = net.profiles["renewables"][p].to_numpy()
    write_gz(prof, os.path.join(args.out, "profiles.csv.gz"), float_format="%.6g")

    wh = pd.DataFrame({"slot": prof["slot"]})
    for h in households:
        i = h["id"]
        s = load_series[i]
        wh[f"load_{i}"] = np.zeros(len(wh), dtype=np.int64) if s is None else np.rint(s * 1e6 * SLOT_H).astype(np.int64)
        s = pv_series[i]
        wh[f"pv_{i}"] = np.zeros(len(wh), dtype=np.int64) if s is None else np.rint(s * 1e6 * SLOT_H).astype(np.int64)
    write_gz(wh, os.path.join(args.out, "households_wh.csv.gz"))
    print(f"{args.grid}: {len(buses)} buses, {len(zones)} zones, {len(corridors)} corridors, "
          f"{len(households)} households ({sum(1 for h in households if h['pv_profile'])} with PV), "
          f"{len(wh)} slots -> {args.out}")


def write_gz(df, path, **kw):
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", **kw)
    # mtime=0 keeps the gzip bytes reproducible
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(buf.getvalue().encode())


if __name__ == "__main__":
    main()
