"""A small BOPTEST client, written from the API's OpenAPI description (paths, methods, bodies and
the {status, message, payload} envelope), for the tests of `heatbench serve`."""

import requests


class BoptestError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, url, session=None):
        self.url = url.rstrip("/")
        self.http = session or requests.Session()
        self.testid = None

    def _call(self, method, path, body=None):
        r = self.http.request(method, self.url + path, json=body, timeout=60)
        if r.status_code != 200:
            raise BoptestError(r.status_code, r.text)
        return r.json()["payload"]

    def testcases(self):
        r = self.http.get(self.url + "/testcases", timeout=60)
        r.raise_for_status()
        return [t["testcaseid"] for t in r.json()]

    def select(self, name):
        r = self.http.post(f"{self.url}/testcases/{name}/select", timeout=60)
        if r.status_code != 200:
            raise BoptestError(r.status_code, r.text)
        self.testid = r.json()["testid"]
        return self.testid

    def name(self):
        return self._call("GET", f"/name/{self.testid}")["name"]

    def inputs(self):
        return self._call("GET", f"/inputs/{self.testid}")

    def measurements(self):
        return self._call("GET", f"/measurements/{self.testid}")

    def initialize(self, start_time, warmup_period):
        return self._call("PUT", f"/initialize/{self.testid}",
                          {"start_time": start_time, "warmup_period": warmup_period})

    def set_step(self, step):
        return self._call("PUT", f"/step/{self.testid}", {"step": step})

    def step(self):
        return self._call("GET", f"/step/{self.testid}")

    def advance(self, u=None):
        return self._call("POST", f"/advance/{self.testid}", u or {})

    def results(self, points, start_time, final_time):
        return self._call("PUT", f"/results/{self.testid}",
                          {"point_names": points, "start_time": start_time,
                           "final_time": final_time})

    def forecast(self, points, horizon, interval):
        return self._call("PUT", f"/forecast/{self.testid}",
                          {"point_names": points, "horizon": horizon, "interval": interval})

    def kpi(self):
        return self._call("GET", f"/kpi/{self.testid}")

    def scenario(self, **kw):
        if kw:
            return self._call("PUT", f"/scenario/{self.testid}", kw)
        return self._call("GET", f"/scenario/{self.testid}")

    def stop(self):
        r = self.http.put(f"{self.url}/stop/{self.testid}", timeout=60)
        if r.status_code != 200:
            raise BoptestError(r.status_code, r.text)


class PID:
    """A textbook PI(D) on a measurement, with the output clamped and the integral frozen while
    the output saturates (anti-windup)."""

    def __init__(self, kp, ti, td, lo, hi, dt):
        self.kp, self.ti, self.td, self.lo, self.hi, self.dt = kp, ti, td, lo, hi, dt
        self.i = 0.0
        self.e_prev = None

    def __call__(self, setpoint, y):
        e = setpoint - y
        d = 0.0 if self.e_prev is None else (e - self.e_prev) / self.dt
        self.e_prev = e
        i = self.i + self.kp * self.dt / self.ti * e if self.ti > 0 else 0.0
        u = self.kp * e + i + self.kp * self.td * d
        if self.lo < u < self.hi:
            self.i = i
        return min(self.hi, max(self.lo, u))
