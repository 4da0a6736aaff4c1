# Gatehouse: the image's Node 22 runs the TypeScript sources directly (type stripping); there is no build step.
#   docker build -t gatehouse .   (docker-compose.yml runs it with PostgreSQL and Redis)

# Production dependencies, built where a compiler is at hand: bcrypt loads a prebuilt binary for the common
# platforms and compiles itself (python3, make, g++) on the others.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends build-essential python3 \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install scripts are skipped for all but bcrypt: the one other is the `node` package's, which fetches a second
# Node 22 binary that the image already has. Without its `.bin/node` shim, `npm run` inside the container uses
# the image's node too.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/.bin/node \
  && npm rebuild bcrypt

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY src ./src
COPY views ./views
# The image's unprivileged `node` user; the files stay root-owned and read-only to it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--experimental-async-context-frame", "--max-semi-space-size=64", "src/main.ts"]
