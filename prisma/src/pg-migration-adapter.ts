import { PrismaPg } from "@prisma/adapter-pg";
import {
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlQuery,
  type SqlResultSet,
} from "@prisma/driver-adapter-utils";
import type pg from "pg";

/**
 * An `@prisma/adapter-pg` connection fit for the schema engine. adapter-pg 7.10.0 was written for
 * the query compiler, and two of its gaps break migrations:
 *
 * - It refuses result columns of PostgreSQL's one-byte `"char"` type (OID 18: "Unsupported column
 *   type char"), which the engine's catalog queries select (`pg_constraint.contype`), so no
 *   database could be described (shadow database included). The engine reads those values as
 *   characters.
 * - It runs a script by splitting it on every `;` — in comments, strings and function bodies
 *   too — and sending the pieces one by one, so a migration failing half way stays half applied.
 */
export async function connectMigrationAdapter(pool: pg.Pool): Promise<SqlDriverAdapter> {
  pool.on("connect", labelInternalCharColumnsAsText);
  const adapter = await new PrismaPg(pool).connect();

  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query: SqlQuery) => typeInternalCharColumns(await queryRaw(query));

  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => {
    const transaction = await startTransaction(isolationLevel);
    const transactionQueryRaw = transaction.queryRaw.bind(transaction);
    transaction.queryRaw = async (query: SqlQuery) =>
      typeInternalCharColumns(await transactionQueryRaw(query));
    return transaction;
  };

  // Sent whole as one simple query, as Prisma's native engine sends it, a script runs in one
  // implicit transaction: all or nothing. `executeRaw` without parameters uses the simple
  // protocol and keeps the adapter's error mapping.
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

const internalCharTypeId = 18;
const textTypeId = 25;

/**
 * Result rows (the array adapter-pg passes through untouched) → indexes of their `"char"` columns.
 * The columns are labelled text at the pg level so that adapter-pg accepts them, then typed as
 * characters again once it has built its result set.
 */
const internalCharColumns = new WeakMap<unknown[], number[]>();

function typeInternalCharColumns(resultSet: SqlResultSet): SqlResultSet {
  for (const index of internalCharColumns.get(resultSet.rows) ?? []) {
    resultSet.columnTypes[index] = ColumnTypeEnum.Character;
  }
  return resultSet;
}

/** Patches one pooled connection, for both the callback form (`Pool.query`) and the promise form (transactions). */
function labelInternalCharColumnsAsText(client: pg.PoolClient): void {
  const query: (...args: unknown[]) => unknown = client.query.bind(client);
  const labelled = (...args: unknown[]): unknown => {
    const callback = args.at(-1);
    if (typeof callback === "function") {
      args[args.length - 1] = (error: unknown, result: unknown) =>
        callback(error, error ? result : labelAsText(result));
    }
    const returned = query(...args);
    return returned instanceof Promise ? returned.then(labelAsText) : returned;
  };
  client.query = labelled as typeof client.query;
}

function labelAsText(result: unknown): unknown {
  if (!isQueryResult(result)) return result;
  const indexes: number[] = [];
  result.fields.forEach((field, index) => {
    if (field.dataTypeID === internalCharTypeId) {
      field.dataTypeID = textTypeId;
      indexes.push(index);
    }
  });
  if (indexes.length > 0) internalCharColumns.set(result.rows, indexes);
  return result;
}

function isQueryResult(value: unknown): value is Pick<pg.QueryResult<unknown[]>, "fields" | "rows"> {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray(Reflect.get(value, "fields")) &&
    Array.isArray(Reflect.get(value, "rows"))
  );
}
