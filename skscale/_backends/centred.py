"""Column-centred tables for the diagnostics, dense or sparse behind one face.

PCA and k-NN distances look at data centred on its column means. A dense
table is centred outright (:class:`DenseCentred`); a sparse one would store
every implicit zero once centred, so :class:`SparseCentred` keeps the sparse
matrix and its column means and centres implicitly, inside each product
(``C @ V = S @ V - 1 (mu . V)``), and nothing larger than the sparse matrix,
one block of rows or the components is ever formed.

Both offer what the diagnostics ask of a centred table: the column variances,
the covariance or Gram matrix (or, for a sparse table too large for either, a
linear operator), products with the table and its transpose, dense blocks of
rows, squared row norms and differences between pairs of rows. Missing values
count as their column's mean (0 once centred), and data near float64's limits
are held in a power-of-two ``unit`` (every figure the diagnostics report is a
ratio, which that exact rescaling keeps).

On a sparse table, ``S.T @ S / n - mu mu^T`` cancels where a column's spread
is tiny against its mean (a column of 1e8 + noise, stored at every row);
such columns (variance below ``1e-6 * mean**2``, which a column with more
than about one row in a million of implicit zeros cannot have) are held
densely and centred outright, so that every backend gives dense float64's
answer on near-constant columns. Their dense block is about as large as
their stored values.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg
import scipy.spatial.distance

from skscale._backends._statistics import power_of_two_below

# Values per temporary block of rows (dense rows, pair differences).
_BLOCK_ELEMENTS = 1 << 22
# A sparse table whose smaller side exceeds this uses the implicit operator
# for its components instead of a dense covariance or Gram matrix.
_MATRIX_LIMIT = 4096
# A sparse column with variance at most this times its squared mean is held
# densely (its cross products with others would cancel).
_CANCELLING = 1e-6
# A sparse table with at least this share of its values stored takes its
# covariance and its distances from dense blocks of rows (BLAS), which beats
# sparse products from a few percent on; below, sparse products.
_DENSE_PRODUCTS = 0.02
# Distances of every pair of a sparse table come from its Gram matrix,
# ``|a|^2 + |b|^2 - 2 a.b``, except for the pairs whose squared distance is at
# most this share of ``|a|^2 + |b|^2``, where that would cancel: those are
# taken as differences (the error left elsewhere is below 1e-12 relative).
_GRAM_CANCELS = 1e-3


def _moderation_unit(largest):
    """A power of two near ``largest`` when that is beyond 1e100 or below
    1e-100 (squares and products would overflow or underflow), else 1."""
    if not np.isfinite(largest) or largest == 0.0 or 1e-100 < largest < 1e100:
        return 1.0
    return float(power_of_two_below(largest))


def _largest_magnitude(values):
    if not values.size:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN
        # two reductions, no |values| copy (305 MB on 20,000 x 2,000)
        high, low = np.nanmax(values), np.nanmin(values)
    return float(np.nan if np.isnan(high) else max(high, -low))


def _constant_columns(low, high):
    """Columns whose finite values are all equal (or that have none)."""
    with np.errstate(invalid="ignore"):
        return ~(high - low > 0)


def _oriented(values, vectors):
    """Clip eigenvalues at 0 and put them (and their vectors) largest first."""
    return np.clip(values[::-1], 0.0, None), vectors[:, ::-1]


class _Moments:
    """The second moments both tables give, computed once per route: PCA and
    the condition number of the same table both ask for them."""

    def second_moments(self, route):
        """The covariance (``"covariance"``) or Gram (``"gram"``) matrix,
        divisor n (read-only: it is kept for the next caller)."""
        kept = getattr(self, "_moments", None)
        if kept is None or kept[0] != route:
            matrix = self._second_moments(route)
            matrix.flags.writeable = False
            self._moments = kept = (route, matrix)
        return kept[1]


class DenseCentred(_Moments):
    """A dense table centred on its column means (a float64 ndarray ``values``)."""

    route_limit = None

    def __init__(self, X):
        X = np.array(X, dtype=np.float64)
        missing = np.isnan(X)
        self.n_missing = int(missing.sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            self.constant = (
                _constant_columns(np.nanmin(X, axis=0), np.nanmax(X, axis=0))
                if X.shape[0]
                else np.ones(X.shape[1], dtype=bool)
            )
        before = _moderation_unit(_largest_magnitude(X))
        if before != 1.0:
            X /= before
        if self.n_missing:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN
                mean = np.nanmean(X, axis=0)
            X -= np.nan_to_num(mean)
            X[missing] = 0.0
        else:
            X -= X.mean(axis=0)
        after = _moderation_unit(_largest_magnitude(X))
        if after != 1.0:
            X /= after
        self.values = X
        self.unit = before * after
        self._variance = None

    @property
    def shape(self):
        return self.values.shape

    def variance(self):
        """Per-column variance (divisor n)."""
        if self._variance is None:
            v = self.values
            self._variance = np.einsum("ij,ij->j", v, v) / v.shape[0]
        return self._variance

    def route(self):
        """How the components are found: ``"covariance"`` (p x p) when
        samples outnumber features, ``"gram"`` (n x n) otherwise."""
        n_samples, n_features = self.shape
        return "covariance" if n_features <= n_samples else "gram"

    def _second_moments(self, route):
        v = self.values
        if route == "covariance":
            return v.T @ v / v.shape[0]
        return v @ v.T / v.shape[0]

    def operator(self):
        raise NotImplementedError("a dense table has its covariance or Gram matrix")

    def times(self, V):
        """``C @ V``."""
        return self.values @ V

    def transposed_times(self, U):
        """``C.T @ U``."""
        return self.values.T @ U

    def rows(self, rows):
        """The centred rows ``rows``, dense."""
        return self.values[rows]

    def rows_times(self, Q):
        """``Q @ C.T``, ``Q`` dense rows of features (one row per query)."""
        return Q @ self.values.T

    def row_norms(self):
        """Squared norm of each centred row."""
        v = self.values
        return np.einsum("ij,ij->i", v, v)

    def pair_distances(self, first, second):
        """Euclidean distance between rows ``first[i]`` and ``second[i]``."""
        v = self.values
        out = np.empty(first.size)
        step = max(1, _BLOCK_ELEMENTS // max(1, v.shape[1]))
        for start in range(0, first.size, step):
            stop = start + step
            diffs = v[first[start:stop]] - v[second[start:stop]]
            out[start:stop] = np.sqrt(np.einsum("ij,ij->i", diffs, diffs))
        return out

    def all_pair_distances(self):
        """Distances of every pair of rows ``i < j``, in the order of
        ``np.triu_indices(n, 1)`` (scipy's condensed form)."""
        return scipy.spatial.distance.pdist(self.values)

    def pair_squares(self, queries, neighbours):
        """Per feature, the sum of squared differences between each query row
        and each of its ``neighbours`` (an array of shape (queries, k))."""
        v = self.values
        diffs = v[queries][:, None, :] - v[neighbours]
        return np.einsum("ijk,ijk->k", diffs, diffs)

    def in_place_of(self, kept, n_features):
        """This table's columns put at ``kept`` among ``n_features``, zeros in
        the others (a selection's dropped columns, scaled by 0)."""
        full = np.zeros((self.shape[0], n_features))
        full[:, kept] = self.values
        table = DenseCentred.__new__(DenseCentred)
        table.values, table.unit, table.n_missing = full, self.unit, self.n_missing
        constant = np.ones(n_features, dtype=bool)
        constant[kept] = self.constant
        table.constant, table._variance = constant, None
        return table


class SparseCentred(_Moments):
    """A sparse matrix centred implicitly: ``C = S - 1 mu^T`` on the sparse
    columns, and ``D`` (dense, centred) on the columns whose cross products
    would cancel."""

    def __init__(self, X):
        X = sp.csr_matrix(X, dtype=np.float64, copy=True)
        X.sum_duplicates()
        n_samples, n_features = X.shape
        data, columns = X.data, X.indices
        missing = np.isnan(data)
        self.n_missing = int(missing.sum())
        stored = np.bincount(columns, minlength=n_features)
        has_zero = stored < n_samples
        # constancy on the values as given (implicit zeros count, NaN do not)
        with np.errstate(invalid="ignore"):
            low = np.full(n_features, np.inf)
            high = np.full(n_features, -np.inf)
            np.minimum.at(low, columns[~missing], data[~missing])
            np.maximum.at(high, columns[~missing], data[~missing])
        low[has_zero] = np.minimum(low[has_zero], 0.0)
        high[has_zero] = np.maximum(high[has_zero], 0.0)
        self.constant = _constant_columns(low, high)

        before = _moderation_unit(_largest_magnitude(data))
        if before != 1.0:
            data /= before
        counts = n_samples - np.bincount(columns[missing], minlength=n_features)
        sums = np.bincount(
            columns, weights=np.where(missing, 0.0, data), minlength=n_features
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nan_to_num(sums / counts)
        data[missing] = mean[columns[missing]]
        deviations = data - mean[columns]
        m2 = np.bincount(columns, weights=deviations * deviations, minlength=n_features)
        m2 += (n_samples - stored) * mean * mean
        variance = m2 / n_samples

        held = np.flatnonzero((mean != 0.0) & (variance <= _CANCELLING * mean * mean))
        D = np.zeros((n_samples, held.size))
        if held.size:
            D = X[:, held].toarray()
            D -= D.mean(axis=0)
            variance[held] = np.einsum("ij,ij->j", D, D) / n_samples
            keep = np.ones(n_features)
            keep[held] = 0.0
            X = X @ sp.diags(keep, format="csr")
            X.eliminate_zeros()
            mean = mean.copy()
            mean[held] = 0.0
        # the largest centred magnitude, for the second unit
        with np.errstate(invalid="ignore"):
            centred_largest = max(
                _largest_magnitude(X.data - mean[X.indices]),
                _largest_magnitude(np.where(has_zero, mean, 0.0)),
                _largest_magnitude(D),
            )
        after = _moderation_unit(centred_largest)
        if after != 1.0:
            X.data /= after
            mean = mean / after
            D /= after
            variance = variance / (after * after)
        self.S, self.mean, self.held, self.D = X, mean, held, D
        self._mean_norm = float(mean @ mean)
        self._variance = variance
        self.unit = before * after

    @property
    def shape(self):
        return self.S.shape

    def variance(self):
        return self._variance

    def route(self):
        """``"covariance"`` or ``"gram"`` as a dense table's, while the
        matrix has at most a few thousand rows and columns; ``"operator"``
        (implicit products, Lanczos) beyond."""
        n_samples, n_features = self.shape
        if min(n_samples, n_features) > _MATRIX_LIMIT:
            return "operator"
        return "covariance" if n_features <= n_samples else "gram"

    def _blockwise(self):
        """Whether products go through dense blocks of rows (a table with
        a few percent or more of its values stored)."""
        n_samples, n_features = self.shape
        stored = self.S.nnz + self.held.size * n_samples
        return stored >= _DENSE_PRODUCTS * n_samples * n_features

    def _row_blocks(self):
        """Slices of rows whose dense blocks hold about ``_BLOCK_ELEMENTS``
        values."""
        n_samples, n_features = self.shape
        step = max(1, _BLOCK_ELEMENTS // max(1, n_features))
        return [
            slice(start, min(start + step, n_samples))
            for start in range(0, n_samples, step)
        ]

    def _second_moments(self, route):
        S, mu, D, held = self.S, self.mean, self.D, self.held
        n_samples = S.shape[0]
        if route == "covariance" and self._blockwise():
            # centred dense blocks: BLAS, and no cancellation at all
            matrix = np.zeros((S.shape[1], S.shape[1]))
            for rows in self._row_blocks():
                block = self.rows(rows)
                matrix += block.T @ block
            matrix /= n_samples
            matrix[np.diag_indices_from(matrix)] = self._variance
            return matrix
        if route == "covariance":
            matrix = np.asarray((S.T @ S).todense()) / n_samples
            matrix -= np.outer(mu, mu)
            if held.size:
                cross = np.asarray(S.T @ D) - np.outer(mu, D.sum(axis=0))
                matrix[:, held] = cross / n_samples
                matrix[held, :] = cross.T / n_samples
                matrix[np.ix_(held, held)] = D.T @ D / n_samples
            # the variances computed exactly, not as differences
            matrix[np.diag_indices_from(matrix)] = self._variance
            return matrix
        product = S @ mu
        matrix = np.asarray((S @ S.T).todense())
        matrix -= product[:, None]
        matrix -= product[None, :]
        matrix += self._mean_norm
        if held.size:
            matrix += D @ D.T
        return matrix / n_samples

    def operator(self):
        """The covariance as a symmetric linear operator (two sparse
        products per vector)."""
        n_samples, n_features = self.shape

        def covariance_times(V):
            return self.transposed_times(self.times(V)) / n_samples

        return scipy.sparse.linalg.LinearOperator(
            (n_features, n_features),
            matvec=covariance_times,
            matmat=covariance_times,
            rmatvec=covariance_times,
            dtype=np.float64,
        )

    def times(self, V):
        V = np.asarray(V, dtype=np.float64)
        out = np.asarray(self.S @ V)
        out -= self.mean @ V
        if self.held.size:
            out += self.D @ V[self.held]
        return out

    def transposed_times(self, U):
        U = np.asarray(U, dtype=np.float64)
        out = np.asarray(self.S.T @ U)
        out -= np.multiply.outer(self.mean, U.sum(axis=0))
        if self.held.size:
            out[self.held] = self.D.T @ U
        return out

    def rows(self, rows):
        out = self.S[rows].toarray()
        out -= self.mean
        if self.held.size:
            out[:, self.held] = self.D[rows]
        return out

    def rows_times(self, Q):
        if self._blockwise():
            out = np.empty((Q.shape[0], self.shape[0]))
            for rows in self._row_blocks():
                out[:, rows] = Q @ self.rows(rows).T
            return out
        out = np.asarray(self.S @ Q.T).T  # F-ordered: no copy of the block
        out -= (Q @ self.mean)[:, None]
        if self.held.size:
            out += Q[:, self.held] @ self.D.T
        return out

    def row_norms(self):
        S = self.S
        squares = np.asarray(S.multiply(S).sum(axis=1)).ravel()
        norms = squares - 2.0 * (S @ self.mean) + self._mean_norm
        if self.held.size:
            norms += np.einsum("ij,ij->i", self.D, self.D)
        return np.clip(norms, 0.0, None)

    def _pair_steps(self, n_pairs):
        # a stored value costs its index too, and a difference makes a few
        # temporaries: a quarter of the dense block's values per step
        per_row = max(1.0, self.S.nnz / max(1, self.S.shape[0]) + self.held.size)
        step = max(1, int(_BLOCK_ELEMENTS // (8 * per_row)))
        return range(0, n_pairs, step), step

    def _differences(self, first, second):
        """Sparse differences of the rows (the means cancel) and the dense
        ones of the held columns."""
        sparse = self.S[first] - self.S[second]
        dense = self.D[first] - self.D[second] if self.held.size else None
        return sparse, dense

    def pair_distances(self, first, second):
        out = np.empty(first.size)
        starts, step = self._pair_steps(first.size)
        for start in starts:
            stop = start + step
            sparse, dense = self._differences(first[start:stop], second[start:stop])
            squares = np.asarray(sparse.multiply(sparse).sum(axis=1)).ravel()
            if dense is not None:
                squares += np.einsum("ij,ij->i", dense, dense)
            out[start:stop] = np.sqrt(squares)
        return out

    def all_pair_distances(self):
        # sparse differences of n^2 / 2 pairs cost minutes on a few thousand
        # wide rows; the Gram matrix, in dense blocks of rows, seconds
        n_samples = self.shape[0]
        norms = np.empty(n_samples)
        gram = np.empty((n_samples, n_samples))
        for rows in self._row_blocks():
            block = self.rows(rows)
            norms[rows] = np.einsum("ij,ij->i", block, block)
            gram[rows] = self.rows_times(block)
        first, second = np.triu_indices(n_samples, k=1)
        scale = norms[first] + norms[second]
        squares = scale - 2.0 * gram[first, second]
        del gram
        close = np.flatnonzero(squares <= _GRAM_CANCELS * scale)
        out = np.sqrt(np.clip(squares, 0.0, None))
        if close.size:
            out[close] = self.pair_distances(first[close], second[close])
        return out

    def pair_squares(self, queries, neighbours):
        k = neighbours.shape[1]
        first = np.repeat(queries, k)
        second = neighbours.ravel()
        out = np.zeros(self.shape[1])
        starts, step = self._pair_steps(first.size)
        for start in starts:
            stop = start + step
            sparse, dense = self._differences(first[start:stop], second[start:stop])
            out += np.asarray(sparse.multiply(sparse).sum(axis=0)).ravel()
            if dense is not None:
                out[self.held] += np.einsum("ij,ij->j", dense, dense)
        return out

    def in_place_of(self, kept, n_features):
        n_kept = kept.size
        placing = sp.csr_matrix(
            (np.ones(n_kept), (np.arange(n_kept), kept)), shape=(n_kept, n_features)
        )
        table = SparseCentred.__new__(SparseCentred)
        table.S = (self.S @ placing).tocsr()
        table.mean = np.zeros(n_features)
        table.mean[kept] = self.mean
        table.held, table.D = kept[self.held], self.D
        table._mean_norm = self._mean_norm
        table._variance = np.zeros(n_features)
        table._variance[kept] = self._variance
        table.constant = np.ones(n_features, dtype=bool)
        table.constant[kept] = self.constant
        table.n_missing, table.unit = self.n_missing, self.unit
        return table


def top_eigenpairs(table, k):
    """The ``k`` largest eigenvalues of the table's covariance (divisor n) and
    unit loadings (k x p), with the route taken: the covariance or Gram
    matrix's eigenproblem, or Lanczos on the implicit operator."""
    route = table.route()
    if route == "operator":
        values, vectors = scipy.sparse.linalg.eigsh(
            table.operator(), k=k, which="LA", tol=0.0
        )
        order = np.argsort(values)
        values, vectors = _oriented(values[order], vectors[:, order])
        return values, vectors.T.copy(), route
    matrix = table.second_moments(route)
    size = matrix.shape[0]
    values, vectors = scipy.linalg.eigh(matrix, subset_by_index=[size - k, size - 1])
    values, vectors = _oriented(values, vectors)
    if route == "covariance":
        return values, vectors.T.copy(), route
    n_samples = table.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        loadings = (table.transposed_times(vectors) / np.sqrt(values * n_samples)).T
    return values, loadings, route


def spectrum_ends(table):
    """Largest and smallest eigenvalue of the table's covariance (the
    smallest is 0 with more features than samples; NaN where the implicit
    operator's Lanczos iteration does not settle it)."""
    n_samples, n_features = table.shape
    route = table.route()
    if route == "operator":
        operator = table.operator()
        largest = float(scipy.sparse.linalg.eigsh(operator, k=1, which="LA")[0][0])
        if n_features > n_samples:
            return largest, 0.0
        try:
            smallest = scipy.sparse.linalg.eigsh(
                operator, k=1, which="SA", maxiter=20 * n_features
            )[0][0]
        except scipy.sparse.linalg.ArpackNoConvergence:
            smallest = np.nan
        return largest, float(smallest)
    values = scipy.linalg.eigvalsh(table.second_moments(route))
    smallest = float(values[0]) if n_features <= n_samples else 0.0
    return float(values[-1]), smallest
