/**
 * Where each field of a flow file lies (the layout native/flow_format.cc
 * writes), and re-sealing its FNV-1a checksum after an edit: the mutations
 * below reach the reader's field checks, not just its checksum.
 */

export interface FlowField {
  name: string;
  offset: number;
  kind: 'u32' | 'u64' | 'f64' | 'f32';
  /** Elements (1 for a header field). */
  count: number;
}

const u32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, true);

/** The fields of a well-formed flow file, in order. */
export function flowFields(bytes: Uint8Array): FlowField[] {
  const dim = u32(bytes, 12);
  const timeFreqs = u32(bytes, 16);
  const nHidden = u32(bytes, 20);
  const hidden = Array.from({ length: nHidden }, (_, i) => u32(bytes, 24 + 4 * i));
  const widths = [dim + 1 + 2 * timeFreqs, ...hidden, dim];
  let params = 0;
  for (let l = 0; l + 1 < widths.length; l++) params += widths[l]! * widths[l + 1]! + widths[l + 1]!;
  const fields: FlowField[] = [
    { name: 'version', offset: 8, kind: 'u32', count: 1 },
    { name: 'dim', offset: 12, kind: 'u32', count: 1 },
    { name: 'timeFreqs', offset: 16, kind: 'u32', count: 1 },
    { name: 'nHidden', offset: 20, kind: 'u32', count: 1 },
    ...hidden.map((_, i) => ({ name: `hidden[${i}]`, offset: 24 + 4 * i, kind: 'u32' as const, count: 1 })),
  ];
  let o = 24 + 4 * nHidden;
  const push = (name: string, kind: FlowField['kind'], count: number): void => {
    fields.push({ name, offset: o, kind, count });
    o += count * (kind === 'u32' || kind === 'f32' ? 4 : 8);
  };
  push('adamStep', 'u64', 1);
  push('rng', 'u64', 4);
  push('mean', 'f64', dim);
  push('chol', 'f64', dim * dim);
  push('params', 'f32', params);
  push('adamM', 'f32', params);
  push('adamV', 'f32', params);
  if (o + 4 !== bytes.length) throw new Error(`flow layout: fields end at ${o} but the file has ${bytes.length} bytes`);
  return fields;
}

/** FNV-1a over everything but the last four bytes, written into them. */
export function resealFlow(bytes: Uint8Array): Uint8Array {
  let h = 2166136261;
  for (let i = 0; i < bytes.length - 4; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, h, true);
  return bytes;
}

/** Writes element `index` of field f. */
export function setFlowValue(bytes: Uint8Array, f: FlowField, index: number, value: number | bigint): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = f.kind === 'u32' || f.kind === 'f32' ? 4 : 8;
  const o = f.offset + index * size;
  if (f.kind === 'u32') v.setUint32(o, Number(value) >>> 0, true);
  else if (f.kind === 'u64') v.setBigUint64(o, BigInt(value), true);
  else if (f.kind === 'f64') v.setFloat64(o, Number(value), true);
  else v.setFloat32(o, Number(value), true);
}
