// Temporal's Web UI server for cluster mode, configured so that payloads show decoded with no
// setting changed by hand: the codec endpoint is orderflow's API (api/codec/routes.ts) and
// `includeCredentials` makes the browser send the codec session cookie with each call (the dev
// server's UI leaves it off, so every order opened on "Codec Server could not connect").

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { launch, toolsDir, untilAnswering, type EmbeddedServer } from '../embedded';

const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

export interface UiServer extends EmbeddedServer {
  url: string;
}

export async function startUiServer(options: {
  dataDir: string;
  port: number;
  temporalAddress: string;
  codecEndpoint: string;
  namespace?: string;
}): Promise<UiServer> {
  const dir = path.join(toolsDir(), `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`);
  const binary = path.join(dir, 'temporal-ui-server');
  if (!existsSync(path.join(dir, '.complete')))
    throw new Error(
      'no Temporal UI server: run `bash dev/install-cluster-tools.sh` (npm run start:cluster does)',
    );
  const url = `http://127.0.0.1:${options.port}`;
  const configDir = path.join(options.dataDir, 'ui-config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    path.join(configDir, 'cluster.yaml'),
    stringify({
      temporalGrpcAddress: options.temporalAddress,
      host: '127.0.0.1',
      port: options.port,
      enableUi: true,
      defaultNamespace: options.namespace ?? 'default',
      refreshInterval: '1m',
      notifyOnNewVersion: false,
      cors: { cookieInsecure: true, allowOrigins: [url], unsafeAllowAllOrigins: false },
      codec: { endpoint: options.codecEndpoint, passAccessToken: false, includeCredentials: true },
    }),
  );
  const child = launch(
    binary,
    ['--root', options.dataDir, '--config', 'ui-config', '--env', 'cluster', 'start'],
    path.join(options.dataDir, 'temporal-ui.log'),
    { dataDir: options.dataDir },
  );
  await untilAnswering('the Temporal UI server', child, `${url}/api/v1/settings`, 30_000);
  return { url, stop: child.stop };
}
