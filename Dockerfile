# syntax=docker/dockerfile:1
# DICOM Store SCP (packages/scp-core) for ECS Fargate; the CDK app builds it as an image asset.
# Build from the repository root:  docker build -t storescp .
# The workspace runs TypeScript through tsx, so the image holds sources and production dependencies.

FROM node:22-slim AS deps
WORKDIR /app
ENV CI=true
# Manifests and lockfile first: the dependency layer is reused until one of them changes. pnpm checks
# the lockfile against every workspace manifest, so all are copied, but only the SCP's dependency tree
# (scp-core and the workspace packages it uses, tsx included) is installed.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/scp-core/package.json packages/scp-core/
COPY packages/workers/package.json packages/workers/
COPY packages/importer/package.json packages/importer/
COPY packages/infra/package.json packages/infra/
COPY load/package.json load/
RUN npx -y pnpm@12.21.0 install --frozen-lockfile --prod --filter "@storescp/scp-core..."

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY tsconfig.json ./
COPY packages/workers/ packages/workers/
COPY packages/scp-core/ packages/scp-core/
# From here tsx resolves through scp-core's own node_modules (pnpm does not hoist it to /app).
WORKDIR /app/packages/scp-core
# The image's unprivileged user; the sources stay owned by root, read-only to the service.
USER node
EXPOSE 11112 8080
# ECS runs the task definition's copy of this check; this one serves `docker run`.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "src/cli.ts"]
