"""Shared numeric kernels, validation helpers and estimator discovery."""
