# One image for every stream-metrics service of docker-compose.yml.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY handlers ./handlers
COPY schemas ./schemas
COPY tsconfig.json ./
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/stream-metrics.js"]
