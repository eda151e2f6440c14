"""``make bench``: regenerate the performance figures of docs/benchmarks.md (P1-P6).

Each figure runs in its own process with its own throw-away database (``<BENCH_DB>_p<n>``,
created and dropped) and prints one ``BENCH-RESULT {json}`` line per measured value; this
orchestrator collects them and prints one Markdown block — commands, machine, load and date
included, every value as "measured N of goal G" — and, with ``--write``, puts that block in
docs/benchmarks.md between its ``bench:start`` / ``bench:end`` markers.

    make bench                                   # every figure, written to docs/benchmarks.md
    .venv/bin/python scripts/bench.py p4         # one figure, printed only
    .venv/bin/python scripts/bench.py --profile  # where an ingest request spends its time

Environment: ``CHANCELA_DATABASE_URL`` (PostgreSQL; P2-P4 and P6 need it), ``BENCH_DB``
(database name prefix, default ``bench_chancela``), ``BENCH_SECONDS`` (P4 run length, 8),
``BENCH_WINDOW`` (P2/P3 measured window, 40 s).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chancela.settings_test")

FIGURES = ("p1", "p2", "p3", "p4", "p5", "p6")
RESULT = "BENCH-RESULT "
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def emit(
    figure: str,
    what: str,
    value: float | str,
    goal: str = "",
    ok: bool | None = None,
    unit: str = "",
    detail: str = "",
) -> None:
    """One measured value, for the orchestrator (``ok`` None: no goal, information only)."""
    record = {
        "figure": figure,
        "what": what,
        "value": value,
        "unit": unit,
        "goal": goal,
        "ok": ok,
        "detail": detail,
    }
    print(RESULT + json.dumps(record, ensure_ascii=False), flush=True)  # noqa: T201


def _django() -> None:
    import django

    django.setup()


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


# ---------------------------------------------------------------------------------- P1


def figure_p1() -> None:
    """Clicksign calls per envelope, counted in the emulator's request log (scripts/
    count_clicksign_calls.py), per API version the product speaks."""
    import count_clicksign_calls as counting

    from chancela.esign.models import ClicksignApi, SignatureConfig

    with counting.counting_setup() as (control, config):
        # v3: one POST per envelope, document and signer, one bulk requirements call, one
        # activation, one notification. 1.9: a signer known to the account costs no call, a new
        # one a look-up and a POST, so there is no fixed minimum.
        for api in (ClicksignApi.ENVELOPES, ClicksignApi.LEGACY):
            SignatureConfig.objects.filter(pk=config.pk).update(clicksign_api=api)
            config.refresh_from_db()
            for signers in (1, 2):
                calls = counting.count(control, config, signers=signers, documents=1)
                requirements = calls.pop("(requirements created)")
                total = sum(calls.values())
                detail = ", ".join(f"{kind}: {n}" for kind, n in calls.items())
                if requirements:
                    detail = f"{requirements} requirements in one bulk call; {detail}"
                what = f"API {api.value}: calls for 1 PDF, {signers} signer(s) × 4 authentications"
                if api == ClicksignApi.ENVELOPES:
                    least = 5 + signers
                    goal = f"= {least} (the API's minimum)"
                    emit("P1", what, total, goal, total <= least, detail=detail)
                else:
                    emit("P1", what, total, detail=f"new signers; {detail}")


# ---------------------------------------------------------------------------- P2 / P3


def dispatch_at_limit(accounts: int, backlog: int, window: float, workers: int) -> dict[str, Any]:
    """``backlog`` queued requests spread over ``accounts`` sandbox configurations (one
    Clicksign account each, the emulator at the sandbox limit of 20 calls / 10 s), drained by
    ``workers`` db_worker processes. After a 10 s warm-up, ``window`` seconds are measured from
    the emulator's request log."""
    import tempfile

    from django.conf import settings
    from django.core.signals import setting_changed
    from django_tasks_db.models import DBTaskResult

    from chancela.signing.models import SignatureRequest
    from chancela.testing.factories import (
        make_config,
        make_document_type,
        make_signature_request,
        make_unit,
    )
    from chancela.testing.processes import process_env, running, worker_process
    from clicksign_emulator import EmulatorServer

    tmp = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    settings.MEDIA_ROOT = tmp / "files"
    # The storage caches its folder: tell it, or a second run (P3's 2 and 4 accounts) writes its
    # PDFs under the first run's folder while its workers read this one's, and every saga fails
    # at its document step (the calls counted were envelopes and look-ups, none notified).
    setting_changed.send(
        sender=type(settings), setting="MEDIA_ROOT", value=settings.MEDIA_ROOT, enter=True
    )
    with EmulatorServer(host="127.0.0.1", port=0, rate_limit=20) as server:
        control = server.control()
        settings.CLICKSIGN_URLS = {"sandbox": server.base_url, "production": server.base_url}
        types = []
        keys = []
        for n in range(accounts):
            account = control.create_account(
                token=str(uuid.uuid4()), api_user_email=f"api{n}@bench.test"
            )
            keys.append(account["key"])
            config = make_config(
                make_unit(), token=account["token"], api_user_email=f"api{n}@bench.test"
            )
            types.append(make_document_type(config))
        for index in range(backlog):
            document_type = types[index % accounts]
            make_signature_request(document_type.units.first(), document_type)
        control.clear_requests()
        procs = [worker_process(tmp, process_env(), name=f"worker{n}") for n in range(workers)]
        with running(*procs):
            deadline = time.monotonic() + 60
            while not control.requests() and time.monotonic() < deadline:
                time.sleep(0.2)
            first = time.monotonic()
            time.sleep(10 + window + 1 - (time.monotonic() - first))
            log = control.requests()
        DBTaskResult.objects.all().delete()
        SignatureRequest.objects.all().delete()
    times = [datetime.fromisoformat(e["time"]).timestamp() for e in log]
    t0 = min(times) + 10
    t1 = t0 + window
    per_account = []
    for key in keys:
        mine = sorted(
            ((t, e) for t, e in zip(times, log, strict=True) if e["account_key"] == key),
            key=lambda pair: pair[0],
        )
        stamps = [t for t, _ in mine]
        in_window = [e for t, e in mine if t0 <= t < t1]
        busiest = max((sum(1 for u in stamps if t <= u < t + 10) for t in stamps), default=0)
        # The rate the account was used at: at the limit each call reuses the slot of the call
        # 20 before it, so 20 calls per (t_j - t_{j-20}) seconds; share = 10 s ÷ the mean of
        # that cycle over the measured calls. Unlike a count in fixed (±20: the limiter sends
        # in bursts) or sliding windows, it does not depend on where a window falls in a burst.
        cycles = [
            stamps[j] - stamps[j - 20] for j in range(20, len(stamps)) if t0 <= stamps[j] < t1
        ]
        # The former figure, kept for comparison: the mean fill of the 10 s windows starting at
        # each call. It reads low on bursts: a window starting mid-burst misses the next burst's
        # calls whose slot's previous call came a few ms earlier (see docs/benchmarks.md, P2).
        fill = [sum(1 for u in stamps if t <= u < t + 10) / 20 for t in stamps if t0 <= t < t1 - 10]
        per_account.append(
            {
                "share": 10 / (sum(cycles) / len(cycles)) * 100 if cycles else 0.0,
                "slot_idle_ms": (sum(cycles) / len(cycles) - 10) * 1000 if cycles else 0.0,
                "window_fill": sum(fill) / len(fill) * 100 if fill else 0.0,
                "calls": len(in_window),
                "envelopes": sum(1 for e in in_window if e["path"].endswith("/notifications")),
                "busiest_10s": busiest,
                "over_limit": max(0, busiest - 20),
                "rejected_429": sum(1 for _, e in mine if e["status"] == 429),
            }
        )
    return {"accounts": per_account, "window": window}


def figure_p2() -> None:
    _django()
    from django.db import connection

    window = float(os.environ.get("BENCH_WINDOW", "40"))
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        workers = int(os.environ.get("BENCH_WORKERS", "2"))
        result = dispatch_at_limit(1, 500, window, workers)
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)
    account = result["accounts"][0]
    allowed = 20 * window / 10
    share = account["share"]
    per_hour = account["calls"] / 6 * 3600 / window
    detail = (
        f"backlog 500 requests (1 PDF, 1 signer: 6 calls each), {workers} db_worker processes, "
        f"emulator at 20 calls / 10 s; after a 10 s warm-up, {window:.0f} s measured: "
        f"{account['calls']} calls (about {allowed:.0f} allowed), "
        f"{account['envelopes']} envelopes notified; share = 10 s ÷ the mean time between a "
        "call and the 20th before it (the slot it reuses), each slot reused "
        f"{account['slot_idle_ms']:.0f} ms after its 10 s on average (the mean fill of sliding "
        f"10 s windows starting at each call, which reads low on bursts: "
        f"{account['window_fill']:.1f}%). The backlog never empties within the window, so the "
        "window is the steady state: envelopes/hour = calls in the window ÷ 6 calls per "
        f"envelope × 3600 / {window:.0f} (the limit's ceiling: 20 × 360 / 6 = 1,200)."
    )
    emit(
        "P2",
        "share of the account's limit used while the backlog lasts",
        f"{share:.1f}",
        "≥ 95%",
        share >= 95,
        "%",
        detail,
    )
    emit(
        "P2",
        "busiest 10 s (sliding) / calls over the limit",
        f"{account['busiest_10s']} / {account['over_limit']}",
        "over the limit = 0",
        account["over_limit"] == 0,
    )
    emit(
        "P2",
        "429 answers from Clicksign",
        account["rejected_429"],
        "= 0",
        account["rejected_429"] == 0,
    )
    emit("P2", "envelopes per hour (extrapolated from the window)", f"{per_hour:.0f}")


def figure_p3() -> None:
    _django()
    from django.db import connection

    window = float(os.environ.get("BENCH_WINDOW_P3", "30"))
    workers = int(os.environ.get("BENCH_WORKERS_P3", "4"))
    # Smaller than P2's 500 only to keep `make bench` short: an account sends at most
    # 20 calls / 10 s = 10 envelopes in 30 s, so a backlog of 200 never empties in the window.
    backlog = int(os.environ.get("BENCH_BACKLOG_P3", "200"))
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    totals = {}
    try:
        for accounts in (1, 2, 4):
            result = dispatch_at_limit(accounts, backlog, window, workers)
            calls = [a["calls"] for a in result["accounts"]]
            envelopes = sum(a["envelopes"] for a in result["accounts"])
            over = sum(a["over_limit"] for a in result["accounts"])
            rejected = sum(a["rejected_429"] for a in result["accounts"])
            totals[accounts] = sum(calls)
            allowed = 20 * window / 10
            emit(
                "P3",
                f"{accounts} account(s): calls per account in {window:.0f} s "
                f"(limit allows {allowed:.0f})",
                " / ".join(map(str, calls)),
                detail=f"total {sum(calls)} calls ≈ "
                f"{sum(calls) / 6 * 3600 / window:.0f} envelopes/h "
                f"({envelopes} notified in the window); limit share "
                f"{' / '.join(format(a['share'], '.0f') + '%' for a in result['accounts'])}; "
                f"over the limit {over}, 429s {rejected}",
            )
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)
    scale = [totals[n] / totals[1] for n in (2, 4)]
    ok = scale[0] >= 1.9 and scale[1] >= 3.8
    emit(
        "P3",
        "total throughput with 2 / 4 accounts, × the 1-account run",
        f"{scale[0]:.2f} / {scale[1]:.2f}",
        f"≈ 2 / 4 (grows with accounts up to the {workers} workers)",
        ok,
        "×",
        f"a backlog of {backlog} requests spread round-robin over the accounts; "
        f"{workers} db_worker processes",
    )


# ---------------------------------------------------------------------------------- P5


def figure_p5() -> None:
    for rows in (2000, 5000, 10000):
        env = dict(os.environ, BENCH_ROWS=str(rows))
        proc = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "scripts/bench_batch_preflight.py")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        line = next(x for x in proc.stdout.splitlines() if x.startswith("PREFLIGHT-RESULT "))
        result = json.loads(line.removeprefix("PREFLIGHT-RESULT "))
        detail = (
            f"{result['problems']} rows with problems; RSS before {result['before_mib']:.0f} MiB"
        )
        goal_time = "≤ 10 s" if rows == 10000 else ""
        goal_mem = "≤ 300 MB" if rows == 10000 else ""
        emit(
            "P5",
            f"pre-flight of {rows:,} rows with PDFs: time",
            f"{result['seconds']:.1f}",
            goal_time,
            result["seconds"] <= 10 if goal_time else None,
            "s",
            detail,
        )
        emit(
            "P5",
            f"pre-flight of {rows:,} rows with PDFs: peak RSS",
            f"{result['peak_mib']:.0f}",
            goal_mem,
            result["peak_mib"] * 1.048576 <= 300 if goal_mem else None,
            "MiB",
        )


# ---------------------------------------------------------------------------------- P6


def figure_p6() -> None:
    """``document_closed`` → signed PDF archived, through gunicorn, the worker and the
    emulator's own webhook deliveries (scripts/bench_callbacks.py)."""
    import bench_callbacks

    with bench_callbacks.callbacks_setup() as (base, config, server, tmp):
        samples = bench_callbacks.closed_to_archived_samples(base, config, server, tmp)
    p50, p95 = _percentile(samples, 0.5), _percentile(samples, 0.95)
    detail = (
        f"{len(samples)} documents signed one per {bench_callbacks.SIGN_PACE_SECONDS} s "
        "(below the sandbox limit, so the limit is not the queue); gunicorn + one "
        "db_worker + the emulator delivering its own webhooks"
    )
    emit("P6", "document_closed → signed PDF archived, p50", f"{p50 / 1000:.2f}", unit="s",
         detail=detail)  # fmt: skip
    emit("P6", "document_closed → signed PDF archived, p95", f"{p95 / 1000:.2f}", "≤ 0.5 s",
         p95 <= 500, "s")  # fmt: skip


# ---------------------------------------------------------------------------------- P4


WEBHOOK_UNIT = ROOT / "deploy/systemd/chancela-webhooks.service"


def webhook_layout() -> dict[str, str]:
    """gunicorn's worker class, workers and threads as the production webhook receiver runs
    them (``deploy/systemd/chancela-webhooks.service``), each overridable for a comparison with
    ``BENCH_GUNICORN_CLASS`` / ``BENCH_GUNICORN_WORKERS`` / ``BENCH_GUNICORN_THREADS``."""
    import shlex

    [line] = [x for x in WEBHOOK_UNIT.read_text().splitlines() if x.startswith("ExecStart=")]
    argv = shlex.split(line)
    unit = {"class": "sync", "workers": "1", "threads": "1"}
    for option, key in (("--worker-class", "class"), ("--workers", "workers"),
                        ("--threads", "threads")):  # fmt: skip
        if option in argv:
            unit[key] = argv[argv.index(option) + 1]
    return {key: os.environ.get(f"BENCH_GUNICORN_{key.upper()}", value)
            for key, value in unit.items()}  # fmt: skip


def gunicorn_argv(app: str, port: int) -> list[str]:
    """The one server layout both P4 contenders run under (the production layout)."""
    layout = webhook_layout()
    return [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", layout["workers"], "--threads", layout["threads"],
        "--worker-class", layout["class"], "--graceful-timeout", "5", "--chdir", str(ROOT),
    ]  # fmt: skip


def write_bodies(path: Path, secret: str, start: int, count: int) -> None:
    """``count`` distinct ``sign`` deliveries (the recorded sample, one document each)."""
    from clicksign_emulator import webhook_signature

    template = json.loads((ROOT / "clicksign_emulator/samples/webhooks/sign.json").read_text())
    template_raw = json.dumps(template, separators=(",", ":"), ensure_ascii=False)
    key = template["document"]["key"]
    with path.open("w") as out:
        for index in range(start, start + count):
            raw = template_raw.replace(key, f"bench-{index:08d}-{key[14:]}").encode()
            out.write(f"{webhook_signature(secret, raw)}\t{raw.decode()}\n")


P4_CONNECTIONS = 16


def wrk_run(
    url: str, bodies: Path, seconds: int, connections: int = P4_CONNECTIONS
) -> dict[str, Any]:
    argv = [
        "/usr/bin/wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(ROOT / "scripts/bench_callbacks.lua"), url, "--", str(bodies), "2",
    ]  # fmt: skip
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout  # noqa: S603
    line = next(x for x in out.splitlines() if x.startswith("WRK-RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRK-RESULT "))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def figure_p4() -> None:
    import tempfile

    _django()
    from django.db import connection

    from chancela.callbacks.models import InboundCallback
    from chancela.testing.factories import TEST_WEBHOOK_SECRET, make_config, make_unit
    from chancela.testing.processes import (
        ManagedProcess,
        free_port,
        process_env,
        running,
        wait_for_http,
    )

    if connection.vendor != "postgresql":
        emit("P4", "callbacks/s vs the bare floor", "skipped", detail="needs PostgreSQL")
        return
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-p4-"))
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, "
                "body_sha256 char(64) NOT NULL UNIQUE, body text NOT NULL)"
            )
        config = make_config(make_unit(), webhook_secret=TEST_WEBHOOK_SECRET)
        env = process_env()
        params = connection.settings_dict
        env["BENCH_FLOOR_DSN"] = (
            f"host={params.get('HOST') or '127.0.0.1'} port={params.get('PORT') or 5432} "
            f"dbname={params['NAME']} user={params.get('USER') or 'postgres'}"
            + (f" password={params['PASSWORD']}" if params.get("PASSWORD") else "")
        )
        env["BENCH_FLOOR_SECRET"] = TEST_WEBHOOK_SECRET
        # The warm-up and the measured run each get their own bodies, more than either side
        # sends (the floor ran at 3,600/s on a quiet machine): no body is ever sent twice, so
        # no delivery is a duplicate — and every one must be stored (checked below).
        rate_ceiling = 5000
        results: dict[str, list[dict[str, Any]]] = {"floor": [], "chancela": []}
        sent = {"floor": 0, "chancela": 0}
        offset = 0
        for _ in range(rounds):
            for side in ("floor", "chancela"):
                port = free_port()
                app = "chancela.wsgi:application"
                if side == "floor":
                    app = "bench_floor_app:application"
                argv = gunicorn_argv(app, port)
                if side == "floor":
                    argv += ["--pythonpath", str(ROOT / "scripts")]
                warm_bodies, bodies = tmp / "warm-up.tsv", tmp / "bodies.tsv"
                write_bodies(warm_bodies, TEST_WEBHOOK_SECRET, offset, rate_ceiling * 2)
                offset += rate_ceiling * 2
                write_bodies(bodies, TEST_WEBHOOK_SECRET, offset, rate_ceiling * seconds)
                offset += rate_ceiling * seconds
                url = (
                    f"http://127.0.0.1:{port}/"
                    if side == "floor"
                    else f"http://127.0.0.1:{port}/callbackclicksign/{config.public_id}"
                )
                server = ManagedProcess(side, argv, env, tmp / f"{side}.log")
                with running(server):
                    wait_for_http(f"http://127.0.0.1:{port}/healthz", process=server)
                    warm = wrk_run(url, warm_bodies, 2)  # connections, caches, imports
                    result = wrk_run(url, bodies, seconds)
                warm_bodies.unlink()
                bodies.unlink()
                for run in (warm, result):
                    if run["wrapped"] or run["non2xx"] or run["socket_errors"]:
                        raise RuntimeError(f"{side}: unclean run {run}")
                sent[side] += warm["requests"] + result["requests"]
                results[side].append(result)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_floor")
            floor_stored = cursor.fetchone()[0]
        stored = InboundCallback.objects.count()
        # wrk does not count the requests still in flight when a run stops (at most one per
        # connection), though the server stores them.
        in_flight = P4_CONNECTIONS * 2 * rounds
        if not all(
            sent[side] <= rows <= sent[side] + in_flight
            for side, rows in (("chancela", stored), ("floor", floor_stored))
        ):
            raise RuntimeError(
                f"rows stored {stored} (floor {floor_stored}) for {sent['chancela']} "
                f"({sent['floor']}) requests: a delivery was lost or taken for a duplicate"
            )
        floor_rate = sum(r["rate"] for r in results["floor"]) / rounds
        ours_rate = sum(r["rate"] for r in results["chancela"]) / rounds
        ratio = ours_rate / floor_rate
        p50 = max(r["p50_us"] for r in results["chancela"]) / 1000
        p99 = max(r["p99_us"] for r in results["chancela"]) / 1000
        pairs = "; ".join(
            f"round {i + 1}: floor {f['rate']:.0f}/s (p50 {f['p50_us'] / 1000:.1f} ms, "
            f"p99 {f['p99_us'] / 1000:.1f} ms), Chancela {c['rate']:.0f}/s "
            f"(p50 {c['p50_us'] / 1000:.1f} ms, p99 {c['p99_us'] / 1000:.1f} ms)"
            for i, (f, c) in enumerate(zip(results["floor"], results["chancela"], strict=True))
        )
        layout = webhook_layout()
        detail = (
            f"{rounds} rounds of {seconds} s, floor and Chancela alternating, 16 connections, "
            f"both under gunicorn {layout['workers']} × {layout['class']} "
            f"({layout['threads']} thread(s) each; the webhook receiver's unit); "
            f"{pairs}. Every delivery was distinct, answered 200 and stored, warm-up included "
            f"(Chancela {stored} rows for {sent['chancela']} requests counted by wrk, floor "
            f"{floor_stored} for {sent['floor']}; wrk leaves out up to one request per "
            "connection still in flight when a run stops)."
        )
        emit(
            "P4",
            "Chancela ÷ bare floor (callbacks/s, same run)",
            round(ratio, 2),
            "≥ 0.35×",
            ratio >= 0.35,
            "×",
            detail,
        )
        emit("P4", "Chancela callbacks/s (floor)", f"{ours_rate:.0f} ({floor_rate:.0f})")
        emit("P4", "Chancela p50 at 16 connections (worst round)", round(p50, 1), unit="ms")
        emit(
            "P4",
            "Chancela p99 at 16 connections (worst round)",
            round(p99, 1),
            "≤ 25 ms",
            p99 <= 25,
            "ms",
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def profile_ingest() -> None:
    """cProfile of ``POST /callbackclicksign/<config>`` through the whole WSGI stack in one
    process (no server, no client): where the time goes, and the SQL of one delivery."""
    import cProfile
    import io
    import pstats

    _django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chancela.testing.factories import TEST_WEBHOOK_SECRET, make_config, make_unit

    count = int(os.environ.get("BENCH_PROFILE_CALLBACKS", "600"))
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from chancela.wsgi import application

        config = make_config(make_unit(), webhook_secret=TEST_WEBHOOK_SECRET)
        path = Path(tempfile.mkdtemp(prefix="bench-profile-")) / "bodies.tsv"
        write_bodies(path, TEST_WEBHOOK_SECRET, 0, count + 20)
        deliveries = [line.rstrip("\n").split("\t", 1) for line in path.open()]

        def post(signature: str, body: str, app: Any = None, path: str = "") -> str:
            import io as _io

            raw = body.encode()
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path or f"/callbackclicksign/{config.public_id}",
                "SCRIPT_NAME": "",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1",
                "SERVER_PORT": "8000",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(raw)),
                "HTTP_CONTENT_HMAC": signature,
                "wsgi.input": _io.BytesIO(raw),
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "wsgi.version": (1, 0),
            }
            status: list[str] = []
            b"".join((app or application)(environ, lambda s, h, *a: status.append(s)))
            return status[0]

        for signature, body in deliveries[:10]:  # warm-up
            assert post(signature, body).startswith("200"), "warm-up failed"
        with CaptureQueriesContext(connection) as queries:
            post(*deliveries[10])
        print(f"SQL of one delivery ({len(queries)} statements):")  # noqa: T201
        for query in queries:
            print("  ", query["sql"][:160])  # noqa: T201
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "")
            backend = cursor.fetchone()[0] if connection.vendor == "postgresql" else None
        cpu, db_cpu = time.process_time(), _process_cpu(backend)
        for signature, body in deliveries[11 : 11 + count // 2]:
            post(signature, body)
        cpu = (time.process_time() - cpu) / (count // 2) * 1000
        db_cpu = (_process_cpu(backend) - db_cpu) / (count // 2) * 1000
        print(  # noqa: T201
            f"CPU per delivery without the profiler: {cpu:.2f} ms in Python, {db_cpu:.2f} ms in "
            f"the PostgreSQL backend ({count // 2} deliveries, load {load()})"
        )
        if backend is not None:
            _profile_floor(connection, count // 2)
        # BENCH_PROFILE_CPU=1: CPU time instead of wall time (waits on PostgreSQL left out).
        timer = time.process_time if os.environ.get("BENCH_PROFILE_CPU") else time.perf_counter
        profiler = cProfile.Profile(timer)
        started = time.perf_counter()
        profiler.enable()
        for signature, body in deliveries[11 + count // 2 : 11 + count]:
            post(signature, body)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(  # noqa: T201
            f"{count - count // 2} deliveries in {elapsed:.2f} s under cProfile: "
            f"{elapsed / (count - count // 2) * 1000:.2f} ms each (one thread, with the profiler)"
        )
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(28)
            print(out.getvalue())  # noqa: T201
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def _process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a local process (the PostgreSQL backend), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _profile_floor(connection: Any, count: int) -> None:
    """The same figure for P4's floor app (scripts/bench_floor_app.py), in this process."""
    import importlib
    import io as _io

    from chancela.testing.factories import TEST_WEBHOOK_SECRET

    params = connection.settings_dict
    os.environ["BENCH_FLOOR_DSN"] = (
        f"host={params.get('HOST') or '127.0.0.1'} port={params.get('PORT') or 5432} "
        f"dbname={params['NAME']} user={params.get('USER') or 'postgres'}"
        + (f" password={params['PASSWORD']}" if params.get("PASSWORD") else "")
    )
    os.environ["BENCH_FLOOR_SECRET"] = TEST_WEBHOOK_SECRET
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, "
            "body_sha256 char(64) NOT NULL UNIQUE, body text NOT NULL)"
        )
    floor = importlib.import_module("bench_floor_app")
    path = Path(tempfile.mkdtemp(prefix="bench-profile-")) / "floor.tsv"
    write_bodies(path, TEST_WEBHOOK_SECRET, 10**6, count + 10)
    deliveries = [line.rstrip("\n").split("\t", 1) for line in path.open()]

    def post(signature: str, body: str) -> None:
        raw = body.encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_LENGTH": str(len(raw)),
                   "HTTP_CONTENT_HMAC": signature, "wsgi.input": _io.BytesIO(raw)}  # fmt: skip
        b"".join(floor.application(environ, lambda s, h, *a: None))

    for signature, body in deliveries[:10]:
        post(signature, body)
    backend = floor._connection().info.backend_pid
    cpu, db_cpu = time.process_time(), _process_cpu(backend)
    for signature, body in deliveries[10:]:
        post(signature, body)
    cpu = (time.process_time() - cpu) / count * 1000
    db_cpu = (_process_cpu(backend) - db_cpu) / count * 1000
    floor._connection().close()
    print(  # noqa: T201
        f"The floor app, same process: {cpu:.2f} ms in Python, {db_cpu:.2f} ms in the "
        f"PostgreSQL backend ({count} deliveries)"
    )


# ----------------------------------------------------------------------------- orchestrator


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} × {cpu}, {mem} GiB RAM, {platform.system()} {platform.release()}"


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def run_figure(figure: str, base_env: dict[str, str]) -> tuple[list[dict[str, Any]], float]:
    env = dict(base_env)
    prefix = env.get("BENCH_DB", "bench_chancela")
    if env.get("CHANCELA_DATABASE_URL"):
        env["CHANCELA_TEST_DATABASE_NAME"] = f"{prefix}_{figure}"
    else:
        env["CHANCELA_TEST_DATABASE_NAME"] = f"/tmp/{prefix}_{figure}.sqlite3"  # noqa: S108
    started = time.monotonic()
    proc = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--figure", figure],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - started
    records = [
        json.loads(line.removeprefix(RESULT))
        for line in proc.stdout.splitlines()
        if line.startswith(RESULT)
    ]
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
        records.append(
            {
                "figure": figure.upper(),
                "what": "FAILED",
                "value": "",
                "unit": "",
                "goal": "",
                "ok": False,
                "detail": " / ".join(tail),
            }
        )
    return records, elapsed


def fmt(record: dict[str, Any]) -> str:
    unit = record["unit"]
    value = f"{record['value']}{unit if unit in ('×', '%', '') else ' ' + unit}"
    if not record["goal"]:
        return value
    verdict = {True: "holds", False: "MISSED", None: ""}[record["ok"]]
    return f"**{value}** of goal {record['goal']} — {verdict}"


def render(
    rows: list[dict[str, Any]],
    timings: dict[str, float],
    figures: list[str],
    started: datetime,
    load_before: str,
    load_after: str,
) -> str:
    commit = subprocess.run(
        ["/usr/bin/git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    db = os.environ.get("CHANCELA_DATABASE_URL", "") or "SQLite"
    db = re.sub(r"//[^@/]*@", "//", db)
    lines = [
        START,
        f"Generated by `make bench` (`scripts/bench.py {' '.join(figures)}`) on "
        f"{started:%Y-%m-%d %H:%M} UTC, commit `{commit}`; {machine()}; database {db}; "
        f"load average (1/5/15 min) before {load_before}, after {load_after}.",
        "",
        "| figure | what | measured | seconds | detail |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        figure = row["figure"]
        lines.append(
            f"| {figure} | {row['what']} | {fmt(row)} | "
            f"{timings.get(figure.lower(), 0):.0f} | {row['detail']} |"
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--figure"]:
        globals()[f"figure_{args[1]}"]()
        return
    if args[:1] == ["--profile"]:
        globals()["profile_ingest"]()
        return
    write = "--write" in args
    figures = [a for a in args if a in FIGURES] or list(FIGURES)
    started = datetime.now(UTC)
    load_before = load()
    rows: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    for figure in figures:
        print(f"== {figure.upper()} …", file=sys.stderr, flush=True)  # noqa: T201
        records, timings[figure] = run_figure(figure, dict(os.environ))
        for record in records:
            print(f"   {record['what']}: {fmt(record)}", file=sys.stderr, flush=True)  # noqa: T201
        rows += records
    block = render(rows, timings, figures, started, load_before, load())
    print(block)  # noqa: T201
    if write:
        text = DOC.read_text()
        if START in text:
            head, rest = text.split(START, 1)
            text = head + block + rest.split(END, 1)[1]
        else:
            text = text.rstrip() + "\n\n## `make bench` (latest run)\n\n" + block + "\n"
        DOC.write_text(text)
    if any(r["ok"] is False and r["what"] == "FAILED" for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
