"""The input kind is decided in the backends only: no module outside
``skscale/_backends`` (and the scikit-learn adapter it builds on) tells
sparse, dask or array API input apart itself. A new ``issparse`` branch in
an estimator is how the sparse path once came to have its own constant rule."""

import ast
import pathlib

import skscale

PACKAGE = pathlib.Path(skscale.__file__).parent

# the calls and attributes that decide an input's kind
KIND_CHECKS = {
    "issparse",
    "isspmatrix",
    "is_dask_collection",
    "array_namespace_of",
    "get_namespace",
    "get_namespace_and_device",
    "is_array_api_obj",
    "kind_of",
}

# where deciding is the job: the backends, and the one importer of
# scikit-learn's private API, whose namespace test the array API backend uses
ALLOWED = ("_backends/", "utils/_sklearn_compat.py")


def _kind_checks(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = getattr(function, "attr", None) or getattr(function, "id", None)
            if name in KIND_CHECKS:
                yield node.lineno, name


def test_estimators_leave_the_input_kind_to_the_backends():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED):
            continue
        found += [f"{relative}:{line} {name}()" for line, name in _kind_checks(path)]
    assert not found, (
        "kind checks outside skscale/_backends (add an entry function there "
        "instead): " + ", ".join(found)
    )


def test_the_scan_sees_a_kind_check(tmp_path):
    # the test above can fail: a module with a check is found
    module = tmp_path / "estimator.py"
    module.write_text("import scipy.sparse as sp\nif sp.issparse(X):\n    pass\n")
    assert list(_kind_checks(module)) == [(2, "issparse")]
