# Shared by lioncub's scripts: installs missing Debian packages when running as root, or says
# exactly what to install otherwise.
lioncub_require_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "lioncub: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "lioncub: missing Debian packages: ${missing[*]}" >&2
    echo "lioncub: install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}

# What every lioncub build needs on a fresh machine, and nvcc on PATH when the toolkit is
# installed (it lives outside PATH there; CUDA code must compile wherever nvcc is).
lioncub_build_prerequisites() {
  lioncub_require_packages cmake g++ ninja-build libgtest-dev libbenchmark-dev iproute2 pkg-config \
    libssl-dev
  if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
}
