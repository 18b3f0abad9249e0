"""Repository-wide pytest set-up.

scikit-learn's estimator checks include array-API checks that run on NumPy
only when SciPy's array-API mode is on; it must be set before SciPy is
imported, which is why it is set here, at the root, before any collection.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
