/**
 * The one way numbers are checked in nestflow: a {@link NumberRule} says what
 * a setting may be; {@link checkNumber} applies it to a library argument
 * (TypeError or RangeError naming the argument) and {@link zodNumber} turns
 * the same rule into the configuration schema's field, so the library, the
 * config file and the CLI accept exactly the same values.
 */
import { z } from 'zod';

/** What a number may be. Bounds are inclusive unless marked open. */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** `min` itself is not allowed. */
  openMin?: boolean;
  /** `max` itself is not allowed. */
  openMax?: boolean;
}

/** Integers from `min` on. */
export const intFrom = (min: number): NumberRule => ({ integer: true, min });
/** Finite numbers above 0. */
export const POSITIVE: NumberRule = { min: 0, openMin: true };
/** The open interval (0, 1). */
export const FRACTION: NumberRule = { min: 0, max: 1, openMin: true, openMax: true };

/** The rule in words: "an integer ≥ 2", "in (0, 1]", "a positive finite number". */
export function describeRule(rule: NumberRule): string {
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) return `${rule.integer ? 'an integer ' : ''}in ${rule.openMin ? '(' : '['}${min}, ${max}${rule.openMax ? ')' : ']'}`;
  if (min === 0 && rule.openMin && !rule.integer) return 'a positive finite number';
  if (min !== undefined) return `${rule.integer ? 'an integer' : 'a finite number'} ${rule.openMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${rule.integer ? 'an integer' : 'a finite number'} ${rule.openMax ? '<' : '≤'} ${max}`;
  return rule.integer ? 'an integer' : 'a finite number';
}

function satisfies(v: number, rule: NumberRule): boolean {
  if (!Number.isFinite(v)) return false;
  if (rule.integer && !Number.isInteger(v)) return false;
  if (rule.min !== undefined && (rule.openMin ? !(v > rule.min) : !(v >= rule.min))) return false;
  if (rule.max !== undefined && (rule.openMax ? !(v < rule.max) : !(v <= rule.max))) return false;
  return true;
}

/** Returns `value` if it is a number obeying `rule`; else throws a TypeError (not a number) or RangeError naming `name`. */
export function checkNumber(value: unknown, name: string, rule: NumberRule): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!satisfies(value, rule)) throw new RangeError(`${name} must be ${describeRule(rule)}, got ${value}`);
  return value;
}

/** The same rule as a zod schema field, with the same words in its error. */
export function zodNumber(rule: NumberRule): z.ZodNumber {
  return z.number().refine((v) => satisfies(v, rule), { message: `must be ${describeRule(rule)}` });
}

/** Returns `value` if it is one of `choices`; else a RangeError naming `name`. */
export function checkChoice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    throw new RangeError(`${name} must be ${choices.map((c) => `'${c}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${String(value)}`);
  return value as T;
}
