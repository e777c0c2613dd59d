"""Build the Python package `modewise` with the project's CMake (docs/PYTHON.md, "Install").

`pip install --no-build-isolation .` runs this: build_ext configures CMake (Release, tests and benchmarks off,
the Python package on) in build-pip/ and builds only the extension target modewise_core and the libraries it links,
with one job per core; the .py files come from python/. Environment:
  MODEWISE_BUILD_DIR   reuse this CMake build tree (configured already, e.g. build/ after `make`): nothing is
                       reconfigured, only the extension target is brought up to date
  MODEWISE_JOBS        parallel compile jobs (default: every core)
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))


def cmake_build_dir():
    return os.path.abspath(os.environ.get("MODEWISE_BUILD_DIR") or os.path.join(SOURCE_DIR, "build-pip"))


class CMakeExtension(Extension):
    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = cmake_build_dir()
        jobs = os.environ.get("MODEWISE_JOBS") or str(os.cpu_count() or 1)
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            self.announce("modewise: configuring CMake in %s" % build_dir, level=3)
            subprocess.check_call(["cmake", "-S", SOURCE_DIR, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                                   "-DMODEWISE_WITH_PYTHON=ON", "-DMODEWISE_BUILD_TESTS=OFF",
                                   "-DMODEWISE_WITH_BENCHMARK=OFF", "-DPython3_EXECUTABLE=" + sys.executable])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", ext.target, "-j", jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(build_dir, "python", "modewise", "_core" + suffix)
        if not os.path.exists(built):
            found = [f for f in os.listdir(os.path.join(build_dir, "python", "modewise")) if f.startswith("_core.")]
            raise RuntimeError("modewise: %s has no %s for this Python (%s); it has %s: the build tree was configured "
                               "for another Python (Python3_EXECUTABLE)" % (build_dir, "_core" + suffix,
                                                                            sys.executable, found or "none"))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


os.makedirs(cmake_build_dir(), exist_ok=True)  # egg_base must exist before egg_info runs

setup(
    package_dir={"": "python"},
    packages=["modewise"],
    py_modules=["modewise_probe"],
    package_data={"modewise": ["py.typed", "*.pyi"]},
    ext_modules=[CMakeExtension("modewise._core", "modewise_core")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join(cmake_build_dir(), "setuptools")},
             "egg_info": {"egg_base": cmake_build_dir()}},
    zip_safe=False,
)
