// Counts the database commands a process sends, by command and collection
// (orderflow_db_commands_total): the per-order database cost that docs/BENCHMARKS.md budgets,
// visible in production and pinned by test/db-commands-per-order.e2e.test.ts.

import type { Connection } from 'mongoose';
import { Counter, type Registry } from 'prom-client';

export interface DatabaseCommand {
  command: string;
  collection: string;
  /** The `comment` its sender tagged it with, if any (e.g. LISTING_REPAIR_COMMENT). */
  comment?: string;
}

/** The command's name and the collection it names (`-` for commands on the database). */
function describeCommand(commandName: string, command: Record<string, unknown>): DatabaseCommand {
  const target = command[commandName];
  return {
    command: commandName,
    collection: typeof target === 'string' ? target : '-',
    ...(typeof command.comment === 'string' ? { comment: command.comment } : {}),
  };
}

/** Calls `listener` for every command sent on `connection` (connected with monitorCommands). */
export function onDatabaseCommand(
  connection: Connection,
  listener: (command: DatabaseCommand) => void,
): () => void {
  const client = connection.getClient();
  const handler = (event: { commandName: string; command: Record<string, unknown> }) =>
    listener(describeCommand(event.commandName, event.command));
  client.on('commandStarted', handler);
  return () => client.off('commandStarted', handler);
}

export function countDatabaseCommands(connection: Connection, registry: Registry) {
  const commands = new Counter({
    name: 'orderflow_db_commands_total',
    help: 'Database commands this process sent, by command and collection',
    labelNames: ['command', 'collection'] as const,
    registers: [registry],
  });
  return onDatabaseCommand(connection, ({ command, collection }) =>
    commands.inc({ command, collection }),
  );
}
