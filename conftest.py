"""Repository-wide pytest set-up.

scikit-learn's estimator checks include array-API checks that run on NumPy
only when SciPy's array-API mode is on; it must be set before SciPy is
imported, which is why it is set here, at the root, before any collection.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Property tests explore new examples on every developer run; in CI they
# replay a fixed sequence, so that a submission's result does not depend on luck.
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
