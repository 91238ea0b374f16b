import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { guarded } from './database-error';
import {
  createTable,
  describeTable,
  enableTimeToLive,
  indexNames,
  isReady,
  waitUntilReady,
} from './dynamo-table-admin';
import { schemaMissing } from './schema';

export interface DynamoSideTableOptions {
  client: DynamoDBClient;
  /** The jobs table; a side table is named `<jobs table><suffix>`. */
  tableName: string;
  /** Destroy `client` on close(); leave false when the client is shared. */
  destroyClientOnClose?: boolean;
}

/** What a side table is: its definition, the indexes checkSchema() requires, and its time-to-live attribute. */
export interface SideTableSpec {
  suffix: string;
  /** What the table holds, for error messages ("account", "webhook"). */
  what: string;
  definition: (tableName: string) => CreateTableCommandInput;
  requiredIndexes?: readonly string[];
  /** Epoch seconds; DynamoDB's time to live deletes an item some time after. */
  timeToLiveAttribute?: string;
}

const TABLE_READY_TIMEOUT_MS = 60_000;

/**
 * A table of its own beside the jobs table (accounts, webhooks): the document
 * client, the migration (create if missing, wait until ACTIVE, turn on time
 * to live) and the schema check, which each store on such a table needs
 * alike. The stores keep their item layouts; this holds the table.
 */
export class DynamoSideTable {
  readonly client: DynamoDBClient;
  /** Marshals plain objects; undefined values are left out rather than refused. */
  readonly documents: DynamoDBDocumentClient;
  readonly name: string;
  private readonly destroyClientOnClose: boolean;

  constructor(
    options: DynamoSideTableOptions,
    private readonly spec: SideTableSpec,
  ) {
    this.client = options.client;
    this.documents = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.name = `${options.tableName}${spec.suffix}`;
    this.destroyClientOnClose = options.destroyClientOnClose ?? false;
  }

  /**
   * The migration: creates the table unless it exists, waits until it is
   * ACTIVE (60 s at most), and turns on time to live when the spec has it.
   * @throws AppError DATABASE_ERROR
   */
  async ensure(): Promise<void> {
    await guarded(`${this.spec.what} table creation`, async () => {
      if (!(await describeTable(this.client, this.name))) {
        await createTable(this.client, this.spec.definition(this.name));
      }
      await waitUntilReady(this.client, this.name, TABLE_READY_TIMEOUT_MS);
      if (this.spec.timeToLiveAttribute !== undefined) {
        await enableTimeToLive(this.client, this.name, this.spec.timeToLiveAttribute);
      }
    });
  }

  /**
   * @throws AppError SCHEMA_MISSING naming the table, a required index, or
   *   the ACTIVE status that is missing; DATABASE_ERROR
   */
  async check(): Promise<void> {
    await guarded(`${this.spec.what} schema check`, async () => {
      const table = await describeTable(this.client, this.name);
      if (!table) throw schemaMissing('DynamoDB', [`table ${this.name}`]);
      const present = indexNames(table);
      const missing = (this.spec.requiredIndexes ?? []).filter((index) => !present.has(index));
      if (missing.length > 0)
        throw schemaMissing(
          `table ${this.name}`,
          missing.map((index) => `index ${index}`),
        );
      if (!isReady(table)) throw schemaMissing(`table ${this.name}`, ['ACTIVE status']);
    });
  }

  close(): void {
    if (this.destroyClientOnClose) this.client.destroy();
  }
}
