/**
 * The jobs table (DESIGN.md "Jobs table"): one row per import job, keyed by jobId, with a GSI on
 * studyInstanceUID so "what happened to study X" is one query.
 */
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  paginateScan,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { FailedFile, JobRow } from '@storescp/workers';

export type { FailedFile, JobRow };

export const DEFAULT_JOBS_TABLE_NAME = 'DicomImportJobTable';
export const STUDY_INDEX_NAME = 'studyInstanceUID-index';

export type JobRowUpdate = Partial<Omit<JobRow, 'jobId'>>;

export class JobsTable {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async put(row: JobRow): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: row }));
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { jobId }, ConsistentRead: true }));
    return res.Item as JobRow | undefined;
  }

  /** Sets the given attributes on an existing row (the condition keeps a stray update from creating one). */
  async update(jobId: string, fields: JobRowUpdate): Promise<void> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { jobId },
        ConditionExpression: 'attribute_exists(jobId)',
        UpdateExpression: `SET ${entries.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#a${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
      }),
    );
  }

  /** Every job of a study, oldest first. */
  async queryByStudy(studyInstanceUID: string): Promise<JobRow[]> {
    const rows: JobRow[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        IndexName: STUDY_INDEX_NAME,
        KeyConditionExpression: 'studyInstanceUID = :s',
        ExpressionAttributeValues: { ':s': studyInstanceUID },
      },
    );
    for await (const page of pages) rows.push(...((page.Items ?? []) as JobRow[]));
    return rows;
  }

  /** The newest jobs first, for local inspection (a full scan: not for a large table). */
  async recent(limit: number): Promise<JobRow[]> {
    const rows: JobRow[] = [];
    for await (const page of paginateScan({ client: this.doc }, { TableName: this.tableName })) rows.push(...((page.Items ?? []) as JobRow[]));
    return rows.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt)).slice(0, limit);
  }
}

/** Creates the table as the CDK stack does (on-demand, same keys and GSI); used locally with dynalite. */
export async function createJobsTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'jobId', AttributeType: 'S' },
        { AttributeName: 'studyInstanceUID', AttributeType: 'S' },
        { AttributeName: 'submittedAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: STUDY_INDEX_NAME,
          KeySchema: [
            { AttributeName: 'studyInstanceUID', KeyType: 'HASH' },
            { AttributeName: 'submittedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
}
