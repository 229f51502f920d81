// The local DynamoDB endpoint (dynalite + TransactWriteItems) in a process of its own, so
// that DynamoDB's work runs on another core than kinesalite, PGlite and the pollers (see
// src/local/dynalite-process.ts). Exits with its parent.
import { register } from 'tsx/esm/api';

register();
const { createLocalDynamo } = await import('./server.ts');

const [port, dataPath] = process.argv.slice(2);
const server = createLocalDynamo(dataPath ? { path: dataPath } : {});
server.once('error', (err) => {
  process.send?.({ error: err.code === 'EADDRINUSE' ? 'EADDRINUSE' : String(err.message) });
  process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('disconnect', () => server.close(() => process.exit(0)));
// SIGINT from a terminal and SIGTERM sent to the process group (`kill -- -PGID`, a
// container stop, the contract check) reach this process too: it stays for the parent's
// clean shutdown, whose in-flight batches and checkpoints still need DynamoDB, and leaves
// when the parent disconnects (or dies: the IPC channel closes with it).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
