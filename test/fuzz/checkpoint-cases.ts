/**
 * The mutations of a run checkpoint: each counter, accumulator, array and
 * flow of a real checkpoint set to what a hand edit or a bad disk could
 * leave, re-encoded so the SHA-256 passes. What must happen: the resume is
 * refused with a CheckpointError, or it ends exactly like an untouched one.
 */
import { decodeCheckpoint, encodeCheckpoint } from '../../lib/checkpoint.js';
import { flowFields, resealFlow, setFlowValue } from './flow-layout.js';
import type { FuzzCase } from './flow-cases.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ck = any;

export function checkpointCases(good: Uint8Array, foreignFlow: Uint8Array): FuzzCase[] {
  const base = decodeCheckpoint(good);
  const cases: FuzzCase[] = [];
  const edit = (name: string, change: (ck: Ck) => void): void => {
    const ck = structuredClone(base) as Ck;
    change(ck);
    cases.push({ name, bytes: new Uint8Array(encodeCheckpoint(ck)) });
  };
  const s = (ck: Ck): Ck => ck.state;
  for (const v of [-1, 0, 1, 2 ** 31 - 1, NaN, 1.5]) edit(`iteration = ${v}`, (ck) => (s(ck).iteration = v));
  for (const d of [-1, 1, -1e9]) edit(`nLike ${d > 0 ? '+' : ''}${d}`, (ck) => (s(ck).nLike += d));
  edit('finished = true', (ck) => (s(ck).finished = true));
  edit('finished = true, stop plateau', (ck) => ((s(ck).finished = true), (s(ck).stopReason = 'plateau')));
  edit('stopReason = bogus', (ck) => (s(ck).stopReason = 'bogus'));
  for (const k of ['logZ', 'logX', 'meanLogL'])
    for (const v of [Infinity, NaN, -Infinity, 1]) edit(`evidence.${k} = ${v === 1 ? '+1 nat' : v}`, (ck) => (s(ck).evidence[k] = v === 1 ? s(ck).evidence[k] + 1 : v));
  for (const v of [NaN, Infinity, -Infinity, 1e300]) edit(`live.logL[0] = ${v}`, (ck) => (s(ck).live.logL[0] = v));
  edit('live.logL[5] + 0.1', (ck) => (s(ck).live.logL[5] += 0.1));
  for (const v of [2, -1, NaN]) edit(`live.u[0] = ${v}`, (ck) => (s(ck).live.u[0] = v));
  edit('live.theta[0] + 1', (ck) => (s(ck).live.theta[0] += 1));
  edit('live.u one value short', (ck) => (s(ck).live.u = s(ck).live.u.slice(0, -1)));
  edit('live one row short', (ck) => {
    const l = s(ck).live;
    const dim = l.u.length / l.logL.length;
    l.u = l.u.slice(0, -dim);
    l.theta = l.theta.slice(0, -dim);
    l.logL = l.logL.slice(0, -1);
    l.birth = l.birth.slice(0, -1);
    l.fold = l.fold.slice(0, -1);
  });
  for (const v of [3, 255]) edit(`live.fold[0] = ${v}`, (ck) => (s(ck).live.fold[0] = v));
  edit('live.birth[0] = +Inf', (ck) => (s(ck).live.birth[0] = Infinity));
  edit('dead.logL[0] = NaN', (ck) => (s(ck).dead.logL[0] = NaN));
  edit('dead.logL first two swapped', (ck) => {
    const d = s(ck).dead.logL;
    [d[0], d[d.length - 1]] = [d[d.length - 1], d[0]];
  });
  edit('dead.theta one value short', (ck) => (s(ck).dead.theta = s(ck).dead.theta.slice(0, -1)));
  edit('dead one row dropped', (ck) => {
    const d = s(ck).dead;
    const dim = d.theta.length / d.logL.length;
    d.theta = d.theta.slice(0, -dim);
    d.logL = d.logL.slice(0, -1);
    d.birth = d.birth.slice(0, -1);
  });
  edit('rng = all zero', (ck) => (s(ck).rng = [0, 0, 0, 0]));
  edit('rng word = 2^32', (ck) => (s(ck).rng[0] = 2 ** 32));
  for (const v of [0, NaN, 1e9, -1]) edit(`rates.localScale = ${v}`, (ck) => (s(ck).rates.localScale = v));
  edit('rates.weightPassRate = 0', (ck) => (s(ck).rates.weightPassRate = 0));
  edit('rates.flowContourRate = 2', (ck) => (s(ck).rates.flowContourRate = 2));
  edit('last iteration record dropped', (ck) => s(ck).iterations.pop());
  edit('iteration record killed = 0', (ck) => (s(ck).iterations[0].killed = 0));
  edit('iteration record killed + 1', (ck) => (s(ck).iterations[0].killed += 1));
  edit('insertionU one short', (ck) => s(ck).insertionU.pop());
  edit('insertionU[0] = 2', (ck) => (s(ck).insertionU[0] = 2));
  edit('timings.total = NaN', (ck) => (s(ck).timings.total = NaN));
  edit('counts.stayed = -1', (ck) => (s(ck).counts.stayed = -1));
  edit('flows: one dropped', (ck) => ck.flows.pop());
  edit('flows: one repeated', (ck) => ck.flows.push(ck.flows[0]));
  edit('flows[0] of another dimension', (ck) => (ck.flows[0] = foreignFlow));
  edit('flows[0] truncated', (ck) => (ck.flows[0] = ck.flows[0].slice(0, 100)));
  edit('flows[0] params[0] = NaN', (ck) => {
    const f = ck.flows[0].slice();
    setFlowValue(f, flowFields(f).find((x) => x.name === 'params')!, 0, NaN);
    ck.flows[0] = resealFlow(f);
  });
  edit('flows: not byte arrays', (ck) => (ck.flows = [1, 2, 3]));
  edit('settings.folds changed', (ck) => (ck.settings.folds = 2));
  edit('kind = other', (ck) => (ck.kind = 'other'));
  edit('state = null', (ck) => (ck.state = null));
  edit('unknown state field', (ck) => (s(ck).extra = 1));
  return cases;
}
