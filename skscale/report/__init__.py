"""The ``skscale report`` application, one concern a module:

- :mod:`~skscale.report._reading`: a user's table read in one chunked pass
  (its real format from its first bytes, a random sample of rows, the
  streaming scalers fitted over every row, the size estimated first);
- :mod:`~skscale.report._analysis`: from the command's options to one
  :class:`~skscale.report._analysis.Analysis` (the data loaded, the
  candidates built, :func:`skscale.diagnostics.compare_scalers` run, the
  page's notes); the recommendation itself is made in
  :mod:`skscale.diagnostics._verdict`;
- :mod:`~skscale.report._html`: the page drawn from a comparison (every user
  string escaped and isolated);
- :mod:`~skscale.report._writing`: the page written only to a new path or
  over a regular file the user may write, atomically.

:mod:`skscale.cli` parses the options, calls these and prints. A change to
the page goes in ``_html``, to the reading in ``_reading``, to what the
analysis runs in ``_analysis``, to the recommendation in
``skscale.diagnostics._verdict``. Nothing is imported here, so that the
command starts fast and the library imports none of it.
"""
