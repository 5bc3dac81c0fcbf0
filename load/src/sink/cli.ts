/** node --import tsx load/src/sink/cli.ts [--port P]: the discarding SCP, to measure the sender's ceiling. */
import { parseArgs } from 'node:util';
import { startDiscardScp } from './discard-scp.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '11113' }, host: { type: 'string', default: '127.0.0.1' } } });
const scp = await startDiscardScp(Number(values.port), values.host);
console.log(`discard SCP listening on ${values.host}:${scp.port} (any AE title, every context accepted)`);
process.on('SIGINT', () => {
  console.log(`\nreceived ${scp.received.stores} C-STOREs, ${(scp.received.bytes / 1e6).toFixed(1)} MB`);
  void scp.close().then(() => process.exit(0));
});
