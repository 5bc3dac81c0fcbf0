/**
 * HTTP front of the emulator, on the service's real REST paths, so the unmodified
 * @aws-sdk/client-medical-imaging talks to it through an endpoint override. Two debug routes under
 * /_emulator/ let tests and people see the image sets and jobs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceError } from './errors.ts';
import { HealthImagingEmulator, type EmulatorOptions } from './emulator.ts';
import { validateDatastoreId, validateJobId, validateListQuery } from './validation.ts';

export interface RunningEmulator {
  emulator: HealthImagingEmulator;
  /** e.g. http://127.0.0.1:41234, for MedicalImagingClient's `endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

type Route = { method: string; path: RegExp; handle: (e: HealthImagingEmulator, m: string[], body: unknown, q: URLSearchParams) => unknown };

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: /^\/startDICOMImportJob\/datastore\/([^/]+)$/,
    handle: (e, [id], body) => (validateDatastoreId(id!), e.startDICOMImportJob(id!, body)),
  },
  {
    method: 'GET',
    path: /^\/getDICOMImportJob\/datastore\/([^/]+)\/job\/([^/]+)$/,
    handle: (e, [id, jobId]) => (validateDatastoreId(id!), validateJobId(jobId!), e.getDICOMImportJob(id!, jobId!)),
  },
  {
    method: 'GET',
    path: /^\/listDICOMImportJobs\/datastore\/([^/]+)$/,
    handle: (e, [id], _b, q) => (validateDatastoreId(id!), e.listDICOMImportJobs(id!, validateListQuery(q))),
  },
  { method: 'GET', path: /^\/_emulator\/imageSets$/, handle: (e) => ({ imageSets: e.imageSetViews() }) },
];

export async function startHealthImagingEmulator(
  o: EmulatorOptions & { host?: string; port?: number },
): Promise<RunningEmulator> {
  const emulator = new HealthImagingEmulator(o);
  const server = createServer((req, res) => {
    handle(emulator, req, res).catch((err) => sendError(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    emulator,
    endpoint: `http://${address}:${port}`,
    close: async () => {
      await emulator.whenIdle();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

async function handle(emulator: HealthImagingEmulator, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const route = ROUTES.find((r) => r.method === req.method && r.path.test(url.pathname));
  if (!route) {
    send(res, 404, { message: `No operation at ${req.method} ${url.pathname}` }, 'UnknownOperationException');
    return;
  }
  const params = route.path.exec(url.pathname)!.slice(1).map(decodeURIComponent);
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  send(res, 200, route.handle(emulator, params, body, url.searchParams));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ServiceError('ValidationException', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ServiceError('ValidationException', 'request body is not valid JSON');
  }
}

function sendError(res: ServerResponse, err: unknown) {
  if (err instanceof ServiceError) send(res, err.status, { message: err.message }, err.type);
  else send(res, 500, { message: err instanceof Error ? err.message : String(err) }, 'InternalServerException');
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(payload);
}
