"""Runs one peer nested sampler on one docs/problems.md problem and prints one JSON line.

    python bench/peers.py --tool ultranest|ultranest-slice|polychord|nessai \
        --problem rosenbrock-4d --nlive 500 --seed 42 [--check]

Driven by `npm run bench:peers` (bench/peers.ts). Settings are docs/peers.md's:
defaults except the number of live points; UltraNest slice: nsteps = 2d with
mixture random directions; PolyChord: num_repeats = 5d, precision 1e-3.
nLike counts every point handed to the likelihood, by a wrapper around it.
--check only imports the tool and exits 0 (or 3 when it cannot be imported); on SIGTERM
(bench:peers' time cap) a run prints its calls so far with "unfinished": true and exits 4;
--eval prints log L of the points given on stdin (the tests compare it with lib/problems.ts).
Each run also prints its weighted posterior's mean and sd per coordinate ("posterior"), which
bench:peers compares with the problem's exact marginals where they are known.
"""
import argparse
import json
import math
import os
import signal
import sys
import tempfile
import time

import numpy as np


def problem(name):
    """(dim, lower, upper, log-likelihood of a 1-D point, reference log Z)."""
    kind, _, rest = name.partition('-')
    d = int(rest[:-1])
    if kind == 'rosenbrock':
        def logl(x):
            return -float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))
        return d, -5.0, 5.0, logl
    if kind == 'gaussian':
        s = 0.1
        norm = -0.5 * d * math.log(2 * math.pi * s * s)

        def logl(x):
            return norm - 0.5 * float(np.dot(x, x)) / (s * s)
        return d, -5.0, 5.0, logl
    if kind == 'shells':
        r, w = 2.0, 0.1
        centres = [np.array([-3.5, 0.0]), np.array([3.5, 0.0])]

        def logl(x):
            terms = [-0.5 * math.log(2 * math.pi * w * w) - (np.linalg.norm(x - c) - r) ** 2 / (2 * w * w) for c in centres]
            m = max(terms)
            return m + math.log(sum(math.exp(t - m) for t in terms))
        return 2, -6.0, 6.0, logl
    if kind == 'eggbox':
        def logl(x):
            return (2.0 + math.cos(x[0] / 2.0) * math.cos(x[1] / 2.0)) ** 5
        return 2, 0.0, 10.0 * math.pi, logl
    raise SystemExit(f'unknown problem {name!r}')


class Counted:
    """The likelihood with a call counter (each row of a batch is one call)."""

    def __init__(self, logl):
        self.logl = logl
        self.calls = 0

    def one(self, x):
        self.calls += 1
        return self.logl(np.asarray(x, dtype=float))


def moments(points, weights):
    """Per-coordinate weighted mean and sd of a posterior sample."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    x = np.asarray(points, dtype=float)
    mean = w @ x
    sd = np.sqrt(np.maximum(0.0, w @ (x - mean) ** 2))
    return {'mean': mean.tolist(), 'sd': sd.tolist()}


def run_ultranest(args, d, lo, hi, like, slice_steps):
    import ultranest
    import ultranest.stepsampler

    names = [f'x{i}' for i in range(d)]
    sampler = ultranest.ReactiveNestedSampler(names, like.one, lambda u: lo + (hi - lo) * u, vectorized=False)
    if slice_steps:
        sampler.stepsampler = ultranest.stepsampler.SliceSampler(
            nsteps=2 * d, generate_direction=ultranest.stepsampler.generate_mixture_random_direction)
    np.random.seed(args.seed)
    result = sampler.run(min_num_live_points=args.nlive, show_status=False, viz_callback=False)
    ws = result['weighted_samples']
    return result['logz'], result['logzerr'], len(ws['logl']), moments(ws['points'], ws['weights'])


def run_polychord(args, d, lo, hi, like):
    import pypolychord
    from pypolychord.settings import PolyChordSettings

    with tempfile.TemporaryDirectory() as tmp:
        settings = PolyChordSettings(d, 0)
        settings.nlive = args.nlive
        settings.num_repeats = 5 * d
        settings.precision_criterion = 1e-3
        settings.seed = args.seed
        settings.base_dir = tmp
        settings.file_root = 'peer'
        settings.read_resume = False
        settings.write_resume = False
        settings.feedback = 0
        settings.posteriors = True  # <root>.txt, read below
        out = pypolychord.run_polychord(lambda x: (like.one(x), []), d, 0, settings, lambda u: lo + (hi - lo) * np.asarray(u))
        # peer.txt: weight, -2 log L, then the parameters of each weighted sample
        samples = np.atleast_2d(np.loadtxt(os.path.join(tmp, 'peer.txt')))
        return out.logZ, out.logZerr, out.ndead, moments(samples[:, 2:2 + d], samples[:, 0])


def run_nessai(args, d, lo, hi, like):
    from nessai.flowsampler import FlowSampler
    from nessai.livepoint import live_points_to_array
    from nessai.model import Model

    class Peer(Model):
        def __init__(self):
            self.names = [f'x{i}' for i in range(d)]
            self.bounds = {n: [lo, hi] for n in self.names}

        def log_prior(self, x):
            inside = self.in_bounds(x)
            logp = np.log(inside.astype(float)) - d * np.log(hi - lo)
            return logp

        def log_likelihood(self, x):
            arr = np.atleast_2d(live_points_to_array(x, self.names))
            values = np.array([like.one(row) for row in arr])
            return values if np.ndim(x) else values[0]

    with tempfile.TemporaryDirectory() as tmp:
        fs = FlowSampler(Peer(), output=tmp, nlive=args.nlive, seed=args.seed, plot=False)
        fs.run(plot=False)
        post = live_points_to_array(fs.posterior_samples, [f'x{i}' for i in range(d)])
        return fs.ns.log_evidence, fs.ns.log_evidence_error, len(fs.nested_samples), moments(post, np.ones(len(post)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--tool', required=True, choices=['ultranest', 'ultranest-slice', 'polychord', 'nessai'])
    p.add_argument('--problem', default='rosenbrock-2d')
    p.add_argument('--nlive', type=int, default=500)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--check', action='store_true')
    p.add_argument('--eval', action='store_true', help='print log L of the JSON points (rows) read from stdin, to check the definitions')
    args = p.parse_args()
    if args.eval:
        _, _, _, logl = problem(args.problem)
        print(json.dumps([logl(np.asarray(x, dtype=float)) for x in json.load(sys.stdin)]))
        return
    d, lo, hi, logl = problem(args.problem)
    like = Counted(logl)
    t0 = time.time()

    def unfinished(signum, frame):
        # bench:peers ends a run at its time cap with SIGTERM: report the calls spent so far (a lower bound)
        print(json.dumps({'available': True, 'tool': args.tool, 'problem': args.problem, 'nLive': args.nlive, 'seed': args.seed,
                          'unfinished': True, 'nLike': like.calls, 'wallSeconds': time.time() - t0, 'pid': os.getpid()}), flush=True)
        os._exit(4)

    if not args.check:
        signal.signal(signal.SIGTERM, unfinished)
    module = {'ultranest': 'ultranest', 'ultranest-slice': 'ultranest', 'polychord': 'pypolychord', 'nessai': 'nessai'}[args.tool]
    try:
        __import__(module)
    except Exception as e:  # noqa: BLE001 -- any import failure means "not available"
        print(json.dumps({'available': False, 'tool': args.tool, 'why': f'{type(e).__name__}: {e}'}))
        sys.exit(3)
    if args.check:
        print(json.dumps({'available': True, 'tool': args.tool}))
        return
    version = str(getattr(sys.modules[module], '__version__', '?'))
    np.random.seed(args.seed)
    if args.tool.startswith('ultranest'):
        logz, err, dead, post = run_ultranest(args, d, lo, hi, like, args.tool == 'ultranest-slice')
    elif args.tool == 'polychord':
        logz, err, dead, post = run_polychord(args, d, lo, hi, like)
    else:
        logz, err, dead, post = run_nessai(args, d, lo, hi, like)
    print(json.dumps({'available': True, 'tool': args.tool, 'problem': args.problem, 'nLive': args.nlive, 'seed': args.seed,
                      'nLike': like.calls, 'dead': dead, 'logZ': float(logz), 'logZErr': float(err),
                      'wallSeconds': time.time() - t0, 'version': version, 'pid': os.getpid(), 'posterior': post}))


if __name__ == '__main__':
    main()
