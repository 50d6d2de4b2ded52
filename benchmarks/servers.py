"""Start servers as subprocesses on 127.0.0.1, wait until they answer, measure their memory, and
always stop them (the whole process group, so workers go too)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

try:
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A server command run in its own process group; output goes to `log`."""

    def __init__(self, name: str, command: list[str], port: int, ready_path: str, log: Path):
        self.name, self.command, self.port, self.ready_path, self.log = name, command, port, ready_path, log
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 180) -> Server:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                status, _, _ = request("GET", self.port, self.ready_path, timeout=5)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:g} s:\n{self.tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def memory(self) -> dict[str, float]:
        """RSS (now, and the peak of the largest process) in MB over the server process and its
        children (uvicorn workers), and how many processes there are. RSS summed over processes
        counts pages they share more than once."""
        pids = [self.process.pid]
        if psutil is not None:
            try:
                pids += [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)]
            except psutil.Error:
                pass
        rss = peak = 0.0
        for pid in pids:
            status = _proc_status(pid)
            rss += status.get("VmRSS", 0.0)
            peak = max(peak, status.get("VmHWM", 0.0))
        return {"rss_mb": rss / 1024, "peak_mb": peak / 1024, "processes": len(pids)}


def _proc_status(pid: int) -> dict[str, float]:
    """/proc/<pid>/status memory lines, in kB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = float(rest.split()[0])
    except OSError:
        pass
    return values


def request(method: str, port: int, path: str, body: bytes | None = None,
            content_type: str | None = None, timeout: float = 600) -> tuple[int, bytes, float]:
    """One request on a fresh connection: (status, body, seconds from sending to having read the
    whole answer)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        start = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - start
    finally:
        connection.close()


def mlhandler_command(yaml: Path, port: int, workers: int) -> list[str]:
    """`mlhandler serve` from the Python running this script (its venv), else the repo's .venv."""
    here = Path(sys.executable).parent / "mlhandler"
    repo = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "mlhandler"
    exe = str(here if here.exists() else repo)
    command = [exe, "serve", str(yaml), "--host", HOST, "--port", str(port), "--log-level", "warning"]
    return command + (["--workers", str(workers)] if workers > 1 else [])


def supports_workers() -> bool:
    exe = mlhandler_command(Path("x"), 0, 1)[0]
    out = subprocess.run([exe, "serve", "--help"], capture_output=True, text=True, timeout=60)
    return "--workers" in out.stdout


def hello_command(port: int, workers: int) -> list[str]:
    """The bare Starlette app of hello_app.py, under uvicorn with the same worker count."""
    app_dir = str(Path(__file__).resolve().parent)
    return [sys.executable, "-m", "uvicorn", "hello_app:app", "--app-dir", app_dir, "--host", HOST,
            "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)]
