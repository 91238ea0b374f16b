import { randomBytes } from 'node:crypto';
import { MongoServerError } from 'mongodb';
import type { Collection, Db, MongoClient, UpdateFilter } from 'mongodb';
import { AppError } from '@mediaflow/domain';
import { guarded } from './database-error';
import { isDuplicateKey } from './mongo-claim-ledger';
import { mongoClientFor } from './mongo-client';
import type { MongoConnection } from './mongo-client';
import { requireMongoIndexes, schemaMissing } from './schema';
import type { DatabaseCompat } from './schema';
import { WebhookStore } from './job-repository';
import type {
  LeasedDeliveryRef,
  LeasedWebhookDelivery,
  NewWebhookDelivery,
  WebhookAttemptRecord,
  WebhookDelivery,
  WebhookEndpoint,
} from './job-repository';

export type MongoWebhookStoreOptions = {
  dbName: string;
  /** The jobs collection; the webhook collections are named after it (`<jobs>_webhook_…`). */
  jobsCollection: string;
  /** `ferretdb-v1` arbitrates leases through a ledger of uniquely keyed inserts (see leaseOne). */
  compat?: DatabaseCompat;
} & MongoConnection;

interface EndpointDocument extends Omit<WebhookEndpoint, 'endpoint_id'> {
  _id: string;
}

interface SecretDocument {
  /** The owner (API key id). */
  _id: string;
  secret: string;
}

interface DeliveryDocument extends Omit<WebhookDelivery, 'delivery_id'> {
  _id: string;
  /** Pending only: next_attempt_at as a Date, which the by_due index orders. */
  due_at?: Date;
  lease?: string;
}

interface LeaseEntry {
  /** `<delivery id>@<due_at ms seen>`: one lease per delivery and due time. */
  _id: string;
  at: Date;
}

const ENDPOINT_INDEXES = ['by_owner'];
const DELIVERY_INDEXES = ['by_due', 'by_job'];
// 48 NamespaceExists.
const NAMESPACE_EXISTS = 48;

/**
 * Webhook endpoints, owner secrets and the delivery outbox in three
 * collections beside the jobs (`<jobs>_webhook_endpoints`, `_secrets`,
 * `_deliveries`).
 *
 * A lease is one conditional update that moves a due delivery's `due_at` to
 * the lease's end, filtered on the `due_at` it was read with: atomic on
 * MongoDB. FerretDB v1 applies an update's filter and its write in two steps,
 * so there (DATABASE_COMPAT=ferretdb-v1) a dispatcher first inserts a ledger
 * entry keyed by delivery and due time into `<jobs>_webhook_leases`; a
 * duplicate key, which every server refuses atomically, means another
 * dispatcher has it.
 */
export class MongoWebhookStore extends WebhookStore {
  private readonly client: MongoClient;
  private readonly ownsClient: boolean;
  private readonly db: Db;
  private readonly endpoints: Collection<EndpointDocument>;
  private readonly secrets: Collection<SecretDocument>;
  private readonly deliveries: Collection<DeliveryDocument>;
  private readonly leases: Collection<LeaseEntry>;
  private readonly leaseLedger: boolean;

  constructor(options: MongoWebhookStoreOptions) {
    super();
    const connection = mongoClientFor(options);
    this.client = connection.client;
    this.ownsClient = connection.owned;
    this.db = this.client.db(options.dbName);
    const base = `${options.jobsCollection}_webhook`;
    this.endpoints = this.db.collection<EndpointDocument>(`${base}_endpoints`);
    this.secrets = this.db.collection<SecretDocument>(`${base}_secrets`);
    this.deliveries = this.db.collection<DeliveryDocument>(`${base}_deliveries`);
    this.leases = this.db.collection<LeaseEntry>(`${base}_leases`);
    this.leaseLedger = options.compat === 'ferretdb-v1';
  }

  async init(): Promise<void> {
    await guarded('webhook index creation', async () => {
      // One index per command: FerretDB v1 takes no more.
      await this.endpoints.createIndex({ owner: 1, created_at: 1 }, { name: 'by_owner' });
      await this.deliveries.createIndex({ due_at: 1 }, { name: 'by_due' });
      await this.deliveries.createIndex({ job_id: 1, created_at: 1 }, { name: 'by_job' });
      for (const collection of [this.secrets, this.leases]) {
        try {
          await this.db.createCollection(collection.collectionName);
        } catch (error) {
          if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
        }
      }
    });
  }

  async checkSchema(): Promise<void> {
    await guarded('webhook schema check', async () => {
      await requireMongoIndexes(this.endpoints, ENDPOINT_INDEXES);
      await requireMongoIndexes(this.deliveries, DELIVERY_INDEXES);
      const names = new Set(
        (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((collection) => collection.name),
      );
      const missing = [this.secrets, this.leases]
        .map((collection) => collection.collectionName)
        .filter((name) => !names.has(name));
      if (missing.length > 0)
        throw schemaMissing(
          'MongoDB',
          missing.map((name) => `collection ${name}`),
        );
    });
  }

  async createEndpoint(endpoint: WebhookEndpoint, maxPerOwner: number): Promise<void> {
    await guarded('webhook endpoint creation', async () => {
      const count = await this.endpoints.countDocuments({ owner: endpoint.owner });
      if (count >= maxPerOwner) {
        throw new AppError(
          'WEBHOOK_ENDPOINT_LIMIT',
          `this API key has ${count} webhook endpoints, the most allowed; delete one (DELETE /webhooks/{id}) first`,
        );
      }
      const { endpoint_id, ...rest } = endpoint;
      await this.endpoints.insertOne({ _id: endpoint_id, ...rest });
    });
  }

  async listEndpoints(owner: string): Promise<WebhookEndpoint[]> {
    return guarded('webhook endpoint listing', async () => {
      const documents = await this.endpoints.find({ owner }).sort({ created_at: 1, _id: 1 }).toArray();
      return documents.map(({ _id, ...rest }) => ({ endpoint_id: _id, ...rest }));
    });
  }

  async deleteEndpoint(owner: string, endpointId: string): Promise<boolean> {
    return guarded('webhook endpoint deletion', async () => {
      const result = await this.endpoints.deleteOne({ _id: endpointId, owner });
      return result.deletedCount === 1;
    });
  }

  async ownerSecret(owner: string, proposed: string): Promise<string> {
    return guarded('webhook secret', async () => {
      const stored = await this.secrets.findOne({ _id: owner });
      if (stored) return stored.secret;
      try {
        await this.secrets.insertOne({ _id: owner, secret: proposed });
        return proposed;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another process stored one first: everybody uses that one.
        const winner = await this.secrets.findOne({ _id: owner });
        if (!winner) throw new AppError('DATABASE_ERROR', `webhook secret of ${owner} vanished after a duplicate key`);
        return winner.secret;
      }
    });
  }

  async enqueueDeliveries(deliveries: NewWebhookDelivery[]): Promise<void> {
    await guarded('webhook delivery enqueue', async () => {
      await Promise.all(
        deliveries.map(async ({ delivery_id, ...rest }) => {
          try {
            const due = new Date(rest.created_at);
            await this.deliveries.insertOne({
              _id: delivery_id,
              ...rest,
              status: 'pending',
              attempts: [],
              next_attempt_at: due.toISOString(),
              due_at: due,
            });
          } catch (error) {
            // Recorded already (the same event twice): keep the first, with its attempts.
            if (!isDuplicateKey(error)) throw error;
          }
        }),
      );
    });
  }

  async leaseDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<LeasedWebhookDelivery[]> {
    return guarded('webhook delivery lease', async () => {
      const due = await this.deliveries
        .find({ due_at: { $lte: now } })
        .sort({ due_at: 1 })
        .limit(limit)
        .toArray();
      const until = new Date(now.getTime() + leaseMs);
      const leased = await Promise.all(due.map(async (document) => this.leaseOne(document, until)));
      return leased.flatMap((delivery) => (delivery ? [delivery] : []));
    });
  }

  async recordDeliveryAttempt(leased: LeasedDeliveryRef, record: WebhookAttemptRecord): Promise<boolean> {
    return guarded('webhook attempt record', async () => {
      const { outcome } = record;
      const update: UpdateFilter<DeliveryDocument> =
        outcome.kind === 'retry'
          ? {
              $set: {
                status: 'pending',
                next_attempt_at: outcome.nextAttemptAt.toISOString(),
                due_at: outcome.nextAttemptAt,
              },
              $unset: { lease: '' },
              $push: { attempts: record.attempt },
            }
          : {
              $set: {
                status: outcome.kind,
                ...(outcome.kind === 'delivered' ? { delivered_at: record.attempt.at } : {}),
              },
              $unset: { lease: '', due_at: '', next_attempt_at: '' },
              $push: { attempts: record.attempt },
            };
      const result = await this.deliveries.updateOne({ _id: leased.delivery_id, lease: leased.lease }, update);
      return result.modifiedCount === 1;
    });
  }

  async listDeliveries(jobId: string, limit: number): Promise<WebhookDelivery[]> {
    return guarded('webhook delivery listing', async () => {
      const documents = await this.deliveries
        .find({ job_id: jobId })
        .sort({ created_at: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return documents.map(toDelivery);
    });
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Leases one delivery read as due; null when another dispatcher got it first. */
  private async leaseOne(document: DeliveryDocument, until: Date): Promise<LeasedWebhookDelivery | null> {
    const seen = document.due_at;
    if (!seen) return null;
    if (this.leaseLedger) {
      try {
        await this.leases.insertOne({ _id: `${document._id}@${seen.getTime()}`, at: new Date() });
      } catch (error) {
        if (isDuplicateKey(error)) return null;
        throw error;
      }
    }
    const lease = randomBytes(12).toString('hex');
    const result = await this.deliveries.updateOne(
      { _id: document._id, due_at: seen },
      { $set: { due_at: until, next_attempt_at: until.toISOString(), lease } },
    );
    if (result.modifiedCount !== 1) return null;
    return { ...toDelivery(document), next_attempt_at: until.toISOString(), lease };
  }
}

function toDelivery(document: DeliveryDocument): WebhookDelivery {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- internal fields stay out of the port's shape
  const { _id, due_at, lease, ...rest } = document;
  return { delivery_id: _id, ...rest };
}
