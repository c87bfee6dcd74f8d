# syntax=docker/dockerfile:1
#
# Built from the repository root (see .dockerignore). Targets:
#   vigil      the default (last stage): the production image. Every service compiled ahead of time
#              (build.ts → dist/), production dependencies only, no TypeScript tooling, no tests,
#              benchmarks or sources; runs as uid 1000 with a read-only root filesystem. One image
#              for every service, chosen by the command:
#                node dist/stack.mjs        the whole stack in one process (the default, as `npm start`)
#                node dist/gateway.mjs      the gateway alone, in front of subgraphs elsewhere
#                node dist/<hosts|cluster|audit|compliance|alerts>.mjs   one subgraph
#   demo-host  a throwaway OpenSSH server for docker-compose.yml's demo; never deploy it.
# Stages: node-base → manifests → build (npm ci with dev dependencies, then `npm run build`)
#                               → deps  (npm ci --omit=dev for the runtime workspaces)
#         vigil = node-base + deps' node_modules + build's dist/.
# Needs BuildKit (Docker Compose v2 and `docker build` since Engine 23 use it): heredocs and cache mounts.
#
# Base images are pinned by the digest of their multi-platform index (amd64, arm64, ppc64le for node):
#   node:24-bookworm-slim  Node 24.19.0, built 2026-08-25; debian:bookworm-slim  built 2026-08-04.
# Both digests are as Docker Hub published them, recorded in docker-library/repo-info
# (repos/node/remote/24-bookworm-slim.md, repos/debian/remote/bookworm-slim.md). To move to a newer
# build, take the index digest from `docker buildx imagetools inspect node:24-bookworm-slim` (the
# first "Digest:" line), replace it here and in the org.opencontainers.image.base.digest label, and
# run test/dockerfile.test.ts.

# ---------------------------------------------------------------------------------------------------
# demo-host: sshd on port 2222, key-only login as `vigil`. Its host key and authorized_keys come from
# the `ssh-demo` volume that the compose `ssh-keys` service fills on first start, so no key is ever
# baked into this image (the host keys Debian's package generates at install time are deleted).
FROM debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241 AS demo-host

# iproute2 and procps give the hosts subgraph's collectors (ip -j, ss, ps) something to read.
# /run/sshd is sshd's privilege-separation directory (systemd would create it on a real host).
# Password field '*': matches no password, but is not "locked" ('!'), which sshd without PAM refuses
# even for key logins. PAM is off (sshd_config below) because in an unprivileged container
# pam_loginuid cannot write /proc/self/loginuid and fails the session.
# openssh-server brings openssh-client, whose ssh-keygen the compose `ssh-keys` service runs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-server iproute2 procps \
 && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/ssh/ssh_host_* \
 && mkdir -p /run/sshd \
 && useradd --create-home --shell /bin/bash --password '*' vigil

# The whole config, not a drop-in, so no distribution default can leak in.
COPY <<EOF /etc/ssh/sshd_config
Port 2222
HostKey /ssh/ssh_host_ed25519_key
AuthorizedKeysFile /ssh/authorized_keys
AllowUsers vigil
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
UsePAM no
StrictModes yes
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
EOF

EXPOSE 2222
CMD ["/usr/sbin/sshd", "-D", "-e"]

# ---------------------------------------------------------------------------------------------------
# node-base: the Node.js base every Vigil stage starts from, so its digest is written once.
FROM node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS node-base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# ---------------------------------------------------------------------------------------------------
# manifests: the lockfile and every workspace's package.json (npm ci checks the lockfile against all
# of them), and nothing else, so the dependency layers below are rebuilt only when one changes.
FROM node-base AS manifests
COPY package.json package-lock.json ./
COPY lib/package.json lib/
COPY sdk/package.json sdk/
COPY schema/package.json schema/
COPY gateway/package.json gateway/
COPY subgraphs/hosts/package.json subgraphs/hosts/
COPY subgraphs/cluster/package.json subgraphs/cluster/
COPY subgraphs/audit/package.json subgraphs/audit/
COPY subgraphs/compliance/package.json subgraphs/compliance/
COPY subgraphs/alerts/package.json subgraphs/alerts/
COPY bench/package.json bench/

# ---------------------------------------------------------------------------------------------------
# build: dev dependencies (esbuild, tsx) and the sources the services are built from; `npm run build`
# bundles each entry point into dist/ with the files it reads at run time (build.ts). Nothing of
# this stage but dist/ reaches the image.
# --ignore-scripts: no dependency's install script runs. None is needed: esbuild finds its binary
# through its platform package, and ssh2's and cpu-features' optional native builds would fail
# anyway (no compiler here; ssh2 falls back to Node's own crypto).
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --include=dev --ignore-scripts
COPY tsconfig.json build.ts ./
COPY lib/ lib/
COPY sdk/ sdk/
COPY schema/ schema/
COPY gateway/ gateway/
COPY subgraphs/ subgraphs/
RUN npm run build

# ---------------------------------------------------------------------------------------------------
# deps: the production dependencies of the workspaces the bundles are built from
# (build.ts RUNTIME_WORKSPACES; the build fails if a bundle imports anything else). The bundles
# contain Vigil's own packages, so the @vigil/* links (to workspace folders the image does not
# have) are removed. Every package must be hoisted to /app/node_modules, where Node looks from
# /app/dist; a package nested under a workspace folder would not be found, so the build stops.
FROM manifests AS deps
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts \
      --workspace=lib --workspace=sdk --workspace=schema --workspace=gateway \
      --workspace=subgraphs/hosts --workspace=subgraphs/cluster --workspace=subgraphs/audit \
      --workspace=subgraphs/compliance --workspace=subgraphs/alerts \
 && rm -rf node_modules/@vigil \
 && nested="$(find . -path ./node_modules -prune -o -type d -name node_modules -print)" \
 && if [ -n "$nested" ]; then echo "packages installed outside /app/node_modules: $nested" >&2; exit 1; fi

# ---------------------------------------------------------------------------------------------------
# vigil: the production image.
FROM node-base AS vigil

ARG VIGIL_VERSION=0.1.0
ARG VIGIL_REVISION=unknown
LABEL org.opencontainers.image.title="Vigil" \
      org.opencontainers.image.description="One GraphQL API over an organisation's security data: a federation gateway and its hosts, cluster, audit, compliance and alerts subgraphs." \
      org.opencontainers.image.version="${VIGIL_VERSION}" \
      org.opencontainers.image.revision="${VIGIL_REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim" \
      org.opencontainers.image.base.digest="sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df"

# The services run node and nothing else: npm, npx, corepack and yarn leave the image (they and their
# bundled dependencies are what scanners would flag, and nothing here needs them).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*

# NODE_ENV: libraries such as Apollo Server read it (no stack traces in errors, introspection off by
# default); Vigil itself reads VIGIL_ENV. NODE_OPTIONS: a smaller young generation than V8 picks on
# a large host, which startup grows to its maximum and keeps; the idle one-process stack drops from
# about 310 to about 230 MiB (build.ts IMAGE_NODE_FLAGS; README, Benchmarks). Override to change it.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8"

# Root-owned and not writable by the service user, so a compromised service cannot rewrite its own
# code. Vigil writes no file: the root filesystem can be read-only (test/build.int.test.ts runs the
# stack so); give it a writable /tmp only if a library you add wants one.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY LICENSE ./

# The official image's unprivileged `node` user, by number, so that Kubernetes' runAsNonRoot can
# check it without a runAsUser.
USER 1000:1000

EXPOSE 4000 4001 4002 4003 4004 4005

# Node's fetch, as the image has no curl or wget. The port: VIGIL_PORT (a service in its own
# container), else the stack's gateway port (VIGIL_GATEWAY_PORT, VIGIL_BASE_PORT), else 4000. A port
# set only in the config file needs the health check overridden (docker-compose.yml does, per
# service).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "const e=process.env;fetch('http://127.0.0.1:'+(e.VIGIL_PORT||e.VIGIL_GATEWAY_PORT||e.VIGIL_BASE_PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node itself as the service's process (behind the base image's entrypoint, which execs it): no npm
# in between, so SIGTERM reaches Vigil, which drains for up to 10 s.
CMD ["node", "dist/stack.mjs"]
