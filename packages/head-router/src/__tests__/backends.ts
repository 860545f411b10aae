/** The backends every spec of this package runs on: all that this runtime offers. */
import { availableBackends, type Backend } from '@moh/tensor';

/** `[name, backend]` pairs for `describe.each`. */
export const testBackends: [string, Backend][] = availableBackends().map((b) => [b.label, b]);
