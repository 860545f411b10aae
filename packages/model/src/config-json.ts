/**
 * The model configuration as JSON, saved beside the weights: a resolved
 * {@link ModelConfig} written in full, so the file does not depend on preset defaults
 * that may change later.
 */
import type { ModelConfig, ModelConfigInput } from './config.js';
import { ConfigError, resolveConfig } from './resolve.js';

/**
 * Serialises a resolved configuration to pretty-printed JSON.
 *
 * @example
 * ```ts
 * import { configFromJson, configToJson, resolveConfig } from '@moh/model';
 * const text = configToJson(resolveConfig({ preset: 'seed-moh' }));
 * configFromJson(text); // equal to resolveConfig({ preset: 'seed-moh' })
 * ```
 */
export function configToJson(config: ModelConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Parses and validates a configuration written by {@link configToJson} (or any partial
 * {@link ModelConfigInput}, completed from its preset). Throws {@link ConfigError}
 * (field `json`) for text that is not a JSON object, and for any broken rule.
 */
export function configFromJson(text: string): ModelConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('json', `must be valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('json', 'must be a JSON object of configuration fields');
  }
  return resolveConfig(parsed as ModelConfigInput);
}
