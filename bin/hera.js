#!/usr/bin/env node
// Runs the TypeScript CLI directly, so `npx hera` works without a build step.
require('tsx/cjs/api').register();
require('../src/cli/hera.ts');
