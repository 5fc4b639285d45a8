"""Builds lioncub's shared libraries with CMake and puts them inside the Python package, next to
each other (liblioncub.so finds libnccl-net-lioncub.so beside itself).

Environment: LIONCUB_CUDA (AUTO, the default: CUDA kernels when nvcc is found; ON; OFF),
LIONCUB_PY_BUILD_DIR (default build/python), NCCL_HOME, CMAKE_ARGS (extra arguments)."""

import os
import shlex
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = os.path.dirname(os.path.abspath(__file__))
LIBS = ("liblioncub.so", "libnccl-net-lioncub.so")


class BuildWithCMake(build_py):
    def run(self):
        super().run()
        build_dir = os.environ.get("LIONCUB_PY_BUILD_DIR", os.path.join(ROOT, "build", "python"))
        env = dict(os.environ)
        if os.path.exists("/usr/local/cuda/bin/nvcc"):  # the toolkit lives outside PATH
            env["PATH"] = "/usr/local/cuda/bin:" + env.get("PATH", "")
        cmd = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
               "-DLIONCUB_BUILD_TESTS=OFF", "-DLIONCUB_BUILD_BENCH=OFF",
               "-DLIONCUB_CUDA=" + os.environ.get("LIONCUB_CUDA", "AUTO")]
        if shutil.which("ninja"):
            cmd += ["-G", "Ninja"]
        cmd += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.check_call(cmd, env=env)
        subprocess.check_call(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 1),
                               "--target", "lioncub", "nccl-net-lioncub"], env=env)
        dest = os.path.join(self.build_lib, "lioncub")
        os.makedirs(dest, exist_ok=True)
        for name in LIBS:
            shutil.copyfile(os.path.realpath(os.path.join(build_dir, "lib", name)),
                            os.path.join(dest, name))


class BinaryDistribution(Distribution):
    def has_ext_modules(self):  # a platform wheel: it carries shared libraries
        return True


setup(cmdclass={"build_py": BuildWithCMake}, distclass=BinaryDistribution)
