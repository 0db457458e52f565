// `npm run openapi:write -- [file]`: writes the OpenAPI document the API serves at
// /openapi.json, built as the server builds it but without starting anything, for the tools
// that read it from a file (Redocly's lint in `npm run lint:openapi`).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildOpenApiDocument } from '../api/openapi';

const file = process.argv[2] ?? 'dist/openapi.json';
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
