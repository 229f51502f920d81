// A dynalite server in its own process for bench/e2e-dynalite.ts, so that its CPU time can
// be read apart from the client's: answers 'cpu' with process.cpuUsage().
const dynalite = require('dynalite')({ createTableMs: 0 });
dynalite.listen(0, '127.0.0.1', () => process.send({ port: dynalite.address().port }));
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
});
