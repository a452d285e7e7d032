#!/usr/bin/python3
"""husk against crun and runc, interleaved in one run (driven by bench.sh).

Every measured command is started by benchrun (benchrun.c), which reports its
wall time, CPU time (user+system of the command and what it waited for) and
peak RSS. Runtimes take turns, A B C floor A B C floor ..., so a slow minute of
the machine hits all of them alike. Reports the median and the spread (25th to
75th percentile) of each figure and the ratios of the medians. Never fails on
a figure: it is a measurement, not a test.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))

out_lines = []


def say(line=""):
    print(line, flush=True)
    out_lines.append(line)


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


class Bench:
    def __init__(self, opts):
        self.o = opts
        self.work = tempfile.mkdtemp(prefix="husk-bench.")
        # The runtimes' state on tmpfs, as under /run on a usual host: on
        # ext4 each atomic state write (rename over the old file) starts a
        # writeback, for every runtime alike, that a host never pays.
        self.roots = os.path.join(self.work, "roots")
        os.makedirs(self.roots)
        if not is_tmpfs(self.work):
            subprocess.run(["mount", "-t", "tmpfs", "husk-bench", self.roots], check=False)
        # husk keeps compiled seccomp filters (seccomp_cache.c): in the
        # bench's own directory, gone with it.
        os.environ["HUSK_SECCOMP_CACHE"] = os.path.join(self.work, "seccomp-cache")
        self.benchrun = os.path.join(self.work, "benchrun")
        sh("cc", "-O2", "-o", self.benchrun, os.path.join(HERE, "benchrun.c"))
        self.runtimes = {}
        for name, path in (("husk", opts.husk), ("crun", shutil.which("crun")), ("runc", shutil.which("runc"))):
            if path and os.access(path, os.X_OK):
                self.runtimes[name] = path
            else:
                say(f"{name}: not installed, left out")
        self.failures = {}

    # -- bundles -----------------------------------------------------------
    def make_bundles(self):
        base = os.path.join(self.work, "bundle")
        sh(os.path.join(TOP, "contrib", "make-busybox-bundle.sh"), self.o.husk, base)
        with open(os.path.join(base, "config.json")) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["ociVersion"] = "1.0.2"  # crun 1.8 knows no later one
        self.rootfs = os.path.join(base, "rootfs")
        self.bundles = {}
        self.bundles["default"] = self.write_bundle("true", cfg, ["/bin/true"])
        self.bundles["sleep"] = self.write_bundle("sleep", cfg, ["/bin/sleep", "1000000"])
        self.bundles["podman"] = self.write_bundle("podman", podman_like(cfg), ["/bin/true"])

    def write_bundle(self, name, cfg, args):
        d = os.path.join(self.work, "b-" + name)
        os.makedirs(d)
        c = json.loads(json.dumps(cfg))
        c["process"]["args"] = args
        c["root"]["path"] = self.rootfs
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=1)
        return d

    # -- measuring ---------------------------------------------------------
    def measure(self, cmd, count=1, jobs=1, env=None):
        r = subprocess.run([self.benchrun, "-c", str(count), "-j", str(jobs), "--"] + cmd,
                           stdout=subprocess.PIPE, text=True, env=env)
        wall, cpu, rss, fails = (int(x) for x in r.stdout.split())
        return {"wall": wall / 1000.0, "cpu": cpu / 1000.0, "rss": rss / 1024.0, "fail": fails}

    def pause(self):
        if self.o.gap_ms:
            time.sleep(self.o.gap_ms / 1000.0)

    def rt(self, name, *args):
        if name == "floor":
            raise ValueError
        return [self.runtimes[name], "--root", os.path.join(self.roots, "root-" + name)] + list(args)

    def floor(self):
        return ["unshare", "-mpfniu", "--fork", "chroot", self.rootfs, "/bin/true"]

    def names(self, with_floor=False):
        return list(self.runtimes) + (["floor"] if with_floor else [])

    def note_fail(self, what, name, m):
        if m["fail"]:
            self.failures[(what, name)] = self.failures.get((what, name), 0) + m["fail"]

    def interleaved(self, what, n, cmd_for, with_floor=False, after=None, env=None):
        """n rounds of cmd_for(name, i) for every runtime in turn (with the
        environment env[name] where given)."""
        samples = {k: [] for k in self.names(with_floor)}
        order = list(samples)
        for i in range(n):
            # A different runtime first each round, and a pause before every
            # command: the kernel's cgroup v1 lock stays cheap for a few ms
            # after a migration, which would favour whoever comes next.
            for name in order[i % len(order):] + order[:i % len(order)]:
                self.pause()
                m = self.measure(cmd_for(name, i), env=(env or {}).get(name))
                self.note_fail(what, name, m)
                samples[name].append(m)
                if after:
                    after(name, i)
        return samples

    def cleanup(self, name, prefix=""):
        if name == "floor":
            return
        r = sh(*self.rt(name, "list", "-q"), check=False)
        for cid in r.stdout.split():
            if cid.startswith(prefix):
                sh(*self.rt(name, "delete", "-f", cid), check=False)

    def leftovers(self, name, prefix):
        r = sh(*self.rt(name, "list", "-q"), check=False)
        left = [c for c in r.stdout.split() if c.startswith(prefix)]
        cg = []
        for root, dirs, _ in os.walk("/sys/fs/cgroup"):
            if root == "/sys/fs/cgroup/unified" and is_tmpfs(root):
                dirs[:] = []  # the wrapper's tmpfs: crun makes dirs there it can't remove
                continue
            if root.count("/") > 6:
                dirs[:] = []
                continue
            cg += [os.path.join(root, d) for d in dirs if d.startswith(prefix)]
        return len(left), len(cg)

    # -- scenarios ---------------------------------------------------------
    def run_scenarios(self):
        n = self.o.n
        res = {}
        res["run (spec default)"] = self.interleaved(
            "run", n, lambda k, i: self.floor() if k == "floor" else self.rt(k, "run", "--bundle", self.bundles["default"], f"r{i}"),
            with_floor=True)
        res["run (podman-like)"] = self.interleaved(
            "run-podman", n, lambda k, i: self.rt(k, "run", "--bundle", self.bundles["podman"], f"p{i}"))
        # The same with husk's seccomp cache off: what a profile's first
        # container costs (libseccomp compiles it), every time.
        res["run (podman, no cache)"] = self.interleaved(
            "run-podman-nocache", n, lambda k, i: self.rt(k, "run", "--bundle", self.bundles["podman"], f"n{i}"),
            env={"husk": dict(os.environ, HUSK_SECCOMP_CACHE="")})

        # create, start, delete as separate commands, one container at a time.
        csd = {"create": {}, "start": {}, "delete": {}, "create+start+delete": {}}
        for k in self.names():
            for d in csd.values():
                d[k] = []
        for i in range(n):
            for k in self.names():
                cid = f"c{i}"
                parts = []
                for op, cmd in (("create", self.rt(k, "create", "--bundle", self.bundles["default"], cid)),
                                ("start", self.rt(k, "start", cid)),
                                ("delete", self.rt(k, "delete", cid))):
                    if op == "delete":
                        wait_stopped(self, k, cid)
                    self.pause()
                    m = self.measure(cmd)
                    self.note_fail(op, k, m)
                    csd[op][k].append(m)
                    parts.append(m)
                csd["create+start+delete"][k].append({
                    "wall": sum(p["wall"] for p in parts), "cpu": sum(p["cpu"] for p in parts),
                    "rss": max(p["rss"] for p in parts), "fail": 0})
                self.cleanup(k, cid)
        res.update(csd)

        # exec into a running container.
        for k in self.names():
            self.note_fail("run -d", k, self.measure(self.rt(k, "run", "-d", "--bundle", self.bundles["sleep"], "ex")))
        res["exec"] = self.interleaved("exec", n, lambda k, i: self.rt(k, "exec", "ex", "/bin/true"))
        for k in self.names():
            self.cleanup(k, "ex")

        # state and list with many containers present (created, not started).
        many = self.o.many
        for k in self.names():
            self.note_fail("create many", k, self.measure(self.rt(k, "create", "--bundle", self.bundles["default"], "s{i}"), count=many))
        res[f"state ({many} present)"] = self.interleaved("state", n, lambda k, i: self.rt(k, "state", f"s{i % many}"))
        res[f"list ({many} present)"] = self.interleaved("list", n, lambda k, i: self.rt(k, "list"))
        for k in self.names():
            self.cleanup(k, "s")

        # many in sequence and in parallel: total wall time, nothing left.
        seq, par = self.o.seq, self.o.par
        self.left = {}
        for label, count, jobs, prefix in ((f"{seq} run in sequence", seq, 1, "q"), (f"{par} run in parallel", par, par, "w")):
            res[label] = {k: [] for k in self.names()}
            for rnd in range(self.o.rounds):
                for k in self.names():
                    m = self.measure(self.rt(k, "run", "--bundle", self.bundles["default"], f"{prefix}{rnd}x{{i}}"),
                                     count=count, jobs=jobs)
                    self.note_fail(label, k, m)
                    res[label][k].append(m)
                    self.left[(label, k)] = self.leftovers(k, f"{prefix}{rnd}x")
                    self.cleanup(k, prefix)
        return res

    def instructions(self):
        """Instructions per `run`, counted by callgrind (repeatable, unlike time)."""
        if not shutil.which("valgrind") or self.o.no_callgrind:
            return {}
        out = {}
        for k in self.names(with_floor=True):
            d = os.path.join(self.work, "cg-" + k)
            os.makedirs(d)
            cmd = self.floor() if k == "floor" else self.rt(k, "run", "--bundle", self.bundles["default"], "cg")
            if perf_ok():
                r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "--"] + cmd,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                counts = [l.split(",")[0] for l in r.stderr.splitlines() if ",instructions" in l]
                out[k] = int(counts[0]) if r.returncode == 0 and counts and counts[0].isdigit() else None
                if k != "floor":
                    self.cleanup(k, "cg")
                continue
            r = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                                f"--callgrind-out-file={d}/cg.%p"] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                # valgrind 3.19 knows no open_tree/execveat/close_range: the
                # runtimes' CVE-2019-5736 protection fails under it.
                out[k] = None
                if k != "floor":
                    self.cleanup(k, "cg")
                continue
            total = 0
            for f in os.listdir(d):
                with open(os.path.join(d, f), errors="replace") as fh:
                    for line in fh:
                        if line.startswith("summary:") or line.startswith("totals:"):
                            total += int(line.split()[1])
                            break
            out[k] = total if total else None
            if k != "floor":
                self.cleanup(k, "cg")
        return out

    def timings(self):
        """husk's own breakdown of one `run` (HUSK_TIMINGS=1), medians of n."""
        env = dict(os.environ, HUSK_TIMINGS="1")
        steps = {}
        for i in range(self.o.n):
            r = subprocess.run(self.rt("husk", "run", "--bundle", self.bundles["default"], f"t{i}"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            for line in r.stderr.splitlines():
                mt = re.match(r"husk timings: (\S+)\s+(\S+) ms", line)
                if mt:
                    steps.setdefault(mt.group(1), []).append(float(mt.group(2)))
        return {s: statistics.median(v) for s, v in steps.items()}


def wait_stopped(b, k, cid):
    for _ in range(200):
        r = sh(*b.rt(k, "state", cid), check=False)
        try:
            if json.loads(r.stdout).get("status") == "stopped":
                return
        except ValueError:
            return
        subprocess.run(["sleep", "0.005"])


def perf_ok():
    if not shutil.which("perf"):
        return False
    r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return r.returncode == 0 and "not supported" not in r.stderr


def is_tmpfs(path):
    r = subprocess.run(["stat", "-f", "-c", "%T", path], stdout=subprocess.PIPE, text=True)
    return r.stdout.strip() == "tmpfs"


def podman_like(cfg):
    """The spec default plus what podman adds: its seccomp profile, more
    masked paths, /run and /dev/shm tmpfs, /etc/hosts, memory and pids limits."""
    c = json.loads(json.dumps(cfg))
    lin = c.setdefault("linux", {})
    lin["seccomp"] = podman_seccomp(c["process"].get("capabilities", {}).get("bounding", []))
    lin["maskedPaths"] = sorted(set(lin.get("maskedPaths", []) + [
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/fs/selinux", "/sys/dev/block", "/sys/devices/virtual/powercap"]))
    c["mounts"] += [
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
         "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev"]},
        {"destination": "/etc/hosts", "type": "bind", "source": "/etc/hosts",
         "options": ["bind", "rprivate", "ro"]},
    ]
    lin["resources"] = dict(lin.get("resources", {}), memory={"limit": 512 * 1024 * 1024}, pids={"limit": 2048})
    return c


def podman_seccomp(caps):
    """containers/common's seccomp.json turned into an OCI profile, the way
    podman does it: entries kept when their includes/excludes match amd64 and
    the container's capabilities."""
    path = "/usr/share/containers/seccomp.json"
    try:
        with open(path) as f:
            p = json.load(f)
    except OSError:
        p = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
    caps = set(caps)
    rules = []
    for s in p.get("syscalls", []):
        inc, exc = s.get("includes", {}) or {}, s.get("excludes", {}) or {}
        if inc.get("arches") and "amd64" not in inc["arches"]:
            continue
        if inc.get("caps") and not set(inc["caps"]) <= caps:
            continue
        if exc.get("arches") and "amd64" in exc["arches"]:
            continue
        if exc.get("caps") and set(exc["caps"]) & caps:
            continue
        r = {"names": s["names"], "action": s["action"]}
        if s.get("args"):
            r["args"] = s["args"]
        if "errnoRet" in s:
            r["errnoRet"] = s["errnoRet"]
        rules.append(r)
    out = {"defaultAction": p.get("defaultAction", "SCMP_ACT_ERRNO"),
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": rules}
    if "defaultErrnoRet" in p:
        out["defaultErrnoRet"] = p["defaultErrnoRet"]
    return out


def quartiles(v):
    v = sorted(v)
    if len(v) < 4:
        return v[0], v[-1]
    q = statistics.quantiles(v, n=4)
    return q[0], q[2]


def hierarchy():
    r = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], stdout=subprocess.PIPE, text=True)
    return "cgroup v2" if r.stdout.strip() == "cgroup2fs" else "hybrid (v1 controllers)"


def report(b, res, instr, timings, seconds):
    names = b.names(with_floor=True)
    say("")
    say(f"husk benchmark, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC: {os.cpu_count()} cores, "
        f"kernel {platform.release()}, {hierarchy()}; N={b.o.n} interleaved rounds, medians "
        f"[25th-75th percentile]; {seconds:.0f} s")
    say("")
    say(f"{'what':<26}{'runtime':<7}{'wall ms':>22}{'CPU ms':>22}{'peak RSS MB':>13}   husk/this wall, CPU, RSS")
    for what, per in res.items():
        hm = {f: statistics.median([s[f] for s in per["husk"]]) for f in ("wall", "cpu", "rss")} if per.get("husk") else None
        for k in names:
            if k not in per or not per[k]:
                continue
            line = f"{what:<26}{k:<7}"
            for f in ("wall", "cpu"):
                v = [s[f] for s in per[k]]
                lo, hi = quartiles(v)
                line += f"{statistics.median(v):>9.2f} [{lo:5.2f}-{hi:6.2f}]"
            line += f"{statistics.median([s['rss'] for s in per[k]]):>13.1f}"
            if hm and k != "husk":
                m = {f: statistics.median([s[f] for s in per[k]]) for f in ("wall", "cpu", "rss")}
                line += "   " + ", ".join(f"{hm[f] / m[f]:.2f}" if m[f] else "-" for f in ("wall", "cpu", "rss"))
            say(line)
            what = ""
    say("")
    for (label, k), (nleft, ncg) in sorted(b.left.items()):
        if nleft or ncg:
            say(f"left behind after {label} by {k}: {nleft} containers, {ncg} cgroups")
    if not any(sum(v) for v in b.left.values()):
        say("nothing left behind after the sequential and parallel runs (containers, cgroups)")
    for (what, k), n in sorted(b.failures.items()):
        say(f"failures: {what} with {k}: {n} commands exited non-zero")
    say("")
    say("binary sizes (bytes; shared libraries loaded):")
    for k, p in b.runtimes.items():
        real = os.path.realpath(p)
        libs = sh("ldd", real, check=False).stdout
        nlibs = 0 if "not a dynamic" in libs else sum(1 for l in libs.splitlines() if "=>" in l)
        say(f"  {k:<5} {os.path.getsize(real):>10}  {nlibs} libraries  {real}")
    if instr:
        say("")
        say("instructions per `run` of /bin/true (callgrind, every process; `perf stat -e instructions`"
            f" {'works' if perf_ok() else 'is not supported on this machine'}):")
        fl = instr.get("floor")
        for k, v in instr.items():
            if v:
                say(f"  {k:<5} {v:>13,}" + (f"   x{v / fl:.1f} of the floor" if fl and k != "floor" else ""))
            else:
                say(f"  {k:<5} not counted: it fails under valgrind"
                    + (" (the binary protection needs open_tree or execveat, close_range,"
                       " which valgrind 3.19 lacks)" if k != "floor" else ""))
    if timings:
        say("")
        say("where husk's `run` spends its time (HUSK_TIMINGS=1, medians, ms from the previous step):")
        for s, v in timings.items():
            say(f"  {s:<22}{v:8.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--husk", default=os.path.join(TOP, "husk"))
    ap.add_argument("-n", type=int, default=40, help="interleaved rounds per figure")
    ap.add_argument("--many", type=int, default=100, help="containers present for state and list")
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--par", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the sequential and parallel runs")
    ap.add_argument("--quick", action="store_true", help="small N, to check that it works")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--gap-ms", type=float, default=50, help="pause before each measured command")
    ap.add_argument("--out", help="also write the results here")
    o = ap.parse_args()
    if o.quick:
        o.n, o.many, o.seq, o.par, o.rounds = 3, 10, 10, 5, 1
    start = datetime.datetime.now()
    b = Bench(o)
    try:
        b.make_bundles()
        res = b.run_scenarios()
        instr = b.instructions()
        tm = b.timings()
        report(b, res, instr, tm, (datetime.datetime.now() - start).total_seconds())
    finally:
        for k in b.names():
            b.cleanup(k)
        subprocess.run(["umount", b.roots], stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(b.work, ignore_errors=True)
    if o.out:
        with open(o.out, "w") as f:
            f.write("\n".join(out_lines) + "\n")
        print(f"(written to {o.out})")


if __name__ == "__main__":
    sys.exit(main())
