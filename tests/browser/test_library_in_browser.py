"""The Library page in a real browser: scan a folder, read the table and the wheel, pick a key segment, see
what mixes with it, download CSV and M3U."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlencode

from tests.audio_fixtures import write_key_audio
from tests.browser.conftest import wait_for_app

ERROR = '[data-testid="stException"]'
SONGS = {"one.wav": "C major", "sub/two.flac": "A minor", "sub/deep/three.ogg": "G major", "four.mp3": "D major"}


def test_scan_table_wheel_compatible_tracks_and_downloads(page, app_url, tmp_path):
    music = tmp_path / "music"
    for name, key in SONGS.items():
        write_key_audio(music / name, key, seconds=8.0)
    # the shared server's library database is its own (KEYSCOPE_CACHE), empty until this scan
    page.goto(f"{app_url}/library?{urlencode({'li_src': str(music)})}")
    wait_for_app(page)
    assert "No library yet" in page.locator('[data-testid="stMain"]').inner_text()
    page.get_by_role("button", name="Scan the folder").click()
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=400_000)  # the server loads TensorFlow first
    wait_for_app(page, 120_000)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "4 files: 4 analysed (0 with errors)" in main and "4 of 4 tracks" in main
    assert page.locator(ERROR).count() == 0
    wheel_text = page.locator(".js-plotly-plot").first.inner_text()
    assert "8B" in wheel_text and "10B" in wheel_text  # segment labels on the wheel

    page.locator('[data-testid="stSelectbox"]', has_text="Key segment").click()
    page.get_by_role("option", name="8B ·").first.click()
    page.wait_for_selector('h3:has-text("Mixes with 8B")', timeout=60_000)
    wait_for_app(page)
    assert "li_key=8B" in page.url

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["track"]: r["key"] for r in rows} == {"one.wav": "8B", "sub/two.flac": "8A",
                                                    "sub/deep/three.ogg": "9B", "four.mp3": "10B"}
    with page.expect_download() as download:
        page.get_by_role("button", name="Download M3U").click()
    entries = [line for line in Path(download.value.path()).read_text().splitlines() if not line.startswith("#")]
    # what mixes with C major (8B): itself, its relative A minor (8A), G major (9B), in a harmonic order
    assert sorted(Path(e).name for e in entries) == ["one.wav", "three.ogg", "two.flac"]

    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    wait_for_app(page)
    grid.hover()
    grid.click(position={"x": 18, "y": 52})  # the first row's selection box: four.mp3, D major (10B)
    page.wait_for_selector('h3:has-text("Mixes with 10B")', timeout=60_000)
    wait_for_app(page)
    assert "four.mp3" in page.locator('[data-testid="stMain"]').inner_text()
