"""Reads a nestflow run with anesthetic and compares its log Z with ours.

    PYTHONPATH=/path/to/anesthetic python3 bench/anesthetic_check.py chains/rosenbrock-4d

anesthetic 2.0.0b31 (commit 97d165ef) works with Debian's pandas 1.5.
"""
import json
import sys

from anesthetic import read_chains

root = sys.argv[1]
ours = json.load(open(root + '.json'))
samples = read_chains(root)
logZ = samples.logZ(1000)
print(f"anesthetic: {len(samples)} points, logZ = {logZ.mean():.3f} ± {logZ.std():.3f}")
print(f"nestflow:   {ours['nDead']} points, logZ = {ours['logZ']:.3f} ± {ours['logZErr']:.3f}")
diff = abs(logZ.mean() - ours['logZ'])
ok = diff <= 3 * max(ours['logZErr'], logZ.std()) / 10 + 0.02
print(f"difference {diff:.4f} nats: {'consistent' if ok else 'INCONSISTENT'}")
sys.exit(0 if ok else 1)
