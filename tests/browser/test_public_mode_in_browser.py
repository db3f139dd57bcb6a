"""Public mode in a real browser: links naming server files outside the roots reveal nothing (Dataset and
Runs), ``?ds_src=/`` answers at once, training is off, a run trained on the server can be watched but not
stopped and the page goes idle when it ends, link text is shown as typed, no developer chrome, and
prediction still works."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.browser.conftest import ROOT, dashboard, upload_and_read_key, wait_for_app

SECRETS = ("AKIA_SECRET_TOKEN_1234", "db_password=hunter2")
OUTSIDE = "Not available here"


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    """Server files a visitor must not see: a secret CSV, a secret MSD-like CSV, a folder of audio."""
    folder = tmp_path_factory.mktemp("private")
    (folder / "creds.csv").write_text(f"file,key\n{SECRETS[0]},{SECRETS[1]}\n")
    from tests.audio_fixtures import write_key_audio
    write_key_audio(folder / "music" / "TRSECRET.wav", "A minor", seconds=1.0)
    return folder


@pytest.fixture(scope="module")
def public_home(tmp_path_factory):
    """The public server's home: its runs folder (``runs``) and a fresh cache (no generated corpora)."""
    return tmp_path_factory.mktemp("keyscope-public")


@pytest.fixture(scope="module")
def public_url(public_home, chromium_path):
    with dashboard(public_home, KEYSCOPE_PUBLIC="1") as url:
        yield url


def _main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("params", [
    {"ds_src": "creds.csv"}, {"ds_src": "missing.csv"}, {"ds_src": "music"}, {"ds_src": "/"},
    {"ds_src": "/proc/self/environ"}, {"ds_audio": "creds.csv"}, {"ds_audio": "music"}, {"ds_audio": "/"},
])
def test_a_link_to_a_server_file_outside_the_roots_reveals_nothing(page, public_url, private, params):
    params = {k: v if v.startswith("/") else str(private / v) for k, v in params.items()}
    page.goto(f"{public_url}/dataset?{urlencode(params)}")
    wait_for_app(page)
    text = _main_text(page)
    assert OUTSIDE in text, text
    assert not any(s in text for s in SECRETS) and "TRSECRET" not in text
    assert "no such" not in text.lower()  # the same line whether the path exists or not
    assert page.locator("audio").count() == 0 and page.locator('[data-testid="stException"]').count() == 0
    if "ds_src" in params:  # nothing of the refused catalog: no table, no download
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.locator('[data-testid="stDownloadButton"]').count() == 0


def test_training_is_off_and_names_no_file(page, public_url, private):
    secret = private / "creds.csv"
    page.goto(f"{public_url}/train?{urlencode({'tr_data': f'labels:{secret}'})}")
    wait_for_app(page)
    text = _main_text(page)
    assert "Training from the page is off" in text
    assert page.get_by_role("button", name="Start training").count() == 0
    assert not any(s in text for s in SECRETS)


def test_prediction_still_works_in_public_mode(page, public_url, tmp_path):
    from core.estimate.estimators import load_estimator
    from core.estimate.song import predict_song
    from tests.audio_fixtures import write_key_audio

    song = write_key_audio(tmp_path / "song.ogg", "D major", seconds=8.0)
    expected = predict_song(song, load_estimator("default")).key.name
    assert upload_and_read_key(page, public_url, song, timeout_ms=180_000) == expected  # a shared, busy machine


PHISHING = "**Session expired** [Log in again](https://evil.example/login) ![](https://evil.example/pixel.png)"


@pytest.mark.parametrize("labels", ["/etc/passwd", "creds.csv", "missing.csv", "music", "/proc/self/environ"])
def test_a_runs_link_to_a_server_file_outside_the_roots_reveals_nothing(page, public_url, private, labels):
    value = labels if labels.startswith("/") else str(private / labels)
    page.goto(f"{public_url}/runs?{urlencode({'ru_labels': value, 'ru_model': 'template:krumhansl'})}")
    wait_for_app(page, 180_000)
    text = _main_text(page)
    assert OUTSIDE in text and "no such" not in text.lower() and "missing" not in text.lower(), text
    assert not any(s in text for s in SECRETS) and "TRSECRET" not in text
    assert page.get_by_role("button", name="Score").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_runs_page_offers_a_stranger_no_deleting_and_names_no_server_path(page, public_url):
    page.goto(f"{public_url}/runs")
    wait_for_app(page, 180_000)
    text = _main_text(page)
    assert "Delete runs" not in text and page.get_by_role("button", name="Delete").count() == 0
    assert str(ROOT) not in text and ".ogg.ogg" not in text and "/work/" not in text
    first = json.loads((ROOT / "models" / "eqkey-default" / "data.json").read_text())["corpora"][0]
    assert f"python -m core corpus --recipe {first['recipe']} --size {first['size']} --seed {first['seed']}" in text
    track = parse_qs(urlparse(page.url).query).get("ru_track", [""])[0]
    assert not track.startswith("/") and "/work/" not in track


@pytest.mark.parametrize("path, params", [
    ("runs", {"ru_model": PHISHING}), ("runs", {"ru_track": PHISHING}), ("dataset", {"ds_kc": PHISHING}),
    ("predict", {"pr_model": PHISHING}), ("spectrograms", {"sp_ta": PHISHING}),
])
def test_link_text_is_shown_as_typed_never_as_a_link_or_image(page, public_url, path, params):
    page.goto(f"{public_url}/{path}?{urlencode(params)}")
    wait_for_app(page, 180_000)
    main = page.locator('[data-testid="stMain"]')
    assert "Session expired" in main.inner_text() and "Log in again" in main.inner_text()
    assert main.locator('a[href*="evil.example"]').count() == 0 and main.locator('img[src*="evil.example"]').count() == 0
    assert main.locator("strong", has_text="Session expired").count() == 0


@pytest.mark.parametrize("params, line", [
    ({"ds_src": "\x00"}, "Not a usable path"), ({"ds_audio": "\x00"}, "Not a usable path"),
    ({"ds_src": "~nosuchuser/x.h5"}, "Not a usable path"), ({"ds_src": "~/x.h5"}, OUTSIDE),
])
def test_dataset_text_that_names_no_file_gets_one_line(page, public_url, params, line):
    page.goto(f"{public_url}/dataset?{urlencode(params)}")
    wait_for_app(page)
    assert _main_text(page).count(line) == 1 and page.locator('[data-testid="stException"]').count() == 0


def test_visitors_see_no_deploy_button_or_developer_menu(page, public_url):
    page.goto(public_url)
    wait_for_app(page)
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuList"]').inner_text()
    assert "Clear cache" not in menu and "Rerun" not in menu and "Deploy" not in menu


def test_a_run_trained_on_the_server_is_watched_not_stopped_and_the_page_goes_idle(page, public_url, public_home):
    from tests.conftest import train_page_config

    config = train_page_config("synthetic:48")
    folder = public_home / "runs" / config.id
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # "the server's CLI"
    try:
        (folder / "status.json").write_text(json.dumps({"state": "running", "epoch": 1, "epochs": config.epochs,
                                                        "pid": trainer.pid}))
        sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(time.monotonic())))
        page.goto(f"{public_url}/train?tr_data=synthetic:48")
        wait_for_app(page)
        page.wait_for_function("id => document.querySelector('[data-testid=stMain]').innerText"
                               ".includes(`run ${id}: running`)", arg=config.id, timeout=30_000)
        assert page.get_by_role("button", name="Stop").count() == 0
        before = len(sent)
        page.wait_for_timeout(5_000)
        assert len(sent) - before >= 2  # polled every 2 s while the run trains
        (folder / "status.json").write_text(json.dumps({"state": "stopped", "epoch": 1, "epochs": config.epochs}))
        page.wait_for_selector("text=Training from the page is off", timeout=30_000)
        wait_for_app(page)
        page.wait_for_timeout(1_000)
        quiet_from = len(sent)
        page.wait_for_timeout(7_000)
        assert len(sent) == quiet_from  # idle: no more polling once the run ended
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        trainer.kill()
        trainer.wait()


def test_the_only_with_audio_label_is_shown_whole(page, public_url):
    page.goto(f"{public_url}/dataset")
    wait_for_app(page)
    label = page.get_by_text("Only with audio", exact=True)
    cut = label.evaluate("""el => { const cut = [];
        for (let e = el; e && e.dataset?.testid !== 'stColumn'; e = e.parentElement)
            if (e.scrollWidth > e.clientWidth + 1) cut.push(e.tagName); return cut; }""")
    assert cut == []
