"""A portable Beam "cluster" on this machine: Beam's standalone job service and an external SDK worker
pool, each its own process on loopback. It is the topology of a Flink deployment (job server + a worker
pool beside each task manager) without Flink: the job service plans the job and asks the pool for SDK
workers, which are fresh Python processes that see nothing of the driver but what the job ships them.

Used by tests/deploy/test_portable_runner.py and bench/bench_scaling.py; by hand:

    python -m deploy.local_job_server        # prints the Beam options for `tokenmill run CONFIG -- ...`
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

JOB_SERVICE = "apache_beam.runners.portability.local_job_service_main"
WORKER_POOL = "apache_beam.runners.worker.worker_pool_main"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class LocalPortableCluster:
    """`with LocalPortableCluster(workdir) as cluster: run(... cluster.beam_args ...)`.

    Both services log to files in `workdir` (job_service.log, worker_pool.log); the job service stages
    each job's artifacts under workdir/staging. Every wait is bounded by `start_timeout_s`."""

    def __init__(self, workdir: str, python: str = sys.executable, start_timeout_s: float = 60.0):
        self.workdir, self.python, self.start_timeout_s = workdir, python, start_timeout_s
        self.job_port = self.pool_port = None
        self._procs: list[subprocess.Popen] = []

    @property
    def beam_args(self) -> list[str]:
        assert self.job_port and self.pool_port, "cluster not started"
        return ["--runner=PortableRunner", f"--job_endpoint=localhost:{self.job_port}",
                "--environment_type=EXTERNAL", f"--environment_config=localhost:{self.pool_port}"]

    def _env(self) -> dict:
        env = dict(os.environ)
        # The pool starts each SDK worker as a bare `python -c ...`, found on PATH: make it this venv's.
        env["PATH"] = os.path.dirname(self.python) + os.pathsep + env.get("PATH", "")
        return env

    def _spawn(self, module: str, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(os.path.join(self.workdir, log_name), "ab")
        # A session of its own, so stop() also ends the SDK workers the pool forked.
        proc = subprocess.Popen([self.python, "-m", module, *args], cwd=self.workdir, env=self._env(),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._procs.append(proc)
        return proc

    def _wait(self, proc: subprocess.Popen, ready, what: str) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with code {proc.returncode}; see {self.workdir}")
            if ready():
                return
            time.sleep(0.1)
        raise TimeoutError(f"{what} not ready after {self.start_timeout_s:.0f}s; see {self.workdir}")

    def start(self) -> "LocalPortableCluster":
        os.makedirs(self.workdir, exist_ok=True)
        port_file = os.path.join(self.workdir, "job_service.port")
        job = self._spawn(JOB_SERVICE, ["--port=0", f"--port_file={port_file}",
                                        f"--staging_dir={os.path.join(self.workdir, 'staging')}"], "job_service.log")
        self._wait(job, lambda: os.path.exists(port_file), "job service")
        with open(port_file) as f:
            self.job_port = int(f.read())
        # The pool cannot report a port it picked itself, so it gets a free one; another process may
        # take that port first, hence a few tries.
        for attempt in range(3):
            port = free_port()
            pool = self._spawn(WORKER_POOL, [f"--service_port={port}"], "worker_pool.log")
            try:
                self._wait(pool, lambda: _accepts_connections(port), "worker pool")
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self.pool_port = port
            return self

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
                except ProcessLookupError:
                    pass
            # Stray SDK workers of a pool that exited on its own.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._procs.clear()

    def __enter__(self) -> "LocalPortableCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start a local Beam job service + external SDK worker pool.")
    parser.add_argument("--workdir", help="where logs and staged artifacts go (default: a new temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="tokenmill-portable-")
    with LocalPortableCluster(workdir) as cluster:
        print(f"job service and worker pool running (logs in {workdir}); submit with:\n")
        print("  tokenmill run CONFIG.yaml -- " + " ".join(cluster.beam_args))
        print("\nCtrl-C stops both.", flush=True)
        try:
            while all(p.poll() is None for p in cluster._procs):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
