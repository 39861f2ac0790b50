"""Plumbing for tests that run the hotline as several "hosts": network namespaces or processes.

With root and iproute2 the test gets its own network: a hub namespace holding a bridge, one
namespace per host (web, worker a + beat, worker b), each joined to the bridge by a veth pair
with a private address, and one veth from the hub to the root namespace. PostgreSQL and Redis
stay as the machine runs them (on 127.0.0.1 in the root namespace, not reconfigured): a small
TCP forwarder, a process of the test's own, listens on the root end of that veth and relays
to them. So a host reaches the databases, the fake Twilio and the web only over the veths, and
taking a host's link down cuts it off from all of them, as a cable pulled out would.

Without root or `ip` the same hosts run as separate processes in the root namespace (each in
its own working directory and instance folder); a "link down" is then the process frozen with
SIGSTOP, which cuts it off as completely, if less realistically. The test prints which it ran.

Run as `python -m tests.netns_support forward HOST TARGET:PORT...` it is the forwarder.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("web", "a", "b")  # a network namespace each; beat shares worker a's
# Host number of each address on the test's /24: .1 is the root namespace's end.
HOST_NUMBER = {"root": 1, "web": 2, "a": 3, "b": 4, "web-alias": 12}
NAME_PREFIX = "hltest"  # every namespace this module makes starts with it, then the pid


class NetworkError(RuntimeError):
    """Setting up or changing the test network failed."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `ip ARGS`; raise NetworkError with its message when it fails and `check`."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def namespaces_possible() -> str | None:
    """None when this process may make network namespaces; else why not."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "not running as root"
    return None


def remove_stale_namespaces() -> list[str]:
    """Delete namespaces an earlier run of this module left behind (its process is gone)."""
    removed = []
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        match = re.fullmatch(rf"{NAME_PREFIX}(\d+)-\w+-\w+", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            _ip("netns", "del", name, check=False)
            removed.append(name)
    return removed


def free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.200.0.0/13 that no route or address of this machine touches."""
    used = []
    for line in _ip("-4", "route", "show", "table", "all", check=False).stdout.splitlines() + [
            line.split()[3] for line in _ip("-4", "-o", "addr", check=False).stdout.splitlines()
            if len(line.split()) > 3]:
        word = line.split()[0]
        if word in ("default", "broadcast", "local", "unreachable", "blackhole", "multicast"):
            word = line.split()[1] if len(line.split()) > 1 else ""
        with contextlib.suppress(ValueError):
            used.append(ipaddress.ip_network(word, strict=False))
    for _ in range(200):
        candidate = ipaddress.IPv4Network(
            f"10.{random.randint(200, 207)}.{random.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(net) for net in used if net.prefixlen > 0):
            return candidate
    raise NetworkError("no free private /24 found")


class Network:
    """The hosts' network: namespaces and veths (mode "netns"), or the root one ("processes").

    `address[host]` is where others reach that host; `data_address` where hosts reach
    PostgreSQL and Redis (through the forwarder in netns mode)."""

    def __init__(self, use_namespaces: bool) -> None:
        self.mode = "netns" if use_namespaces else "processes"
        self.tag = f"{NAME_PREFIX}{os.getpid()}-{os.urandom(3).hex()}"
        self.namespaces: dict[str, str] = {}
        self.root_link = ""
        self.address = dict.fromkeys([*HOSTS, "web-alias"], "127.0.0.1")
        self.data_address = "127.0.0.1"
        self.forwarder: subprocess.Popen[str] | None = None
        self.forwarded: dict[int, int] = {}  # target port -> port the hosts use
        if use_namespaces:
            try:
                self._build()
            except BaseException:
                self.close()
                raise

    # --- set-up and tear-down ------------------------------------------------------------
    def _build(self) -> None:
        remove_stale_namespaces()
        net = free_subnet()
        hosts = list(net.hosts())

        def addr(host: str) -> str:
            return str(hosts[HOST_NUMBER[host] - 1])

        hub = f"{self.tag}-hub"
        for name in ("hub", *HOSTS):
            _ip("netns", "add", f"{self.tag}-{name}")
            self.namespaces[name] = f"{self.tag}-{name}"
        _ip("-n", hub, "link", "set", "lo", "up")
        _ip("-n", hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", hub, "link", "set", "br0", "up")
        for host in HOSTS:
            ns = self.namespaces[host]
            _ip("-n", hub, "link", "add", f"v-{host}", "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            _ip("-n", hub, "link", "set", f"v-{host}", "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{addr(host)}/{net.prefixlen}", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            self.address[host] = addr(host)
        # A second address of the web host: worker b's name for the fake Twilio, so the fake's
        # records (by Host header) tell which worker sent each text.
        _ip("-n", self.namespaces["web"], "addr", "add", f"{addr('web-alias')}/{net.prefixlen}",
            "dev", "eth0")
        self.address["web-alias"] = addr("web-alias")
        # The root namespace's end: only the forwarder listens on it.
        self.root_link = f"hlt{os.urandom(4).hex()}"
        _ip("link", "add", self.root_link, "type", "veth", "peer", "name", "up0", "netns", hub)
        _ip("-n", hub, "link", "set", "up0", "master", "br0", "up")
        _ip("addr", "add", f"{addr('root')}/{net.prefixlen}", "dev", self.root_link)
        _ip("link", "set", self.root_link, "up")
        self.data_address = addr("root")

    def forward(self, targets: Sequence[tuple[str, int]]) -> dict[int, int]:
        """Relay the data address's ports to these (host, port) in the root namespace;
        return {target port: port on the data address}. Direct in processes mode."""
        if self.mode != "netns":
            self.forwarded = {port: port for _, port in targets}
            return self.forwarded
        spec = [f"{host}:{port}" for host, port in targets]
        self.forwarder = subprocess.Popen(
            [sys.executable, "-m", "tests.netns_support", "forward", self.data_address, *spec],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.forwarder.stdout is not None
        line = self.forwarder.stdout.readline()  # the forwarder prints its ports, then nothing
        if not line:
            raise NetworkError("the TCP forwarder did not start")
        self.forwarded = {int(k): int(v) for k, v in json.loads(line).items()}
        return self.forwarded

    def close(self) -> None:
        """Stop the forwarder and delete every namespace and link this network made."""
        if self.forwarder is not None and self.forwarder.poll() is None:
            self.forwarder.kill()
            self.forwarder.wait()
        for ns in self.namespaces.values():
            _ip("netns", "del", ns, check=False)  # its veths go with it
        if self.root_link:
            _ip("link", "del", self.root_link, check=False)  # normally gone with the hub
        self.namespaces = {}

    def leftovers(self) -> list[str]:
        """Namespaces of this network still listed by `ip netns` (empty after close)."""
        listed = _ip("netns", "list", check=False).stdout.split()
        return [name for name in listed if name.startswith(self.tag)]

    # --- running and cutting off hosts -----------------------------------------------------
    def command(self, host: str, argv: Sequence[str]) -> list[str]:
        """The command line running argv on `host` (inside its namespace in netns mode)."""
        if self.mode == "netns":
            return ["ip", "netns", "exec", self.namespaces[host], *argv]
        return list(argv)

    def link(self, host: str, up: bool, process: subprocess.Popen[bytes] | None = None) -> str:
        """Take the host's network link down or up again; return what was done.

        In processes mode there is no link to pull: the host's process is frozen (SIGSTOP) and
        thawed (SIGCONT) instead, with every child."""
        if self.mode == "netns":
            _ip("-n", self.namespaces[host], "link", "set", "eth0", "up" if up else "down")
            return f"ip -n {self.namespaces[host]} link set eth0 {'up' if up else 'down'}"
        assert process is not None, "processes mode freezes the host's process"
        for pid in process_tree(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT if up else signal.SIGSTOP)
        return f"{'SIGCONT' if up else 'SIGSTOP'} to pid {process.pid} and its children"

    def unsent_to(self, host: str, port: int) -> int:
        """Connections from `host` to `port` whose data its kernel still tries to deliver
        (a request a timed-out client closed stays queued until retransmitted); 0 in
        processes mode, where no link ever went down."""
        if self.mode != "netns":
            return 0
        listed = subprocess.run(self.command(host, ["ss", "-Htn", "state", "all", "dport", "=",
                                                    f":{port}"]),
                                capture_output=True, text=True, timeout=30).stdout
        return sum(1 for line in listed.splitlines() if len(line.split()) > 2 and (
            line.split()[0] in ("SYN-SENT", "FIN-WAIT-1", "LAST-ACK", "CLOSING")
            or line.split()[2] != "0"))

    def reachable(self, host: str, address: str, port: int, timeout: float = 1.0) -> bool:
        """Whether `host` can open a TCP connection to address:port right now."""
        probe = ("import socket,sys;socket.create_connection((sys.argv[1], int(sys.argv[2])), "
                 "timeout=float(sys.argv[3]))")
        done = subprocess.run(self.command(host, [sys.executable, "-c", probe, address,
                                                  str(port), str(timeout)]),
                              capture_output=True, timeout=timeout + 30)
        return done.returncode == 0


def process_tree(pid: int) -> list[int]:
    """pid and every descendant of it (children first listed after their parent)."""
    found = [pid]
    for current in found:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


class HostProcess:
    """One process of a host (web, fake Twilio, worker, beat): its own working directory and
    instance folder, its output in a log file there."""

    def __init__(self, network: Network, host: str, name: str, argv: Sequence[str],
                 env: dict[str, str], base: Path) -> None:
        self.name = name
        self.folder = base / name
        (self.folder / "instance").mkdir(parents=True)
        self.log_path = self.folder / "output.log"
        self.log_file: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            network.command(host, argv), cwd=self.folder, stdout=self.log_file,
            stderr=subprocess.STDOUT,
            env={**env, "HOTLINE_INSTANCE": str(self.folder / "instance"),
                 "PYTHONPATH": str(ROOT)})

    def log(self) -> str:
        """What it printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first match of `pattern` in its output; NetworkError when it never comes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log())
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise NetworkError(f"{self.name} never printed {pattern!r}:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL it and every child at once: no shutdown, no acks, no cleanup."""
        for pid in process_tree(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        """Stop it (thawed if frozen; warm shutdown, then kill) and return its log."""
        if self.process.poll() is None:
            for pid in process_tree(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_file.close()
        return self.log()


# --- the forwarder ------------------------------------------------------------------------
async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _forward(listen: str, targets: list[tuple[str, int]]) -> None:
    ports: dict[int, int] = {}
    servers = []
    for host, port in targets:
        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        host: str = host, port: int = port) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

        server = await asyncio.start_server(relay, listen, 0)
        ports[port] = server.sockets[0].getsockname()[1]
        servers.append(server)
    print(json.dumps(ports), flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main(argv: list[str]) -> None:
    """`forward LISTEN HOST:PORT...`: relay LISTEN:<new port> to each HOST:PORT."""
    if len(argv) < 3 or argv[0] != "forward":
        raise SystemExit("usage: python -m tests.netns_support forward LISTEN HOST:PORT...")
    targets = [(spec.rsplit(":", 1)[0], int(spec.rsplit(":", 1)[1])) for spec in argv[2:]]
    asyncio.run(_forward(argv[1], targets))


if __name__ == "__main__":
    main(sys.argv[1:])
