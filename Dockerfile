# The one Petrel image: every role (`petrel pilot`, `proxy`, `injector`, the
# `iptables` init container) is a subcommand of the same executable.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build stage; node:24-slim already provides the node binary, so the `node`
# devDependency that pins Node for npm scripts is not installed.
FROM node:24-slim

# iptables and iproute2 for the istio-init role (`petrel iptables`), which the
# injector runs as root with NET_ADMIN/NET_RAW; every other role runs as 1337.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables iproute2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits do not invalidate this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# Sources (test/, bench/, charts/ and the rest stay out: see .dockerignore).
COPY api ./api
COPY pilot ./pilot
COPY sidecar ./sidecar
COPY injector ./injector
COPY cli ./cli
COPY dashboard ./dashboard
COPY samples ./samples

# `petrel` on PATH: the injected proxy's postStart hook runs `petrel proxy wait`.
RUN chmod 0755 /app/cli/petrel.ts \
 && ln -s /app/cli/petrel.ts /usr/local/bin/petrel

# pilot: 15010 xDS, 15012 xDS+CA over TLS, 15014 monitoring, 15017 webhooks;
# proxy: 15001/15006 capture, 15020 status, 15021 health, 15090 Prometheus stats;
# gateway listeners: 8080, 8443.
EXPOSE 15010 15012 15014 15017 15001 15006 15020 15021 15090 8080 8443

# The proxy's uid/gid: iptables never captures traffic of uid 1337. Files stay
# owned by root, so the running process cannot modify its own code.
USER 1337:1337

ENTRYPOINT ["node", "/app/cli/petrel.ts"]
CMD ["--help"]
