/** Row-major [n × dim] arrays of points. */

/** Rows of a row-major [n × dim] array, packed. */
export function gatherRows(src: Float64Array, rows: ArrayLike<number>, dim: number): Float64Array {
  const out = new Float64Array(rows.length * dim);
  for (let k = 0; k < rows.length; k++) out.set(src.subarray(rows[k]! * dim, (rows[k]! + 1) * dim), k * dim);
  return out;
}
