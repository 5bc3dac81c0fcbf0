/** The `storescp` command: configuration from flags and environment, graceful exit on SIGTERM/SIGINT. */
import { ConfigError, helpText, loadConfig } from './config/options.ts';
import { startScp } from './server/start.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText() + '\n');
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`storescp: ${err.message}\n`);
    process.exit(2);
  }
  let scp;
  try {
    scp = await startScp(config);
  } catch (err) {
    process.stderr.write(`storescp: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    scp.log.info('signal', { signal });
    scp.drain().then(
      () => process.exit(0),
      (err) => {
        scp.log.error('drain.failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
