/** `pnpm start`: the whole product on this machine. Flags are storescp's (see --help). */
import { startLocalStack } from './stack.ts';

const args = process.argv.slice(2);
const dataIndex = args.indexOf('--data-dir');
const dataDir = dataIndex >= 0 ? args.splice(dataIndex, 2)[1]! : './data';
const stack = await startLocalStack({ dataDir, scpArgs: args });
const { config, port } = stack.scp;
process.stderr.write(
  [
    '',
    'DICOM Store SCP for AWS HealthImaging is running locally.',
    `  Send images:  storescu -aec ${config.aeTitle} 127.0.0.1 ${port} FILE.dcm…   (add -R -xs etc. for compressed files)`,
    `  Check:        echoscu -aec ${config.aeTitle} 127.0.0.1 ${port}`,
    `  Import jobs:  pnpm jobs            (or: pnpm jobs STUDY_INSTANCE_UID)`,
    `  Console:      http://${config.httpHost}:${stack.scp.httpPort ?? '-'}/console${config.consoleToken ? '?token=(your CONSOLE_TOKEN)' : ''}`,
    `  Health:       http://${config.httpHost}:${stack.scp.httpPort ?? '-'}/healthz   metrics: /metrics`,
    `  Data:         ${dataDir} (S3 objects under s3/${stack.bucket}/, jobs in dynamodb/)`,
    '  Stop with Ctrl-C: in-flight stores finish and batches close first.',
    '',
  ].join('\n'),
);
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stack.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
