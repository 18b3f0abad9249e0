"""``python -m skscale`` runs the ``skscale`` command."""

import sys

from skscale.cli import main

if __name__ == "__main__":
    sys.exit(main())
