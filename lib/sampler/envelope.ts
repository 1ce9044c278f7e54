/**
 * The envelope cap: the largest log W at which the flow's own draws would
 * still pass the weight test at the wanted rate.
 */

/** Fraction of `total` draws (those inside the cube have weights `logW`) that pass the weight test against log W. */
export function weightPassRate(logW: readonly number[], total: number, logEnvelope: number): number {
  let sum = 0;
  for (const lw of logW) sum += lw >= logEnvelope ? 1 : Math.exp(lw - logEnvelope);
  return sum / total;
}

/**
 * The cap on log W so that at least `minRate` of the pilot draws pass, or
 * undefined when `logWHigh` already lets that many through (or no draw fell
 * inside the cube). Bisection to 1e-3 nats.
 */
export function capEnvelope(pilotLogW: readonly number[], total: number, logWHigh: number, minRate: number): number | undefined {
  if (pilotLogW.length === 0 || weightPassRate(pilotLogW, total, logWHigh) >= minRate) return undefined;
  let lo = Math.min(...pilotLogW);
  let hi = logWHigh;
  if (weightPassRate(pilotLogW, total, lo) < minRate) hi = lo;
  for (let k = 0; k < 50 && hi - lo > 1e-3; k++) {
    const mid = 0.5 * (lo + hi);
    if (weightPassRate(pilotLogW, total, mid) >= minRate) lo = mid;
    else hi = mid;
  }
  return lo;
}
