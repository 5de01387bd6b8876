"""The registry's rules: generate once, never overwrite, report the source, refuse partial
copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_course.datasets import _registry as reg


@pytest.fixture()
def toy(monkeypatch):
    calls = []

    def generate(folder: Path) -> None:
        calls.append(folder)
        (folder / "a.txt").write_text("generated a")
        (folder / "sub").mkdir()
        (folder / "sub" / "b.txt").write_text("generated b")

    def validate(folder: Path) -> None:
        if (folder / "a.txt").read_text() == "corrupt":
            raise reg.DatasetError(f"{folder / 'a.txt'} is corrupt")

    dataset = reg.Dataset("toy", "Toy", ("a.txt", "sub/"), generate, validate)
    monkeypatch.setitem(reg.REGISTRY, "toy", dataset)
    return dataset, calls


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    assert reg.data_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def test_generated_once_then_reused(toy, tmp_path, capsys):
    dataset, calls = toy
    folder, source = reg.prepare("toy", tmp_path)
    assert source == "stand-in" and len(calls) == 1
    assert (tmp_path / "a.txt").read_text() == "generated a"
    assert (tmp_path / "sub" / "b.txt").exists()
    assert "generating the offline stand-in" in capsys.readouterr().out
    assert reg.prepare("toy", tmp_path) == (tmp_path, "stand-in") and len(calls) == 1
    assert "using the generated stand-in" in capsys.readouterr().out
    leftovers = [p for p in tmp_path.iterdir() if "-tmp-" in p.name]
    assert not leftovers, "the temporary folder is cleaned up"


def test_two_processes_preparing_at_once_take_turns(toy, tmp_path):
    """Parallel test workers (or two notebooks started together) generate a stand-in once."""
    import threading
    import time
    from dataclasses import replace

    dataset, calls = toy
    reg.REGISTRY["toy"] = replace(
        dataset, generate=lambda folder: (time.sleep(0.5), dataset.generate(folder)))
    results, errors = [], []

    def run():
        try:
            results.append(reg.prepare("toy", tmp_path, verbose=False))
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [(tmp_path, "stand-in")] * 2
    assert len(calls) == 1, "the second one waited and found the stand-in ready"


def test_original_files_are_used_as_they_are(toy, tmp_path, capsys):
    dataset, calls = toy
    (tmp_path / "a.txt").write_text("original a")
    (tmp_path / "sub").mkdir()
    assert reg.prepare("toy", tmp_path)[1] == "original" and not calls
    assert (tmp_path / "a.txt").read_text() == "original a"
    assert "using the original files" in capsys.readouterr().out


def test_a_partial_copy_is_refused_and_nothing_is_overwritten(toy, tmp_path):
    dataset, calls = toy
    (tmp_path / "a.txt").write_text("original a")
    with pytest.raises(reg.DatasetError, match=r"holds a\.txt but not sub/"):
        reg.prepare("toy", tmp_path)
    assert not calls and (tmp_path / "a.txt").read_text() == "original a"


def test_validation_errors_reach_the_caller(toy, tmp_path):
    (tmp_path / "a.txt").write_text("corrupt")
    (tmp_path / "sub").mkdir()
    with pytest.raises(reg.DatasetError, match="a.txt is corrupt"):
        reg.prepare("toy", tmp_path)


def test_remove_deletes_stand_ins_only(toy, tmp_path):
    reg.prepare("toy", tmp_path, verbose=False)
    reg.remove("toy", tmp_path)
    assert not (tmp_path / "a.txt").exists() and not (tmp_path / "sub").exists()
    (tmp_path / "a.txt").write_text("original")
    (tmp_path / "sub").mkdir()
    with pytest.raises(reg.DatasetError, match="not a generated stand-in"):
        reg.remove("toy", tmp_path)
    assert (tmp_path / "a.txt").exists()


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(KeyError, match="known:"):
        reg.get("no-such-dataset")


def test_a_stand_in_from_another_generator_version_is_made_again(toy, tmp_path, capsys):
    from dataclasses import replace

    dataset, calls = toy
    reg.prepare("toy", tmp_path, verbose=False)
    (tmp_path / "sub" / "old.txt").write_text("left by version 1")
    reg.REGISTRY["toy"] = replace(dataset, version=2)
    assert reg.prepare("toy", tmp_path) == (tmp_path, "stand-in") and len(calls) == 2
    assert "another version of its generator" in capsys.readouterr().out
    assert not (tmp_path / "sub" / "old.txt").exists() and (tmp_path / "sub" / "b.txt").exists()
    assert '"version": 2' in dataset.marker(tmp_path).read_text()
    assert reg.prepare("toy", tmp_path, verbose=False) and len(calls) == 2  # now current: reused


def test_original_files_are_never_replaced_whatever_the_version(toy, tmp_path):
    from dataclasses import replace

    dataset, calls = toy
    (tmp_path / "a.txt").write_text("original a")
    (tmp_path / "sub").mkdir()
    reg.REGISTRY["toy"] = replace(dataset, version=7)
    assert reg.prepare("toy", tmp_path, verbose=False) == (tmp_path, "original") and not calls
    assert (tmp_path / "a.txt").read_text() == "original a"
