"""The ``skscale`` command."""

import argparse
import sys

import numpy as np


def _pc1_summary(X, names):
    """PC1's explained variance ratio and its largest-loading feature."""
    centred = X - X.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    evr = singular**2 / np.sum(singular**2)
    top = int(np.argmax(np.abs(vt[0])))
    return evr[0], names[top], vt[0, top] ** 2


def run_demo(out=None):
    """Before/after print on scikit-learn's wine data: what z-scoring changes."""
    out = sys.stdout if out is None else out
    from sklearn.datasets import load_wine
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from skscale.preprocessing import ZScoreScaler

    wine = load_wine()
    X, y, names = wine.data, wine.target, list(wine.feature_names)
    scaled = ZScoreScaler().fit_transform(X)
    std = X.std(axis=0)
    print("skscale demo: scikit-learn's wine data (178 wines, 13 features)", file=out)
    print(
        f"  raw feature standard deviations range from {std.min():.3g} "
        f"({names[int(np.argmin(std))]}) to {std.max():.3g} "
        f"({names[int(np.argmax(std))]}): a {std.max() / std.min():.0f}-fold spread",
        file=out,
    )
    for label, data in (("raw", X), ("z-scored", scaled)):
        evr, top, share = _pc1_summary(data, names)
        print(
            f"  {label:>9}: PC1 explains {evr:6.1%} of the variance; its top feature "
            f"is {top!r} with {share:6.1%} of PC1's squared loadings",
            file=out,
        )
    knn = KNeighborsClassifier()
    raw_score = cross_val_score(knn, X, y, cv=5).mean()
    scaled_score = cross_val_score(
        make_pipeline(ZScoreScaler(), knn), X, y, cv=5
    ).mean()
    print(
        f"  5-fold accuracy of 5-nearest-neighbours: {raw_score:.3f} raw, "
        f"{scaled_score:.3f} with ZScoreScaler in the pipeline",
        file=out,
    )
    return 0


def main(argv=None):
    """Entry point of the ``skscale`` console script."""
    parser = argparse.ArgumentParser(
        prog="skscale", description="Feature scaling that shows what it did."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="before/after scaling on scikit-learn's wine data")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return run_demo()
    return 2  # pragma: no cover  (argparse rejects unknown commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
