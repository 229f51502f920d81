#!/usr/bin/env node
// Entry point of the `stream-metrics` command. The sources are TypeScript; tsx's loader
// compiles them on the fly so a checkout runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
