"""skscale: scikit-learn compatible feature scaling that shows what scaling did."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skscale")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "show_config"]


def show_config(file=None):
    """Print skscale's configuration: versions, and which kernels run.

    Parameters
    ----------
    file : file-like, default=None
        Where to print (``sys.stdout`` when None).

    Examples
    --------
    >>> import skscale
    >>> skscale.show_config()  # doctest: +ELLIPSIS
    skscale ...
    python ...
    kernels: ...
    """
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError as Missing
    from importlib.metadata import version as version_of

    from skscale._backends import _compiled

    lines = [
        f"skscale {__version__}",
        f"python {platform.python_version()} ({platform.platform()})",
    ]
    for name in ("numpy", "scipy", "scikit-learn", "pandas"):
        lines.append(f"{name} {version_of(name)}")
    for name in ("dask", "matplotlib", "anndata", "mudata"):
        try:
            lines.append(f"{name} {version_of(name)} (optional)")
        except Missing:
            lines.append(f"{name}: not installed (optional)")
    lines.append(f"kernels: {_compiled.describe()}")
    print("\n".join(lines), file=sys.stdout if file is None else file)
