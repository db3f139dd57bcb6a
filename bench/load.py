"""Load bench (not a test): N browser sessions upload a 30 s song at once to a local dashboard.

Starts ``streamlit run app.py`` on a free loopback port (``KEYSCOPE_PUBLIC=1``, as deployed), opens
N headless chromium pages on /predict (Debian's ``/usr/bin/chromium`` via Playwright), then all
upload a different 30 s song at the same moment. Per N: seconds from upload to the key (median,
max), to the page finishing, errors, the seconds a fresh tab opened meanwhile (a browser of its own)
takes to show the Dataset page's sliders and to go idle, and the resident memory of the server and its
analysis workers (its process tree): before the round, at its peak, and ``--settle-round`` seconds after
the tabs closed. Every browser runs without CAP_SYS_NICE, so none runs ahead of the server (started as root,
chromium raises itself to nice -8); the uploading tabs' browser runs ``--crowd-nice`` steps nicer (10 by
default), standing in for visitors' own machines, which share no cores with a real server.
Each N runs again with two training runs going (keynet on synthetic data, background processes).
A first upload, before the rounds and not counted, has the analysis workers load the model;
the server runs with ``KEYSCOPE_WORKER_IDLE_S`` (``--worker-idle``), so workers left idle between rounds
exit and the next round starts them again.
Then one session uploads a big WAV (``--big-mb``, 150 MB by default) and closes; the server's
resident memory is read before, at the key, and after the session has closed and the server has
dropped it (Streamlit keeps a closed session for reconnection for about 2 minutes).
Prints a table and writes ``bench/out/load.json``.

    python bench/load.py --sessions 1 4 8 16   # on an otherwise idle machine
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import soundfile as sf
import systems  # noqa: F401 - puts the repository root on sys.path

from core import paths
from core.audio.decode import load_audio
from core.models.config import RunConfig
from core.models.representations import REPRESENTATIONS
from core.models.runs import get_run, request_stop
from core.training.launch import start_in_background

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "load.json"
CHROMIUM = os.environ.get("KEYSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
SR = 22050


def songs(n: int, seconds: float, folder: Path) -> list[Path]:
    """``n`` different songs of ``seconds``: bundled corpus clips joined end to end (FLAC)."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = sorted(paths.DEFAULT_AUDIO_DIR.rglob("*.ogg"))
    per_song = int(np.ceil(seconds / 15.0))
    out = []
    for i in range(n):
        parts = [load_audio(clips[(i * per_song + j) * 7 % len(clips)], sr=SR) for j in range(per_song)]
        path = folder / f"song-{i:02d}.flac"
        sf.write(path, np.concatenate(parts)[:int(seconds * SR)], SR)
        out.append(path)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, worker_idle_s: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, KEYSCOPE_PUBLIC="1", KEYSCOPE_RUNS=str(home / "runs"), KEYSCOPE_CACHE=str(home / "cache"),
               KEYSCOPE_WORKER_IDLE_S=str(worker_idle_s))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(home / "streamlit.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"streamlit did not start; see {home / 'streamlit.log'}")


def rss_mb(pid: int) -> float:
    """A process's resident memory (VmRSS), MB; raises OSError once the process is gone."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the server and its analysis workers), MB;
    raises OSError once the process is gone."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended while the list was read
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = rss_mb(pid), list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            total += rss_mb(child)
        except OSError:
            pass
        todo.extend(children.get(child, []))
    return total


class PeakMemory:
    """Samples a process tree's resident memory (:func:`tree_rss_mb`) every 0.2 s; ``peak_mb`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            except OSError:
                return
            self._stop.wait(0.2)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


async def wait_idle(page, timeout_ms: int) -> float:
    """Wait for the page to go idle: its title shown, then no running indicator, still none 0.3 s later.
    Returns the ``time.monotonic()`` at which that idle stretch began (the 0.3 s check is not counted)."""
    await page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    while True:
        await page.wait_for_function(IDLE, timeout=timeout_ms)
        since = time.monotonic()
        await page.wait_for_timeout(300)
        if await page.evaluate(IDLE):
            return since


async def session(browser, url: str, song: Path, ready: asyncio.Event, start: asyncio.Event,
                  timeout_ms: int) -> dict:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(f"{url}/predict", timeout=timeout_ms)
        await wait_idle(page, timeout_ms)
        uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        ready.set()
        await start.wait()
        began = time.monotonic()
        await uploader.set_input_files(str(song), timeout=timeout_ms)
        await page.wait_for_selector('[data-testid="stMetric"]:has-text("Camelot")', timeout=timeout_ms)
        to_key = time.monotonic() - began
        done = await wait_idle(page, timeout_ms) - began
        failed = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        return {"to_key_s": to_key, "to_finish_s": done, "error": "error shown on page" if failed else None}
    except Exception as err:  # noqa: BLE001 - a session that fails is counted, the round goes on
        return {"to_key_s": None, "to_finish_s": None, "error": f"{type(err).__name__}: {str(err)[:120]}"}
    finally:
        ready.set()
        await context.close()


async def fresh_render(browser, url: str, timeout_ms: int) -> tuple[float | None, float | None]:
    """Seconds a new tab takes to show the Dataset page's sliders, and to go idle (:func:`wait_idle`); None where
    it did not."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    began, sliders_s = time.monotonic(), None
    try:
        await page.goto(f"{url}/dataset", timeout=timeout_ms)
        await page.wait_for_selector('[data-testid="stSlider"]', timeout=timeout_ms)
        sliders_s = time.monotonic() - began
        return sliders_s, await wait_idle(page, timeout_ms) - began
    except Exception:  # noqa: BLE001 - counted as no render
        return sliders_s, None
    finally:
        await context.close()


def chromium_at(folder: Path, niceness: int) -> str:
    """An executable that starts :data:`CHROMIUM` ``niceness`` steps nicer than the server, every thread of it.
    Started as root, chromium raises its browser and GPU processes to nice -8 and resets renderers to 0,
    ahead of the server it measures; without CAP_SYS_NICE (``setpriv``) it keeps the niceness given."""
    wrapper = folder / f"chromium-nice{niceness}"
    wrapper.write_text("#!/bin/sh\nexec setpriv --bounding-set -sys_nice --inh-caps -sys_nice "
                       f'nice -n {niceness} "{CHROMIUM}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def round_(url: str, songs_: list[Path], timeout_ms: int, crowd_chromium: str = CHROMIUM,
                 visitor_chromium: str = CHROMIUM) -> tuple[list[dict], tuple[float | None, float | None]]:
    """Open every page first, then all upload at the same moment; a second after, a fresh tab opens the
    Dataset page in a browser of its own (``visitor_chromium``). The sessions' results and that render's
    seconds (:func:`fresh_render`). The uploading tabs share one browser started by ``crowd_chromium`` (a niced
    one stands in for visitors' own machines)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        crowd = await playwright.chromium.launch(executable_path=crowd_chromium, args=CHROMIUM_ARGS)
        visitor = await playwright.chromium.launch(executable_path=visitor_chromium, args=CHROMIUM_ARGS)
        readies, start = [asyncio.Event() for _ in songs_], asyncio.Event()
        tasks = [asyncio.create_task(session(crowd, url, s, r, start, timeout_ms)) for s, r in zip(songs_, readies)]
        await asyncio.gather(*(r.wait() for r in readies))
        start.set()
        await asyncio.sleep(1.0)
        render_s = await fresh_render(visitor, url, timeout_ms)
        results = await asyncio.gather(*tasks)
        await crowd.close()
        await visitor.close()
        return results, render_s


def start_training(home: Path, count: int) -> list:
    """``count`` background training runs (keynet, synthetic data, many epochs) as a visitor would start them."""
    os.environ["KEYSCOPE_RUNS"] = str(home / "training-runs")
    runs = []
    for seed in range(count):
        config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=500, data="synthetic:2000", split_seed=seed)
        runs.append((config, start_in_background(config)))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not all(
            (getattr(get_run(c), "status", {}) or {}).get("epoch", 0) >= 1 for c, _ in runs):
        time.sleep(1.0)
    return runs


def stop_training(runs: list) -> None:
    for config, process in runs:
        request_stop(config.id)
    for _, process in runs:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def big_song(megabytes: float, song: Path, folder: Path) -> Path:
    """A WAV of about ``megabytes`` (44.1 kHz stereo, 16 bit): ``song`` looped."""
    y = load_audio(song, sr=44100)
    n = int(megabytes * 1e6 / 4)
    path = folder / f"big-{megabytes:g}MB.wav"
    sf.write(path, np.tile(np.column_stack([y, y]), (n // len(y) + 1, 1))[:n], 44100, subtype="PCM_16")
    return path


async def big_upload(url: str, pid: int, song: Path, settle_s: float, timeout_ms: int) -> dict:
    """Server memory around one big upload: idle, at the key, and after the session closed and expired."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        before = tree_rss_mb(pid)
        ready, start = asyncio.Event(), asyncio.Event()
        start.set()
        with PeakMemory(pid) as memory:
            result = await session(browser, url, song, ready, start, timeout_ms)
        at_key = tree_rss_mb(pid)
        await asyncio.sleep(settle_s)  # the closed session outlives its tab for Streamlit's reconnect window
        context = await browser.new_context()  # a later visitor: the server touches its session store
        page = await context.new_page()
        await page.goto(f"{url}/predict", timeout=timeout_ms)
        await wait_idle(page, timeout_ms)
        await context.close()
        await asyncio.sleep(5)
        after = tree_rss_mb(pid)
        await browser.close()
    return {"file_mb": round(song.stat().st_size / 1e6, 1), "to_key_s": result["to_key_s"], "error": result["error"],
            "rss_before_mb": round(before, 1), "rss_peak_mb": round(memory.peak_mb, 1),
            "rss_after_close_mb": round(at_key, 1), "rss_settled_mb": round(after, 1), "settle_s": settle_s}


def summarise(n: int, training_runs: int, results: list[dict], render_s: tuple[float | None, float | None],
              memory: dict) -> dict:
    keys = [r["to_key_s"] for r in results if r["to_key_s"] is not None]
    ends = [r["to_finish_s"] for r in results if r["to_finish_s"] is not None]
    return {"sessions": n, "training_runs": training_runs,
            "to_key_median_s": round(statistics.median(keys), 2) if keys else None,
            "to_key_max_s": round(max(keys), 2) if keys else None,
            "to_finish_max_s": round(max(ends), 2) if ends else None,
            "errors": sum(r["error"] is not None for r in results),
            "error_messages": sorted({r["error"] for r in results if r["error"]}),
            "fresh_sliders_s": None if render_s[0] is None else round(render_s[0], 2),
            "fresh_render_s": None if render_s[1] is None else round(render_s[1], 2),
            **{name: round(mb, 1) for name, mb in memory.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--training", type=int, nargs="+", default=[0, 2], help="training runs going (default 0 then 2)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each uploaded song")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a session may take")
    parser.add_argument("--big-mb", type=float, default=150.0, help="size of the big upload (0: leave it out)")
    parser.add_argument("--settle", type=float, default=150.0,
                        help="seconds to wait after the big upload's session closed")
    parser.add_argument("--settle-round", type=float, default=60.0,
                        help="seconds after a round's tabs closed before its memory is read again")
    parser.add_argument("--worker-idle", type=float, default=30.0,
                        help="the server's KEYSCOPE_WORKER_IDLE_S: idle seconds before analysis workers exit")
    parser.add_argument("--crowd-nice", type=int, default=10,
                        help="steps nicer the uploading tabs' browser runs, standing in for visitors' own machines "
                             "(0: every browser on equal terms with the server)")
    args = parser.parse_args()
    rows, big = [], None
    with tempfile.TemporaryDirectory(prefix="keyscope-load-") as tmp:
        home = Path(tmp)
        all_songs = songs(max(args.sessions), args.seconds, home)
        server, url = start_server(home, args.worker_idle)
        crowd_chromium, visitor_chromium = chromium_at(home, args.crowd_nice), chromium_at(home, 0)
        try:
            # one upload first, not counted: the workers load the model
            warm = songs(1, args.seconds, home / "warm-up")
            asyncio.run(round_(url, warm, int(args.timeout * 1000)))
            for count in args.training:
                runs = start_training(home, count) if count else []
                try:
                    for n in args.sessions:
                        # a fresh set of songs per round: nothing is served from the prediction cache
                        fresh = [s.rename(s.with_name(f"r{len(rows)}-{s.name}")) for s in all_songs[:n]]
                        all_songs[:n] = fresh
                        before = tree_rss_mb(server.pid)
                        with PeakMemory(server.pid) as memory:
                            results, render_s = asyncio.run(round_(url, fresh, int(args.timeout * 1000),
                                                                      crowd_chromium, visitor_chromium))
                        closed = tree_rss_mb(server.pid)
                        time.sleep(args.settle_round)
                        rows.append(summarise(n, count, results, render_s, {
                            "rss_before_mb": before, "rss_peak_mb": memory.peak_mb, "rss_closed_mb": closed,
                            "rss_after_mb": tree_rss_mb(server.pid)}))
                        print(json.dumps(rows[-1]), flush=True)
                        write(args, rows)  # after every round: a cut-short run keeps what it measured
                finally:
                    stop_training(runs)
            if args.big_mb:
                big = asyncio.run(big_upload(url, server.pid, big_song(args.big_mb, all_songs[0], home),
                                             args.settle, int(args.timeout * 1000)))
                print(json.dumps(big), flush=True)
                write(args, rows, big)
        finally:
            server.terminate()
            server.wait(timeout=30)
    header = ["sessions", "training runs", "to key median s", "to key max s", "page done max s", "errors",
              "fresh Dataset: sliders s", "fresh Dataset: idle s", "RSS before MB", "RSS peak MB", "RSS at close MB",
              "RSS after MB"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in rows:
        print(f"| {r['sessions']} | {r['training_runs']} | {r['to_key_median_s']} | {r['to_key_max_s']} | "
              f"{r['to_finish_max_s']} | {r['errors']} | {r['fresh_sliders_s']} | {r['fresh_render_s']} | "
              f"{r['rss_before_mb']} | "
              f"{r['rss_peak_mb']} | {r['rss_closed_mb']} | {r['rss_after_mb']} |")
    if big:
        print(f"big upload ({big['file_mb']} MB): server and workers RSS {big['rss_before_mb']} MB before, peak "
              f"{big['rss_peak_mb']}, {big['rss_after_close_mb']} when its tab closed, {big['rss_settled_mb']} "
              f"{big['settle_s']:g} s later; key in {big['to_key_s']} s, error {big['error']}")
    write(args, rows, big)
    print(f"wrote {OUT.relative_to(ROOT)}")


def write(args: argparse.Namespace, rows: list[dict], big: dict | None = None) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"args": vars(args), "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
                               "rows": rows, "big_upload": big}, indent=2))


if __name__ == "__main__":
    main()
