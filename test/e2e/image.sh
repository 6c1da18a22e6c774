#!/usr/bin/env bash
# Build the Strand image with podman and smoke-test it: a broker container on the host network,
# kcat produce + consume through it, then SIGTERM -> controlled shutdown, exit code 0, within
# the grace period. Needs root, podman + runc, kcat (apt-get install -y podman runc kcat).
#
#   test/e2e/image.sh                 # IMAGE=localhost/strand:e2e GRACE=60
#
# No registry is reachable here, so the base image comes from ../shared/tools/offline-node-image.sh
# (a local stand-in under the official node:22-bookworm-slim name) when it is not present yet.
set -euo pipefail

cd "$(dirname "$0")/../.."
IMAGE=${IMAGE:-localhost/strand:e2e}
GRACE=${GRACE:-60}
BASE=docker.io/library/node:22-bookworm-slim
OFFLINE_NODE_IMAGE=${OFFLINE_NODE_IMAGE:-../shared/tools/offline-node-image.sh}
# crun fails here ("cgroups in hybrid mode not supported"); the ulimits are needed without CAP_SYS_RESOURCE.
PODMAN=(podman --runtime runc)
RUN_LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
NAME=strand-e2e-$$

log() { printf '[image.sh %s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; exit 1; }

for cmd in podman runc kcat; do command -v "$cmd" >/dev/null || fail "$cmd is missing (apt-get install -y podman runc kcat)"; done

if ! "${PODMAN[@]}" image exists "$BASE"; then
  [ -x "$OFFLINE_NODE_IMAGE" ] || fail "$BASE is missing and $OFFLINE_NODE_IMAGE is not there to build it"
  log "building the base image $BASE"
  "$OFFLINE_NODE_IMAGE" 22
fi

log "building $IMAGE"
t0=$(date +%s)
"${PODMAN[@]}" build --pull=never -t "$IMAGE" . 2>&1 | tail -n 5
log "built in $(( $(date +%s) - t0 )) s; size $("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
KPORT=$(free_port)
HPORT=$(free_port)
cleanup() { "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

log "checking the image user and both entrypoints"
user=$("${PODMAN[@]}" run --rm "${RUN_LIMITS[@]}" --entrypoint id "$IMAGE" -un)
[ "$user" = node ] || fail "image runs as $user, not node"
"${PODMAN[@]}" run --rm "${RUN_LIMITS[@]}" "$IMAGE" broker --help | head -n 1
set +e
"${PODMAN[@]}" run --rm "${RUN_LIMITS[@]}" "$IMAGE" operator --help >/tmp/strand-operator-help.$$ 2>&1
op_rc=$?
set -e
log "strand operator --help: exit $op_rc: $(head -n 1 /tmp/strand-operator-help.$$)"; rm -f /tmp/strand-operator-help.$$

log "starting a broker container on 127.0.0.1:$KPORT (http $HPORT)"
"${PODMAN[@]}" run -d --name "$NAME" --network host "${RUN_LIMITS[@]}" "$IMAGE" \
  broker --listen "127.0.0.1:$KPORT" --http "127.0.0.1:$HPORT" --data-dir /var/lib/strand/data >/dev/null

for _ in $(seq 1 60); do
  if kcat -b "127.0.0.1:$KPORT" -L -m 2 >/dev/null 2>&1; then break; fi
  sleep 0.5
done
kcat -b "127.0.0.1:$KPORT" -L -m 5 >/dev/null 2>&1 || { "${PODMAN[@]}" logs "$NAME" | tail -n 20; fail "broker did not answer Metadata"; }
log "broker is up: $("${PODMAN[@]}" logs "$NAME" 2>&1 | grep -m1 '"listening"' || true)"

if command -v curl >/dev/null; then
  log "readyz: $(curl -s "http://127.0.0.1:$HPORT/readyz")"
  log "metrics: $(curl -s "http://127.0.0.1:$HPORT/metrics" | grep -c '^strand_') strand_* samples"
fi

TOPIC=image-e2e
seq 1 100 | sed 's/^/message-/' | kcat -P -b "127.0.0.1:$KPORT" -t "$TOPIC" -X acks=all
got=$(kcat -C -b "127.0.0.1:$KPORT" -t "$TOPIC" -o beginning -e -q -f '%s\n' | wc -l)
[ "$got" -eq 100 ] || fail "consumed $got of 100 messages"
log "produced and consumed 100 messages through the container"

log "SIGTERM"
t0=$(date +%s.%N)
"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
rc=$(timeout "$GRACE" "${PODMAN[@]}" wait "$NAME") || fail "still running ${GRACE}s after SIGTERM"
secs=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")
"${PODMAN[@]}" logs "$NAME" 2>&1 | grep -E '"(shutting down|stopped)"' | cut -c1-160
[ "$rc" -eq 0 ] || fail "exit code $rc after SIGTERM"
log "exited with code $rc ${secs}s after SIGTERM (grace ${GRACE}s)"
log "PASS"
