import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * The vitest configuration every package shares: tests run on workspace source through
 * the `@moh/source` export condition, so no build is needed first.
 */
export function packageTestConfig(name: string): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@moh/source', ...defaultClientConditions] },
    ssr: { resolve: { conditions: ['@moh/source', ...defaultServerConditions] } },
    test: {
      name,
      include: ['src/**/*.test.ts'],
      environment: 'node',
      setupFiles: [fileURLToPath(new URL('./tools/vitest-setup.ts', import.meta.url))],
      restoreMocks: true,
      testTimeout: 60_000,
      // Packages whose issue has not landed yet hold only types; they get tests with their code.
      passWithNoTests: true,
    },
  });
}
