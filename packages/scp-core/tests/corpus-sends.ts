/** How dcmtk's storescu sends the corpus: one association per transfer syntax, each file with the proposal it needs. */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readPart10Meta } from '../src/index.ts';
import { CORPUS, dcmtk } from './helpers.ts';

export const PROPOSE: Record<string, string> = {
  '1.2.840.10008.1.2': '-xi',
  '1.2.840.10008.1.2.1': '-xe',
  '1.2.840.10008.1.2.2': '-xb',
  '1.2.840.10008.1.2.1.99': '-xd',
  '1.2.840.10008.1.2.4.50': '-xy',
  '1.2.840.10008.1.2.4.51': '-xx',
  '1.2.840.10008.1.2.4.70': '-xs',
  '1.2.840.10008.1.2.4.80': '-xt',
  '1.2.840.10008.1.2.4.90': '-xv',
  '1.2.840.10008.1.2.4.91': '-xw',
  '1.2.840.10008.1.2.5': '-xr',
};

/** The SOP Instance UID storescu puts in the command: the dataset's (0008,0018). */
export async function datasetSopUid(file: string): Promise<string> {
  const r = await dcmtk('dcmdump', ['+P', '0008,0018', file]);
  return /\[([0-9.]+)\]/.exec(r.stdout)![1]!;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Splits files into sends with one transfer syntax each and no SOP Instance UID twice. */
export async function corpusSends(): Promise<{ ts: string; files: string[] }[]> {
  const sends: { ts: string; files: string[]; uids: Set<string> }[] = [];
  for (const name of readdirSync(CORPUS).sort()) {
    const file = join(CORPUS, name);
    const ts = readPart10Meta(readFileSync(file)).transferSyntaxUid;
    const uid = await datasetSopUid(file);
    let send = sends.find((s) => s.ts === ts && !s.uids.has(uid));
    if (!send) sends.push((send = { ts, files: [], uids: new Set() }));
    send.files.push(file);
    send.uids.add(uid);
  }
  return sends;
}


/** storescu arguments for one send (the caller adds host, port and files). */
export const storescuArgs = (ts: string) => ['-R', PROPOSE[ts]!, '-nh', '-aet', 'STORESCU', '-aec', 'STORESCP'];
