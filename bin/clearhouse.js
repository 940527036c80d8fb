#!/usr/bin/env node
// Entry point: loads the TypeScript sources through bin/ts-register.js (esbuild, no build step;
// decision 97), then runs the CLI.
import './ts-register.js';
await import('../switch/cli/main.ts');
