# Strand: one image, two programs.
#   podman/docker run IMAGE broker [flags]     (the default: a broker on 0.0.0.0:9092, HTTP on :9644)
#   podman/docker run IMAGE operator           (the Kubernetes operator)
#
# Build stage: full dev install + tsc. Runtime stage: production node_modules and dist only,
# non-root user `node` (uid 1000; the operator's pods run as 1000 with fsGroup 1000).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc before the sources are here; the native
# dependencies ship prebuilt binaries as optional packages and need no install scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json \
 && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /var/lib/strand \
 && chown node:node /var/lib/strand
COPY --from=build /src/dist/broker /app/dist/broker
COPY --from=build /src/dist/operator /app/dist/operator
USER node
EXPOSE 9092 9644
# node is PID 1 (no shell, no docker-entrypoint.sh) so SIGTERM reaches it directly: the broker
# handles SIGTERM itself (controlled shutdown, then exit 0). The Kubernetes StatefulSet
# overrides command/args (see operator/src/builders/statefulset.ts).
ENTRYPOINT ["node", "/app/dist/broker/src/main.js"]
CMD ["broker", "--listen", "0.0.0.0:9092", "--http", "0.0.0.0:9644", "--data-dir", "/var/lib/strand/data"]
