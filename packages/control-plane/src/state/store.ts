/**
 * The only module that talks to DynamoDB. Every state change is one conditional single-item
 * write on the record's `version` (the emulator has no transactions, and none are needed:
 * whoever bumps the version first wins, the other sees `undefined` and moves on).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RECORD_RETENTION_SECONDS } from '../constants';
import {
  BY_STATE_INDEX,
  instanceKey,
  instanceStateKey,
  jobKey,
  jobStateKey,
  type InstanceRecord,
  type InstanceState,
  type JobRecord,
  type JobStatus,
} from './records';

export type Clock = () => number;

/** Attributes a caller may change; the store maintains pk, kind, version, stateKey, stateSince. */
type Managed = 'pk' | 'kind' | 'version' | 'stateKey' | 'stateSince';
export type InstanceChanges = Partial<Omit<InstanceRecord, Managed | 'instanceId' | 'pool'>>;
export type JobChanges = Partial<Omit<JobRecord, Managed | 'jobId'>>;

const TERMINAL_INSTANCE_STATES: readonly InstanceState[] = ['terminated'];

export class StateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: Clock = Date.now,
  ) {}

  // ---- instances ----

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: instanceKey(instanceId) },
        ConsistentRead: true,
      }),
    );
    return out.Item as InstanceRecord | undefined;
  }

  /** Records a just-launched instance; false when a record already exists (a retried launch). */
  async createInstance(
    fields: Omit<InstanceRecord, Managed | 'launchedAt' | 'kind'> & { launchedAt?: number },
  ): Promise<InstanceRecord | undefined> {
    const now = this.now();
    const record: InstanceRecord = {
      ...fields,
      pk: instanceKey(fields.instanceId),
      kind: 'instance',
      version: 1,
      stateKey: instanceStateKey(fields.pool, fields.state),
      stateSince: now,
      launchedAt: fields.launchedAt ?? now,
    };
    return (await this.putIfAbsent(record)) ? record : undefined;
  }

  /**
   * Applies `changes` if the record is still at `current.version`; returns the new record, or
   * undefined when someone else changed it first.
   */
  async updateInstance(
    current: InstanceRecord,
    changes: InstanceChanges,
  ): Promise<InstanceRecord | undefined> {
    const next: InstanceRecord = { ...current, ...changes, version: current.version + 1 };
    if (changes.state !== undefined && changes.state !== current.state) {
      next.stateKey = instanceStateKey(current.pool, changes.state);
      next.stateSince = this.now();
      if (TERMINAL_INSTANCE_STATES.includes(changes.state))
        next.expiresAt = Math.floor(this.now() / 1000) + RECORD_RETENTION_SECONDS;
    }
    return (await this.conditionalUpdate(current, next)) ? next : undefined;
  }

  /** Instances of a pool in a state, oldest state change first (the index is eventually consistent). */
  async instancesIn(
    pool: string,
    state: InstanceState,
    options: { changedBefore?: number; limit?: number } = {},
  ): Promise<InstanceRecord[]> {
    return (await this.queryByState(
      instanceStateKey(pool, state),
      options.changedBefore,
      options.limit,
    )) as InstanceRecord[];
  }

  // ---- jobs ----

  async getJob(jobId: number): Promise<JobRecord | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: jobKey(jobId) }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  /** Creates the job record once per job id: the scale-up idempotency guard. */
  async createJob(
    fields: Omit<JobRecord, Managed | 'kind' | 'firstSeenAt' | 'expiresAt'>,
    retentionSeconds: number,
  ): Promise<JobRecord | undefined> {
    const now = this.now();
    const record: JobRecord = {
      ...fields,
      pk: jobKey(fields.jobId),
      kind: 'job',
      version: 1,
      stateKey: jobStateKey(fields.status),
      stateSince: now,
      firstSeenAt: now,
      expiresAt: Math.floor(now / 1000) + retentionSeconds,
    };
    return (await this.putIfAbsent(record)) ? record : undefined;
  }

  async updateJob(current: JobRecord, changes: JobChanges): Promise<JobRecord | undefined> {
    const next: JobRecord = { ...current, ...changes, version: current.version + 1 };
    if (changes.status !== undefined && changes.status !== current.status) {
      next.stateKey = jobStateKey(changes.status);
      next.stateSince = this.now();
    }
    return (await this.conditionalUpdate(current, next)) ? next : undefined;
  }

  async jobsIn(
    status: JobStatus,
    options: { changedBefore?: number; changedAfter?: number; limit?: number } = {},
  ): Promise<JobRecord[]> {
    return (await this.queryByState(
      jobStateKey(status),
      options.changedBefore,
      options.limit,
      options.changedAfter,
    )) as JobRecord[];
  }

  // ---- mechanics ----

  private async putIfAbsent(item: InstanceRecord | JobRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async conditionalUpdate(
    current: { pk: string; version: number },
    next: InstanceRecord | JobRecord,
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':expected': current.version };
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries(next).forEach(([key, value], index) => {
      if (key === 'pk') return;
      names[`#a${index}`] = key;
      if (value === undefined) removes.push(`#a${index}`);
      else {
        sets.push(`#a${index} = :v${index}`);
        values[`:v${index}`] = value;
      }
    });
    names['#version'] = 'version';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: current.pk },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async queryByState(
    stateKey: string,
    changedBefore?: number,
    limit?: number,
    changedAfter?: number,
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    const values: Record<string, unknown> = { ':k': stateKey };
    let condition = 'stateKey = :k';
    if (changedBefore !== undefined && changedAfter !== undefined) {
      condition += ' AND stateSince BETWEEN :after AND :before';
      Object.assign(values, { ':after': changedAfter, ':before': changedBefore });
    } else if (changedBefore !== undefined) {
      condition += ' AND stateSince < :before';
      values[':before'] = changedBefore;
    } else if (changedAfter !== undefined) {
      condition += ' AND stateSince > :after';
      values[':after'] = changedAfter;
    }
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_STATE_INDEX,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: start,
          Limit: limit,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined && (limit === undefined || items.length < limit));
    return limit === undefined ? items : items.slice(0, limit);
  }
}
