"""What is at --out before the page is written: only a new path or a regular
file the user may write is written, checked before the analysis starts, and a
replaced file keeps its mode. Each hostile target is left as it was."""

import os
import stat
import time
from pathlib import Path

import pytest

from skscale.cli import main
from skscale.report._writing import check_writable, write_atomically


def _report(out, capsys):
    started = time.perf_counter()
    code = main(["report", "--example", "wine", "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err, time.perf_counter() - started


def _refused_before_the_analysis(out, capsys, match):
    code, stderr, _ = _report(out, capsys)
    assert code != 0
    assert f"skscale: error: --out {out}: " in stderr and match in stderr, stderr
    # refused before any work: no candidate was fitted
    assert "scaling and diagnostics" not in stderr
    return stderr


def test_a_fifo_stays_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    _refused_before_the_analysis(fifo, capsys, "is a named pipe (FIFO)")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe.html"]


def test_a_device_node_stays_a_device(tmp_path, capsys):
    node = tmp_path / "full.html"
    try:  # a copy of /dev/full: needs the right to make device nodes
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs root")
    _refused_before_the_analysis(node, capsys, "is a character device")
    assert stat.S_ISCHR(node.lstat().st_mode)


def test_a_read_only_file_is_left_as_it_was(tmp_path, capsys):
    kept = tmp_path / "kept.html"
    kept.write_text("mine", encoding="utf-8")
    kept.chmod(0o444)
    _refused_before_the_analysis(kept, capsys, "is read-only (mode 444)")
    assert kept.read_text(encoding="utf-8") == "mine"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o444


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symbolic_link_is_refused_not_followed(tmp_path, capsys, dangling):
    target = tmp_path / "elsewhere.html"
    if not dangling:
        target.write_text("theirs", encoding="utf-8")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    _refused_before_the_analysis(link, capsys, f"is a symbolic link (to {target})")
    assert link.is_symlink()
    assert target.exists() != dangling
    if not dangling:
        assert target.read_text(encoding="utf-8") == "theirs"


def test_a_folder_without_write_permission_is_said_first(tmp_path, capsys, monkeypatch):
    # root may write into any folder: the refusal is simulated for the folder
    folder = tmp_path / "shut"
    folder.mkdir()
    real_access = os.access

    def access(path, mode, **kwargs):
        if os.fspath(path) == os.fspath(folder):
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    stderr = _refused_before_the_analysis(
        folder / "r.html", capsys, f"the folder {folder} is not writable"
    )
    assert ".tmp" not in stderr  # no hidden temporary file is named
    assert list(folder.iterdir()) == []


def test_a_missing_folder_and_a_folder_are_refused(tmp_path, capsys):
    _refused_before_the_analysis(
        tmp_path / "nowhere" / "r.html", capsys, "does not exist; create it first"
    )
    _refused_before_the_analysis(tmp_path, capsys, "is a folder; expected a file")


def test_a_replaced_file_keeps_its_mode(tmp_path, capsys):
    private = tmp_path / "report.html"
    private.write_text("old", encoding="utf-8")
    private.chmod(0o600)
    code, stderr, _ = _report(private, capsys)
    assert code == 0, stderr
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "<html" in private.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_what_changed_during_the_analysis_is_checked_again(tmp_path):
    # the page is written only after the same checks, at writing time
    late = tmp_path / "late.html"
    late.write_text("mine", encoding="utf-8")
    assert check_writable(late).st_size == 4
    late.chmod(0o444)
    with pytest.raises(ValueError, match="is read-only"):
        write_atomically(late, "<p>page</p>")
    assert late.read_text(encoding="utf-8") == "mine"
    assert check_writable(tmp_path / "new.html") is None


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(
    tmp_path, monkeypatch
):
    page = tmp_path / "report.html"
    page.write_text("old", encoding="utf-8")

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(page, "<p>new</p>")
    assert page.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_file_of_someone_else_is_said_to_be_not_yours(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs.html"
    theirs.write_text("theirs", encoding="utf-8")
    theirs.chmod(0o644)
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode, **kw: (
            False if os.fspath(path) == os.fspath(theirs) else real_access(path, mode)
        ),
    )
    with pytest.raises(ValueError, match=r"is not writable by you \(mode 644, owner"):
        write_atomically(theirs, "<p>page</p>")
    assert theirs.read_text(encoding="utf-8") == "theirs"


def test_write_atomically_renames_a_temporary_of_the_same_folder(tmp_path, monkeypatch):
    import os

    from skscale.report import _writing

    renamed = []
    real_replace = os.replace

    def spy(source, target):
        renamed.append((source, target))
        return real_replace(source, target)

    monkeypatch.setattr(_writing.os, "replace", spy)
    target = tmp_path / "report.html"
    _writing.write_atomically(target, "<p>µ</p>")
    ((source, destination),) = renamed
    source = Path(source)
    assert source.parent == tmp_path and Path(destination) == target
    assert source.name.startswith(".report.html.") and source.name.endswith(".tmp")
    assert target.read_bytes() == "<p>µ</p>".encode()
