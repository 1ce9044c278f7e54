import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native tests use both cores themselves: run files one at a time.
    fileParallelism: false,
    globalSetup: ['test/setup/tmpdir.ts'],
  },
});
