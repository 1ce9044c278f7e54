import { join } from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

describe('lib/ module graph', () => {
  it('has no import cycle (type-only imports included)', async () => {
    const root = join(__dirname, '../..');
    const tree = await parseDependencyTree(['lib/index.ts', 'lib/cli.ts'], { cwd: root, tsconfig: join(root, 'tsconfig.json'), transform: false, include: /lib\//, exclude: /node_modules/ });
    expect(Object.keys(tree).length).toBeGreaterThan(20);
    expect(parseCircular(tree).map((cycle) => cycle.join(' → '))).toEqual([]);
  });
});
