// Small helpers several components share.
export { ATOMIC_TEMP_SUFFIX, writeFileAtomicSync } from './files.ts';
export { deepFreeze } from './freeze.ts';
export { processAlive } from './process.ts';
export { caravelVersion } from './version.ts';
