import { describe, expect, it } from 'vitest';
import { fmtExp } from '../../lib/progress.js';

describe('fmtExp', () => {
  it('prints e^x in exponent notation, and only a bound beyond 1e±99', () => {
    expect(fmtExp(Math.log(1234))).toBe('1.2e+3');
    expect(fmtExp(Math.log(1e-5))).toBe('1.0e-5');
    expect(fmtExp(34256)).toBe('>1e+99');
    expect(fmtExp(-1e6)).toBe('<1e-99');
    expect(fmtExp(Infinity)).toBe('>1e+99');
    expect(fmtExp(NaN)).toBe('NaN');
  });
});
