# orderflow: one image for both processes.
#   API (default):  node dist/api/server.js
#   worker:         node dist/workers/order-worker.js
# Configuration comes only from the environment (see infra/config.ts); docker-compose.yml
# wires a production-like stack around this image.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript to dist/ (same folder layout as the sources) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY workers ./workers
COPY infra ./infra
COPY ops ./ops
RUN npm run build

# --- runtime: production dependencies and the compiled code, run as `node` ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# The worker bundles dist/workflows with webpack at start (@temporalio/worker, a production
# dependency), so nothing beyond the production dependencies is needed.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Slim images have no curl: ask node. The worker has no HTTP server; compose disables this
# check for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/server.js"]
