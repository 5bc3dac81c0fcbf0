# syntax=docker/dockerfile:1
# DICOM Store SCP (packages/scp-core) for ECS Fargate; the CDK app builds it as an image asset.
# Build from the repository root:  docker build -t storescp .
# The service runs as plain JavaScript bundled by esbuild: no TypeScript loader at run time
# (measured here: 88 MB idle RSS bundled against 205 MB under tsx, with 2 worker threads).

FROM node:22-slim AS build
WORKDIR /app
ENV CI=true
# Manifests and lockfile first: the dependency layer is reused until one of them changes. pnpm checks
# the lockfile against every workspace manifest, so all are copied; only the SCP's tree is installed.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm applies these to dependencies as it installs them (pnpm-workspace.yaml lists them).
COPY patches/ patches/
COPY packages/scp-core/package.json packages/scp-core/
COPY packages/workers/package.json packages/workers/
COPY packages/importer/package.json packages/importer/
COPY packages/infra/package.json packages/infra/
COPY load/package.json load/
RUN npx -y pnpm@12.21.0 install --frozen-lockfile --filter "@storescp/scp-core..."
COPY tsconfig.json ./
COPY packages/workers/ packages/workers/
COPY packages/scp-core/ packages/scp-core/
# Not bundled: piscina (it loads its own worker file) and uplot (served to the console as a file); pinned as scp-core pins them.
RUN npx -y pnpm@12.21.0 --filter @storescp/scp-core build \
 && mkdir /out && cp -r packages/scp-core/dist /out/dist \
 && node -e "const p=require('./packages/scp-core/package.json');require('fs').writeFileSync('/out/package.json',JSON.stringify({name:'storescp',private:true,type:'module',dependencies:{piscina:p.dependencies.piscina,uplot:p.dependencies.uplot}}))"

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
# The image's unprivileged user; the files stay owned by root, read-only to the service.
USER node
EXPOSE 11112 8080
# ECS runs the task definition's copy of this check; this one serves `docker run`.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A 4 MB young-generation semi-space (V8's default is 16): 10,000 idle associations peak at ~170 MB
# RSS instead of ~200, throughput unchanged (measured; load/src/bench runs the SCP with the same flag).
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/cli.mjs"]
