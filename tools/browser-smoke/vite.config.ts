import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Bundles the smoke page from workspace source, as an app using the packages would.
export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['@moh/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  logLevel: 'warn',
});
