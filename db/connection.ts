/** The process's one mongoose connection. */
import mongoose, { type Connection } from 'mongoose';
import { createModels, type Models } from './models';

export interface Database {
  connection: Connection;
  models: Models;
  close(): Promise<void>;
}

export async function connectDatabase(uri: string): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    // FerretDB and MongoDB alike: no retryable writes on a standalone FerretDB.
    retryWrites: false,
    autoIndex: false,
  });
  await connection.asPromise();
  const models = createModels(connection);
  // Indexes are created explicitly (autoIndex off) so start-up fails loudly if one cannot be built.
  await Promise.all(Object.values(models).map((m) => m.createIndexes()));
  return { connection, models, close: () => connection.close() };
}
