#!/usr/bin/env python3
"""bench/scale.py: what one hub costs as files, jobs and agents grow
(issue 15, "Scale"; docs/benchmarks.md, "Scale").

  bench/scale.py files [--files N] [--from-agent]   one job of N empty files
  bench/scale.py jobs [--jobs N]                    N queued jobs: ferry jobs,
                                                    submit to first byte
  bench/scale.py fleet [--agents N] [--jobs M]      N real ferryd agents, M
                                                    small jobs across them
  bench/scale.py store [--files N]                  `ferry jobs` while a job
                                                    of N files is stored;
                                                    memory while it is
                                                    cancelled
Common: [--build DIR] [--workdir DIR] [--datadir DIR] [--json FILE]
        [--store URL --store-password-file FILE] (the hub's store on
        PostgreSQL, as `ferryd init --store`; bench/pg-scale.sh)
(the daemons' states on workdir, /tmp; the files on datadir, /dev/shm)

Real daemons on loopback: a hub (site hq, 127.0.0.1) and ferryd agents
enrolled with one-time codes, each connecting from its own 127.x address
(the hub's gate limits new connections per address). Memory is VmHWM and
VmRSS from /proc, CPU utime + stime of every thread, fds /proc/PID/fd.
A benchmark, not a test: it prints what it measured and fails only when
the daemons do. Run it in a network namespace of its own:
  unshare -n sh -c 'ip link set lo up && bench/scale.py files'
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def die(msg):
    print(f"bench/scale.py: {msg}", file=sys.stderr)
    sys.exit(1)


def proc_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    v = s[s.rindex(")") + 2:].split()
    return int(v[11]) + int(v[12])


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def nthreads(pid):
    return proc_kb(pid, "Threads")


class Sampler:
    """VmRSS of some processes every interval, in the background: peaks."""

    def __init__(self, pids, interval=0.2):
        self.pids, self.interval = dict(pids), interval
        self.peak = {k: 0 for k in self.pids}
        self.fds = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            for k, p in self.pids.items():
                self.peak[k] = max(self.peak[k], proc_kb(p, "VmRSS"))
            if "hub" in self.pids:
                try:
                    self.fds = max(self.fds, nfds(self.pids["hub"]))
                except OSError:
                    pass
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._t.join()
        return self.peak


class Lab:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.ferryd = os.path.join(self.build, "agent", "ferryd")
        self.ferry = os.path.join(self.build, "ferry")
        for x in (self.ferryd, self.ferry):
            if not os.access(x, os.X_OK):
                die(f"{x} is missing (build first)")
        sys.path.insert(0, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "..", "python"))
        global Client
        from ferry_client import Client
        self.w = os.path.abspath(args.workdir)
        shutil.rmtree(self.w, ignore_errors=True)
        os.makedirs(self.w, mode=0o700)
        # The files themselves on --datadir (tmpfs by default: making a
        # million files is not what is measured); the states on workdir.
        self.data = os.path.abspath(args.datadir)
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data, mode=0o700)
        self.hub = os.path.join(self.w, "hub")
        self.port = 21000 + os.getpid() % 9000
        self.procs = []
        self.root_ok = ["--allow-root"] if os.getuid() == 0 else []
        self.agents = {}
        self.store = ["--store", args.store, "--store-password-file",
                      args.store_password_file] if args.store else []

    def cli(self, *a, state=None, check=True):
        r = subprocess.run([self.ferry, *a, "--state", state or self.hub],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            die(f"ferry {' '.join(a)}: {r.stderr.strip()}")
        return r.stdout

    def start(self, state):
        sock = os.path.join(state, "ferryd.sock")
        log = open(state + ".log", "ab")
        p = subprocess.Popen([self.ferryd, "run", *self.root_ok, "--state",
                              state], stdout=log, stderr=log,
                             preexec_fn=raise_nofile)
        self.procs.append(p)
        for _ in range(400):
            if os.path.exists(sock):
                return p
            if p.poll() is not None:
                die(f"ferryd on {state} exited: see {state}.log")
            time.sleep(0.05)
        die(f"ferryd on {state} did not start")

    def make_hub(self, conf=""):
        subprocess.run([self.ferryd, "init", "--hub", "--site", "hq",
                        "--listen", f"127.0.0.1:{self.port}", "--state",
                        self.hub, *self.store], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(self.hub, "ferryd.conf"), "a") as f:
            f.write(conf)
        self.hub_proc = self.start(self.hub)
        self.client = Client(self.hub, timeout=600)

    def enrol(self, name, site, addr, start=True):
        code = self.cli("invite", "--site", site).strip().splitlines()[-1]
        state = os.path.join(self.w, name)
        subprocess.run([self.ferryd, "enroll", f"127.0.0.1:{self.port}",
                        code, "--state", state, "--name", name,
                        "--source-address", addr], check=True,
                       stdout=subprocess.DEVNULL)
        if start:
            self.agents[name] = self.start(state)
        return state

    def wait_linked(self, names, timeout=600):
        t0 = time.time()
        while time.time() - t0 < timeout:
            linked = self.client.status().get("agents", {})
            if all(n in linked for n in names):
                return time.time() - t0
            time.sleep(0.2)
        die(f"agents never linked: {[n for n in names if n not in linked]}")

    def share_map(self, hq_root, sites):
        m = {"sites": sorted(sites), "shares": {"storage": {
            "linux": hq_root, "sites": {s: {"linux": r}
                                        for s, r in sites.items()}}}}
        p = os.path.join(self.w, "map.json")
        with open(p, "w") as f:
            json.dump(m, f)
        self.cli("share", "import", p)

    def wait_job(self, job, timeout=3600, every=0.5):
        t0 = time.time()
        while time.time() - t0 < timeout:
            j = self.client._request({"op": "job", "id": job,
                                      "tasks": False})
            if j["state"] in ("done", "failed", "cancelled"):
                return j
            time.sleep(every)
        die(f"job {job} did not end in {timeout} s")

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def raise_nofile():
    """ferryd gets the hard limit of open files (the hub: a link each)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_files(root, n, per_dir=1000):
    for i in range(n):
        if i % per_dir == 0:
            d = os.path.join(root, "d%04d" % (i // per_dir))
            os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "f%07d" % i), "wb").close()


def mb(kb):
    return round(kb / 1024, 1)


def bench_files(lab, a):
    """One job of a.files empty files, hq -> la (or la -> hq)."""
    hq, la = os.path.join(lab.data, "hq"), os.path.join(lab.data, "la")
    os.makedirs(hq)
    os.makedirs(la)
    lab.make_hub()
    lab.enrol("la-server", "la", "127.0.0.2")
    lab.wait_linked(["la-server"])
    lab.share_map(hq, {"la": la})
    src_root, frm, to = (la, "la", "hq") if a.from_agent else (hq, "hq",
                                                                "la")
    t0 = time.time()
    make_files(os.path.join(src_root, "big"), a.files)
    made = time.time() - t0
    hub, agent = lab.hub_proc.pid, lab.agents["la-server"].pid
    base = {"hub": proc_kb(hub, "VmRSS"), "agent": proc_kb(agent, "VmRSS")}
    reset_hwm(hub)
    reset_hwm(agent)
    s = Sampler({"hub": hub, "agent": agent})
    c0 = (ticks(hub), ticks(agent))
    t0 = time.time()
    rep = lab.client._request({"op": "send", "from": frm, "to": to,
                               "paths": [os.path.join(src_root, "big")]})
    stored = time.time() - t0
    sub_hwm = {"hub": proc_kb(hub, "VmHWM"), "agent": proc_kb(agent,
                                                             "VmHWM")}
    j = lab.wait_job(rep["id"], every=2)
    took = time.time() - t0
    c1 = (ticks(hub), ticks(agent))
    peak = s.stop()
    hwm = {"hub": proc_kb(hub, "VmHWM"), "agent": proc_kb(agent, "VmHWM")}
    # `ferry job ID --json`, paged, and `ferry jobs`, `ferry status`.
    reset_hwm(hub)
    t1 = time.time()
    r = subprocess.run([lab.ferry, "job", str(rep["id"]), "--json",
                        "--state", lab.hub], stdout=subprocess.PIPE)
    jtime = time.time() - t1
    jbytes = len(r.stdout)
    ntasks = len(json.loads(r.stdout)["tasks"]) if r.returncode == 0 else -1
    del r
    job_hwm = proc_kb(hub, "VmHWM")
    t1 = time.time()
    lab.cli("jobs")
    jobs_ms = (time.time() - t1) * 1000
    t1 = time.time()
    lab.cli("status")
    status_ms = (time.time() - t1) * 1000
    dst = os.path.join(hq if a.from_agent else la, "big")
    arrived = sum(len(f) for _, _, f in os.walk(dst))
    res = {
        "scenario": "files", "files": a.files, "from": frm, "to": to,
        "state": j["state"], "arrived": arrived, "make_files_s":
        round(made, 1), "submit_s": round(stored, 2), "done_s":
        round(took, 1), "hub_idle_mb": mb(base["hub"]), "agent_idle_mb":
        mb(base["agent"]), "hub_hwm_submit_mb": mb(sub_hwm["hub"]),
        "agent_hwm_submit_mb": mb(sub_hwm["agent"]), "hub_hwm_mb":
        mb(hwm["hub"]), "agent_hwm_mb": mb(hwm["agent"]),
        "hub_rss_peak_sampled_mb": mb(peak["hub"]),
        "agent_rss_peak_sampled_mb": mb(peak["agent"]),
        "hub_cpu_s": round((c1[0] - c0[0]) / HZ, 1),
        "agent_cpu_s": round((c1[1] - c0[1]) / HZ, 1),
        "job_json_s": round(jtime, 2), "job_json_mb": mb(jbytes / 1024),
        "job_json_tasks": ntasks, "hub_hwm_job_json_mb": mb(job_hwm),
        "jobs_ms": round(jobs_ms, 1), "status_ms": round(status_ms, 1),
        "hub_db_mb": mb(os.path.getsize(os.path.join(lab.hub, "hub.db"))
                        / 1024),
    }
    return res


def size_of(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def first_byte(lab, src, dst_dir, name):
    """ferry send of one small file: ms to stored, first byte, complete."""
    part = os.path.join(dst_dir, "." + name + ".ferry-part")
    final = os.path.join(dst_dir, name)
    t0 = time.perf_counter()
    p = subprocess.Popen([lab.ferry, "send", "--from", "hq", "--to", "la",
                          "--state", lab.hub, src], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    fb = fin = None
    while time.perf_counter() - t0 < 30:
        now = time.perf_counter()
        if fb is None and (size_of(part) > 0 or os.path.exists(final)):
            fb = now
        if os.path.exists(final):
            fin = now
            break
        time.sleep(0.0005)
    p.wait()
    ms = lambda t: None if t is None else round((t - t0) * 1000, 1)
    return ms(fb), ms(fin)


def spread(v):
    v = [x for x in v if x is not None]
    if not v:
        return {"median": None}
    return {"median": round(statistics.median(v), 1), "min": min(v),
            "max": max(v), "runs": len(v)}


def bench_jobs(lab, a):
    """a.jobs queued jobs (to a site no agent serves), then the reads."""
    hq, la, far = (os.path.join(lab.data, x) for x in ("hq", "la", "far"))
    for d in (hq, la, far):
        os.makedirs(d)
    lab.make_hub()
    lab.enrol("la-server", "la", "127.0.0.2")
    lab.wait_linked(["la-server"])
    lab.share_map(hq, {"la": la, "far": far})
    lab.cli("site", "set", "far", "--bwlimit", "0")    # a site, no agent
    with open(os.path.join(hq, "one.bin"), "wb") as f:
        f.write(os.urandom(4096))
    hub = lab.hub_proc.pid
    # Before: the figures with no job queued.
    def reads(tag, runs=11):
        out = {}
        for name, argv in (("jobs", ["jobs"]),
                           ("jobs_json", ["jobs", "--json"]),
                           ("jobs_limit_1000", ["jobs", "--json",
                                                "--limit", "1000"])):
            v = []
            for _ in range(runs):
                t0 = time.perf_counter()
                lab.cli(*argv)
                v.append(round((time.perf_counter() - t0) * 1000, 1))
            out[name + "_ms"] = spread(v)
        t0 = time.perf_counter()
        n = len(json.loads(lab.cli("jobs", "--json", "--all")))
        out["jobs_all_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        out["jobs_all_n"] = n
        fb, fin = [], []
        for i in range(runs):
            shutil.rmtree(la, ignore_errors=True)
            os.makedirs(la)
            time.sleep(0.3)
            x, y = first_byte(lab, os.path.join(hq, "one.bin"), la,
                              "one.bin")
            fb.append(x)
            fin.append(y)
        out["first_byte_ms"] = spread(fb)
        out["complete_ms"] = spread(fin)
        out["hub_rss_mb"] = mb(proc_kb(hub, "VmRSS"))
        out["hub_hwm_mb"] = mb(proc_kb(hub, "VmHWM"))
        return out
    res = {"scenario": "jobs", "jobs": a.jobs, "before": reads("before")}
    t0 = time.time()
    c0 = ticks(hub)
    # A file each, at `ferry send`'s priority (500): as people queue them.
    make_files(os.path.join(hq, "q"), a.jobs)
    for i in range(a.jobs):
        lab.client._request({"op": "send", "from": "hq", "to": "far",
                             "priority": 500, "paths": [os.path.join(
                                 hq, "q", "d%04d" % (i // 1000),
                                 "f%07d" % i)]})
    res["submit_s"] = round(time.time() - t0, 1)
    res["submit_cpu_s"] = round((ticks(hub) - c0) / HZ, 1)
    c0, t0 = ticks(hub), time.time()
    time.sleep(10)
    res["hub_idle_cpu_pct"] = round((ticks(hub) - c0) / HZ /
                                    (time.time() - t0) * 100, 1)
    res["after"] = reads("after")
    if not lab.store:
        res["hub_db_mb"] = mb(os.path.getsize(os.path.join(lab.hub,
                                                           "hub.db")) / 1024)
    return res


def bench_fleet(lab, a):
    """a.agents real agents, a site each; a.jobs 4 KiB jobs across them."""
    hq = os.path.join(lab.data, "hq")
    os.makedirs(hq)
    with open(os.path.join(hq, "one.bin"), "wb") as f:
        f.write(os.urandom(4096))
    lab.make_hub()
    hub = lab.hub_proc.pid
    res = {"scenario": "fleet", "agents": a.agents, "jobs": a.jobs,
           "hub_nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
           "hub_alone": {"rss_mb": mb(proc_kb(hub, "VmRSS")),
                         "fds": nfds(hub), "threads": nthreads(hub)}}
    sites, names = {}, []
    t0 = time.time()
    for i in range(a.agents):
        site, name = "s%03d" % i, "a%03d" % i
        root = os.path.join(lab.data, "root", site)
        os.makedirs(root)
        sites[site] = root
        # 127.1.x.y: one address per agent, as machines of a fleet.
        lab.enrol(name, site, "127.1.%d.%d" % (i // 250, i % 250 + 1))
        names.append(name)
    res["enrol_and_start_s"] = round(time.time() - t0, 1)
    res["link_wait_s"] = round(lab.wait_linked(names), 1)
    lab.share_map(hq, sites)
    time.sleep(5)
    c0, t0 = ticks(hub), time.time()
    time.sleep(30)
    agents_rss = [proc_kb(p.pid, "VmRSS") for p in lab.agents.values()]
    res["idle"] = {
        "rss_mb": mb(proc_kb(hub, "VmRSS")), "hwm_mb": mb(proc_kb(hub,
                                                                "VmHWM")),
        "fds": nfds(hub), "threads": nthreads(hub),
        "cpu_pct": round((ticks(hub) - c0) / HZ / (time.time() - t0) * 100,
                         2),
        "agent_rss_mb": spread([mb(x) for x in agents_rss]),
        "agents_rss_total_mb": mb(sum(agents_rss)),
    }
    reset_hwm(hub)
    s = Sampler({"hub": hub}, 0.1)
    c0, t0 = ticks(hub), time.time()
    ids = []
    for i in range(a.jobs):
        ids.append(lab.client._request({
            "op": "send", "from": "hq", "to": "s%03d" % (i % a.agents),
            "paths": [os.path.join(hq, "one.bin")]})["id"])
    res["submit_s"] = round(time.time() - t0, 1)
    pending = set(ids)
    while pending and time.time() - t0 < 1800:
        for j in lab.client._request({"op": "jobs", "limit": len(ids) + 10,
                                      })["jobs"]:
            if j["id"] in pending and j["state"] in ("done", "failed",
                                                      "cancelled"):
                pending.discard(j["id"])
        time.sleep(0.5)
    took = time.time() - t0
    peak = s.stop()
    states = {}
    for j in lab.client._request({"op": "jobs", "limit": len(ids) + 10})[
            "jobs"]:
        states[j["state"]] = states.get(j["state"], 0) + 1
    res["dispatch"] = {
        "done_s": round(took, 1), "jobs_per_s": round(a.jobs / took, 1),
        "states": states, "hub_cpu_s": round((ticks(hub) - c0) / HZ, 1),
        "hub_cpu_pct": round((ticks(hub) - c0) / HZ / took * 100, 1),
        "hub_hwm_mb": mb(proc_kb(hub, "VmHWM")),
        "hub_rss_peak_sampled_mb": mb(peak["hub"]), "fds_peak": s.fds,
        "threads": nthreads(hub),
    }
    return res


def poll_jobs(lab, stop, out):
    """`ferry jobs` again and again until stop is set: ms each."""
    while not stop.is_set():
        t0 = time.perf_counter()
        subprocess.run([lab.ferry, "jobs", "--state", lab.hub],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append((round((time.perf_counter() - t0) * 1000, 1),
                    time.time()))
        time.sleep(0.05)


def slow_polls(lat, t0):
    """The 90th and 99th percentiles, and the polls over 1 s: when they
    began (s from the send's start, and UTC, to set against the hub's
    log), and how long they took."""
    v = sorted(x for x, _ in lat)
    p99 = v[min(len(v) - 1, int(len(v) * 0.99))] if v else None
    slow = [[round(t - t0, 1), time.strftime("%H:%M:%S", time.gmtime(t)),
             x] for x, t in lat if x > 1000]
    return {"p90_ms": v[int(len(v) * 0.9)] if v else None, "p99_ms": p99,
            "over_1s": slow}


def wait_log(path, text, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        with open(path, errors="replace") as f:
            if text in f.read():
                return time.time() - t0
        time.sleep(0.2)
    return None


def bench_store(lab, a):
    """One job of a.files empty files to la, whose agent is away: `ferry
    jobs` asked in a loop while it is stored; then paused, la back, and
    cancelled: the hub's and la's memory while the partials go."""
    hq, la = os.path.join(lab.data, "hq"), os.path.join(lab.data, "la")
    os.makedirs(hq)
    os.makedirs(la)
    lab.make_hub()
    state = lab.enrol("la-server", "la", "127.0.0.2")
    lab.wait_linked(["la-server"])
    lab.share_map(hq, {"la": la})
    make_files(os.path.join(hq, "big"), a.files)
    p = lab.agents.pop("la-server")
    p.terminate()
    p.wait()
    while "la-server" in lab.client.status().get("agents", {}):
        time.sleep(0.1)
    hub = lab.hub_proc.pid
    reset_hwm(hub)
    lat, stop = [], threading.Event()
    th = threading.Thread(target=poll_jobs, args=(lab, stop, lat))
    th.start()
    t0 = time.time()
    rep = lab.client._request({"op": "send", "from": "hq", "to": "la",
                               "paths": [os.path.join(hq, "big")]})
    stored = time.time() - t0
    stop.set()
    th.join()
    tp = time.time() - stored
    res = {"scenario": "store", "files": a.files, "send_s": round(stored, 1),
           "jobs_during_send_ms": spread([x for x, _ in lat]),
           "jobs_during_send_slow": slow_polls(lat, tp),
           "hub_hwm_send_mb": mb(proc_kb(hub, "VmHWM"))}
    job = str(rep["id"])
    lab.cli("pause", job)
    lab.agents["la-server"] = lab.start(state)
    lab.wait_linked(["la-server"])
    agent = lab.agents["la-server"].pid
    reset_hwm(hub)
    reset_hwm(agent)
    res["hub_before_cancel_mb"] = mb(proc_kb(hub, "VmRSS"))
    t0 = time.time()
    lab.cli("cancel", job)
    res["cancel_answer_s"] = round(time.time() - t0, 2)
    # Paged: the hub says when it has handed on the last page; before,
    # one message: la's log says when it removed the partials.
    w = wait_log(lab.hub + ".log", "job %s: %d cancelled" % (job, a.files),
                 600)
    res["discard_paged"] = w is not None
    time.sleep(5 if w is not None else 60)
    res["hub_hwm_cancel_mb"] = mb(proc_kb(hub, "VmHWM"))
    res["agent_hwm_cancel_mb"] = mb(proc_kb(agent, "VmHWM"))
    res["discard_s"] = None if w is None else round(w, 1)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("files", "jobs", "fleet", "store"))
    ap.add_argument("--build", default="build/dev")
    ap.add_argument("--workdir", default=os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "ferry-bench-scale"))
    ap.add_argument("--datadir", default="/dev/shm/ferry-bench-scale")
    ap.add_argument("--files", type=int, default=1000000)
    ap.add_argument("--from-agent", action="store_true")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--json", help="append the result to this file")
    ap.add_argument("--store", help="the hub's store: a postgresql:// URL")
    ap.add_argument("--store-password-file")
    a = ap.parse_args()
    if a.jobs is None:
        a.jobs = 10000 if a.what == "jobs" else 1000
    raise_nofile()
    lab = Lab(a)
    load0 = open("/proc/loadavg").read().split()[:3]
    try:
        res = {"files": bench_files, "jobs": bench_jobs,
               "fleet": bench_fleet, "store": bench_store}[a.what](lab, a)
    finally:
        lab.stop()
    res["store"] = "postgresql" if a.store else "sqlite"
    res["load_before"] = load0
    res["load_after"] = open("/proc/loadavg").read().split()[:3]
    res["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(res) + "\n")
    shutil.rmtree(lab.w, ignore_errors=True)
    shutil.rmtree(lab.data, ignore_errors=True)


if __name__ == "__main__":
    main()
