"""Start everything a person needs to try Chancela on one machine.

Web server, task worker, the periodic scheduler and the local Clicksign emulator run as child
processes; one that exits is started again (after a pause that grows while it keeps exiting),
the others carry on; Ctrl-C stops them all. Demo data is created on an empty database.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from chancela.demo import (
    DEMO_API_USER_EMAIL,
    demo_exists,
    demo_summary,
    demo_webhook_register,
    seed_demo,
)
from chancela.esign.errors import ConfigurationError

EMULATOR_PORT = 8765
EMULATOR_URL = f"http://127.0.0.1:{EMULATOR_PORT}"
# The emulator keeps its envelopes here across runs (clicksign_emulator/state.py).
EMULATOR_STATE_FILE = "emulator-state.pickle"
# The logins and the one-time API key of the demo, kept where the start banner says.
DEMO_LOGINS_FILE = "demo-logins.txt"


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The children's environment: after start-up only warnings and errors reach the terminal
    (no line per request or per job), unless CHANCELA_LOG_LEVEL / _ACCESS_LOG_LEVEL say more."""
    env = dict(os.environ if base is None else base)
    env.setdefault("CHANCELA_LOG_LEVEL", "WARNING")
    env.setdefault("CHANCELA_ACCESS_LOG_LEVEL", "WARNING")
    return env


def demo_logins_save(text: str) -> Path:
    """Write the demo's logins and API key to a file only the owner can read."""
    path = Path(settings.DATA_DIR) / DEMO_LOGINS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    return path


def wait_for_emulator(base_url: str, timeout: float = 15.0) -> bool:
    """True once the emulator's control API answers (it starts in well under a second)."""
    from clicksign_emulator import ControlClient

    deadline = time.monotonic() + timeout
    with ControlClient(base_url, timeout=2.0) as control:
        while time.monotonic() < deadline:
            try:
                control.health()
                return True
            except Exception:  # noqa: BLE001 - not up yet: connection refused, 5xx…
                time.sleep(0.2)
    return False


def link_demo_to_emulator(base_url: str = EMULATOR_URL) -> str:
    """Register the demo configuration's webhook on the running emulator; a line for the log."""
    if settings.CLICKSIGN_URLS["sandbox"] != base_url:
        return (
            f"A sandbox aponta para {settings.CLICKSIGN_URLS['sandbox']}, não para o emulador: "
            "o webhook da configuração de demonstração não foi registrado."
        )
    if not wait_for_emulator(base_url):
        return f"O emulador não respondeu em {base_url}: webhook não registrado."
    try:
        registration = demo_webhook_register()
    except ConfigurationError as error:
        return f"Webhook de demonstração não registrado: {error.message}"
    if registration is None:
        return "Sem configuração de demonstração: nenhum webhook registrado."
    return f"Configuração de demonstração: {registration.message}"


def local_processes(python: str, web_port: int) -> list[tuple[str, list[str]]]:
    """The processes of a local run (name, argv)."""
    processes = [
        ("web", [python, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"]),
        ("worker", [python, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"]),
        ("scheduler", [python, "manage.py", "run_scheduler"]),
    ]
    if importlib.util.find_spec("clicksign_emulator") is not None:
        state_file = settings.DATA_DIR / EMULATOR_STATE_FILE
        processes.insert(
            0,
            (
                "emulator",
                [
                    python, "-m", "clicksign_emulator", "--port", str(EMULATOR_PORT),
                    "--state-file", str(state_file),
                    # CHANCELA_DEMO_CLICKSIGN_API=1.9: the demo runs on an old account.
                    "--demo-api", settings.CHANCELA_DEMO_CLICKSIGN_API,
                ],
            ),
        )  # fmt: skip
    return processes


class Children:
    """The child processes of a local run, each started again when it exits."""

    # A child that ran this long before exiting is restarted at once; sooner, after a pause that
    # doubles up to the cap (a child that cannot start does not spin).
    HEALTHY_SECONDS = 30.0
    FIRST_PAUSE_SECONDS = 1.0
    MAX_PAUSE_SECONDS = 30.0

    def __init__(self, processes: list[tuple[str, list[str]]], write: Any) -> None:
        self.processes = dict(processes)
        self.write = write
        self.popen: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, float] = {}
        self.pause: dict[str, float] = {}
        self.due: dict[str, float] = {}
        self.restarts: dict[str, int] = dict.fromkeys(self.processes, 0)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        argv = self.processes[name]
        self.popen[name] = subprocess.Popen(argv, env=child_env())  # noqa: S603
        self.started[name] = time.monotonic()
        return self.popen[name]

    def check(self) -> list[str]:
        """Restart the children that exited (once their pause is over); the names restarted."""
        restarted: list[str] = []
        now = time.monotonic()
        for name, child in self.popen.items():
            code = child.poll()
            if code is None:
                continue
            if name not in self.due:
                ran = now - self.started[name]
                pause = (
                    0.0
                    if ran >= self.HEALTHY_SECONDS
                    else min(
                        self.MAX_PAUSE_SECONDS,
                        max(self.FIRST_PAUSE_SECONDS, 2 * self.pause.get(name, 0.0)),
                    )
                )
                self.pause[name] = pause
                self.due[name] = now + pause
                self.write(f"{name} saiu (código {code}); reiniciando em {pause:.0f} s.")
            if now >= self.due[name]:
                del self.due[name]
                self.restarts[name] += 1
                self.start(name)
                restarted.append(name)
        return restarted

    def stop(self) -> None:
        for child in self.popen.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.popen.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run Chancela locally: web + worker + Clicksign emulator, with demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        # A SIGTERM (kill, timeout, a process manager) stops the children like Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        call_command("migrate", interactive=False, verbosity=0)
        logins = None
        if not demo_exists():
            logins = seed_demo()
        processes = local_processes(sys.executable, options["port"])
        children = Children(processes, self.stderr.write)
        try:
            for name, argv in processes:
                self.stdout.write(f"starting {name}: {' '.join(argv[1:])}")
                children.start(name)
                if name == "emulator":
                    self.stdout.write(link_demo_to_emulator())
                time.sleep(0.3)
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS("Chancela está no ar."))
            if logins:
                summary = demo_summary(logins)
                self.stdout.write(summary)
                saved = demo_logins_save(summary)
                self.stdout.write(f"Logins e chave de API salvos em {saved}")
            else:
                saved = Path(settings.DATA_DIR) / DEMO_LOGINS_FILE
                self.stdout.write(
                    f"Chancela: {settings.PUBLIC_URL}/  (logins de demonstração e chave de API: "
                    + (f"{saved}" if saved.exists() else "veja o README")
                    + "; senha chancela-demo)"
                )
            if any(name == "emulator" for name, _ in local_processes(sys.executable, 0)):
                self.stdout.write(
                    f"Emulador da Clicksign (caixa de e-mail dos signatários): "
                    f"http://127.0.0.1:{EMULATOR_PORT}/"
                )
                from clicksign_emulator import DEMO_PRODUCTION_TOKEN

                self.stdout.write(
                    "Conta de produção do emulador (para “Promover para produção”): token "
                    f"{DEMO_PRODUCTION_TOKEN}, e-mail {DEMO_API_USER_EMAIL}"
                )
                self.stdout.write(
                    "Os logs agora mostram só avisos e erros "
                    "(CHANCELA_LOG_LEVEL=INFO para ver tudo)."
                )
            self.stdout.write("Ctrl-C para parar.")
            while True:
                if "emulator" in children.check():
                    # A new emulator remembers nothing: register the demo webhook again.
                    self.stdout.write(link_demo_to_emulator())
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            children.stop()
