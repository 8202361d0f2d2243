"""Backfill inputs: JSON Lines, gzip, tar and zip members, and the paths that are refused."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from producers.sources import (
    InputItem,
    InputReader,
    RefusedItem,
    kind_of,
    unsafe_member_name,
)
from schemas.article import article_id_for
from schemas.inputs import RefusedPath, iter_article_files, walk_inputs

STORY = "The foreign minister met her counterpart in Vienna on Tuesday to discuss gas transit. "


def envelope(i: int, **extra: object) -> str:
    return json.dumps({"text": f"{STORY} Item {i}.", "title": f"Story {i}", **extra})


def read(*specs: Path | str, max_bytes: int = 10_000) -> list[InputItem | RefusedItem]:
    return list(InputReader([str(s) for s in specs], max_bytes=max_bytes))


def by_path(items: list[InputItem | RefusedItem]) -> dict[str, InputItem | RefusedItem]:
    return {item.path: item for item in items}


def add_member(tar: tarfile.TarFile, name: str, data: bytes = b"", **fields: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if data else None)


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.tar", "tar"),
        ("a.TAR.GZ", "tar"),
        ("a.tgz", "tar"),
        ("a.tar.xz", "tar"),
        ("a.zip", "zip"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson.gz", "jsonl"),
        ("a.html.gz", "gzip"),
        ("a.txt", "article"),
        ("dir/NOEXT", "article"),
        ("a.png", None),
        ("a.csv.gz", None),
        ("dir/README.md", None),
        ("dir/readme", None),
    ],
)
def test_files_are_read_by_their_name(name, kind):
    assert kind_of(name) == kind


def test_a_file_named_explicitly_is_taken_whatever_its_suffix():
    assert kind_of("notes.csv", named=True) == "article"
    assert kind_of("notes.csv.gz", named=True) == "gzip"


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../up.txt", "a/../../up.txt", "a\\..\\up.txt", "C:\\x.txt", "\\x"]
)
def test_absolute_and_climbing_member_names_are_unsafe(name):
    assert unsafe_member_name(name)


@pytest.mark.parametrize("name", ["a.txt", "dir/a.txt", "./a.txt", "a..b.txt", "dir/..a/b.txt"])
def test_ordinary_member_names_are_safe(name):
    assert unsafe_member_name(name) is None


# -- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_lines_become_articles_and_bad_lines_are_refused_with_their_line(tmp_path):
    lines = [
        envelope(1, published_at="2024-03-01"),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"title": "no body"}),
        json.dumps({"text": "x", "colour": "blue"}),
        envelope(2),
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    items = by_path(read(path))

    good = items[f"{path}:1"]
    assert isinstance(good, InputItem)
    assert good.raw == lines[0].encode()  # the line's own bytes, no line ending
    assert good.content_type == "application/json"
    assert good.published_at == date(2024, 3, 1)
    assert isinstance(items[f"{path}:7"], InputItem)
    assert f"{path}:2" not in items  # a blank line is not an article
    for number, words in [(3, "not JSON"), (4, "not a JSON object"), (5, "exactly one of")]:
        bad = items[f"{path}:{number}"]
        assert isinstance(bad, RefusedItem)
        assert bad.reason == "malformed_envelope"
        assert words in bad.error
        assert bad.raw == lines[number - 1].encode()
    assert "colour" in items[f"{path}:6"].error
    assert len(items) == 6


def test_jsonl_gz_is_streamed_and_a_bom_is_dropped(tmp_path):
    path = tmp_path / "dump.ndjson.gz"
    path.write_bytes(gzip.compress(("\ufeff" + envelope(1) + "\n" + envelope(2)).encode()))
    items = read(path)
    assert [i.path for i in items] == [f"{path}:1", f"{path}:2"]
    assert items[0].raw == envelope(1).encode()
    assert all(isinstance(i, InputItem) for i in items)


def test_an_overlong_jsonl_line_is_refused_and_the_next_line_still_read(tmp_path):
    path = tmp_path / "dump.jsonl"
    long_line = json.dumps({"text": "word " * 5_000})
    path.write_text(f"{envelope(1)}\n{long_line}\n{envelope(3)}\n")
    items = read(path, max_bytes=1_000)
    assert [type(i).__name__ for i in items] == ["InputItem", "RefusedItem", "InputItem"]
    assert items[1].reason == "too_large" and items[1].raw is None
    assert items[2].path == f"{path}:3"


# -- single files and gzip ------------------------------------------------------------------


def test_a_plain_file_over_the_cap_is_refused_unread(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2_001)
    (refused,) = read(big, max_bytes=2_000)
    assert isinstance(refused, RefusedItem)
    assert refused.reason == "too_large" and refused.raw is None
    assert "2,001 bytes" in refused.error


def test_a_gz_file_is_one_article_typed_by_its_inner_name(tmp_path):
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<p>" + STORY.encode() + b"</p>"))
    (item,) = read(page)
    assert isinstance(item, InputItem)
    assert item.raw.startswith(b"<p>The foreign minister")
    assert item.content_type == "text/html"


def test_a_gz_bomb_is_refused_after_reading_only_the_cap(tmp_path):
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a" * 5_000_000))  # 5 MB inflated from ~5 KB
    (refused,) = read(bomb, max_bytes=10_000)
    assert isinstance(refused, RefusedItem) and refused.reason == "too_large"


def test_a_corrupt_gz_is_refused_as_unreadable_and_the_next_input_still_read(tmp_path):
    broken = tmp_path / "broken.txt.gz"
    broken.write_bytes(gzip.compress(STORY.encode() * 20)[:40])
    fine = tmp_path / "fine.txt"
    fine.write_text(STORY)
    refused, item = read(broken, fine)
    assert isinstance(refused, RefusedItem) and refused.reason == "unreadable"
    assert isinstance(item, InputItem) and item.path == str(fine)


# -- tar ------------------------------------------------------------------------------------


def make_tar(path: Path, mode: str = "w:gz") -> None:
    with tarfile.open(path, mode) as tar:
        add_member(tar, "news/a.txt", STORY.encode())
        add_member(tar, "news/b.html", f"<p>{STORY}</p>".encode())
        add_member(tar, "news/lines.jsonl", f"{envelope(1)}\n{{oops\n".encode())
        add_member(tar, "news", type=tarfile.DIRTYPE)
        add_member(tar, "../escape.txt", b"out")
        add_member(tar, "/etc/cron.d/x.txt", b"abs")
        add_member(tar, "news/link.txt", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add_member(tar, "news/hard.txt", type=tarfile.LNKTYPE, linkname="news/a.txt")
        add_member(tar, "news/tty.txt", type=tarfile.CHRTYPE)
        add_member(tar, "news/inner.tar.gz", b"\x1f\x8b")
        add_member(tar, "news/logo.png", b"\x89PNG")
        add_member(tar, "news/.hidden.txt", b"hidden")
        add_member(tar, "__MACOSX/news/._a.txt", b"fork")
        add_member(tar, "news/huge.txt", b"y" * 3_000)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("dump.tar.gz", "w:gz"),
        ("dump.tgz", "w:gz"),
        ("dump.tar.bz2", "w:bz2"),
        ("dump.tar.xz", "w:xz"),
        ("dump.tar", "w"),
    ],
)
def test_tar_members_are_read_one_by_one_and_unsafe_ones_refused(tmp_path, name, mode):
    archive = tmp_path / name
    make_tar(archive, mode)
    items = by_path(read(archive, max_bytes=2_000))
    at = f"{archive}!/"

    assert items[at + "news/a.txt"].raw == STORY.encode()
    assert items[at + "news/a.txt"].content_type == "text/plain"
    assert items[at + "news/a.txt"].modified_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert items[at + "news/b.html"].content_type == "text/html"
    assert items[at + "news/lines.jsonl:1"].raw == envelope(1).encode()
    assert items[at + "news/lines.jsonl:2"].reason == "malformed_envelope"
    reasons = {
        path.removeprefix(at): item.reason
        for path, item in items.items()
        if isinstance(item, RefusedItem)
    }
    assert reasons == {
        "news/lines.jsonl:2": "malformed_envelope",
        "../escape.txt": "unsafe_path",
        "/etc/cron.d/x.txt": "unsafe_path",
        "news/link.txt": "unsafe_path",
        "news/hard.txt": "unsafe_path",
        "news/tty.txt": "unsafe_path",
        "news/inner.tar.gz": "nested_archive",
        "news/huge.txt": "too_large",
    }
    assert len(items) == 3 + len(reasons)  # png, hidden, macOS forks and the folder: skipped


def test_tar_is_read_as_a_stream_that_cannot_seek(tmp_path):
    archive = tmp_path / "dump.tar"
    make_tar(archive, "w")

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

        def seekable(self) -> bool:
            return False

        def seek(self, *_: object) -> int:
            raise OSError("not seekable")

    reader = InputReader([], max_bytes=2_000)
    items = list(reader._tar(OneWay(archive.read_bytes()), "stream.tar"))
    assert "stream.tar!/news/a.txt" in {i.path for i in items}
    assert not any(i.reason == "unreadable" for i in items if isinstance(i, RefusedItem))


@pytest.mark.parametrize(("name", "mode"), [("cut.tar.gz", "w:gz"), ("cut.tar.xz", "w:xz")])
def test_a_truncated_tar_keeps_what_was_read_and_says_the_rest_is_unreadable(tmp_path, name, mode):
    archive = tmp_path / f"full-{name}"
    make_tar(archive, mode)
    cut = tmp_path / name
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    items = read(cut, max_bytes=2_000)
    assert isinstance(items[-1], RefusedItem) and items[-1].reason == "unreadable"
    assert items[-1].path == str(cut)


# -- zip ------------------------------------------------------------------------------------


def test_zip_members_are_read_one_by_one_and_unsafe_ones_refused(tmp_path):
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", STORY)
        z.writestr("sub/lines.jsonl", envelope(1) + "\n")
        z.writestr("sub/page.htm.gz", gzip.compress(f"<p>{STORY}</p>".encode()))
        z.writestr("../up.txt", "up")
        z.writestr("/abs.txt", "abs")
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = 0o120777 << 16  # a symlink, as Info-ZIP stores one
        z.writestr(link, "/etc/passwd")
        z.writestr("inner.zip", b"PK")
        z.writestr("big.txt", "z" * 3_000)
        z.writestr("__MACOSX/._a.txt", "fork")
    items = by_path(read(archive, max_bytes=2_000))
    at = f"{archive}!/"
    assert items[at + "a.txt"].raw == STORY.encode()
    assert items[at + "sub/lines.jsonl:1"].raw == envelope(1).encode()
    assert items[at + "sub/page.htm.gz"].content_type == "text/html"
    assert {
        p.removeprefix(at): i.reason for p, i in items.items() if isinstance(i, RefusedItem)
    } == {
        "../up.txt": "unsafe_path",
        "/abs.txt": "unsafe_path",
        "link.txt": "unsafe_path",
        "inner.zip": "nested_archive",
        "big.txt": "too_large",
    }


def test_a_file_that_is_not_a_zip_is_refused_as_unreadable(tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"this is no zip archive")
    (refused,) = read(fake)
    assert refused.reason == "unreadable" and "fake.zip" in refused.error


# -- folders, globs and symlinks ------------------------------------------------------------


def test_folders_take_articles_and_containers_and_refuse_escaping_symlinks(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "a.txt").write_text(STORY)
    (root / "sub" / "b.jsonl").write_text(envelope(1) + "\n")
    (root / "sub" / "c.png").write_bytes(b"\x89PNG")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(outside, root / "leakdir")
    os.symlink(root / "a.txt", root / "sub" / "alias.txt")  # stays inside: followed
    os.symlink(root, root / "sub" / "loop")  # back to an ancestor: not walked twice
    os.symlink(tmp_path / "gone.txt", root / "dangling.txt")

    items = by_path(read(root))

    assert items[str(root / "a.txt")].raw == STORY.encode()
    assert items[str(root / "sub" / "alias.txt")].raw == STORY.encode()
    assert isinstance(items[f"{root / 'sub' / 'b.jsonl'}:1"], InputItem)
    assert items[str(root / "leak.txt")].reason == "unsafe_path"
    assert items[str(root / "leakdir")].reason == "unsafe_path"
    assert items[str(root / "dangling.txt")].reason == "unreadable"
    assert "secret" not in {i.raw.decode() for i in items.values() if i.raw}
    assert len(items) == 6


def test_a_symlink_into_another_named_root_is_followed(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (second / "b.txt").write_text(STORY)
    os.symlink(second / "b.txt", first / "b.txt")
    found = list(walk_inputs([str(first), str(second)]))
    assert found == [first / "b.txt", second / "b.txt"]


def test_glob_matches_that_escape_the_glob_base_are_refused(tmp_path):
    base, outside = tmp_path / "base", tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    (base / "ok.txt").write_text(STORY)
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside / "secret.txt", base / "secret.txt")
    found = list(walk_inputs([f"{base}/*.txt"]))
    assert found[0] == base / "ok.txt"
    assert isinstance(found[1], RefusedPath) and found[1].reason == "unsafe_path"


def test_process_inputs_leave_escaping_symlinks_out(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(STORY)
    os.symlink("/etc/hostname", tmp_path / "in" / "host.txt")
    assert list(iter_article_files([str(tmp_path / "in")])) == [tmp_path / "in" / "a.txt"]


def test_an_unlistable_folder_is_refused_and_the_walk_goes_on(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "open.txt").write_text(STORY)
    real_scandir = os.scandir

    def scandir(path):  # root lists every folder, so the denial is simulated
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = list(walk_inputs([str(tmp_path)]))
    assert isinstance(found[0], RefusedPath) and found[0].reason == "unreadable"
    assert "Permission denied" in found[0].error
    assert found[1] == tmp_path / "open.txt"


def test_a_missing_input_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read(tmp_path / "nowhere.jsonl")


def test_progress_counts_bytes_of_named_inputs(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text("".join(envelope(i) + "\n" for i in range(50)))
    reader = InputReader([str(path)], max_bytes=10_000)
    assert reader.total_bytes == path.stat().st_size
    assert sum(1 for _ in reader) == 50
    assert reader.bytes_done == path.stat().st_size
    assert InputReader([str(tmp_path)], max_bytes=10).total_bytes is None


def test_article_ids_of_jsonl_lines_match_the_same_json_sent_alone(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text(envelope(7) + "\n")
    (item,) = read(path)
    assert article_id_for(item.raw) == article_id_for(envelope(7).encode())
