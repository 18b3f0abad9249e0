"""AnnData and MuData in, layers out: skscale's (and scikit-learn's)
transformers where single-cell and multi-omics data live.

In scverse's own style (scanpy's ``sc.pp`` functions): each function takes the
container, reads ``X`` or a layer, and writes the result back in place, names,
``obs`` and ``var`` untouched; the batch, the target and the covariates are
``obs`` columns named by key; what was done is recorded in ``uns["skscale"]``.
Unlike ``sc.pp``, the estimator is fitted and returned, so the same fitted
steps apply to held-out cells (:func:`transform`), and a ``Pipeline`` of them
is fitted inside each cross-validation fold.

- :func:`fit_transform` / :func:`transform`: any transformer on ``X`` or a
  layer. An output of the same shape goes to a layer (``key_added``) or in
  place; a selection of genes (:class:`~skscale.preprocessing.HighlyVariableGenes`,
  any ``SelectorMixin``) is a boolean ``var`` column, with the selector's
  per-gene statistics beside it, as scanpy's ``highly_variable_genes`` writes
  them (``subset=True`` keeps only those genes); any other output (PCA
  scores) goes to ``obsm``.
- :func:`block_scaler`: a :class:`~skscale.preprocessing.BlockScaler` whose
  blocks are a MuData's modalities, each block written back to its modality.
- :func:`compare_scalers`: :func:`skscale.diagnostics.compare_scalers` with the
  target, batch and covariates named as ``obs`` columns (and blocks from a
  MuData's modalities).
- :func:`read_sample`: a random sample of the cells of an ``.h5ad`` or
  ``.h5mu`` file, read row by row from disk (a sparse matrix stays sparse),
  for ``skscale report data.h5ad``.

Needs the ``scverse`` extra (``pip install 'skscale[scverse]'``: anndata and
mudata); scanpy is not needed.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from skscale._backends import annotated_kind, is_sparse

__all__ = [
    "AnnotatedSample",
    "block_scaler",
    "compare_scalers",
    "fit_transform",
    "read_sample",
    "transform",
]

# per-gene statistics of a selector, written to var beside its selection
_SELECTOR_STATISTICS = ("means_", "dispersions_", "dispersions_norm_")


def _check_anndata(adata, function):
    if annotated_kind(adata) != "AnnData":
        raise TypeError(
            f"{function} takes an AnnData object; got {type(adata).__name__}. "
            "For a matrix, call the estimator itself."
        )


def _matrix(adata, layer):
    """``adata.X`` or ``adata.layers[layer]``, with a clear error."""
    if layer is None:
        if adata.X is None:
            raise ValueError(
                "adata.X is empty (None); name the layer to read with layer=..."
                f" (layers: {_listed(adata.layers.keys())})."
            )
        return adata.X
    if layer not in adata.layers:
        raise KeyError(
            f"layer={layer!r} is not a layer of this AnnData (layers: "
            f"{_listed(adata.layers.keys())})."
        )
    return adata.layers[layer]


def _listed(keys):
    keys = [repr(k) for k in keys]
    return ", ".join(keys) if keys else "none"


def _obs_column(adata, key, option):
    if key not in adata.obs.columns:
        raise KeyError(
            f"{option}={key!r} is not a column of obs (columns: "
            f"{_listed(adata.obs.columns)})."
        )
    values = adata.obs[key]
    missing = values.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"{option}={key!r}: obs[{key!r}] is missing for {int(missing.sum())} "
            "of the cells; expected a value for every cell."
        )
    return values.to_numpy()


def _estimator_name(estimator):
    steps = getattr(estimator, "steps", None)
    if steps:
        return "+".join(type(step).__name__ for _, step in steps)
    return type(estimator).__name__


def _record(adata, where, estimator, layer, extra):
    """What was done, under ``uns["skscale"][where]``: ``where`` reads
    ``"X"``, ``"layers:<key>"``, ``"var:<key>"`` or ``"obsm:<key>"`` (no
    "/", which HDF5 takes for a path), and every value is a string, so the
    record survives ``write_h5ad``."""
    entry = {
        "estimator": repr(estimator),
        "input": "X" if layer is None else f"layers:{layer}",
    }
    entry.update({k: str(v) for k, v in extra.items() if v is not None})
    record = dict(adata.uns.get("skscale", {}))
    record[where] = entry
    adata.uns["skscale"] = record


def _write(adata, fitted, out, *, layer, key_added, subset, record):
    """Put ``out`` (what ``fitted`` gave for ``adata``'s matrix) back into
    ``adata``; returns where it went."""
    n_obs, n_vars = adata.shape
    if out.shape == (n_obs, n_vars):
        if key_added is not None:
            adata.layers[key_added] = out
            where = f"layers:{key_added}"
        elif layer is not None:
            adata.layers[layer] = out
            where = f"layers:{layer}"
        else:
            adata.X = out
            where = "X"
    elif hasattr(fitted, "get_support") and out.shape[0] == n_obs:
        key = key_added or (
            "highly_variable"
            if type(fitted).__name__ == "HighlyVariableGenes"
            else f"{_estimator_name(fitted)}_selected"
        )
        mask = np.asarray(fitted.get_support(), dtype=bool)
        if mask.shape != (n_vars,):
            raise ValueError(
                f"the selector's support has {mask.size} genes; this AnnData has "
                f"{n_vars}."
            )
        adata.var[key] = mask
        for name in _SELECTOR_STATISTICS:
            values = getattr(fitted, name, None)
            if values is not None and np.shape(values) == (n_vars,):
                adata.var[name[:-1]] = np.asarray(values)
        where = f"var:{key}"
        if subset:
            adata._inplace_subset_var(mask)
    elif out.shape[0] == n_obs:
        key = key_added or f"X_{_estimator_name(fitted).lower()}"
        adata.obsm[key] = out.toarray() if is_sparse(out) else np.asarray(out)
        where = f"obsm:{key}"
    else:
        raise ValueError(
            f"{_estimator_name(fitted)} gave {out.shape[0]} rows for "
            f"{n_obs} cells; expected one row per cell."
        )
    if record is not None:
        _record(adata, where, fitted, layer, record)
    return where


def _batched(estimator, batch_key):
    from skscale.preprocessing import BatchScaler

    return estimator if batch_key is None else BatchScaler(scaler=estimator)


def fit_transform(
    adata,
    estimator,
    *,
    layer=None,
    key_added=None,
    batch_key=None,
    y_key=None,
    subset=False,
):
    """Fit ``estimator`` on ``adata``'s matrix and write its output back.

    Parameters
    ----------
    adata : AnnData
        Cells in rows, genes (or any features) in columns. Modified in place.
    estimator : transformer
        Any skscale or scikit-learn transformer, or a ``Pipeline`` of them;
        cloned, so the argument itself is left unfitted.
    layer : str, default=None
        The layer to read; ``None`` reads ``adata.X``.
    key_added : str, default=None
        Where the result goes: a layer for an output of the same shape (by
        default the one read, or ``X``), the ``var`` column of a selection
        (default ``"highly_variable"`` for ``HighlyVariableGenes``), the
        ``obsm`` key of any other output (default ``"X_<estimator>"``).
    batch_key : str, default=None
        An ``obs`` column: each batch is fitted on its own cells
        (:class:`~skscale.preprocessing.BatchScaler` around ``estimator``,
        the labels passed beside the matrix, so a sparse matrix stays
        sparse).
    y_key : str, default=None
        An ``obs`` column passed to ``fit`` as ``y`` (for a supervised step).
    subset : bool, default=False
        For a selection: keep only the selected genes in ``adata``.

    Returns
    -------
    fitted : estimator
        The fitted estimator (a ``BatchScaler`` with ``batch_key``), to apply
        to other cells with :func:`transform`.

    Examples
    --------
    >>> import anndata as ad
    >>> import numpy as np
    >>> from skscale import scverse
    >>> from skscale.preprocessing import TotalSumNormalizer
    >>> counts = np.random.default_rng(0).poisson(2.0, (30, 8)).astype(float)
    >>> adata = ad.AnnData(counts)
    >>> adata.layers["counts"] = adata.X.copy()
    >>> step = scverse.fit_transform(adata, TotalSumNormalizer(), layer="counts",
    ...                              key_added="normalised")
    >>> np.ptp(adata.layers["normalised"].sum(axis=1)) < 1e-9
    np.True_
    >>> adata.uns["skscale"]["layers:normalised"]["input"]
    'layers:counts'
    """
    _check_anndata(adata, "fit_transform")
    X = _matrix(adata, layer)
    fitted = _batched(clone(estimator), batch_key)
    y = None if y_key is None else _obs_column(adata, y_key, "y_key")
    if batch_key is None:
        out = fitted.fit(X, y).transform(X)
    else:
        labels = _obs_column(adata, batch_key, "batch_key")
        fitted.fit(X, y, batch_labels=labels)
        out = fitted.transform(X, batch_labels=labels)
    record = {"n_obs_fitted": adata.n_obs, "batch_key": batch_key, "y_key": y_key}
    _write(
        adata,
        fitted,
        out,
        layer=layer,
        key_added=key_added,
        subset=subset,
        record=record,
    )
    return fitted


def transform(
    adata, fitted, *, layer=None, key_added=None, batch_key=None, subset=False
):
    """Apply an estimator fitted by :func:`fit_transform` to other cells.

    Parameters
    ----------
    adata : AnnData
        Cells in the genes the estimator was fitted on. Modified in place.
    fitted : estimator
        A fitted transformer (what :func:`fit_transform` returned).
    layer, key_added, subset
        As in :func:`fit_transform`.
    batch_key : str, default=None
        The ``obs`` column of the batches, when ``fitted`` was fitted with one.

    Returns
    -------
    None
    """
    from sklearn.utils.validation import check_is_fitted

    _check_anndata(adata, "transform")
    check_is_fitted(fitted)
    X = _matrix(adata, layer)
    if batch_key is None:
        out = fitted.transform(X)
    else:
        out = fitted.transform(
            X, batch_labels=_obs_column(adata, batch_key, "batch_key")
        )
    _write(
        adata,
        fitted,
        out,
        layer=layer,
        key_added=key_added,
        subset=subset,
        record={"applied_to": f"{adata.n_obs} cells", "batch_key": batch_key},
    )


def _modalities(mdata, layer):
    """``(names, matrices)`` of a MuData's modalities, checked to hold the
    same cells in the same order."""
    if annotated_kind(mdata) != "MuData":
        raise TypeError(
            "expected a MuData object (blocks = modalities); got "
            f"{type(mdata).__name__}."
        )
    names = list(mdata.mod)
    if not names:
        raise ValueError("this MuData has no modality.")
    cells = None
    for name in names:
        mod = mdata.mod[name]
        if cells is None:
            cells, first = mod.obs_names, name
        elif not mod.obs_names.equals(cells):
            raise ValueError(
                f"modality {name!r} holds {mod.n_obs} cells and {first!r} holds "
                f"{len(cells)}, not the same in the same order; scaling blocks "
                "needs every cell in every modality: keep the shared cells first "
                "(mudata.pp.intersect_obs(mdata))."
            )
    return names, [_matrix(mdata.mod[name], layer) for name in names]


def _blocks_by_position(names, widths):
    """Each modality's columns, by position, once the modalities (of these
    widths) sit side by side in this order."""
    edges = np.cumsum([0, *widths])
    return {name: list(range(edges[i], edges[i + 1])) for i, name in enumerate(names)}


def _side_by_side(matrices):
    if any(is_sparse(m) for m in matrices):
        return sp.hstack([sp.csr_matrix(m) for m in matrices], format="csr")
    return np.hstack([np.asarray(m) for m in matrices])


def block_scaler(mdata, scaler=None, *, weighting="mfa", layer=None, key_added=None):
    """Scale a MuData's modalities as the blocks of one table.

    A :class:`~skscale.preprocessing.BlockScaler` whose blocks are the
    modalities: each feature is scaled (``scaler``, by default a z-score),
    then each modality is weighted so that no modality dominates PCA because
    it has more features or more variance (``weighting="mfa"``: each block's
    first singular value becomes 1, as in multiple factor analysis). Each
    modality's block is written back to it.

    Parameters
    ----------
    mdata : MuData
        Every modality holding the same cells in the same order. Modified in
        place.
    scaler : transformer, default=None
        The per-feature scaler (``None``: ``ZScoreScaler()``).
    weighting : {"mfa", "total_variance", "none"}, default="mfa"
        BlockScaler's weighting.
    layer : str, default=None
        The layer of each modality to read; ``None`` reads each ``X``.
    key_added : str, default=None
        The layer of each modality to write; ``None`` writes where it read.

    Returns
    -------
    fitted : BlockScaler
        Fitted on the modalities side by side (columns in modality order);
        its ``block_weights_`` are per modality.
    """
    from skscale.preprocessing import BlockScaler

    names, matrices = _modalities(mdata, layer)
    blocks = _blocks_by_position(names, [m.shape[1] for m in matrices])
    fitted = BlockScaler(blocks, scaler=scaler, weighting=weighting)
    out = fitted.fit_transform(_side_by_side(matrices))
    for name, columns in blocks.items():
        part = out[:, columns[0] : columns[-1] + 1] if columns else out[:, :0]
        mod = mdata.mod[name]
        _write(
            mod,
            fitted,
            part,
            layer=layer,
            key_added=key_added,
            subset=False,
            record={"n_obs_fitted": mod.n_obs, "block": name},
        )
    return fitted


def compare_scalers(
    data,
    *,
    target=None,
    layer=None,
    batch_key=None,
    covariate_keys=None,
    **kwargs,
):
    """:func:`skscale.diagnostics.compare_scalers` on an AnnData or MuData.

    Parameters
    ----------
    data : AnnData or MuData
        An AnnData (genes as features), or a MuData whose modalities are the
        blocks (features named ``"<modality>:<feature>"``).
    target : str, default=None
        An ``obs`` column to predict (cross-validated with an ``estimator``
        in ``kwargs``, and the neighbours' class purity).
    layer : str, default=None
        The layer to read (of every modality); ``None`` reads ``X``.
    batch_key : str, default=None
        An ``obs`` column: every candidate scales each batch on its own.
    covariate_keys : list of str, default=None
        ``obs`` columns whose share of PC1's variance is reported.
    **kwargs
        Passed on (``scalers``, ``estimator``, ``scoring``, ``cv``, ...).

    Returns
    -------
    ScalerComparison
    """
    from skscale.diagnostics import compare_scalers as compare

    if annotated_kind(data) == "MuData":
        names, matrices = _modalities(data, layer)
        columns = [
            f"{name}:{feature}"
            for name in names
            for feature in data.mod[name].var_names
        ]
        if "blocks" in kwargs:
            raise TypeError(
                "the blocks of a MuData are its modalities; blocks= is not taken."
            )
        # by position: the candidates see the matrix, which has no names
        kwargs["blocks"] = _blocks_by_position(names, [m.shape[1] for m in matrices])
        X = _side_by_side(matrices)
        obs_of = data.mod[names[0]]
    else:
        _check_anndata(data, "compare_scalers")
        X = _matrix(data, layer)
        columns = list(data.var_names)
        obs_of = data
    obs = obs_of.obs
    y = None if target is None else _obs_column(obs_of, target, "target")
    batch = None if batch_key is None else _obs_column(obs_of, batch_key, "batch_key")
    covariates = None
    if covariate_keys:
        for key in covariate_keys:
            _obs_column(obs_of, key, "covariate_keys")
        covariates = obs[list(covariate_keys)].reset_index(drop=True)
    if y is not None:
        y = pd.Series(y, name=target)
    if batch is not None:
        batch = pd.Series(batch, name=batch_key)
    return compare(
        X,
        y,
        covariates=covariates,
        batch=batch,
        feature_names=[str(c) for c in columns],
        **kwargs,
    )


class AnnotatedSample:
    """Cells read from an ``.h5ad`` or ``.h5mu`` file by :func:`read_sample`.

    Attributes
    ----------
    X : scipy.sparse.csr_matrix or ndarray of shape (n_sampled, n_features)
        The sampled cells' values (sparse on disk stays sparse), rows in file
        order.
    feature_names : list of str
        ``var_names`` (``"<modality>:<feature>"`` for a MuData).
    blocks : dict of str -> list of int or None
        A MuData's modalities as blocks of column positions; None for AnnData.
    y : pandas.Series or None
        The target ``obs`` column on the sampled cells with a target.
    covariates : pandas.DataFrame or None
        The covariate ``obs`` columns on the same cells.
    n_rows : int
        Cells in the file.
    n_target_missing : int
        Sampled cells left out because their target is missing.
    sampled : bool
        Whether ``X`` holds a sample rather than every cell.
    max_rows : int or None
        The limit the sample was drawn under (None: every cell).
    source : str
        Where the values were read ("X", "layers['counts']").
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return (
            f"<AnnotatedSample: {self.X.shape[0]:,} of {self.n_rows:,} cells x "
            f"{self.X.shape[1]:,} features from {self.source}>"
        )


def _h5_matrix(group, layer, where):
    """The matrix element (X or a layer) of an AnnData group, with a clear
    error when it is not there."""
    if layer is None:
        if "X" not in group:
            layers = list(group["layers"]) if "layers" in group else []
            raise ValueError(
                f"{where} has no X; name the layer to read with --layer (layers: "
                f"{_listed(layers)})."
            )
        return group["X"]
    layers = group["layers"] if "layers" in group else {}
    if layer not in layers:
        raise KeyError(
            f"layer {layer!r} is not a layer of {where} (layers: "
            f"{_listed(list(layers))})."
        )
    return layers[layer]


def _h5_width(element):
    """The number of columns of an on-disk matrix (a dense dataset, or a
    sparse group that keeps its shape in its attributes)."""
    import h5py

    if isinstance(element, h5py.Dataset):
        return int(element.shape[1])
    return int(element.attrs["shape"][1])


def _h5_rows(element, rows):
    """The rows ``rows`` (sorted positions) of an on-disk matrix: CSR read
    row by row, a dense dataset by its rows; never more than those rows."""
    import h5py
    from anndata.io import sparse_dataset

    if isinstance(element, h5py.Dataset):
        return element[rows] if rows.size < element.shape[0] else element[()]
    matrix = sparse_dataset(element)
    return sp.csr_matrix(matrix[rows] if rows.size < matrix.shape[0] else matrix[:])


def _obs_values(obs, key, option, extra=None):
    """An obs column by name (or, for a MuData, ``"<modality>:<column>"`` or
    a column of one modality's obs)."""
    if key in obs.columns:
        return obs[key]
    for name, frame in (extra or {}).items():
        column = key.partition(":")[2] if key.startswith(f"{name}:") else key
        if column in frame.columns:
            return frame[column]
    available = list(obs.columns) + [
        f"{name}:{c}" for name, frame in (extra or {}).items() for c in frame.columns
    ]
    raise KeyError(
        f"{option} {key!r} is not a column of obs (columns: {_listed(available)})."
    )


def read_sample(
    path, *, target=None, layer=None, covariates=(), max_rows=20_000, random_state=0
):
    """Read a random sample of the cells of an ``.h5ad`` or ``.h5mu`` file.

    Only the sampled rows of the matrix are read from disk (a CSR matrix row
    by row, never densified); ``obs`` is read whole. For a ``.h5mu`` file the
    modalities sit side by side as blocks, and must hold the same cells in
    the same order.

    Parameters
    ----------
    path : str or path-like
        An ``.h5ad`` (AnnData) or ``.h5mu`` (MuData) file.
    target : str, default=None
        An ``obs`` column to predict; sampled cells without a value are left
        out (and counted).
    layer : str, default=None
        The layer to read (of every modality); None reads ``X``.
    covariates : sequence of str, default=()
        ``obs`` columns returned on the sampled cells (a batch, a donor).
    max_rows : int or callable, default=20_000
        At most this many cells, drawn uniformly at random; 0 or None reads
        every cell. A callable is given the number of features (of every
        modality) and returns the number, for a limit that depends on the
        width.
    random_state : int, default=0
        Seed of the sample.

    Returns
    -------
    AnnotatedSample
    """
    import h5py
    from anndata.io import read_elem

    path = str(path)
    with h5py.File(path, "r") as f:
        is_mudata = "mod" in f
        if is_mudata:
            order = f["mod"].attrs.get("mod-order")
            names = [str(n) for n in order] if order is not None else list(f["mod"])
            if not names:
                raise ValueError(f"{path} holds a MuData with no modality.")
            groups = {name: f["mod"][name] for name in names}
        else:
            names, groups = [None], {None: f}
        obs = read_elem(f["obs"])
        modality_obs = {}
        for name, group in groups.items():
            if name is None:
                continue
            modality_obs[name] = read_elem(group["obs"])
            if not modality_obs[name].index.equals(obs.index):
                raise ValueError(
                    f"modality {name!r} holds {len(modality_obs[name]):,} cells and "
                    f"the MuData {len(obs):,}, not the same in the same order; "
                    "comparing scalers on blocks needs every cell in every "
                    "modality: keep the shared cells first "
                    "(mudata.pp.intersect_obs(mdata)), then write the file again."
                )
        n_rows = len(obs)
        if n_rows == 0:
            raise ValueError(f"{path} holds no cells.")
        elements = {
            name: _h5_matrix(
                group, layer, path if name is None else f"modality {name!r} of {path}"
            )
            for name, group in groups.items()
        }
        if callable(max_rows):
            max_rows = max_rows(sum(_h5_width(e) for e in elements.values()))
        if max_rows and n_rows > max_rows:
            rng = np.random.default_rng(random_state)
            rows = np.sort(rng.choice(n_rows, size=max_rows, replace=False))
        else:
            rows = np.arange(n_rows)
        y = None
        n_target_missing = 0
        if target is not None:
            y = _obs_values(obs, target, "--target", modality_obs).iloc[rows]
            present = y.notna().to_numpy()
            n_target_missing = int((~present).sum())
            if not present.any():
                raise ValueError(
                    f"the target {target!r} has no value on the {rows.size:,} "
                    "cells read; expected a label or a number for most cells."
                )
            rows, y = rows[present], y[present]
        frame = None
        if covariates:
            frame = pd.DataFrame(
                {
                    key: _obs_values(obs, key, "--covariate", modality_obs)
                    .iloc[rows]
                    .to_numpy()
                    for key in covariates
                }
            )
        matrices, feature_names, widths = [], [], []
        for name, group in groups.items():
            matrices.append(_h5_rows(elements[name], rows))
            var = read_elem(group["var"])
            prefix = "" if name is None else f"{name}:"
            feature_names += [f"{prefix}{v}" for v in var.index]
            widths.append(len(var))
    X = matrices[0] if len(matrices) == 1 else _side_by_side(matrices)
    blocks = _blocks_by_position(names, widths) if is_mudata else None
    return AnnotatedSample(
        X=X,
        feature_names=feature_names,
        blocks=blocks,
        y=None if y is None else y.reset_index(drop=True),
        covariates=frame,
        n_rows=n_rows,
        n_target_missing=n_target_missing,
        sampled=rows.size + n_target_missing < n_rows,
        max_rows=max_rows or None,
        source="X" if layer is None else f"layers[{layer!r}]",
    )
