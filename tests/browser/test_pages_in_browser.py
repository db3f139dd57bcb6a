"""The dashboard in a real browser: every page opens, the slider moves counts, links restore views."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from core.msd import hdf5
from tests.browser.conftest import ROOT, dashboard, dashboards, metric, upload_and_read_key, wait_for_app
from tests.conftest import make_catalog_frame

ERROR = '[data-testid="stException"]'
NAV = '[data-testid="stSidebarNav"]'


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory):
    return hdf5.write_summary(tmp_path_factory.mktemp("msd") / "msd_summary_file.h5", make_catalog_frame(500, seed=7))


def _nav_paths(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    links = page.locator(f"{NAV} a")
    hrefs = (links.nth(i).get_attribute("href") or "" for i in range(links.count()))
    return sorted({href.removeprefix(app_url).strip("/") for href in hrefs})  # "" is the home page


def test_every_page_opens_without_an_error(page, app_url):
    paths = _nav_paths(page, app_url)
    assert "dataset" in paths and len(paths) >= 2, paths
    for path in paths:
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        assert page.locator(ERROR).count() == 0, f"page {path!r} shows an exception"
        assert page.locator("h1").count() >= 1, f"page {path!r} shows no title"
        shot = ROOT / "artifacts" / "screenshots" / f"page-{path or 'home'}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)


def test_moving_the_confidence_slider_changes_the_count(page, app_url, catalog_path):
    page.goto(f"{app_url}/dataset?{urlencode({'ds_src': str(catalog_path)})}")
    wait_for_app(page)
    before = metric(page, "Selected")
    thumb = page.get_by_role("slider", name="Key confidence above")
    for _ in range(30):
        thumb.press("ArrowLeft")  # focuses the thumb each time: a rerun may mount it anew
    # Streamlit reruns while keys arrive: wait until the slider's value holds still, then until the address
    # bar holds it.
    shown = None
    for _ in range(60):
        page.wait_for_timeout(500)
        if thumb.input_value() == shown:
            break
        shown = thumb.input_value()
    value = float(shown)
    page.wait_for_url(re.compile(rf"ds_kc={value:g}\b"), timeout=30_000)
    wait_for_app(page)
    catalog = hdf5.read_catalog(catalog_path)
    expected = ((catalog.key_confidence > value) & (catalog.mode_confidence > 0.75)).sum()
    after = metric(page, "Selected")
    assert value < 0.75
    assert int(after.replace(",", "")) == expected > int(before.replace(",", ""))


def test_a_shared_link_restores_the_view(page, app_url, catalog_path):
    params = {"ds_src": str(catalog_path), "ds_kc": "0.3", "ds_mc": "0.6", "ds_q": "Artist 2"}
    page.goto(f"{app_url}/dataset?{urlencode(params)}")
    wait_for_app(page)
    catalog = hdf5.read_catalog(catalog_path)
    expected = ((catalog.key_confidence > 0.3) & (catalog.mode_confidence > 0.6)
                & catalog.artist_name.str.contains("Artist 2", case=False)).sum()
    assert metric(page, "Selected") == f"{expected:,}"
    assert float(page.get_by_role("slider", name="Key confidence above").input_value()) == 0.3
    assert float(page.get_by_role("slider", name="Mode confidence above").input_value()) == 0.6
    assert page.get_by_label("Artist or title contains").input_value() == "Artist 2"


def test_a_malformed_link_warns_and_falls_back(page, app_url, catalog_path):
    page.goto(f"{app_url}/dataset?{urlencode({'ds_src': str(catalog_path), 'ds_kc': 'high'})}")
    wait_for_app(page)
    assert "ds_kc='high'" in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert page.locator(ERROR).count() == 0


def test_uploading_a_song_shows_its_predicted_key(page, app_url, tmp_path):
    from core.estimate.estimators import load_estimator
    from core.estimate.song import predict_song
    from tests.audio_fixtures import write_key_audio

    song = write_key_audio(tmp_path / "song.flac", "E minor", seconds=8.0)
    expected = predict_song(song, load_estimator("default")).key.name
    assert upload_and_read_key(page, app_url, song) == expected
    assert page.locator(ERROR).count() == 0
    assert page.locator("audio").count() == 1


def test_a_deep_link_to_a_fresh_server_shows_the_app_navigation(page, tmp_path):
    with dashboard(tmp_path) as url:  # no session has run app.py on this server yet
        page.goto(f"{url}/predict")
        wait_for_app(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Home" in nav and "Predict" in nav, nav
        assert page.locator("h1").first.inner_text().endswith("Predict a song")


def test_the_same_song_again_after_download_and_a_window_change(page, app_url, tmp_path):
    """A cached analysis replays: Download, a window change and back, the same file uploaded again."""
    from tests.audio_fixtures import write_key_audio

    song = write_key_audio(tmp_path / "again.wav", "E minor", seconds=6.0)
    page.goto(f"{app_url}/predict?{urlencode({'pr_model': 'template:krumhansl', 'pr_window': '5'})}")
    wait_for_app(page)
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]')

    def shows_the_key():
        page.wait_for_selector('[data-testid="stMetric"]:has-text("Camelot")', timeout=120_000)
        wait_for_app(page, 120_000)
        assert page.locator(ERROR).count() == 0 and page.locator('[data-testid="stAlert"]').count() == 0
        assert metric(page, "Key") == "E minor"

    upload.set_input_files(str(song))
    shows_the_key()
    with page.expect_download() as download:
        page.get_by_text("Download JSON").click()
    assert download.value.suggested_filename == "again-key.json"
    wait_for_app(page)
    shows_the_key()
    slider = page.get_by_role("slider")
    slider.press("ArrowRight")
    wait_for_app(page, 120_000)
    slider.press("ArrowLeft")
    shows_the_key()
    upload.set_input_files(str(song))
    shows_the_key()


def test_every_page_url_opened_first_on_a_fresh_server_gets_the_app(page, app_url, tmp_path):
    paths = _nav_paths(page, app_url)
    app_nav = page.locator(NAV).inner_text()
    assert len(paths) == 7, paths  # home and the six pages
    headings = {}
    for path in paths:
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        headings[path] = page.locator("h1").first.inner_text()
    homes = [tmp_path / (path or "home") for path in paths]
    for home in homes:
        home.mkdir()
    with dashboards(homes) as urls:  # one fresh server per page, started together
        tabs = []
        for path, url in zip(paths, urls):  # each URL is the first request its server gets
            tabs.append(page.context.new_page())
            tabs[-1].goto(f"{url}/{path}")
        for path, tab in zip(paths, tabs):
            wait_for_app(tab, 180_000)
            assert tab.locator(NAV).inner_text() == app_nav, f"{path!r}: not the app's navigation"
            assert tab.locator("h1").first.inner_text() == headings[path], f"{path!r}: another page ran"
            layout = tab.locator('[data-testid="stAppViewContainer"]').get_attribute("data-layout")
            assert (tab.title(), layout) == ("Keyscope", "wide"), f"{path!r}: not app.py's page config"
            assert tab.locator(ERROR).count() == 0, f"{path!r} shows an exception"
            # a pages/ folder made a fresh server say "Page not found" over the right page (a modal that
            # also swallowed the first key presses)
            assert tab.get_by_text("Page not found").count() == 0, f"{path!r}: 'Page not found' dialog"
