"""Installs the rlc Python package together with a copy of librlc.so (no compile step on the
Python side). Works offline with Debian's pip/setuptools (no pyproject.toml on purpose: that
would make pip fetch setuptools into an isolated build environment).

    make                                  # builds build/release/librlc.so
    pip install ./python                  # or: RLC_LIB=build/asan/librlc.so pip install ./python

The library copied is $RLC_LIB when set (a file or a folder holding librlc.so), else
../build/release/librlc.so relative to this file.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def find_lib():
    env = os.environ.get("RLC_LIB")
    if env:
        # pip runs this file from its own folder: a relative RLC_LIB is meant relative to the
        # folder pip was started in ($PWD, which pip's subprocess inherits)
        if not os.path.isabs(env) and not os.path.exists(env) and os.environ.get("PWD"):
            env = os.path.join(os.environ["PWD"], env)
        path = os.path.join(env, "librlc.so") if os.path.isdir(env) else env
    else:
        path = os.path.join(HERE, "..", "build", "release", "librlc.so")
    if not os.path.isfile(path):
        raise SystemExit("rlc setup.py: %s not found; build the library first (`make` in the "
                         "repository root) or set RLC_LIB to a librlc.so" % path)
    return os.path.abspath(path)


class BuildPyWithLib(build_py):
    """build_py that also copies librlc.so into the built package."""

    def run(self):
        super().run()
        if not self.dry_run:
            dst = os.path.join(self.build_lib, "rlc", "librlc.so")
            self.mkpath(os.path.dirname(dst))
            shutil.copyfile(find_lib(), dst)
            os.chmod(dst, 0o755)


def read_version():
    with open(os.path.join(HERE, "rlc", "__init__.py")) as f:
        for line in f:
            if line.startswith("__version__"):
                return line.split("=")[1].strip().strip("\"'")
    return "0.0.0"


# keep setuptools' scratch (egg-info, build/) inside the git-ignored build folder
_SCRATCH = os.path.join(HERE, "build")
os.makedirs(_SCRATCH, exist_ok=True)

setup(
    name="rlc",
    version=read_version(),
    description="Python bindings (ctypes) for rlc, a reinforcement-learning library in C",
    packages=["rlc"],
    package_dir={"rlc": os.path.join(os.path.relpath(HERE, os.getcwd()), "rlc")
                 if os.path.relpath(HERE, os.getcwd()) != "." else "rlc"},
    python_requires=">=3.8",
    install_requires=["numpy"],
    cmdclass={"build_py": BuildPyWithLib},
    options={"egg_info": {"egg_base": os.path.relpath(_SCRATCH, os.getcwd())}},
    zip_safe=False,
    # a binary (librlc.so) rides along: mark the wheel as platform-specific
    has_ext_modules=lambda: True,
)
