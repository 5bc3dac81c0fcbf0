// Runs every test file of the workspace in one node:test run, so there is one summary.
// (Node 20's --test takes no globs, hence the walk.)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

// dcmtk (storescu, echoscu, dcmdump, storescp) is the real peer the interop tests run against;
// Debian's chromium is the browser the console test drives.
const missing = [
  ['storescu', 'dcmtk'],
  ['/usr/bin/chromium', 'chromium'],
].filter(([command]) => spawnSync(command, ['--version']).error).map(([, pkg]) => pkg);
if (missing.length) {
  const canInstall = process.getuid?.() === 0 && !spawnSync('apt-get', ['--version']).error;
  if (!canInstall) {
    console.error(`The tests need ${missing.join(' and ')}: install (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run again.`);
    process.exit(1);
  }
  console.error(`${missing.join(' and ')} missing: installing with apt-get…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const roots = [...readdirSync('packages').map((p) => join('packages', p, 'tests')), join('load', 'tests')];
const files = roots
  .filter((root) => existsSync(root))
  .flatMap((root) => readdirSync(root, { recursive: true }).filter((f) => f.endsWith('.test.ts')).map((f) => join(root, f)));
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${availableParallelism()}`, ...selected], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
