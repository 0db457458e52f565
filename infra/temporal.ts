// Connections to Temporal from configuration alone: a local dev server, a self-hosted
// cluster (optionally mTLS), or Temporal Cloud (API key or mTLS); the client encrypts payloads
// when keys are configured.

import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { payloadDataConverter } from './codec';
import type { Config } from './config';
import { clientTracingInterceptors } from './telemetry/temporal-tracing';

async function tlsOptions(temporal: Config['temporal']) {
  if (!temporal.tls) return undefined;
  const { certPath, keyPath, serverName } = temporal.tls;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(certPath && keyPath
      ? { clientCertPair: { crt: await readFile(certPath), key: await readFile(keyPath) } }
      : {}),
  };
}

async function commonOptions(temporal: Config['temporal']) {
  return {
    address: temporal.address,
    tls: await tlsOptions(temporal),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}

/**
 * Payloads are encrypted (infra/codec.ts) when keys are configured; with tracing on, starts
 * and updates carry the caller's span to the workflow (infra/telemetry/temporal-tracing.ts).
 */
export async function connectClient(temporal: Config['temporal']): Promise<Client> {
  const options: ConnectionOptions = await commonOptions(temporal);
  const connection = await Connection.connect(options);
  const interceptors = clientTracingInterceptors();
  return new Client({
    connection,
    namespace: temporal.namespace,
    dataConverter: payloadDataConverter(temporal.payloadEncryptionKeys),
    ...(interceptors ? { interceptors } : {}),
  });
}

export async function connectWorkerConnection(
  temporal: Config['temporal'],
): Promise<NativeConnection> {
  const options: NativeConnectionOptions = await commonOptions(temporal);
  return NativeConnection.connect(options);
}

/** Answers within two seconds whether the Temporal frontend is serving (readiness checks). */
export async function pingTemporal(client: Client): Promise<boolean> {
  try {
    await client.connection.withDeadline(Date.now() + 2000, () =>
      client.workflowService.getSystemInfo({}),
    );
    return true;
  } catch {
    return false;
  }
}
