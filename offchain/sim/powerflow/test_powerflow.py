"""Tests of the power-flow step (run by ci/test.sh: `python -m pytest offchain/sim/powerflow`).

The reference is a hand-computed two-bus case: a slack at U1 = 400 V feeding
one meter through a line of R = 0.2 ohm, X = 0.08 ohm (no shunt). With the
meter drawing P + jQ (three-phase totals, line-to-line voltages) the receiving
voltage U2 solves

    U2^4 + (2 (R P + X Q) - U1^2) U2^2 + (R^2 + X^2)(P^2 + Q^2) = 0

(the larger root), and the line loses R (P^2 + Q^2) / U2^2. An exporting
meter is the same with P < 0. By hand, for 30 kW drawn at unity power factor:
U2^2 = (148,000 + sqrt(148,000^2 - 4 * 0.0464 * 9e8)) / 2 = 147,717 V^2,
U2 = 384.3 V = 0.9609 p.u., loss = 0.2 * 9e8 / 147,717 = 1,218.5 W.
"""
import csv
import gzip
import json
import math
import os
import sys

import numpy as np
import pandapower as pp
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import powerflow as pf  # noqa: E402

R, X, U1 = 0.2, 0.08, 400.0


def two_bus(max_i_ka=0.1, tan_phi=0.0):
    net = pp.create_empty_network()
    b1 = pp.create_bus(net, vn_kv=0.4)
    b2 = pp.create_bus(net, vn_kv=0.4)
    pp.create_ext_grid(net, b1, vm_pu=1.0)
    pp.create_line_from_parameters(net, b1, b2, length_km=1.0, r_ohm_per_km=R, x_ohm_per_km=X,
                                   c_nf_per_km=0.0, max_i_ka=max_i_ka)
    return pf.Grid(net, [b2], tan_phi=tan_phi)


def hand(p_draw_w, q_draw_var):
    """U2 (V) and the line loss (W) of the two-bus case, from the closed form."""
    b = 2 * (R * p_draw_w + X * q_draw_var) - U1 ** 2
    c = (R ** 2 + X ** 2) * (p_draw_w ** 2 + q_draw_var ** 2)
    u2 = math.sqrt((-b + math.sqrt(b * b - 4 * c)) / 2)
    return u2, R * (p_draw_w ** 2 + q_draw_var ** 2) / u2 ** 2


def test_import_matches_the_hand_computed_two_bus_case():
    r = two_bus().solve(np.array([-30_000.0]))
    u2, loss = hand(30_000, 0)
    assert u2 / U1 == pytest.approx(0.9609, abs=1e-4)  # the figures in the module doc
    assert loss == pytest.approx(1218.5, abs=0.5)
    assert r.vm_pu[1] == pytest.approx(u2 / U1, abs=1e-6)
    assert r.vm_pu[0] == pytest.approx(1.0)
    assert r.line_loss_w == pytest.approx(loss, rel=1e-4)
    assert r.over_band == 0 and r.under_band == 0


def test_import_draws_reactive_power_at_the_stated_tan_phi():
    r = two_bus(tan_phi=0.5).solve(np.array([-30_000.0]))
    u2, loss = hand(30_000, 15_000)
    assert r.vm_pu[1] == pytest.approx(u2 / U1, abs=1e-6)
    assert r.line_loss_w == pytest.approx(loss, rel=1e-4)
    assert r.vm_pu[1] < hand(30_000, 0)[0] / U1, "reactive draw lowers the voltage further"


def test_export_at_unity_power_factor_raises_the_voltage_and_counts_a_violation():
    g = two_bus(tan_phi=0.5, max_i_ka=0.07)  # tan phi applies to imports only
    r = g.solve(np.array([30_000.0]))
    u2, loss = hand(-30_000, 0)
    assert r.vm_pu[1] == pytest.approx(u2 / U1, abs=1e-6)
    assert r.vm_pu[1] > 1.03
    assert r.line_loss_w == pytest.approx(loss, rel=1e-4)
    assert r.over_band == 0

    r = g.solve(np.array([60_000.0]))
    u2, _ = hand(-60_000, 0)
    assert r.vm_pu[1] == pytest.approx(u2 / U1, abs=1e-6)
    assert u2 / U1 > 1.05 and r.over_band == 1 and r.under_band == 0
    # current = S / (sqrt(3) U2), against 70 A
    assert r.line_loading_pct[0] == pytest.approx(100 * 60_000 / (math.sqrt(3) * u2) / 70, rel=1e-3)
    assert r.line_loading_pct[0] > 100


def test_a_run_sums_slots_into_kpis():
    g = two_bus(max_i_ka=0.07)
    inj = pf.Injections(slots=[0, 900, 1800], meters=["a"], buses=[1], zones=[1],
                        wh=np.array([[-7_500], [15_000], [0]]))  # -30 kW, +60 kW, nothing
    run = pf.run_slots(g, inj)
    k = pf.kpis(run, g, {"delivered_kwh": 10.0, "losses_kwh": 0.1})
    loss_w = hand(30_000, 0)[1] + hand(-60_000, 0)[1]
    assert k["line_losses_kwh"] == pytest.approx(loss_w * 0.25 / 1000, abs=2e-3)
    assert k["line_losses_pct_of_p2p"] == pytest.approx(100 * loss_w * 0.25 / 1000 / 10.0, abs=1e-3)
    assert k["bus_slots_over_105"] == 1 and k["slots_with_violation"] == 1
    assert k["line_slots_over_100"] == 1
    assert k["exported_kwh"] == 15.0 and k["imported_kwh"] == 7.5
    assert k["vm_min_pu"] == pytest.approx(hand(30_000, 0)[0] / U1, abs=1e-5)
    assert run.rows[2]["line_loss_w"] == 0.0
    svg = pf.voltage_svg(run, "t")
    assert svg.startswith("<svg") and svg.count("<polyline") == 2


def test_voltage_rises_with_injection_and_export_caps_restore_the_band():
    g = two_bus()
    s = pf.dv_dp(g, np.array([60_000.0]), np.array([0]))
    # d(U2)/dP from the closed form, by a central difference
    exact = (hand(-61_000, 0)[0] - hand(-59_000, 0)[0]) / 2_000 / U1
    assert s[1] == pytest.approx(exact, rel=0.02) and s[1] > 0
    inj = pf.Injections(slots=[0, 900], meters=["a"], buses=[1], zones=[1],
                        wh=np.array([[15_000], [5_000]]))
    capped, history = pf.export_caps(g, inj, {0: 1, 1: 1}, iterations=5)
    assert history[0] == 1 and history[-1] == 0
    assert capped[1, 0] == 5_000, "a slot inside the band is left alone"
    v = g.solve(capped[0] / 0.25).vm_pu[1]
    assert 1.05 - 0.004 < v <= 1.05, f"curtailed just enough: {v}"


def write_injections(path, rows, header=pf.INJECTIONS_HEADER):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_injections_are_read_per_slot_and_meter(tmp_path):
    p = tmp_path / "injections.csv"
    write_injections(p, [[0, "a", 1, 1, 10, 0, 10], [0, "b", 2, 1, 0, 5, -5],
                         [900, "a", 1, 1, 0, 3, -3], [900, "b", 2, 1, 0, 0, 0]])
    inj = pf.read_injections(str(p))
    assert inj.slots == [0, 900] and inj.meters == ["a", "b"] and inj.buses == [1, 2]
    assert inj.wh.tolist() == [[10, -5], [-3, 0]]


@pytest.mark.parametrize("rows,header,message", [
    ([], ["slot", "x"], "header ['slot', 'x'] is not slot_start,household"),
    ([], pf.INJECTIONS_HEADER, "no rows"),
    ([[0, "a", 1, 1, 10, 0, 9]], pf.INJECTIONS_HEADER, "net_injection_wh 9 != exported 10 - imported 0"),
    ([[0, "a", 1, 1, 1, 0]], pf.INJECTIONS_HEADER, "6 fields, expected 7"),
    ([[0, "a", 1, 1, "x", 0, 1]], pf.INJECTIONS_HEADER, "invalid literal"),
    ([[0, "a", 1, 1, 0, 0, 0], [0, "b", 2, 1, 0, 0, 0], [900, "b", 2, 1, 0, 0, 0]],
     pf.INJECTIONS_HEADER, "meter b out of order in slot 900"),
    ([[0, "a", 1, 1, 0, 0, 0], [0, "b", 2, 1, 0, 0, 0], [900, "a", 1, 1, 0, 0, 0]],
     pf.INJECTIONS_HEADER, "a slot misses meters (expected 2 per slot)"),
    ([[900, "a", 1, 1, 0, 0, 0], [0, "a", 1, 1, 0, 0, 0]], pf.INJECTIONS_HEADER, "slot 0 before 900"),
])
def test_bad_injections_are_refused_with_the_reason(tmp_path, rows, header, message):
    p = tmp_path / "injections.csv"
    write_injections(p, rows, header)
    with pytest.raises(pf.PowerFlowError) as e:
        pf.read_injections(str(p))
    assert message in str(e.value)


def test_missing_injections_say_how_to_make_them(tmp_path):
    with pytest.raises(pf.PowerFlowError, match="run the simulation first"):
        pf.read_injections(str(tmp_path / "injections.csv"))
    assert pf.main(["run", "--out", str(tmp_path)]) == 1


def test_grid_refuses_unknown_buses_and_a_grid_without_slack():
    net = pp.create_empty_network()
    pp.create_bus(net, vn_kv=0.4)
    with pytest.raises(pf.PowerFlowError, match=r"meters at buses \[7\] that the grid does not have"):
        pf.Grid(net, [7], 0.0)
    with pytest.raises(pf.PowerFlowError, match="no external grid"):
        pf.Grid(net, [0], 0.0)
    with pytest.raises(pf.PowerFlowError, match="2 injections for 1 meters"):
        two_bus().solve(np.array([1.0, 2.0]))


def test_a_power_flow_that_does_not_converge_is_reported():
    with pytest.raises(pf.PowerFlowError, match="did not converge"):
        two_bus().solve(np.array([-2_000_000.0]))  # 2 MW through 0.2 ohm at 400 V


def test_stress_data_scales_pv_only(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "network.json").write_text("{}")
    (src / "profiles.csv.gz").write_bytes(b"")
    (src / "grid.json").write_text(json.dumps({"source": "s", "households": [
        {"id": 0, "pv_p_w": 1000.0}, {"id": 1, "pv_p_w": 0.0}]}))
    with gzip.open(src / "households_wh.csv.gz", "wt") as f:
        f.write("slot,load_0,pv_0,load_1,pv_1\n0,100,7,50,0\n")
    pf.stress_data(str(src), str(dst), 3)
    g = json.loads((dst / "grid.json").read_text())
    assert [h["pv_p_w"] for h in g["households"]] == [3000.0, 0.0]
    with gzip.open(dst / "households_wh.csv.gz", "rt") as f:
        assert f.read().splitlines()[1] == "0,100,21,50,0"
    with pytest.raises(pf.PowerFlowError, match="must be positive"):
        pf.stress_data(str(src), str(dst), 0)


def test_tightened_corridors_cap_the_zones_exports(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    corr = [{"id": 0, "from": 1, "to": 0, "capacity_wh": 46765, "loss_bps": 5, "fee": 0},
            {"id": 1, "from": 2, "to": 0, "capacity_wh": 46765, "loss_bps": 5, "fee": 0}]
    (src / "grid.json").write_text(json.dumps({"corridors": [dict(c, r_ohm=0.1) for c in corr]}))
    (src / "network.json").write_text(json.dumps({"corridors": corr}))
    (src / "households_wh.csv.gz").write_bytes(b"x")
    changes = pf.tighten_data(str(src), str(dst), {1: 40_000.0})
    assert changes == [{"zone": 1, "corridor": 0, "from_wh": 46765, "to_wh": 10_000}]
    for name in ("grid.json", "network.json"):
        caps = [c["capacity_wh"] for c in json.loads((dst / name).read_text())["corridors"]]
        assert caps == [10_000, 46765], name
    assert (dst / "households_wh.csv.gz").read_bytes() == b"x"


def test_zone_export_limit_is_what_keeps_the_zone_s_highest_bus_in_band():
    g = two_bus()
    inj = pf.Injections(slots=[0, 900], meters=["a"], buses=[1], zones=[1],
                        wh=np.array([[15_000], [5_000]]))  # 60 kW (over the band), 20 kW
    limits = pf.zone_export_limits(g, inj, pf.run_slots(g, inj), {0: 0, 1: 1})
    assert list(limits) == [1]
    v = g.solve(np.array([limits[1]])).vm_pu[1]
    assert v == pytest.approx(1.05 - 0.002, abs=5e-4), "one linearised step lands near 1.048"
    assert pf.zone_export_limits(g, inj, pf.run_slots(g, inj), {0: 0}) == {}, "no zone, no limit"


def test_bus_zones_come_from_the_data_folder(tmp_path):
    (tmp_path / "grid.json").write_text(json.dumps({"grid": "g", "buses": [{"id": 3, "zone": 2}]}))
    assert pf.bus_zones_of(str(tmp_path)) == {3: 2}
    assert pf.grid_code_of(str(tmp_path)) == "g"
    with pytest.raises(pf.PowerFlowError, match="grid.json: no bus zones"):
        pf.bus_zones_of(str(tmp_path / "missing"))
    with pytest.raises(pf.PowerFlowError, match="grid.json: no SimBench grid code"):
        pf.grid_code_of(str(tmp_path / "missing"))


def test_profile_injections_are_pv_minus_load_of_the_chosen_days(tmp_path):
    (tmp_path / "grid.json").write_text(json.dumps({"slots": 192, "households": [
        {"id": 0, "bus": 5, "zone": 1}, {"id": 7, "bus": 6, "zone": 2}]}))
    with gzip.open(tmp_path / "households_wh.csv.gz", "wt") as f:
        f.write("slot,load_0,pv_0,load_7,pv_7\n")
        for k in range(192):
            f.write(f"{k * 900},{100 + k},{k},{50},{60}\n")
    out = tmp_path / "o"
    assert pf.profile_injections(str(tmp_path), 1, 1, str(out)) == 96 * 2
    inj = pf.read_injections(str(out / "injections.csv"))
    assert inj.slots[0] == 96 * 900 and len(inj.slots) == 96
    assert inj.meters == ["hh000", "hh007"] and inj.buses == [5, 6] and inj.zones == [1, 2]
    assert inj.wh[:, 0].tolist() == [-100] * 96 and inj.wh[:, 1].tolist() == [10] * 96
    with pytest.raises(pf.PowerFlowError, match=r"days 1\.\.3 are not inside the data \(2 days\)"):
        pf.profile_injections(str(tmp_path), 1, 2, str(out))


def test_the_simbench_grid_takes_one_meter_per_household_and_only_them():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..")
    with open(os.path.join(root, "data", "simbench", "grid.json")) as f:
        grid = json.load(f)
    buses = [h["bus"] for h in grid["households"]]
    g = pf.simbench_grid(grid["grid"], buses)
    assert g.tan_phi == pytest.approx(0.395, abs=1e-3), "SimBench households: cos phi 0.93"
    assert len(g.monitored) == 128, "the LV buses, not the MV slack bus"
    active = g.net.load[g.net.load.in_service]
    assert list(active.index) == list(g.meters) and list(active.bus) == buses
    assert not g.net.sgen.in_service.any(), "SimBench's own PV is replaced by the meters"
    idle = g.solve(np.zeros(len(buses)))
    # no load: every LV bus sits near the MV set point (1.025) less the transformer's magnetising drop
    assert 1.015 < idle.vm_pu.min() <= idle.vm_pu.max() < 1.03
    assert idle.line_loss_w < 1.0
    assert idle.trafo_loss_w == pytest.approx(1200, rel=0.1), "the no-load loss (pfe 1.2 kW)"
    one = np.zeros(len(buses))
    one[0] = 10_000.0  # 10 kW exported at the first household's bus
    r = g.solve(one)
    j = list(g.monitored).index(buses[0])
    assert r.vm_pu[j] > idle.vm_pu[j] and r.line_loss_w > 0
