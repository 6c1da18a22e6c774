#!/usr/bin/env bash
# End to end on a real Kubernetes (kind). FOR MACHINES WITH DOCKER: kind needs a Docker (or
# podman-with-systemd) engine and pulls kindest/node and nats images. It cannot run on the
# project's build machines (no container engine able to run kind, no registry access) and
# has NOT been run there.
#
# Steps: create the cluster (kind-config.yaml: 3 workers in zones a/b/c) -> build and load the
# image -> helm install -> 3-broker KafkaCluster + Topic -> kcat produce/consume from a pod ->
# delete a broker pod, check it comes back and the data is still readable -> check /metrics
# -> tear down (KEEP=1 keeps the cluster).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER=${CLUSTER:-strand-e2e}
IMAGE=${IMAGE:-strand:e2e}
NS=${NS:-strand-e2e}
KCAT_IMAGE=${KCAT_IMAGE:-edenhill/kcat:1.7.1}
log() { printf '[kind.sh %s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; exit 1; }
for cmd in docker kind kubectl helm; do command -v "$cmd" >/dev/null || fail "$cmd is required"; done

teardown() { [ "${KEEP:-0}" = 1 ] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; }
trap teardown EXIT

log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --config kind-config.yaml --wait 120s
log "building and loading $IMAGE"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

log "helm install"
kubectl create namespace "$NS"
helm install strand helm/strand --namespace "$NS" --wait \
  --set image.repository="${IMAGE%%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never
kubectl -n "$NS" rollout status deploy/strand-operator --timeout=120s

log "applying a 3-broker KafkaCluster and a Topic"
kubectl -n "$NS" apply -f examples/kafkacluster.yaml -f examples/topic.yaml
kubectl -n "$NS" wait kafkacluster/demo --for=condition=Ready --timeout=600s
kubectl -n "$NS" wait topic/orders --for=condition=Ready --timeout=120s
kubectl -n "$NS" get kafkaclusters,topics,pods -o wide

log "racks: one broker per zone"
racks=$(for i in 0 1 2; do kubectl -n "$NS" logs demo-broker-$i -c rack | grep -o '"rack":"[^"]*"'; done | sort -u | wc -l)
[ "$racks" -eq 3 ] || fail "expected 3 distinct racks, got $racks"

BOOT=demo-bootstrap.$NS.svc:9092
kcat_pod() { kubectl -n "$NS" run "kcat-$RANDOM" --rm -i --restart=Never --image="$KCAT_IMAGE" --command -- "$@"; }

log "produce and consume with kcat from a pod"
seq 1 1000 | kcat_pod kcat -P -b "$BOOT" -t orders.v1 -X acks=all
n=$(kcat_pod kcat -C -b "$BOOT" -t orders.v1 -o beginning -e -q | grep -c '^[0-9]')
[ "$n" -eq 1000 ] || fail "consumed $n of 1000"

log "failover: delete demo-broker-1"
kubectl -n "$NS" delete pod demo-broker-1 --wait=false
seq 1001 1100 | kcat_pod kcat -P -b "$BOOT" -t orders.v1 -X acks=all
kubectl -n "$NS" wait pod/demo-broker-1 --for=condition=Ready --timeout=300s
n=$(kcat_pod kcat -C -b "$BOOT" -t orders.v1 -o beginning -e -q | grep -c '^[0-9]')
[ "$n" -eq 1100 ] || fail "after failover consumed $n of 1100"
kubectl -n "$NS" wait kafkacluster/demo --for=condition=Ready --timeout=300s

log "metrics"
kubectl -n "$NS" run "curl-$RANDOM" --rm -i --restart=Never --image=curlimages/curl --command -- \
  curl -sf "http://demo-metrics.$NS.svc:9644/metrics" | grep -E '^strand_(brokers|partitions_under_replicated) '

log "PASS"
