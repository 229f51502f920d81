#!/usr/bin/env node
// Entry point of the `stream-metrics` command. The sources are TypeScript; tsx's loader
// compiles them on the fly so a checkout runs without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on Node 20 that its 2027 releases need Node 22: useful once, noise on
// every command. Node 22 (Lambda's runtime) never sees it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `stream-metrics … | head`: when the reader goes away, a one-shot command stops quietly (as
// other command-line tools do) instead of printing an EPIPE stack trace; `up` keeps running.
const command = process.argv[2];
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  if (command !== 'up' && command !== 'serve' && command !== 'worker') process.exit(0);
});

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// A failed start may leave servers of its own listening: exit instead of waiting on them,
// so nothing half started is left behind.
if (code !== 0) process.exit(code);
process.exitCode = code;
