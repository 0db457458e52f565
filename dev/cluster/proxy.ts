// The reverse proxy in front of cluster mode's API processes: Debian's nginx, in the
// foreground with its config, pid, logs and temp files in the data directory (no system
// nginx is touched). A request an API process cannot take (it is down, or restarting) goes
// to the other one; the API sees the client's address in X-Forwarded-For (TRUST_PROXY).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launch, untilAnswering, type EmbeddedServer } from '../embedded';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'];

export interface ReverseProxy extends EmbeddedServer {
  url: string;
  /** nginx's master process (its worker is its child). */
  pid: number;
}

function nginxBinary(): string {
  const found = NGINX.find((candidate) => existsSync(candidate));
  if (!found)
    throw new Error(
      "no nginx: install Debian's nginx (apt-get install -y nginx; npm run start:cluster does as root)",
    );
  return found;
}

export async function startReverseProxy(options: {
  dataDir: string;
  port: number;
  /** The API processes' `host:port`s. */
  upstreams: readonly string[];
}): Promise<ReverseProxy> {
  const prefix = path.join(options.dataDir, 'nginx');
  for (const dir of ['logs', 'temp']) mkdirSync(path.join(prefix, dir), { recursive: true });
  const temp = (name: string) => path.join(prefix, 'temp', name);
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `# Written at every start by dev/cluster/proxy.ts.
daemon off;
worker_processes 1;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  upstream orderflow_api {
${options.upstreams.map((upstream) => `    server ${upstream} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${options.port};
    # Checkout's own limit answers first (413 with its code); this only bounds the proxy.
    client_max_body_size 2m;
    # Bodies stay in memory: as root nginx's workers run as nobody, who cannot write temp
    # files into a clone in root's home (mode 0700).
    client_body_buffer_size 2m;
    location / {
      proxy_pass http://orderflow_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Long polls (GET /v1/orders/{id}?waitFor) and checkout wait up to ~35 s.
      proxy_read_timeout 120s;
      # A process that refused the connection or died before answering: try the other one.
      # Only for requests nginx may resend (not a POST whose answer was lost midway).
      proxy_next_upstream error timeout http_502;
      proxy_buffering off;
    }
  }
}
`,
  );
  const child = launch(
    nginxBinary(),
    ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log')],
    path.join(options.dataDir, 'nginx.log'),
    // SIGQUIT: graceful (requests under way finish); SIGTERM would drop them.
    { dataDir: options.dataDir, stopSignal: 'SIGQUIT' },
  );
  const url = `http://127.0.0.1:${options.port}`;
  // Any answer but a 5xx: nginx is up even while no API behind it is yet.
  await untilAnswering('nginx', child, `${url}/healthz`, 15_000, (status) => status < 500);
  return { url, pid: child.pid!, stop: child.stop };
}
