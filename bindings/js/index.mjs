// tensormem for JavaScript: see index.d.ts for the API and its contracts.
export { Device } from './lib/device.mjs';
export { TensorMemError } from './lib/errors.mjs';
export { version } from './lib/version.mjs';
