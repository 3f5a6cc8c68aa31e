// CommonJS entry point: the package is ES modules without top-level await, so
// require() loads them synchronously (require(esm), Node.js 20.19 and later).
'use strict';
try {
  module.exports = require('./index.mjs');
} catch (error) {
  if (error && error.code === 'ERR_REQUIRE_ESM') {
    throw new Error(`tensormem: require() of this package needs Node.js 20.19 or later (you have ${process.version}); ` +
      'use `import` instead, or upgrade node');
  }
  throw error;
}
