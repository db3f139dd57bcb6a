"""Safe to share: public mode's roots, messages without file content, bounded scans, the shared gate,
training limits, watched runs and reaped processes."""
from __future__ import annotations

import os
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.audio.index import LabelsError, attach_audio, read_labels
from core.audio.walk import ScanLimit, find_files
from core.models.config import RunConfig
from core.models.representations import REPRESENTATIONS
from core.models.runs import get_run
from core.msd import hdf5
from core.service.access import OUTSIDE_MESSAGE, OutsideRoots, Policy
from core.service.workload import EXTRA, KEY, Gate
from core.training import fit
from core.training.launch import LimitError, check_limits, start_in_background
from tests.conftest import make_catalog_frame

SECRETS = ("AKIA_SECRET_TOKEN_1234", "db_password=hunter2")


@pytest.fixture
def outside(tmp_path):
    """A secret-holding CSV and folder outside the roots, and a root holding a symlink and a .. path to them."""
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "creds.csv").write_text(f"file,key\n{SECRETS[0]},{SECRETS[1]}\n")
    root = tmp_path / "shared"
    root.mkdir()
    (root / "link").symlink_to(secret)
    return secret, root


def test_public_mode_refuses_every_path_outside_the_roots_alike(outside):
    secret, root = outside
    rules = Policy(public=True, roots=(root.resolve(),))
    tries = [secret / "creds.csv", secret / "missing.csv", secret, "/", "/proc/self/environ",
             root / "link" / "creds.csv", root / ".." / "private" / "creds.csv", root / "link"]
    messages = set()
    for path in tries:
        with pytest.raises(OutsideRoots) as info:
            rules.check(path)
        messages.add(str(info.value))
    assert messages == {OUTSIDE_MESSAGE}
    assert rules.check(root / "catalog.h5") == root.resolve() / "catalog.h5"
    assert Policy(public=False).check(secret / "creds.csv") == (secret / "creds.csv").resolve()


def test_policy_reads_its_settings(tmp_path):
    rules = Policy.from_settings({"KEYSCOPE_PUBLIC": "1", "KEYSCOPE_ROOTS": f"{tmp_path}{os.pathsep}/srv/music",
                                  "KEYSCOPE_WORKERS": "3"}, default_roots=(tmp_path / "data",))
    assert rules.public and not rules.training and rules.workers == 3
    assert [str(r) for r in rules.roots] == [os.path.realpath(p) for p in (tmp_path / "data", tmp_path, "/srv/music")]
    secrets = Policy.from_settings({"KEYSCOPE_PUBLIC": True, "KEYSCOPE_ROOTS": [str(tmp_path)]})
    assert secrets.public and tmp_path.resolve() in secrets.roots
    assert not Policy.from_settings({}).public and Policy.from_settings({"KEYSCOPE_PUBLIC": "0"}).training


def test_labels_and_catalog_errors_name_lines_and_columns_never_values(outside, tmp_path):
    secret, _ = outside
    with pytest.raises(LabelsError) as info:
        read_labels(secret / "creds.csv")
    assert "line 2: unknown key" in str(info.value)
    with pytest.raises(LabelsError) as info:
        attach_audio(make_catalog_frame(3), secret / "creds.csv")
    seed = tmp_path / "seed.csv"
    frame = hdf5.seed_selection(hdf5.with_key_columns(make_catalog_frame(3)))
    frame["key_confidence"] = frame["key_confidence"].astype(object)
    frame.loc[1, "key_confidence"] = SECRETS[1]
    frame.to_csv(seed, index=False)
    with pytest.raises(hdf5.MSDError) as catalog_info:
        hdf5.read_catalog(seed)
    assert "column key_confidence holds values of the wrong type" in str(catalog_info.value)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"file,key\n\xff\xfe" + SECRETS[0].encode() + b"\n")
    with pytest.raises(LabelsError) as binary_info:
        read_labels(binary)
    for message in (info.value, catalog_info.value, binary_info.value):
        assert not any(s in str(message) for s in SECRETS), message


def test_a_bad_file_in_a_folder_is_named_inside_the_folder(tmp_path):
    hdf5.write_subset_tree(tmp_path / "tree", make_catalog_frame(3))
    (tmp_path / "tree" / "Z").mkdir()
    (tmp_path / "tree" / "Z" / "TRBAD.h5").write_text(SECRETS[1])
    with pytest.raises(hdf5.MSDError) as info:
        hdf5.read_catalog(tmp_path / "tree")
    assert str(info.value) == f"{tmp_path / 'tree'}: Z/TRBAD.h5: not a readable HDF5 file"


def test_folder_walks_are_bounded_and_skip_symlinked_folders(tmp_path):
    for i in range(30):
        (tmp_path / "many" / f"d{i}").mkdir(parents=True)
        (tmp_path / "many" / f"d{i}" / "a.WAV").write_bytes(b"")
    (tmp_path / "many" / "loop").symlink_to(tmp_path / "many")
    assert len(find_files(tmp_path / "many", [".wav"])) == 30
    with pytest.raises(ScanLimit, match="choose a smaller folder"):
        find_files(tmp_path / "many", [".wav"], max_entries=20)
    with pytest.raises(ScanLimit):
        find_files("/", [".h5"], max_seconds=0.0)


def test_the_gate_never_lets_more_than_its_slots_run_and_says_when_one_waits():
    gate, running, peak, waits = Gate(2), [0], [0], []
    lock = threading.Lock()

    def work():
        with gate.slot(on_wait=waits.append):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2 and waits and all(ahead >= 1 for ahead in waits) and gate.waiting == 0


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def test_training_limits(runs):
    small = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=3, data="synthetic:48")
    check_limits(small, max_runs=1, max_epochs=5, max_examples=100)
    with pytest.raises(LimitError, match="over this server's limit of 2"):
        check_limits(small, max_runs=1, max_epochs=2, max_examples=100)
    with pytest.raises(LimitError, match="limit of 10 examples"):
        check_limits(small, max_runs=1, max_epochs=5, max_examples=10)
    busy = runs / "abc"
    busy.mkdir(parents=True)
    (busy / "status.json").write_text(f'{{"state": "running", "pid": {os.getpid()}}}')
    with pytest.raises(LimitError, match="1 run\\(s\\) are training already"):
        check_limits(small, max_runs=1, max_epochs=5, max_examples=100)


def test_a_watched_run_stops_when_nobody_watches(runs, monkeypatch):
    monkeypatch.setattr("core.models.runs.WATCH_TIMEOUT_S", -1.0)  # stale at once
    config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=4, data="synthetic:96", batch_size=8)
    stopped = fit.train(config, watched=True)
    assert stopped.state == "stopped" and stopped.status["epoch"] <= 1  # at its first batch's end, not later
    assert fit.train(config, watched=False).state == "finished"  # resumed; no stale watch stops it


def test_a_finished_background_run_is_reaped(runs):
    config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=1, data="synthetic:48")
    process = start_in_background(config)
    deadline = time.time() + 180
    while process.returncode is None and time.time() < deadline:  # set by the reaper thread, not by us
        time.sleep(0.5)
    assert process.returncode == 0 and get_run(config).state == "finished"
    with pytest.raises(ChildProcessError):
        os.waitpid(process.pid, os.WNOHANG)  # already waited for: no zombie left


def _page(name: str, **params) -> AppTest:
    app = AppTest.from_file(f"../views/{name}_page.py", default_timeout=60)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def _texts(app) -> str:
    return " ".join(str(e.value) for kind in ("error", "warning", "info", "markdown", "caption") for e in app.get(kind))


def test_dataset_links_outside_the_roots_reveal_nothing_in_public_mode(outside, monkeypatch):
    secret, root = outside
    monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    shown = []
    for params in ({"ds_src": str(secret / "creds.csv")}, {"ds_src": str(secret / "missing.csv")},
                   {"ds_src": "/"}, {"ds_src": str(root / "link" / "creds.csv")}):
        app = _page("dataset", **params)
        assert not app.exception and len(app.error) == 1
        shown.append(app.error[0].value)
    assert len(set(shown)) == 1 and OUTSIDE_MESSAGE in shown[0]
    audio = _page("dataset", ds_audio=str(secret / "creds.csv"))
    missing = _page("dataset", ds_audio=str(secret / "nothing.csv"))
    assert not audio.exception and audio.warning[0].value == missing.warning[0].value
    assert OUTSIDE_MESSAGE in audio.warning[0].value
    assert not any(s in _texts(audio) for s in SECRETS)


def test_private_mode_messages_carry_no_file_content(outside):
    secret, _ = outside
    app = _page("dataset", ds_audio=str(secret / "creds.csv"))
    assert not app.exception and "line 2: unknown key" in app.warning[0].value
    assert not any(s in _texts(app) for s in SECRETS)


def test_training_from_the_page_is_off_in_public_mode(runs, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    app = _page("train", tr_data="labels:/etc/passwd.csv", tr_epochs="3")
    assert not app.exception and "Training from the page is off" in _texts(app)
    assert not [b for b in app.button if b.key == "tr_start"]
    assert not runs.exists() or not any(runs.iterdir())


def test_the_gate_lets_a_key_in_before_extras_that_queued_earlier_and_a_stopped_waiter_leaves_the_line():
    gate, order, holding = Gate(1), [], threading.Event()
    release = threading.Event()

    def hold():
        with gate.slot():
            holding.set()
            release.wait()

    def work(name, priority, on_wait=None):
        with gate.slot(on_wait=on_wait, priority=priority):
            order.append(name)

    def stop_at_once(place):
        raise RuntimeError("script stopped")

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait()
    waiters = [threading.Thread(target=work, args=("baseline 1", EXTRA)),
               threading.Thread(target=work, args=("baseline 2", EXTRA)),
               threading.Thread(target=work, args=("key", KEY))]
    for thread in waiters:
        thread.start()
        for _ in range(1000):  # queue them in this order
            if gate.waiting == waiters.index(thread) + 1:
                break
            time.sleep(0.01)
    with pytest.raises(RuntimeError):
        work("stopped key", KEY, on_wait=stop_at_once)
    assert gate.waiting == 3
    release.set()
    for thread in [holder, *waiters]:
        thread.join()
    assert order == ["key", "baseline 1", "baseline 2"] and gate.waiting == 0
