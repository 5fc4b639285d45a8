# Shared by lioncub's scripts: a Python virtual environment with torch, lion-pytorch, numpy and
# pytest (from PyPI) for the PyTorch front end's tests and demo.
#   lioncub_python_env [DIR]   # creates DIR (default build/venv) when torch is missing there;
#                              # sets LIONCUB_PYTHON to its python
lioncub_python_env() {
  local dir=${1:-build/venv}
  if ! "$dir/bin/python" -c 'import torch, lion_pytorch, numpy, pytest' 2>/dev/null; then
    command -v python3 >/dev/null || lioncub_require_packages python3 python3-venv
    python3 -m venv "$dir" 2>/dev/null || { lioncub_require_packages python3-venv && python3 -m venv "$dir"; }
    echo "lioncub: installing torch, lion-pytorch, numpy and pytest into $dir (PyPI; a few minutes)" >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check torch lion-pytorch numpy pytest
  fi
  LIONCUB_PYTHON=$(cd "$dir" && pwd)/bin/python
  export LIONCUB_PYTHON
}
