/**
 * The broker StatefulSet.
 *
 * - Node id = pod ordinal, from the `apps.kubernetes.io/pod-index` label (Kubernetes >= 1.28)
 *   through the downward API into $(POD_INDEX), which the kubelet expands in args.
 * - Advertised address = `<pod>.<headless>.<ns>.svc:9092`, stable across restarts.
 * - Rack: the downward API cannot expose node labels, so with spec.rack an init container
 *   (same image, `node -e RACK_SCRIPT`) reads the pod's Node through the API (ServiceAccount
 *   `strand-broker`, which may only `get nodes`) and writes the label value to a file; the
 *   broker's command is then a one-line `sh -c` that `exec`s node with `--rack "$(cat file)"`
 *   (exec, so node is still PID 1 and receives SIGTERM itself). A node without the label
 *   fails the init container loudly rather than starting a rack-less broker.
 * - `args` are always exactly `strand broker` flags (parseable by parseBrokerArgs after
 *   $(VAR) expansion); the subcommand lives in `command`.
 * - updateStrategy OnDelete: the operator rolls brokers one at a time, in its own order.
 */
import type { V1Container, V1EnvVar, V1PodSpec, V1StatefulSet, V1TopologySpreadConstraint, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { HTTP_PORT, KAFKA_PORT, type KafkaCluster } from '../api/index.js';
import { configHash, SETTINGS_KEY } from './configmap.js';
import {
  ANNOTATION_CONFIG_HASH,
  BROKER_SERVICE_ACCOUNT,
  brokerClusterId,
  labels,
  LABEL_POD_INDEX,
  names,
  namespaceOf,
  natsUrl,
  ownedMeta,
  selectorLabels,
} from './names.js';

export interface BuildOptions {
  /** Broker image when spec.image is omitted: the operator passes its own image. */
  readonly defaultImage: string;
}

export const DEFAULT_BUILD_OPTIONS: BuildOptions = { defaultImage: 'strand:0.1.0' };

/** Where the image puts the CLI (Dockerfile). */
export const BROKER_ENTRYPOINT = '/app/dist/broker/src/main.js';
export const DATA_MOUNT = '/var/lib/strand';
export const DATA_DIR = `${DATA_MOUNT}/data`;
export const RACK_DIR = '/var/run/strand';
export const RACK_FILE = `${RACK_DIR}/rack`;
const API_CREDENTIALS_DIR = '/var/run/secrets/strand-api';

/**
 * Controlled shutdown moves leadership away and waits for the controller; the broker's own
 * deadline is well under this, so the kubelet's SIGKILL only ever hits a hung broker.
 */
export const TERMINATION_GRACE_SECONDS = 120;

/**
 * Init-container script: GET /api/v1/nodes/$NODE_NAME with the token and CA in
 * $CREDENTIALS_DIR, write the value of label $TOPOLOGY_KEY to $RACK_FILE. Plain node (no
 * client library) so it runs from the image as is, and a test runs it against a local server.
 */
export const RACK_SCRIPT = [
  "const fs=require('fs'),https=require('https');",
  "const dir=process.env.CREDENTIALS_DIR+'/',node=process.env.NODE_NAME,key=process.env.TOPOLOGY_KEY;",
  "const fail=(m)=>{process.stderr.write(m+'\\n');process.exit(1);};",
  "https.get({host:process.env.KUBERNETES_SERVICE_HOST||'kubernetes.default.svc',port:process.env.KUBERNETES_SERVICE_PORT||443,",
  "path:'/api/v1/nodes/'+encodeURIComponent(node),ca:fs.readFileSync(dir+'ca.crt'),",
  "headers:{Authorization:'Bearer '+fs.readFileSync(dir+'token','utf8').trim()}},(res)=>{let body='';",
  "res.on('data',(d)=>{body+=d;});res.on('end',()=>{",
  "if(res.statusCode!==200)fail('GET node '+node+': HTTP '+res.statusCode+' '+body.slice(0,300));",
  "const v=((JSON.parse(body).metadata||{}).labels||{})[key];",
  "if(!v)fail('node '+node+' has no label '+key+' (spec.rack.topologyKey)');",
  "fs.writeFileSync(process.env.RACK_FILE,v);process.stdout.write(JSON.stringify({msg:'rack',node,rack:v})+'\\n');});",
  "}).on('error',(e)=>fail('GET node '+node+': '+e.message));",
].join('');

/** The broker's `sh -c` wrapper when a rack is read from the init container's file. */
export const RACK_WRAPPER = `exec node ${BROKER_ENTRYPOINT} broker "$@" --rack "$(cat ${RACK_FILE})"`;

function fieldEnv(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

/** `strand broker` flags. $(VAR) references are expanded by the kubelet from the container env. */
export function brokerArgs(c: KafkaCluster): string[] {
  return [
    '--node-id', '$(POD_INDEX)',
    '--listen', `0.0.0.0:${KAFKA_PORT}`,
    '--advertised', `$(POD_NAME).${names.headlessService(c.metadata.name)}.${namespaceOf(c)}.svc:${KAFKA_PORT}`,
    '--http', `0.0.0.0:${HTTP_PORT}`,
    '--data-dir', DATA_DIR,
    '--metadata', natsUrl(c),
    '--cluster', brokerClusterId(c),
  ];
}

export function brokerEnv(c: KafkaCluster): V1EnvVar[] {
  return [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_INDEX', `metadata.labels['${LABEL_POD_INDEX}']`),
    { name: SETTINGS_KEY, valueFrom: { configMapKeyRef: { name: names.configMap(c.metadata.name), key: SETTINGS_KEY } } },
  ];
}

const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Quantities may be written as YAML ints (cpu: 1); the API type wants strings. */
function quantities(list: Readonly<Record<string, string | number>>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, String(v)]));
}

function brokerContainer(c: KafkaCluster, image: string): V1Container {
  const mounts: V1VolumeMount[] = [
    { name: 'data', mountPath: DATA_MOUNT },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (c.spec.rack !== undefined) mounts.push({ name: 'rack', mountPath: RACK_DIR, readOnly: true });
  const container: V1Container = {
    name: 'broker',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: c.spec.rack !== undefined ? ['/bin/sh', '-c', RACK_WRAPPER, 'strand-broker'] : ['node', BROKER_ENTRYPOINT, 'broker'],
    args: brokerArgs(c),
    env: brokerEnv(c),
    ports: [
      { name: 'kafka', containerPort: KAFKA_PORT, protocol: 'TCP' },
      { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
    ],
    // Log recovery may take minutes after a crash: liveness waits for the startup probe.
    startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, failureThreshold: 120, timeoutSeconds: 5 },
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
    // /readyz: registered, metadata loaded, every followed partition in its ISR.
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
    volumeMounts: mounts,
    securityContext: restricted,
  };
  const res = c.spec.resources;
  if (res !== undefined) {
    container.resources = {};
    if (res.requests !== undefined) container.resources.requests = quantities(res.requests);
    if (res.limits !== undefined) container.resources.limits = quantities(res.limits);
  }
  return container;
}

function rackInitContainer(topologyKey: string, image: string): V1Container {
  return {
    name: 'rack',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['node', '-e', RACK_SCRIPT],
    env: [
      fieldEnv('NODE_NAME', 'spec.nodeName'),
      { name: 'TOPOLOGY_KEY', value: topologyKey },
      { name: 'RACK_FILE', value: RACK_FILE },
      { name: 'CREDENTIALS_DIR', value: API_CREDENTIALS_DIR },
    ],
    volumeMounts: [
      { name: 'rack', mountPath: RACK_DIR },
      { name: 'api-credentials', mountPath: API_CREDENTIALS_DIR, readOnly: true },
    ],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
    securityContext: restricted,
  };
}

function spread(c: KafkaCluster): V1TopologySpreadConstraint[] {
  const selector = { matchLabels: selectorLabels(c.metadata.name, 'broker') };
  const out: V1TopologySpreadConstraint[] = [];
  if (c.spec.rack !== undefined) {
    // Hard: brokers that share a rack defeat rack-aware replica placement.
    out.push({ maxSkew: 1, topologyKey: c.spec.rack.topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector });
  }
  out.push({ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector });
  return out;
}

function podSpec(c: KafkaCluster, image: string): V1PodSpec {
  const volumes: V1Volume[] = [{ name: 'tmp', emptyDir: {} }];
  const spec: V1PodSpec = {
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    // Brokers do not talk to the API; only the rack init container does, via its own mount.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    topologySpreadConstraints: spread(c),
    containers: [brokerContainer(c, image)],
    volumes,
  };
  if (c.spec.rack !== undefined) {
    spec.serviceAccountName = BROKER_SERVICE_ACCOUNT;
    spec.initContainers = [rackInitContainer(c.spec.rack.topologyKey, image)];
    volumes.push({ name: 'rack', emptyDir: { sizeLimit: '1Mi' } });
    volumes.push({
      name: 'api-credentials',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    });
  }
  return spec;
}

export function brokerImage(c: KafkaCluster, opts: BuildOptions): string {
  return c.spec.image ?? opts.defaultImage;
}

export function buildBrokerStatefulSet(c: KafkaCluster, opts: BuildOptions = DEFAULT_BUILD_OPTIONS): V1StatefulSet {
  const name = c.metadata.name;
  const storage = c.spec.storage;
  const claimSpec: NonNullable<V1StatefulSet['spec']>['volumeClaimTemplates'] = [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', labels: labels(name, 'broker') },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: String(storage.size) } },
        ...(storage.storageClassName !== undefined ? { storageClassName: storage.storageClassName } : {}),
      },
    },
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMeta(c, names.brokerStatefulSet(name), 'broker'),
    spec: {
      replicas: c.spec.replicas,
      serviceName: names.headlessService(name),
      // Brokers need each other (and NATS) to become ready; ordered start would deadlock on /readyz.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: selectorLabels(name, 'broker') },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: storage.deleteClaim ? 'Delete' : 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: labels(name, 'broker'), annotations: { [ANNOTATION_CONFIG_HASH]: configHash(c) } },
        spec: podSpec(c, brokerImage(c, opts)),
      },
      volumeClaimTemplates: claimSpec,
    },
  };
}
