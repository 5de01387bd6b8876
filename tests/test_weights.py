"""Pretrained weights reach students: the release puts them beside the notebook with a manifest,
or a course URL serves them; the notebook finds them in one documented order and never hangs."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from cnn_course.utils import weights

NAME = "yolo_road"
FILENAME = weights.get(NAME).filename
CONTENT = b"pretend these are detector weights\n" * 1000


@pytest.fixture()
def folders(tmp_path, monkeypatch):
    """A notebook folder (assets), an empty weights cache, and a folder served over HTTP."""
    assets, cache, served = tmp_path / "notebook", tmp_path / "cache", tmp_path / "served"
    for folder in (assets, cache, served):
        folder.mkdir()
    monkeypatch.setenv("CNN_COURSE_ASSETS", str(assets))
    monkeypatch.setenv("CNN_COURSE_WEIGHTS", str(cache))
    return assets, cache, served


@pytest.fixture()
def server(folders):
    """An HTTP server on 127.0.0.1 serving the `served` folder; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folders[2]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/weights"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):  # serve /weights/<file> from the folder
        return super().translate_path(path.replace("/weights/", "/", 1))

    def log_message(self, *args):
        pass


def _manifest(folder: Path, url: str = "", sha: str | None = None) -> None:
    entry = {"name": NAME, "sha256": sha or hashlib.sha256(CONTENT).hexdigest(),
             "bytes": len(CONTENT)}
    (folder / weights.MANIFEST).write_text(json.dumps({"weights_url": url,
                                                       "weights": {FILENAME: entry}}))


def test_the_file_beside_the_notebook_comes_first(folders, capsys):
    assets, cache, _ = folders
    (assets / FILENAME).write_bytes(CONTENT)
    (cache / FILENAME).write_bytes(b"an older file in the cache")
    _manifest(assets)
    assert weights.locate(NAME) == assets / FILENAME
    assert "beside the notebook" in capsys.readouterr().out


def test_the_cache_comes_second(folders, capsys):
    assets, cache, _ = folders
    (cache / FILENAME).write_bytes(CONTENT)
    assert weights.locate(NAME) == cache / FILENAME
    assert "in the cache" in capsys.readouterr().out


def test_a_file_that_does_not_match_the_manifest_is_ignored(folders, capsys):
    assets, cache, _ = folders
    (assets / FILENAME).write_bytes(b"a corrupted copy")
    _manifest(assets)
    assert weights.locate(NAME) is None
    assert "does not match the course manifest" in capsys.readouterr().out


def test_missing_weights_give_a_sentence_without_make(folders):
    assert weights.locate(NAME, verbose=False) is None
    message = weights.missing_message(NAME)
    assert FILENAME in message and "course staff" in message
    assert "make" not in message.replace("makes", "")


def test_the_course_url_downloads_checks_and_caches(folders, server, capsys):
    assets, cache, served = folders
    (served / FILENAME).write_bytes(CONTENT)
    _manifest(assets, url=server)
    path = weights.locate(NAME)
    assert path == cache / FILENAME and path.read_bytes() == CONTENT
    out = capsys.readouterr().out
    assert "downloaded" in out and "checksum verified" in out
    (served / FILENAME).unlink()  # the second time, the cache answers: no download
    assert weights.locate(NAME) == cache / FILENAME
    assert "in the cache" in capsys.readouterr().out


def test_a_wrong_checksum_is_refused_and_nothing_is_cached(folders, server, capsys):
    assets, cache, served = folders
    (served / FILENAME).write_bytes(CONTENT + b"tampered")
    _manifest(assets, url=server)
    assert weights.locate(NAME) is None
    out = capsys.readouterr().out
    assert "SHA-256" in out and "was not used" in out
    assert list(cache.iterdir()) == [], "a refused download must leave nothing in the cache"


def test_a_missing_file_on_the_server_is_a_sentence(folders, server, capsys):
    assets, cache, _ = folders
    _manifest(assets, url=server)
    assert weights.locate(NAME) is None
    assert "could not download" in capsys.readouterr().out and list(cache.iterdir()) == []


def test_an_unreachable_url_fails_fast(folders, capsys):
    assets, cache, _ = folders
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _manifest(assets, url=f"http://127.0.0.1:{port}/weights")
    start = time.monotonic()
    assert weights.locate(NAME) is None
    assert time.monotonic() - start < 5
    assert "could not download" in capsys.readouterr().out and list(cache.iterdir()) == []


def test_a_server_that_never_answers_is_given_up_after_the_timeout(folders, capsys):
    assets, cache, _ = folders
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts connections, never answers
    try:
        _manifest(assets, url=f"http://127.0.0.1:{silent.getsockname()[1]}/weights")
        start = time.monotonic()
        assert weights.locate(NAME, timeout=1.0) is None
        assert time.monotonic() - start < 5
    finally:
        silent.close()
    assert "could not download" in capsys.readouterr().out and list(cache.iterdir()) == []


def test_release_assets_put_wheel_weights_and_manifest_beside_the_notebook(folders, tmp_path,
                                                                           monkeypatch):
    from cnn_course.graders.authoring.assets import add_assets
    from cnn_course.graders.authoring.notebooks import wheel_name

    _, cache, _ = folders
    (cache / FILENAME).write_bytes(CONTENT)
    (cache / f"{NAME}.json").write_text('{"metrics": {"map50": 0.5}}')
    wheel = tmp_path / wheel_name()
    wheel.write_bytes(b"a wheel")
    released = tmp_path / "release"
    released.mkdir()
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "wheel")
    monkeypatch.setenv("CNN_COURSE_WEIGHTS_URL", "")
    manifest = add_assets(released, "w3a1_car_detection", wheel)
    assert (released / wheel.name).read_bytes() == b"a wheel"
    assert (released / FILENAME).read_bytes() == CONTENT and (released / f"{NAME}.json").exists()
    on_disk = json.loads((released / weights.MANIFEST).read_text())
    assert on_disk == manifest
    assert manifest["weights"][FILENAME]["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert manifest["package"]["file"] == wheel.name
    # the notebook, run in that folder, finds them beside itself
    monkeypatch.setenv("CNN_COURSE_ASSETS", str(released))
    (cache / FILENAME).unlink()
    assert weights.locate(NAME, verbose=False) == released / FILENAME


def test_with_a_course_url_the_release_records_weights_without_copying(folders, tmp_path,
                                                                       monkeypatch):
    from cnn_course.graders.authoring.assets import add_assets

    _, cache, _ = folders
    (cache / FILENAME).write_bytes(CONTENT)
    released = tmp_path / "release"
    released.mkdir()
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "cnn-course==0.1.0")
    monkeypatch.setenv("CNN_COURSE_WEIGHTS_URL", "https://course.example.org/weights/")
    manifest = add_assets(released, "w3a1_car_detection")
    assert not (released / FILENAME).exists() and not list(released.glob("*.whl"))
    assert manifest["weights_url"] == "https://course.example.org/weights"
    assert manifest["package"] == {"install": "cnn-course==0.1.0"}
    assert FILENAME in manifest["weights"]


def test_unbuilt_weights_are_listed_as_missing(folders, tmp_path, monkeypatch):
    from cnn_course.graders.authoring.assets import add_assets

    released = tmp_path / "release"
    released.mkdir()
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "cnn-course==0.1.0")
    monkeypatch.setenv("CNN_COURSE_WEIGHTS_URL", "")
    manifest = add_assets(released, "w2a1_residual_networks")
    assert manifest["missing"] == ["resnet50_signs"] and manifest["weights"] == {}
