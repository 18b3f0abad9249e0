"""BlockScaler: scale within each block of columns, then weight whole blocks."""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from skscale._backends import (
    array_namespace,
    assemble_columns,
    block_size,
    check_finite,
    columns_of,
    map_rows,
    refuse_dask,
    validate_any,
)
from skscale._backends.array_api import to_host
from skscale.preprocessing._base import FLOAT_DTYPES, _AffineScaler
from skscale.preprocessing._zscore import ZScoreScaler
from skscale.utils._block_columns import resolve_blocks
from skscale.utils._sklearn_compat import (
    CallbackSupportMixin,
    HasMethods,
    StrOptions,
    _fit_context,
    callback_task,
    check_same_namespace,
    sub_estimator_task,
    validate_data,
    wrap_like_transform,
)
from skscale.utils._validation import (
    describe_columns,
    reject_non_numeric_columns,
    warn_user,
)


class BlockScaler(
    CallbackSupportMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Scale each block of columns, then give every block the same weight.

    A multi-omics table puts blocks side by side: gene expression, proteins,
    metabolites. Scaling each column alone makes features comparable but not
    blocks: a block of 5,000 genes still outweighs one of 20 metabolites, and
    dominates PCA and every distance. ``BlockScaler`` scales each block with a
    clone of ``scaler``, then multiplies the whole block by one weight:

    - ``"mfa"``: ``1 / s1``, where ``s1`` is the first singular value of the
      (centred) scaled block divided by ``sqrt(n_samples)``, as in Multiple
      Factor Analysis (Escofier and Pagès 1994; FactoMineR's ``MFA``): every
      block's first principal-component variance becomes 1, so no block can
      own the first component by size alone;
    - ``"total_variance"``: every block's total variance becomes 1;
    - ``"sqrt_features"``: ``1 / sqrt(number of columns in the block)``;
    - ``None``: no block weight (each block scaled by ``scaler`` only).

    Columns in no block pass through unchanged (with a warning naming them);
    the output keeps the input's column order and names.

    Parameters
    ----------
    blocks : dict
        Block name -> its columns: a list of column names or of integer
        indices, a boolean mask, a ``slice``, or a callable such as
        :func:`sklearn.compose.make_column_selector` that takes the ``X``
        given to ``fit`` and returns any of these. Blocks must not overlap.
    scaler : transformer, default=None
        Scales the columns of each block (a clone per block, in ``scalers_``).
        ``None`` means ``ZScoreScaler()``.
    weighting : {"mfa", "total_variance", "sqrt_features"} or None, default="mfa"
        How each scaled block is weighted, as above.
    copy : bool, default=True
        If False, ``transform`` writes into the input when it is a writeable
        float array.

    Attributes
    ----------
    blocks_ : dict of str -> ndarray of int
        Column indices of each block, resolved at ``fit``.
    scalers_ : dict of str -> transformer
        The fitted scaler of each block (None for an empty block).
    block_weights_ : pandas.Series
        The weight of each block, indexed by block name.
    passthrough_ : ndarray of int
        Indices of the columns in no block (in the input's array namespace and
        on its device after a fit on array API input).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` had string column
        names.

    See Also
    --------
    ZScoreScaler : The default within-block scaler.
    ParetoScaler : A gentler within-block scaler for metabolite blocks.

    Notes
    -----
    Missing values are left to the block's scaler (skscale's scalers skip them
    and keep them); for the block weight they count as the block's mean, that
    is, they add no variance.

    References
    ----------
    Escofier, B. and Pagès, J. (1994). Multiple factor analysis (AFMULT
    package). Computational Statistics & Data Analysis 18(1):121-140.

    Abdi, H., Williams, L. J. and Valentin, D. (2013). Multiple factor analysis:
    principal component analysis for multitable and multiblock data sets.
    WIREs Computational Statistics 5(2):149-179.

    Examples
    --------
    >>> import numpy as np
    >>> from skscale.preprocessing import BlockScaler
    >>> rng = np.random.default_rng(0)
    >>> genes = rng.normal(size=(50, 30))          # 30 columns
    >>> metabolites = rng.normal(size=(50, 3))     # 3 columns
    >>> X = np.hstack([genes, metabolites])
    >>> scaler = BlockScaler({"genes": slice(0, 30), "metabolites": slice(30, 33)})
    >>> Xt = scaler.fit_transform(X)
    >>> scaler.block_weights_.round(3)
    genes          0.565
    metabolites    0.920
    Name: weight, dtype: float64
    >>> for name, cols in scaler.blocks_.items():  # first eigenvalue of each block
    ...     block = Xt[:, cols] - Xt[:, cols].mean(axis=0)
    ...     print(name, round(float(np.linalg.svd(block)[1][0] ** 2 / 50), 6))
    genes 1.0
    metabolites 1.0
    """

    _parameter_constraints: dict = {
        "blocks": [Mapping],
        "scaler": [HasMethods(["fit", "transform"]), None],
        "weighting": [StrOptions({"mfa", "total_variance", "sqrt_features"}), None],
        "copy": ["boolean"],
    }

    def __init__(self, blocks, *, scaler=None, weighting="mfa", copy=True):
        self.blocks = blocks
        self.scaler = scaler
        self.weighting = weighting
        self.copy = copy

    def _get_scaler(self):
        return ZScoreScaler() if self.scaler is None else self.scaler

    def _feature_names(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else list(names)

    def _accepts_sparse(self):
        return get_tags(self._get_scaler()).input_tags.sparse

    def _validate(self, X, *, reset):
        if reset and not isinstance(self._get_scaler(), _AffineScaler):
            # a dask input would be loaded into memory by the block scaler
            refuse_dask(
                X,
                "BlockScaler on dask input needs skscale scalers, which reduce "
                f"dask chunks on the workers; {type(self._get_scaler()).__name__} "
                "would load the data into memory.",
            )
        # fit (reset) needs the row counts: block weights divide by them
        return validate_any(
            self,
            X,
            reset=reset,
            validate_in_memory=self._validate_in_memory,
            known_rows=reset,
        )

    def _validate_in_memory(self, X, *, reset):
        reject_non_numeric_columns(X, type(self).__name__)
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=FLOAT_DTYPES,
            ensure_all_finite=False,
            accept_sparse=("csr", "csc") if self._accepts_sparse() else False,
        )

    # -------------------------------------------------------------- weights

    def _block_weight(self, block, scaler, values):
        """The weight of one block (its columns of X, and its fitted scaler)."""
        if self.weighting is None:
            return 1.0
        if self.weighting == "sqrt_features":
            return 1.0 / np.sqrt(values.shape[1])
        size = block_size(scaler.transform(values), self.weighting)
        if not (np.isfinite(size) and size > 0):
            warn_user(
                f"BlockScaler: block {block!r} has no variance after scaling; "
                "its weight is 1.",
            )
            return 1.0
        return 1.0 / size

    # ------------------------------------------------------------ estimator

    @_fit_context(
        # the block scaler is validated when it is fitted
        prefer_skip_nested_validation=False
    )
    @callback_task(subtasks=lambda scaler, X: len(scaler.blocks))
    def fit(self, X, y=None):
        """Resolve the blocks, fit each block's scaler and compute block weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted scaler.
        """
        original = X
        X = self._validate(X, reset=True)
        names = self._feature_names()
        check_finite(X, feature_names=names)
        blocks = resolve_blocks(self.blocks, original, names, X.shape[1])
        in_block = np.zeros(X.shape[1], dtype=bool)
        for columns in blocks.values():
            in_block[columns] = True
        passthrough = np.flatnonzero(~in_block)
        if passthrough.size:
            warn_user(
                f"BlockScaler: {describe_columns(passthrough, names)} "
                f"{'is' if passthrough.size == 1 else 'are'} in no block and "
                "pass through unchanged.",
            )
        space = array_namespace(X)
        scalers, weights = {}, {}
        for block, columns in blocks.items():
            if columns.size == 0:
                scalers[block], weights[block] = None, 1.0
                continue
            scaler = clone(self._get_scaler())
            values = columns_of(X, columns)
            with sub_estimator_task(self, scaler, f"block {block!r}"):
                scaler.fit(values)
            scalers[block] = scaler
            weights[block] = self._block_weight(block, scaler, values)
        self.blocks_ = blocks
        # fitted array attributes live in the input's namespace
        self.passthrough_ = (
            passthrough
            if space is None
            else space.xp.asarray(passthrough, device=space.device)
        )
        self.scalers_ = scalers
        self.block_weights_ = pd.Series(weights, name="weight", dtype=np.float64)
        return self

    def _passthrough_columns(self):
        """``passthrough_`` as a NumPy array (it lives in the input's
        namespace after a fit on array API input)."""
        return np.asarray(to_host(self.passthrough_))

    def _apply(self, X, copy, inverse):
        check_is_fitted(self)
        method = "inverse_transform" if inverse else "transform"
        check_same_namespace(X, self, attribute="passthrough_", method=method)
        copy = self.copy if copy is None else copy
        what = "X passed to inverse_transform" if inverse else "X"

        def in_memory(original):
            X = self._validate(original, reset=False)
            check_finite(X, feature_names=self._feature_names(), what=what)
            return self._assemble(X, original, copy, inverse)

        return map_rows(self, X, in_memory, self._map_block, inverse)

    def _map_block(self, block, inverse):
        """Transform (or invert) one in-memory block of a dask array."""
        return self._assemble(block, block, True, inverse)

    def _assemble(self, X, original, copy, inverse):
        """Every block scaled (or inverted), one at a time, and put back with
        the passthrough columns, in X's kind."""
        blocks = (
            (columns, self._block_values(block, columns_of(X, columns), inverse))
            for block, columns in self.blocks_.items()
            if self.scalers_[block] is not None
        )
        return assemble_columns(
            X, blocks, self._passthrough_columns(), original=original, copy=copy
        )

    def _block_values(self, block, values, inverse):
        scaler = self.scalers_[block]
        weight = float(self.block_weights_[block])
        if not inverse:
            return scaler.transform(values) * weight
        if not hasattr(scaler, "inverse_transform"):
            raise ValueError(
                f"BlockScaler cannot invert block {block!r}: its scaler "
                f"{type(scaler).__name__} has no inverse_transform."
            )
        return scaler.inverse_transform(values / weight)

    def transform(self, X, copy=None):
        """Scale every block and multiply it by its weight.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to scale.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_tr : ndarray of shape (n_samples, n_features)
            Scaled data, in the input's column order and float dtype.
        """
        return self._apply(X, copy, inverse=False)

    def inverse_transform(self, X, copy=None):
        """Undo the block weights and the block scalers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data as returned by ``transform``.
        copy : bool, default=None
            Copy the input; ``None`` uses the ``copy`` parameter.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Data in the original units; a DataFrame when
            ``set_output(transform="pandas")`` was set.
        """
        return wrap_like_transform(self, self._apply(X, copy, inverse=True), X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self._get_scaler()).input_tags.allow_nan
        tags.input_tags.sparse = self._accepts_sparse()
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        # on the device with every scaler that runs there
        tags.array_api_support = get_tags(self._get_scaler()).array_api_support
        return tags
