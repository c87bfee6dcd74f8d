# syntax=docker/dockerfile:1
#
# Two targets, built from the repository root (see .dockerignore):
#   vigil      (the default, last stage) one image for the gateway and every subgraph; the service is
#              chosen by the command, e.g. `npx tsx subgraphs/hosts/src/index.ts`.
#   demo-host  a throwaway OpenSSH server for docker-compose.yml's demo; never deploy it.
# Needs BuildKit (Docker Compose v2 and `docker build` since Engine 23 use it): heredocs and cache mounts.

# ---------------------------------------------------------------------------------------------------
# demo-host: sshd on port 2222, key-only login as `vigil`. Its host key and authorized_keys come from
# the `ssh-demo` volume that the compose `ssh-keys` service fills on first start, so no key is ever
# baked into this image (the host keys Debian's package generates at install time are deleted).
FROM debian:bookworm-slim AS demo-host

# iproute2 and procps give the hosts subgraph's collectors (ip -j, ss, ps) something to read.
# /run/sshd is sshd's privilege-separation directory (systemd would create it on a real host).
# Password field '*': matches no password, but is not "locked" ('!'), which sshd without PAM refuses
# even for key logins. PAM is off (sshd_config below) because in an unprivileged container
# pam_loginuid cannot write /proc/self/loginuid and fails the session.
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
# vigil: every Vigil service. TypeScript runs through tsx, which is a devDependency, so `npm ci`
# installs dev dependencies too (--include=dev, explicit so that an inherited NODE_ENV=production or
# npm_config_omit can never drop it). Moving tsx to dependencies, or compiling ahead of time, would
# let the image omit dev dependencies.
FROM node:24-bookworm-slim AS vigil

# openssh-client: ssh-keygen for the compose demo's `ssh-keys` service. The hosts subgraph speaks
# SSH through ssh2 and needs no system binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Manifests first: the dependency layer is rebuilt only when a manifest or the lockfile changes.
# npm ci needs every workspace's package.json (root package.json "workspaces").
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
# ssh2's and cpu-features' optional native builds fail here (no compiler in the slim image) and are
# skipped by design: ssh2 falls back to Node's own crypto.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --include=dev

COPY . .

# After npm ci (which would otherwise omit dev dependencies). Libraries such as Apollo Server read
# it: no stack traces in errors, introspection off by default. Vigil itself reads VIGIL_ENV.
ENV NODE_ENV=production

# The official image's unprivileged user (uid 1000). The sources and node_modules stay root-owned,
# so a compromised service cannot rewrite its own code.
USER node

EXPOSE 4000 4001 4002 4003 4004 4005
CMD ["npx", "tsx", "gateway/src/index.ts"]
