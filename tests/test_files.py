import io

import pytest

from phusong.errors import DataError, OutputExistsError
from phusong.io.files import atomic_write_text, load_input


def test_atomic_write_refuses_to_overwrite(tmp_path):
    p = tmp_path / "out" / "a.txt"
    atomic_write_text(p, "one")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        atomic_write_text(p, "two")
    assert p.read_text() == "one"
    atomic_write_text(p, "two", overwrite=True)
    assert p.read_text() == "two"
    assert [f.name for f in p.parent.iterdir()] == ["a.txt"]


def test_load_input_from_upload_object():
    f = io.BytesIO(b"abc")
    f.name = "folder/up.csv"
    raw = load_input(f)
    assert (raw.name, raw.data, raw.suffix) == ("up.csv", b"abc", ".csv")


def test_load_input_limits_size():
    f = io.BytesIO(b"x" * 1000)
    with pytest.raises(DataError, match="larger than"):
        load_input(f, max_bytes=10)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_input(tmp_path / "nope.csv")


def test_atomic_write_gives_normal_permissions(tmp_path):
    import os

    p = atomic_write_text(tmp_path / "p.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~mask)
