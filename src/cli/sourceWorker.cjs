// The index worker run from its TypeScript source, for the CLI run from source with tsx (tests,
// benchmarks); the built CLI starts dist/worker.js instead.
require('tsx/cjs');
require('../core/worker/worker.ts');
