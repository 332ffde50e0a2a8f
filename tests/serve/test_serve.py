#!/usr/bin/env python3
"""heatbench serve through a real HTTP client: starts the server itself (on a port the kernel
picks), drives BOPTEST's testcase1 and two heatbench rooms with a PID, checks that an untouched
room gives the KPIs of `heatbench run`, and that bad requests get BOPTEST-style errors while the
server stays up. usage: test_serve.py HEATBENCH SOURCE_DIR"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests  # noqa: E402
from boptest_client import PID, BoptestError, Client  # noqa: E402

HB, SRC = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def start_server(*extra):
    p = subprocess.Popen([HB, "serve", "--port", "0", *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # waits for the server to listen: no sleep, no port race
    m = re.search(r"http://[0-9.]+:(\d+)", line)
    if not m:
        p.kill()
        sys.exit(f"server did not start: {line!r} {p.stderr.read()}")
    return p, f"http://127.0.0.1:{m.group(1)}"


def stop_server(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = p.stderr.read()
    if rc != 0:
        print(err[-3000:])
    return rc


def testcase1_reference(url):
    """BOPTEST's own example controller for testcase1 (a P controller on the 20..23 °C band,
    300 s steps, 48 h), re-implemented here: its KPIs must be BOPTEST's published reference."""
    c = Client(url)
    c.select("testcase1")
    c.initialize(0, 0)
    c.set_step(300)
    u = {"oveAct_u": 0, "oveAct_activate": 1}
    for _ in range(48 * 12):
        y = c.advance(u)
        t = y["TRooAir_y"]
        e = 293.15 - t if t < 293.15 else (296.15 - t if t > 296.15 else 0.0)
        u = {"oveAct_u": 2000 * e, "oveAct_activate": 1}
    k = c.kpi()
    ref = {"tdis_tot": 10.632756858210827, "idis_tot": 1016.9445000958008,
           "ener_tot": 2.147404077075348, "cost_tot": 0.1503182853952744,
           "emis_tot": 0.42948081541506966, "pgas_tot": 0.0961571035300277}
    for key, v in ref.items():
        check(abs(k[key] - v) <= 0.02 * abs(v), f"testcase1 {key} {k[key]:.6g} vs BOPTEST {v:.6g}")
    check(k["pele_tot"] is None and k["pdih_tot"] is None, "testcase1 has no electricity/district")
    c.stop()


def testcase1_pid(url):
    """A PI controller of ours holds testcase1 at 21.5 °C after its first hours."""
    c = Client(url)
    c.select("testcase1")
    check(c.name() == "testcase1", "testcase1 name")
    check(set(c.inputs()) == {"oveAct_u", "oveAct_activate"}, "testcase1 inputs")
    check(set(c.measurements()) == {"TRooAir_y", "PHeaCoo_y", "CO2RooAir_y"},
          "testcase1 measurements")
    c.initialize(0, 0)
    c.set_step(300)
    pid = PID(kp=3000, ti=1800, td=0, lo=-10000, hi=10000, dt=300)
    y = c.advance({})
    for _ in range(24 * 12):
        y = c.advance({"oveAct_u": pid(294.65, y["TRooAir_y"]), "oveAct_activate": 1})
    r = c.results(["TRooAir_y"], 4 * 3600, 24 * 3600)
    worst = max(abs(t - 294.65) for t in r["TRooAir_y"])
    check(worst < 0.5, f"testcase1 PID within 0.5 K of 21.5 °C after 4 h (worst {worst:.3f} K)")
    check(c.kpi()["tdis_tot"] < 0.5, "testcase1 PID: little discomfort")
    c.stop()


def room_untouched(url, name):
    """No input overwritten: the KPIs are those of `heatbench run` of the scenario."""
    c = Client(url)
    c.select(name)
    c.set_step(300)
    while c.advance({}):
        pass
    k = c.kpi()
    out = subprocess.run([HB, "run", f"{SRC}/scenarios/{name}.json", "--json"], check=True,
                         capture_output=True, text=True).stdout
    run = json.loads(out)
    keys = ["discomfort_kh", "rmse_k", "energy_kwh", "peak_power_w", "valve_travel_pct",
            "actuator_msgs", "readings_published", "readings_lost", "failsafe_h", "tdis_tot",
            "ener_tot", "cost_tot", "emis_tot", "pgas_tot",
            "energy_floor_kwh", "energy_ideal_kwh", "energy_ratio"]  # the floor solved once per case
    same = all(k[x] == run[x] for x in keys)
    check(same, f"{name}: /kpi with no input equals heatbench run "
          + str({x: (k[x], run[x]) for x in keys if k[x] != run[x]}))
    c.stop()


def room_pid(url, name):
    """Our PID overwrites the valve from the fused estimate: the room stays in its band after
    the warm-up."""
    c = Client(url)
    c.select(name)
    meas = c.measurements()
    check({"TRooAir_y", "TEst_y", "QRad_y", "yVal_y", "TOut_y", "HSol_y", "TSen1_y"} <= set(meas),
          f"{name}: measurements")
    check(c.inputs()["valve_u"]["Maximum"] == 1, f"{name}: valve_u is 0..1")
    c.set_step(300)
    pid = PID(kp=0.6, ti=2400, td=0, lo=0, hi=1, dt=300)
    y = c.advance({})
    t0 = y["time"]
    lo = hi = None
    while y:
        fc = c.forecast(["LowerSetp[1]", "UpperSetp[1]"], 0, 300)
        lo, hi = fc["LowerSetp[1]"][0], fc["UpperSetp[1]"][0]
        u = pid((lo + hi) / 2, y["TEst_y"])
        y = c.advance({"valve_u": u, "valve_activate": 1})
    r = c.results(["TRooAir_y", "valve_u", "valve_activate"], t0 + 3 * 3600, 1e9)
    worst = max(max(lo - t, t - hi, 0) for t in r["TRooAir_y"])
    check(worst < 0.05, f"{name}: PID keeps the band after 3 h (worst {worst:.3f} K outside)")
    check(all(a == 1 for a in r["valve_activate"]), f"{name}: the valve was overwritten")
    c.stop()


def bad_requests(url):
    c = Client(url)
    c.select("testcase1")
    base = f"{url}/advance/{c.testid}"
    r = requests.post(base, data=b"{not json", timeout=30)
    check(r.status_code == 400 and r.json()["payload"] is None, "malformed JSON: 400 envelope")
    r = requests.post(base, json={"nosuch_u": 1}, timeout=30)
    check(r.status_code == 400 and "nosuch_u" in r.json()["message"], "unknown point: 400")
    r = requests.post(base, json={"oveAct_u": "warm", "oveAct_activate": 1}, timeout=30)
    check(r.status_code == 400, "non-numeric value: 400")
    r = requests.post(base, json={"oveAct_u": 1e6, "oveAct_activate": 1}, timeout=30)
    check(r.status_code == 200 and "WARNING" in r.json()["message"]
          and r.json()["payload"]["oveAct_u"] == 10000, "out of range: clamped with a warning")
    r = requests.post(base, json={"oveAct_activate": 7}, timeout=30)
    check(r.status_code == 400, "activation not 0/1: 400")
    r = requests.put(f"{url}/results/{c.testid}", json={"point_names": ["x_y"], "start_time": 0,
                                                        "final_time": 10}, timeout=30)
    check(r.status_code == 400, "results of an unknown point: 400")
    r = requests.put(f"{url}/step/{c.testid}", json={"step": -5}, timeout=30)
    check(r.status_code == 400, "negative step: 400")
    r = requests.post(base, data=b"[" * (10 << 20), timeout=60)
    check(r.status_code == 413, "10 MiB body: 413")
    r = requests.post(f"{url}/advance/00000000-0000-4000-8000-00000000ffff", json={}, timeout=30)
    check(r.status_code == 404 and "Invalid testid" in r.json()["message"], "unknown id: 404")
    r = requests.post(f"{url}/testcases/nosuch/select", timeout=30)
    check(r.status_code == 404, "unknown test case: 404")
    r = requests.get(f"{url}/advance/{c.testid}", timeout=30)
    check(r.status_code == 405, "wrong method: 405")
    r = requests.get(f"{url}/no/such/path/at/all", timeout=30)
    check(r.status_code == 404, "unknown path: 404")
    # Bytes that are not HTTP at all, then a hang-up: the server drops them and stays up.
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as s:
        s.sendall(b"\x00\xffGARBAGE\r\n\r\n")
    check(requests.get(f"{url}/version", timeout=30).status_code == 200, "up after garbage")
    c.stop()
    r = requests.get(f"{url}/kpi/{c.testid}", timeout=30)
    check(r.status_code == 404, "a stopped test is gone")


def many_tests(url, limit):
    s = requests.Session()
    codes = {}
    ids = []
    for _ in range(1000):
        r = s.post(f"{url}/testcases/testcase1/select", timeout=30)
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
        if r.status_code == 200:
            ids.append(r.json()["testid"])
        elif r.status_code == 503:
            msg = r.json()["message"]
    check(codes.get(200) == limit and codes.get(503) == 1000 - limit,
          f"1000 selects: {limit} tests, the rest refused with 503 ({codes})")
    check("Too many tests" in msg, "the refusal says why")
    for i in ids:
        s.put(f"{url}/stop/{i}", timeout=30)
    r = s.post(f"{url}/testcases/testcase1/select", timeout=30)
    check(r.status_code == 200, "after stopping them a select works again")


def deterministic(url):
    bodies = []
    for _ in range(2):
        c = Client(url)
        c.select("lossy-network")
        c.set_step(600)
        for i in range(20):
            c.advance({"valve_u": (i % 5) / 4, "valve_activate": i % 2})
        r = c.http.put(f"{url}/results/{c.testid}", json={
            "point_names": ["TRooAir_y", "TSen1_y", "TEst_y", "yVal_y"],
            "start_time": 0, "final_time": 1e9}, timeout=30)
        bodies.append(r.content)
        c.stop()
    check(bodies[0] == bodies[1], "the same requests give byte-identical results")


def main():
    p, url = start_server("--max-tests", "50")
    try:
        check(requests.get(f"{url}/version", timeout=30).json()["payload"]["version"]
              .startswith("heatbench"), "version")
        names = Client(url).testcases()
        check("testcase1" in names and "default" in names, "test cases listed")
        testcase1_reference(url)
        testcase1_pid(url)
        room_untouched(url, "default")
        room_untouched(url, "lossy-network")
        room_pid(url, "default")
        room_pid(url, "cold-snap")
        bad_requests(url)
        many_tests(url, 50)
        deterministic(url)
        check(requests.get(f"{url}/version", timeout=30).status_code == 200, "server still up")
    finally:
        t = time.monotonic()
        rc = stop_server(p)
        check(rc == 0, f"SIGTERM stops the server cleanly (exit {rc}, "
              f"{time.monotonic() - t:.2f} s)")
    if failures:
        sys.exit(f"{len(failures)} failed")
    print("serve: all passed")


main()
