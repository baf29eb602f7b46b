"""Runs every python/tests/test_*.py with the standard library's unittest and prints the summary
line "N passed, N failed" (skips are listed above it); exits non-zero on any failure or error.

    RLC_LIB=build/release/librlc.so /usr/bin/python3 python/tests/run.py [-v] [pattern]

The package is imported from python/ (this checkout), the library from $RLC_LIB (else the
package's own search order). `pattern` selects test modules by a substring of their name.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # python/: the rlc package of this checkout
sys.path.insert(0, HERE)                   # helpers


def main(argv):
    verbose = "-v" in argv
    pats = [a for a in argv if not a.startswith("-")]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            mod = name[:-3]
            if pats and not any(p in mod for p in pats):
                continue
            suite.addTests(loader.loadTestsFromName(mod))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2 if verbose else 1)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    for test, why in res.skipped:
        print("skipped %s: %s" % (test.id(), why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or res.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
