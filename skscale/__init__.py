"""skscale: scikit-learn compatible feature scaling that shows what scaling did."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skscale")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
