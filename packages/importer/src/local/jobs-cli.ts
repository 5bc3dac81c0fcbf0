/** `pnpm jobs [StudyInstanceUID]`: the import jobs of the running local stack, newest first. */
import { existsSync, readFileSync } from 'node:fs';
import { makeDocumentClient, makeDynamoClient } from '../aws/clients.ts';
import { JobsTable } from '../jobs/table.ts';
import { endpointsFile, type LocalStackEndpoints } from './stack.ts';

const [study, dataDir = './data'] = process.argv.slice(2);
const file = endpointsFile(dataDir);
if (!existsSync(file)) {
  process.stderr.write(`No local stack found (${file} is missing): start it with "pnpm start".\n`);
  process.exit(2);
}
const endpoints = JSON.parse(readFileSync(file, 'utf8')) as LocalStackEndpoints;
const table = new JobsTable(makeDocumentClient(makeDynamoClient({ endpoint: endpoints.dynamodb })), endpoints.tableName);
let rows;
try {
  rows = study ? await table.queryByStudy(study) : await table.recent(20);
} catch (err) {
  process.stderr.write(`Cannot read the jobs table at ${endpoints.dynamodb}: is "pnpm start" still running? (${(err as Error).message})\n`);
  process.exit(1);
}
if (rows.length === 0) process.stdout.write(study ? `No import job for study ${study}.\n` : 'No import jobs yet.\n');
for (const r of rows) {
  const files = r.numberOfScannedFiles === undefined ? '' : ` files ${r.numberOfImportedFiles}/${r.numberOfScannedFiles} imported, ${(r.numberOfFilesWithCustomerError ?? 0) + (r.numberOfFilesWithServerError ?? 0)} failed`;
  process.stdout.write(`${r.submittedAt}  ${r.jobStatus.padEnd(11)} study ${r.studyInstanceUID}  ${r.instanceCount} instances${files}  ${r.message ?? ''}\n`);
  for (const f of r.failedFiles ?? []) process.stdout.write(`    failed: ${f.inputFile}: ${f.exceptionType} ${f.message}\n`);
}
