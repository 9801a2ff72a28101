#!/usr/bin/env python3
"""AC power flow of every simulated slot on the SimBench grid the market runs on.

The simulation (`aip-sim`, `ci/sim.sh`) writes `out/injections.csv`: per slot
and household meter the metered export and import (battery included) at the
household's grid bus. This module puts those net injections into a
Newton-Raphson AC power flow (pandapower) of the same SimBench grid and
reports what a distribution system operator (DSO) checks: real losses, bus
voltages against the 0.95-1.05 p.u. band, line and transformer loadings.

    python offchain/sim/powerflow/powerflow.py run --out out
        reads  out/injections.csv (and out/kpis.json for the P2P energy)
        writes out/powerflow.csv   one row per slot
               out/powerflow.json  the week's physics KPIs
               out/voltage.svg     min / max bus voltage over the run

Other commands (the DSO's closed loop and a stress scenario, see
offchain/sim/README.md, "Grid physics"):

    stress-data  --scale K --out DIR        the data folder with every PV system K times larger
    profile-injections --start-day D --out DIR
                                             injections of the raw net demand (no market, no battery)
    tighten      --run OUT --data DIR --to DIR2
                                             corridor capacities tightened from dV/dP
    cap          --run OUT                   per-slot export caps from dV/dP, iterated

Assumptions (also written into powerflow.json):
- Only the household meters change from slot to slot: SimBench's own loads
  and PV systems are replaced by one PQ element per meter at its bus.
- Energy in a 15-minute slot is taken as constant power over the slot
  (P = 4 x Wh per slot).
- A meter that imports draws reactive power at the power factor of the
  SimBench household loads (tan phi = 0.395, cos phi = 0.93 inductive, read
  from the grid's load table); a meter that exports does so at unity power
  factor (PV inverters without reactive control; the household's own reactive
  load while exporting is neglected).
- The MV grid behind the transformer is SimBench's external grid (1.025 p.u.,
  fixed; tap at neutral, no on-load tap changer). Balanced three-phase.
- Transformer losses include its no-load (iron) loss of SimBench's 1.2 kW,
  which runs whatever is traded; line losses are the I^2 R part the market can
  influence, and the one compared with the matcher's linear loss model.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandapower as pp  # noqa: E402

BAND = (0.95, 1.05)  # p.u.; EN 50160's +-10 % tightened as DSOs plan LV grids
SLOT_H = 0.25  # a market slot is 15 minutes
DEFAULT_GRID = "1-LV-rural3--0-sw"
INJECTIONS_HEADER = ["slot_start", "household", "bus", "zone", "exported_wh",
                     "imported_wh", "net_injection_wh"]


class PowerFlowError(Exception):
    """An input the power-flow step cannot use, or a power flow that does not converge."""


# --------------------------------------------------------------------------
# Inputs


@dataclass
class Injections:
    """Net injections of a run: `wh[k, i]` = export minus import of meter i in slot k."""

    slots: list[int]
    meters: list[str]
    buses: list[int]
    zones: list[int]
    wh: np.ndarray  # shape (slots, meters), int64

    def select(self, keep: np.ndarray) -> "Injections":
        """The same meters, only the slots where `keep` is true."""
        return Injections([s for s, k in zip(self.slots, keep) if k], self.meters,
                          self.buses, self.zones, self.wh[keep])


def read_injections(path: str) -> Injections:
    """Reads the simulation's injections.csv (one row per slot and meter, slots in order)."""
    if not os.path.exists(path):
        raise PowerFlowError(f"{path} not found: run the simulation first (ci/sim.sh)")
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header != INJECTIONS_HEADER:
            raise PowerFlowError(f"{path}: header {header} is not {','.join(INJECTIONS_HEADER)}")
        slots: list[int] = []
        meters: list[str] = []
        buses: list[int] = []
        zones: list[int] = []
        values: list[list[int]] = []
        for line_no, r in enumerate(rows, start=2):
            if len(r) != len(INJECTIONS_HEADER):
                raise PowerFlowError(f"{path} line {line_no}: {len(r)} fields, expected 7")
            try:
                slot, bus, zone, exp, imp, net = (int(r[0]), int(r[2]), int(r[3]), int(r[4]),
                                                  int(r[5]), int(r[6]))
            except ValueError as e:
                raise PowerFlowError(f"{path} line {line_no}: {e}") from None
            if net != exp - imp:
                raise PowerFlowError(
                    f"{path} line {line_no}: net_injection_wh {net} != exported {exp} - imported {imp}")
            if not slots or slots[-1] != slot:
                if slots and slot < slots[-1]:
                    raise PowerFlowError(f"{path} line {line_no}: slot {slot} before {slots[-1]}")
                slots.append(slot)
                values.append([])
            k = len(values[-1])
            if len(slots) == 1:
                meters.append(r[1])
                buses.append(bus)
                zones.append(zone)
            elif k >= len(meters) or meters[k] != r[1]:
                raise PowerFlowError(
                    f"{path} line {line_no}: meter {r[1]} out of order in slot {slot} "
                    f"(every slot lists the same meters in the same order)")
            values[-1].append(net)
    if not slots:
        raise PowerFlowError(f"{path}: no rows")
    if any(len(v) != len(meters) for v in values):
        raise PowerFlowError(f"{path}: a slot misses meters (expected {len(meters)} per slot)")
    return Injections(slots, meters, buses, zones, np.array(values, dtype=np.int64))


# --------------------------------------------------------------------------
# The grid and one slot's power flow


@dataclass
class SlotResult:
    """What one power flow says about one slot."""

    vm_pu: np.ndarray  # voltage of every monitored bus
    line_loss_w: float
    trafo_loss_w: float
    line_loading_pct: np.ndarray
    trafo_loading_pct: np.ndarray
    buses: np.ndarray  # pandapower bus index of each vm_pu entry

    @property
    def over_band(self) -> int:
        return int((self.vm_pu > BAND[1]).sum())

    @property
    def under_band(self) -> int:
        return int((self.vm_pu < BAND[0]).sum())


class Grid:
    """A pandapower network whose only varying elements are the household meters.

    `net` is any pandapower network with an external grid; `meter_buses` gives
    each meter's bus. Loads and static generators already in `net` are taken
    out of service: the meters' net injections replace them. Monitored buses
    are those at or below `max_vn_kv` (the LV side).
    """

    def __init__(self, net, meter_buses: list[int], tan_phi: float, max_vn_kv: float = 1.0):
        unknown = sorted(set(meter_buses) - set(int(b) for b in net.bus.index))
        if unknown:
            raise PowerFlowError(f"meters at buses {unknown} that the grid does not have")
        if len(net.ext_grid) == 0:
            raise PowerFlowError("the grid has no external grid (slack)")
        self.net = net
        self.tan_phi = float(tan_phi)
        net.load["in_service"] = False
        net.sgen["in_service"] = False
        if "storage" in net and len(net.storage):
            net.storage["in_service"] = False
        self.meters = pp.create_loads(net, meter_buses, p_mw=0.0, q_mvar=0.0,
                                      name=[f"meter {i}" for i in range(len(meter_buses))])
        self.monitored = np.array(sorted(int(b) for b in net.bus.index[net.bus.vn_kv <= max_vn_kv]))
        self._warm = False

    def solve(self, net_injection_w: np.ndarray) -> SlotResult:
        """AC power flow (Newton-Raphson) with each meter injecting `net_injection_w[i]` W."""
        p_w = np.asarray(net_injection_w, dtype=float)
        if p_w.shape != (len(self.meters),):
            raise PowerFlowError(f"{p_w.shape[0] if p_w.ndim else 0} injections for "
                                 f"{len(self.meters)} meters")
        draw_mw = -p_w * 1e-6  # a load element: positive = consumption
        q_mvar = np.where(draw_mw > 0, draw_mw * self.tan_phi, 0.0)
        self.net.load.loc[self.meters, "p_mw"] = draw_mw
        self.net.load.loc[self.meters, "q_mvar"] = q_mvar
        try:
            pp.runpp(self.net, algorithm="nr", init="results" if self._warm else "auto",
                     numba=False)
        except pp.powerflow.LoadflowNotConverged:
            raise PowerFlowError(
                f"the power flow did not converge (total injection {p_w.sum() / 1e3:.1f} kW)") from None
        self._warm = True
        res = self.net
        return SlotResult(
            vm_pu=res.res_bus.vm_pu.loc[self.monitored].to_numpy(),
            line_loss_w=float(res.res_line.pl_mw.sum()) * 1e6,
            trafo_loss_w=float(res.res_trafo.pl_mw.sum()) * 1e6 if len(res.trafo) else 0.0,
            line_loading_pct=res.res_line.loading_percent.to_numpy(),
            trafo_loading_pct=(res.res_trafo.loading_percent.to_numpy() if len(res.trafo)
                               else np.zeros(0)),
            buses=self.monitored,
        )


def simbench_grid(code: str, meter_buses: list[int]) -> Grid:
    """The SimBench grid `code` with its household loads and PV replaced by the meters.

    The reactive ratio of importing meters is the mean tan phi of the grid's
    own loads (SimBench gives every household load the same cos phi)."""
    import simbench as sb  # imported here: a unit test on a hand-made grid does not need it

    net = sb.get_simbench_net(code)
    loads = net.load[net.load.p_mw > 0]
    tan_phi = float((loads.q_mvar / loads.p_mw).mean()) if len(loads) else 0.0
    return Grid(net, meter_buses, tan_phi)


# --------------------------------------------------------------------------
# A run


@dataclass
class RunResult:
    """Per-slot results of a run and its totals."""

    slots: list[int]
    rows: list[dict] = field(default_factory=list)
    vm: list[np.ndarray] = field(default_factory=list)  # per slot, monitored buses


def run_slots(grid: Grid, inj: Injections) -> RunResult:
    """One power flow per slot."""
    out = RunResult(inj.slots)
    for k, slot in enumerate(inj.slots):
        w = inj.wh[k].astype(float) / SLOT_H  # Wh in 15 min -> W
        r = grid.solve(w)
        out.vm.append(r.vm_pu)
        out.rows.append({
            "slot_start": slot,
            "export_kw": round(float(w[w > 0].sum()) / 1e3, 3),
            "import_kw": round(float(-w[w < 0].sum()) / 1e3, 3),
            "line_loss_w": round(r.line_loss_w, 1),
            "trafo_loss_w": round(r.trafo_loss_w, 1),
            "vm_min_pu": round(float(r.vm_pu.min()), 5),
            "vm_min_bus": int(r.buses[r.vm_pu.argmin()]),
            "vm_max_pu": round(float(r.vm_pu.max()), 5),
            "vm_max_bus": int(r.buses[r.vm_pu.argmax()]),
            "buses_over_105": r.over_band,
            "buses_under_095": r.under_band,
            "max_line_loading_pct": round(float(r.line_loading_pct.max(initial=0.0)), 2),
            "lines_over_100": int((r.line_loading_pct > 100).sum()),
            "trafo_loading_pct": round(float(r.trafo_loading_pct.max(initial=0.0)), 2),
            "trafos_over_100": int((r.trafo_loading_pct > 100).sum()),
        })
    return out


def kpis(run: RunResult, grid: Grid, sim_kpis: dict | None) -> dict:
    """The run's physics KPIs (energy in kWh, voltages in p.u.)."""
    rows = run.rows
    line_kwh = sum(r["line_loss_w"] for r in rows) * SLOT_H / 1e3
    trafo_kwh = sum(r["trafo_loss_w"] for r in rows) * SLOT_H / 1e3
    out = {
        "slots": len(rows),
        "meters": len(grid.meters),
        "monitored_buses": len(grid.monitored),
        "assumptions": {
            "import_tan_phi": round(grid.tan_phi, 4),
            "import_cos_phi": round(1 / math.sqrt(1 + grid.tan_phi ** 2), 4),
            "export_cos_phi": 1.0,
            "power": "constant over each 15-min slot (P = 4 x Wh)",
            "slack_vm_pu": float(grid.net.ext_grid.vm_pu.iloc[0]),
            "band_pu": list(BAND),
            "algorithm": "Newton-Raphson (pandapower), balanced three-phase",
        },
        "exported_kwh": round(sum(r["export_kw"] for r in rows) * SLOT_H, 3),
        "imported_kwh": round(sum(r["import_kw"] for r in rows) * SLOT_H, 3),
        "line_losses_kwh": round(line_kwh, 3),
        "trafo_losses_kwh": round(trafo_kwh, 3),
        "losses_kwh": round(line_kwh + trafo_kwh, 3),
        "vm_min_pu": min(r["vm_min_pu"] for r in rows),
        "vm_max_pu": max(r["vm_max_pu"] for r in rows),
        "bus_slots_over_105": sum(r["buses_over_105"] for r in rows),
        "bus_slots_under_095": sum(r["buses_under_095"] for r in rows),
        "bus_slots_out_of_band": sum(r["buses_over_105"] + r["buses_under_095"] for r in rows),
        "slots_with_violation": sum(1 for r in rows if r["buses_over_105"] + r["buses_under_095"]),
        "line_slots_over_100": sum(r["lines_over_100"] for r in rows),
        "trafo_slots_over_100": sum(r["trafos_over_100"] for r in rows),
        "max_line_loading_pct": max(r["max_line_loading_pct"] for r in rows),
        "max_trafo_loading_pct": max(r["trafo_loading_pct"] for r in rows),
    }
    if sim_kpis:
        p2p = float(sim_kpis.get("delivered_kwh", 0.0))
        out["p2p_delivered_kwh"] = p2p
        out["linear_model_losses_kwh"] = sim_kpis.get("losses_kwh")
        out["line_losses_pct_of_p2p"] = round(100 * line_kwh / p2p, 3) if p2p else None
        out["losses_pct_of_p2p"] = round(100 * (line_kwh + trafo_kwh) / p2p, 3) if p2p else None
    return out


def write_csv(path: str, rows: list[dict]) -> None:
    """Writes rows of equal keys as a CSV file with a header."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def voltage_svg(run: RunResult, title: str) -> str:
    """A line chart of the highest and lowest bus voltage per slot, with the band."""
    w, h, left, right, top, bottom = 960, 360, 60, 20, 36, 40
    vmax = [r["vm_max_pu"] for r in run.rows]
    vmin = [r["vm_min_pu"] for r in run.rows]
    lo = min(BAND[0] - 0.01, min(vmin))
    hi = max(BAND[1] + 0.01, max(vmax))
    n = max(len(vmax) - 1, 1)

    def x(i):
        return left + (w - left - right) * i / n

    def y(v):
        return top + (h - top - bottom) * (hi - v) / (hi - lo)

    def poly(vals, color):
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vals))
        return f'<polyline fill="none" stroke="{color}" stroke-width="1.2" points="{pts}"/>'

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{left}" y="20" font-size="14">{title}</text>']
    step = 0.01 if hi - lo <= 0.15 else 0.05
    v = math.ceil(lo / step) * step
    while v <= hi + 1e-9:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="#eee"/><text x="{left - 6}" y="{y(v) + 4:.1f}" '
                     f'text-anchor="end">{v:.2f}</text>')
        v += step
    for b in BAND:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(b):.1f}" y2="{y(b):.1f}" '
                     f'stroke="#d62728" stroke-dasharray="6,4"/>')
    for i, s in enumerate(run.slots):
        if s % 86400 == 0:
            parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{top}" y2="{h - bottom}" '
                         f'stroke="#ccc"/><text x="{x(i) + 3:.1f}" y="{h - bottom + 16}">'
                         f'day {s // 86400 - run.slots[0] // 86400 + 1}</text>')
    parts.append(poly(vmax, "#ff7f0e"))
    parts.append(poly(vmin, "#1f77b4"))
    lx = w - right - 330
    parts += [f'<line x1="{lx}" x2="{lx + 20}" y1="28" y2="28" stroke="#ff7f0e" stroke-width="2"/>',
              f'<text x="{lx + 24}" y="32">highest bus</text>',
              f'<line x1="{lx + 110}" x2="{lx + 130}" y1="28" y2="28" stroke="#1f77b4" stroke-width="2"/>',
              f'<text x="{lx + 134}" y="32">lowest bus</text>',
              f'<line x1="{lx + 215}" x2="{lx + 235}" y1="28" y2="28" stroke="#d62728" '
              f'stroke-dasharray="6,4"/><text x="{lx + 239}" y="32">0.95-1.05</text>',
              f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})">p.u.</text>',
              "</svg>"]
    return "\n".join(parts) + "\n"


def summary(k: dict) -> str:
    """The lines ci/sim.sh prints under the market summary."""
    s = [f"Grid physics (AC power flow, {k['slots']} slots, {k['monitored_buses']} LV buses):",
         f"  real losses        {k['line_losses_kwh']:.2f} kWh in lines + "
         f"{k['trafo_losses_kwh']:.2f} kWh in the transformer (incl. no-load)"]
    if k.get("line_losses_pct_of_p2p") is not None:
        s.append(f"  line losses        {k['line_losses_pct_of_p2p']:.2f} % of the delivered P2P energy "
                 f"({k['p2p_delivered_kwh']:.1f} kWh); linear model: "
                 f"{k['linear_model_losses_kwh']:.2f} kWh")
    s += [f"  bus voltage        {k['vm_min_pu']:.4f} .. {k['vm_max_pu']:.4f} p.u.",
          f"  outside 0.95-1.05  {k['bus_slots_out_of_band']} bus-slots "
          f"({k['bus_slots_over_105']} over, {k['bus_slots_under_095']} under; "
          f"{k['slots_with_violation']} slots)",
          f"  loading > 100 %    {k['line_slots_over_100']} line-slots, "
          f"{k['trafo_slots_over_100']} transformer-slots "
          f"(max {k['max_line_loading_pct']:.1f} % line, {k['max_trafo_loading_pct']:.1f} % transformer)"]
    return "\n".join(s) + "\n"


def analyse(out_dir: str, grid_code: str) -> tuple[dict, RunResult, Grid, Injections]:
    """Power flow of every slot of the run in `out_dir`; writes its files there."""
    inj = read_injections(os.path.join(out_dir, "injections.csv"))
    grid = simbench_grid(grid_code, inj.buses)
    run = run_slots(grid, inj)
    sim_kpis = None
    kp = os.path.join(out_dir, "kpis.json")
    if os.path.exists(kp):
        with open(kp) as f:
            sim_kpis = json.load(f)
    k = {"grid": grid_code, **kpis(run, grid, sim_kpis)}
    write_csv(os.path.join(out_dir, "powerflow.csv"), run.rows)
    with open(os.path.join(out_dir, "powerflow.json"), "w") as f:
        json.dump(k, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "voltage.svg"), "w") as f:
        f.write(voltage_svg(run, f"Bus voltages, AC power flow of every slot ({grid_code})"))
    return k, run, grid, inj


# --------------------------------------------------------------------------
# The DSO's closed loop: sensitivities and the two rules


def dv_dp(grid: Grid, injection_w: np.ndarray, meters: np.ndarray, delta_w: float = 1000.0) -> np.ndarray:
    """Sensitivity of every monitored bus voltage to the injection of a group of meters.

    Finite difference of two AC power flows: `delta_w` more injection, shared
    by `meters` (indices) in proportion to what they export (equally if none
    exports). Returns dV/dP in p.u. per W for each monitored bus."""
    base = grid.solve(injection_w).vm_pu
    share = np.clip(injection_w[meters], 0, None)
    share = share / share.sum() if share.sum() > 0 else np.full(len(meters), 1 / len(meters))
    bumped = injection_w.copy()
    bumped[meters] += delta_w * share
    return (grid.solve(bumped).vm_pu - base) / delta_w


def bus_zones_of(data: str) -> dict[int, int]:
    """Zone of every bus of the grid (the data folder's grid.json)."""
    path = os.path.join(data, "grid.json")
    try:
        with open(path) as f:
            return {int(b["id"]): int(b["zone"]) for b in json.load(f)["buses"]}
    except (OSError, ValueError, KeyError) as e:
        raise PowerFlowError(f"{path}: no bus zones ({e})") from None


def _violations_by_zone(grid: Grid, vm: np.ndarray, bus_zone: dict) -> dict[int, int]:
    """Zones with a bus above the band -> position (in vm) of the zone's highest bus."""
    worst: dict[int, int] = {}
    for j in np.flatnonzero(vm > BAND[1]):
        z = bus_zone.get(int(grid.monitored[j]))
        if z is not None and (z not in worst or vm[j] > vm[worst[z]]):
            worst[z] = int(j)
    return worst


def zone_export_limits(grid: Grid, inj: Injections, run: RunResult, bus_zone: dict,
                       margin_pu: float = 0.002) -> dict:
    """Rule 1 (through the market): per zone with a bus above the band, the
    largest net export (W) that keeps it at 1.05 - margin, from dV/dP.

    For every slot with a bus above 1.05 and every zone holding such a bus
    (V_max: the zone's highest bus):
    limit = zone's net export - (V_max - (1.05 - margin)) / (dV_max/dP_zone);
    the zone's limit is the smallest over the run (0 when negative)."""
    zones = np.array(inj.zones)
    limits: dict[int, float] = {}
    for k, vm in enumerate(run.vm):
        if not (vm > BAND[1]).any():
            continue
        w = inj.wh[k].astype(float) / SLOT_H
        for z, worst in sorted(_violations_by_zone(grid, vm, bus_zone).items()):
            members = np.flatnonzero(zones == z)
            if len(members) == 0:
                continue
            s = dv_dp(grid, w, members)[worst]
            if s <= 0:
                continue
            export = float(w[members].sum())
            limit = max(0.0, export - (vm[worst] - (BAND[1] - margin_pu)) / s)
            limits[int(z)] = min(limits.get(int(z), math.inf), limit)
    return limits


def tighten_data(data: str, to: str, limits_w: dict) -> list[dict]:
    """Writes a copy of the data folder whose corridors out of each limited zone
    carry at most the zone's export limit per slot (Wh). Returns the changes."""
    os.makedirs(to, exist_ok=True)
    for name in os.listdir(data):
        src = os.path.join(data, name)
        if os.path.isfile(src) and name not in ("grid.json", "network.json"):
            dst = os.path.join(to, name)
            if not os.path.exists(dst):
                os.symlink(os.path.abspath(src), dst)
    changes = []
    with open(os.path.join(data, "grid.json")) as f:
        grid = json.load(f)
    with open(os.path.join(data, "network.json")) as f:
        network = json.load(f)
    for z, lim in sorted(limits_w.items()):
        cap = int(lim * SLOT_H)
        for c in grid["corridors"]:  # the sim's chain publishes these
            if c["from"] == z and c["capacity_wh"] > cap:
                changes.append({"zone": z, "corridor": c["id"], "from_wh": c["capacity_wh"],
                                "to_wh": cap})
                c["capacity_wh"] = cap
        for c in network["corridors"]:  # the matcher's network model
            if c["from"] == z:
                c["capacity_wh"] = min(c["capacity_wh"], cap)
    for name, doc in (("grid.json", grid), ("network.json", network)):
        with open(os.path.join(to, name), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    return changes


def export_caps(grid: Grid, inj: Injections, bus_zone: dict, iterations: int = 5,
                margin_pu: float = 0.002) -> tuple[np.ndarray, list[int]]:
    """Rule 2 (physical): per slot, cap the exports of the meters in the zones
    with a bus above 1.05 by the reduction dV/dP says is needed, then re-run
    the power flow; repeat up to `iterations` times (the sensitivity is
    local). Returns the capped injections (Wh) and the bus-slots over the
    band after each iteration (the first entry: before any cap)."""
    wh = inj.wh.astype(float).copy()
    zones = np.array(inj.zones)
    history = []
    for _ in range(iterations + 1):
        over = 0
        for k in range(len(inj.slots)):
            w = wh[k] / SLOT_H
            vm = grid.solve(w).vm_pu
            if not (vm > BAND[1]).any():
                continue
            over += int((vm > BAND[1]).sum())
            if len(history) == iterations:
                continue  # last pass: count only
            for z, worst in sorted(_violations_by_zone(grid, vm, bus_zone).items()):
                members = np.flatnonzero((zones == z) & (w > 0))
                if len(members) == 0:
                    continue
                sens = dv_dp(grid, w, members)
                if sens[worst] <= 0:
                    continue
                cut = (vm[worst] - (BAND[1] - margin_pu)) / sens[worst]
                export = w[members].sum()
                w[members] *= max(0.0, 1 - cut / export)
            wh[k] = np.floor(w * SLOT_H)
        history.append(over)
        if over == 0:
            break
    return wh.astype(np.int64), history


# --------------------------------------------------------------------------
# Stress scenario


def stress_data(data: str, to: str, scale: float) -> None:
    """Copies the data folder with every PV system `scale` times larger
    (rated power in grid.json and the per-slot PV energy)."""
    if scale <= 0:
        raise PowerFlowError(f"--scale {scale}: must be positive")
    os.makedirs(to, exist_ok=True)
    for name in ("network.json", "profiles.csv.gz"):
        shutil.copyfile(os.path.join(data, name), os.path.join(to, name))
    with open(os.path.join(data, "grid.json")) as f:
        grid = json.load(f)
    for h in grid["households"]:
        h["pv_p_w"] = round(h["pv_p_w"] * scale, 1)
    grid["source"] += f"; PV scaled x{scale:g} (stress scenario)"
    with open(os.path.join(to, "grid.json"), "w") as f:
        json.dump(grid, f, indent=1)
        f.write("\n")
    with gzip.open(os.path.join(data, "households_wh.csv.gz"), "rt", newline="") as src, \
            gzip.open(os.path.join(to, "households_wh.csv.gz"), "wt", newline="") as dst:
        r, w = csv.reader(src), csv.writer(dst, lineterminator="\n")
        header = next(r)
        w.writerow(header)
        pv = [i for i, c in enumerate(header) if c.startswith("pv_")]
        for row in r:
            for i in pv:
                row[i] = str(int(round(int(row[i]) * scale)))
            w.writerow(row)


# --------------------------------------------------------------------------
# Without the market: the households' raw net demand


def profile_injections(data: str, start_day: int, days: int, out_dir: str) -> int:
    """Writes out_dir/injections.csv from the data folder's profiles alone: each
    household injects PV minus load (no battery), the net position both of the
    matcher's report books (`aip-matcher report`) are made of. Returns the rows."""
    with open(os.path.join(data, "grid.json")) as f:
        grid = json.load(f)
    first, last = start_day * 96, (start_day + days) * 96
    if days <= 0 or start_day < 0 or last > grid["slots"]:
        raise PowerFlowError(f"days {start_day}..{start_day + days} are not inside the data "
                             f"({grid['slots'] // 96} days)")
    os.makedirs(out_dir, exist_ok=True)
    rows = 0
    with gzip.open(os.path.join(data, "households_wh.csv.gz"), "rt", newline="") as src, \
            open(os.path.join(out_dir, "injections.csv"), "w", newline="") as dst:
        r, w = csv.reader(src), csv.writer(dst, lineterminator="\n")
        header = next(r)
        cols = [(h, header.index(f"load_{h['id']}"), header.index(f"pv_{h['id']}"))
                for h in grid["households"]]
        w.writerow(INJECTIONS_HEADER)
        for k, row in enumerate(r):
            if k < first:
                continue
            if k >= last:
                break
            for h, lc, pc in cols:
                net = int(row[pc]) - int(row[lc])
                w.writerow([row[0], f"hh{h['id']:03}", h["bus"], h["zone"], max(net, 0),
                            max(-net, 0), net])
                rows += 1
    return rows


# --------------------------------------------------------------------------
# Command line


def grid_code_of(data: str) -> str:
    """The SimBench grid code a data folder was exported from (its grid.json)."""
    path = os.path.join(data, "grid.json")
    try:
        with open(path) as f:
            return json.load(f)["grid"]
    except (OSError, ValueError, KeyError) as e:
        raise PowerFlowError(f"{path}: no SimBench grid code ({e})") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("run", help="power flow of every slot of a simulation run")
    a.add_argument("--out", default="out", help="the simulation's output folder")
    a.add_argument("--grid", help="SimBench grid code (default: the one named in DATA/grid.json)")
    a.add_argument("--data", default="data/simbench", help="the data folder the run used")
    a.add_argument("--quiet", action="store_true")
    t = sub.add_parser("tighten", help="corridor capacities tightened from dV/dP (rule 1)")
    t.add_argument("--run", required=True, help="output folder of an analysed run")
    t.add_argument("--data", default="data/simbench", help="the data folder the run used")
    t.add_argument("--to", required=True, help="where to write the tightened data folder")
    t.add_argument("--grid", default=DEFAULT_GRID)
    c = sub.add_parser("cap", help="per-slot export caps from dV/dP, iterated (rule 2)")
    c.add_argument("--run", required=True, help="output folder of a simulation run")
    c.add_argument("--data", default="data/simbench", help="the data folder the run used")
    c.add_argument("--grid", default=DEFAULT_GRID)
    c.add_argument("--iterations", type=int, default=5)
    s = sub.add_parser("stress-data", help="the data folder with PV scaled")
    s.add_argument("--data", default="data/simbench")
    s.add_argument("--out", required=True)
    s.add_argument("--scale", type=float, required=True)
    n = sub.add_parser("profile-injections",
                       help="injections.csv of the households' raw net demand (no market, no battery)")
    n.add_argument("--data", default="data/simbench")
    n.add_argument("--start-day", type=int, required=True, help="0-based day of the data year")
    n.add_argument("--days", type=int, default=7)
    n.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            k, *_ = analyse(args.out, args.grid or grid_code_of(args.data))
            if not args.quiet:
                print(summary(k), end="")
            print(f"wrote {', '.join(os.path.join(args.out, f) for f in ('powerflow.csv', 'powerflow.json', 'voltage.svg'))}")
        elif args.cmd == "tighten":
            inj = read_injections(os.path.join(args.run, "injections.csv"))
            grid = simbench_grid(args.grid, inj.buses)
            run = run_slots(grid, inj)
            limits = zone_export_limits(grid, inj, run, bus_zones_of(args.data))
            changes = tighten_data(args.data, args.to, limits)
            doc = {"limits_w": {str(z): round(v, 1) for z, v in limits.items()}, "corridors": changes}
            with open(os.path.join(args.to, "tightened.json"), "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            print(json.dumps(doc))
        elif args.cmd == "cap":
            inj = read_injections(os.path.join(args.run, "injections.csv"))
            grid = simbench_grid(args.grid, inj.buses)
            capped, history = export_caps(grid, inj, bus_zones_of(args.data), args.iterations)
            curtailed_kwh = float((inj.wh - capped).clip(min=0).sum()) / 1e3
            doc = {"bus_slots_over_105_per_iteration": history,
                   "curtailed_kwh": round(curtailed_kwh, 3),
                   "exported_kwh": round(float(inj.wh.clip(min=0).sum()) / 1e3, 3)}
            with open(os.path.join(args.run, "export_caps.json"), "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            print(json.dumps(doc))
        elif args.cmd == "profile-injections":
            rows = profile_injections(args.data, args.start_day, args.days, args.out)
            print(f"wrote {os.path.join(args.out, 'injections.csv')} ({rows} rows)")
        elif args.cmd == "stress-data":
            stress_data(args.data, args.out, args.scale)
            print(f"wrote {args.out} (PV x{args.scale:g})")
    except PowerFlowError as e:
        print(f"powerflow: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
