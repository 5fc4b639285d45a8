"""Finds the package and the library for the tests: an installed `lioncub` (pip install .), else
python/ from this checkout with LIONCUB_LIBRARY (set by scripts/test.sh to the library it built;
else the first built liblioncub.so under build/)."""
import glob
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

if HERE not in sys.path:
    sys.path.insert(0, HERE)
try:
    import lioncub  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "python"))
    os.environ["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", "")
if "LIONCUB_LIBRARY" not in os.environ:
    import lioncub._capi as _capi
    if not os.path.exists(_capi.library_path()):
        found = sorted(glob.glob(os.path.join(ROOT, "build", "*", "lib", "liblioncub.so")))
        if found:
            os.environ["LIONCUB_LIBRARY"] = found[0]
