"""Public mode in a real browser: links naming server files outside the roots reveal nothing,
``?ds_src=/`` answers at once, training is off, and prediction still works."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.conftest import dashboard, upload_and_read_key, wait_for_app

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
def public_url(tmp_path_factory, chromium_path):
    with dashboard(tmp_path_factory.mktemp("keyscope-public"), KEYSCOPE_PUBLIC="1") as url:
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
    from core.estimators import load_estimator
    from core.predict import predict_song
    from tests.audio_fixtures import write_key_audio

    song = write_key_audio(tmp_path / "song.ogg", "D major", seconds=8.0)
    expected = predict_song(song, load_estimator("default")).key.name
    assert upload_and_read_key(page, public_url, song, timeout_ms=180_000) == expected  # a shared, busy machine
