"""How much memory this process may still take: to refuse, before a long
read, a job that would not fit (rather than swap for an hour or be killed)."""

import os
from pathlib import Path


def _meminfo_available():
    """MemAvailable of /proc/meminfo in bytes (Linux), else None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room():
    """Bytes left under this process's cgroup memory limit (v2, then v1),
    or None when there is no limit to read."""
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            cap = Path(limit).read_text().strip()
            used = int(Path(usage).read_text().strip())
        except (OSError, ValueError):
            continue
        if cap == "max" or not cap.isdigit() or int(cap) >= 1 << 60:
            return None
        return max(0, int(cap) - used)
    return None


def _address_space_room():
    """Bytes left under this process's address-space limit (``ulimit -v``),
    or None without one: past it an allocation fails with MemoryError."""
    try:
        import resource

        limit, _ = resource.getrlimit(resource.RLIMIT_AS)
        if limit == resource.RLIM_INFINITY:
            return None
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return max(0, limit - int(line.split()[1]) * 1024)
    except (ImportError, OSError, ValueError, IndexError):
        return None
    return None


def available_memory():
    """Bytes of memory this process can still use without swapping or
    failing: the system's available memory, or the room left under a
    container's limit or the process's address-space limit when that is
    less; None where none can be read."""
    known = [
        room
        for room in (_meminfo_available(), _cgroup_room(), _address_space_room())
        if room is not None
    ]
    if not known and hasattr(os, "sysconf"):
        try:
            pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            known = [pages] if pages > 0 else []
        except (ValueError, OSError):
            known = []
    return min(known) if known else None


def size_text(n_bytes):
    """Bytes as a person reads them: "820 MB", "13.2 GB"."""
    if n_bytes < 1e9:
        return f"{n_bytes / 1e6:,.0f} MB"
    return f"{n_bytes / 1e9:,.1f} GB"
