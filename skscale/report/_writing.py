"""Writing a page without destroying what is there.

``skscale report --out`` and :meth:`ScalerComparison.to_html` write only to a
new path or over an existing regular file that the user may write: a folder,
a symbolic link, a named pipe, a device or a socket at that path is refused,
and so is a file whose mode gives no one the right to write it (even to root,
who could). The checks run before any work (:func:`check_writable`), and
again when the page is written (:func:`write_atomically`), which goes through
a temporary file in the same folder and a rename, so that a reader never sees
half a page and an interrupted run leaves the old file as it was; a file it
replaces keeps its mode (and, where the process may set it, its owner).
"""

import os
import stat
import tempfile
from pathlib import Path

# what lstat says is at a path that is not a regular file, for the message
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _what(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_writable(path):
    """Check that a page may be written at ``path``, changing nothing.

    Returns the ``os.stat_result`` of the regular file that would be
    replaced, or None for a new path. Raises a ValueError whose message
    starts with the path and says what is there and what is expected:
    symbolic links are refused, not followed (the page would land wherever
    the link points); so are anything but a regular file, a read-only file,
    a missing folder and a folder the process may not write into.
    """
    path = Path(path)
    try:
        found = path.lstat()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be inspected ({exc.strerror})") from exc
    if found is not None and not stat.S_ISREG(found.st_mode):
        kind = _what(found.st_mode)
        if kind == "a folder":
            raise ValueError(f"{path}: is a folder; expected a file name")
        if kind == "a symbolic link":
            raise ValueError(
                f"{path}: is a symbolic link (to {os.readlink(path)}); a page is "
                "not written through a link: give the file itself or a new name"
            )
        raise ValueError(
            f"{path}: is {kind}, not a regular file; expected a new file name "
            "or a file the page may replace"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"{path}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(
            f"{path}: the folder {folder} is not writable; expected a folder you "
            "may write into, or another --out"
        )
    if found is not None:
        mode = stat.S_IMODE(found.st_mode)
        if not found.st_mode & 0o222:
            raise ValueError(
                f"{path}: is read-only (mode {mode:o}); expected a file you may "
                "write (chmod u+w) or a new name"
            )
        if not os.access(path, os.W_OK):
            raise ValueError(
                f"{path}: is not writable by you (mode {mode:o}, owner "
                f"{found.st_uid}); expected a file you may write or a new name"
            )
    return found


def write_atomically(path, text):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the
    same folder and a rename, after :func:`check_writable`; a replaced file
    keeps its mode and, where the process may set it, its owner. Nothing is
    left behind when writing fails or is interrupted."""
    path = Path(path)
    found = check_writable(path)
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except PermissionError as exc:
        raise ValueError(
            f"{path}: the folder {path.parent} is not writable ({exc.strerror})"
        ) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if found is None:
            # mkstemp makes the file private; give it the mode open() would
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        else:
            os.chmod(temporary, stat.S_IMODE(found.st_mode))
            if (found.st_uid, found.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(temporary, found.st_uid, found.st_gid)
                except PermissionError:
                    pass  # only root may give a file away: it stays the writer's
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
