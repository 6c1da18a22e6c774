/**
 * `strand operator [--namespace NS]... [--http HOST:PORT] [--kubeconfig PATH]`: the CLI side
 * of the operator. Flag parsing is pure (`parseOperatorArgs`); `runOperator` wires signals,
 * the logger and the kubeconfig around `startOperator`.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { DEFAULT_BUILD_OPTIONS } from './builders/index.js';
import { startOperator, type RunningOperator } from './runtime/operator.js';

export interface OperatorConfig {
  readonly namespaces: readonly string[];
  readonly http: { readonly host: string; readonly port: number } | null;
  readonly kubeconfig: string | null;
  readonly leaseNamespace: string | null;
  readonly defaultImage: string;
}

export class OperatorUsageError extends Error {}

export function operatorUsage(): string {
  return [
    'Usage: strand operator [flags]',
    '',
    'Reconciles KafkaCluster and Topic resources (strand.dev/v1alpha1).',
    '',
    '  --namespace NS         watch this namespace (repeatable; default: all namespaces)',
    '                         env STRAND_OPERATOR_NAMESPACES="a,b"',
    '  --http HOST:PORT       /metrics, /healthz, /readyz (default 0.0.0.0:8080; "off" disables)',
    '  --kubeconfig PATH      kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)',
    '  --lease-namespace NS   namespace of the leader-election Lease (default: the pod namespace,',
    '                         $POD_NAMESPACE, else the first watched namespace, else "default")',
    '  --default-image IMG    broker image when a KafkaCluster has no spec.image',
    '                         (default $STRAND_IMAGE, else ' + DEFAULT_BUILD_OPTIONS.defaultImage + ')',
    '',
    'Logs are pino JSON lines on stdout; STRAND_LOG_LEVEL sets the level (default info).',
  ].join('\n');
}

function hostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || m[1] === '' || port > 65535) throw new OperatorUsageError(`invalid ${flag}: expected HOST:PORT`);
  return { host: m[1] ?? '', port };
}

export function parseOperatorArgs(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig {
  const namespaces: string[] = [];
  let http: OperatorConfig['http'] = { host: '0.0.0.0', port: 8080 };
  let kubeconfig: string | null = null;
  let leaseNamespace: string | null = env['POD_NAMESPACE'] ?? null;
  let defaultImage = env['STRAND_IMAGE'] ?? DEFAULT_BUILD_OPTIONS.defaultImage;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq) : flag;
    const value = (): string => {
      if (eq > 0) return flag.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new OperatorUsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--namespace':
      case '-n':
        namespaces.push(value());
        break;
      case '--http': {
        const v = value();
        http = v === 'off' ? null : hostPort('--http', v);
        break;
      }
      case '--kubeconfig':
        kubeconfig = value();
        break;
      case '--lease-namespace':
        leaseNamespace = value();
        break;
      case '--default-image':
        defaultImage = value();
        break;
      default:
        throw new OperatorUsageError(`unknown flag ${flag}`);
    }
  }
  if (namespaces.length === 0 && env['STRAND_OPERATOR_NAMESPACES']) {
    namespaces.push(...env['STRAND_OPERATOR_NAMESPACES'].split(',').map((s) => s.trim()).filter(Boolean));
  }
  for (const ns of namespaces) if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw new OperatorUsageError(`invalid --namespace ${ns}`);
  return { namespaces, http, kubeconfig, leaseNamespace, defaultImage };
}

function loadKubeConfig(path: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (path !== null) kc.loadFromFile(path);
  else kc.loadFromDefault(); // in-cluster service account, $KUBECONFIG or ~/.kube/config
  return kc;
}

/** In a pod, the namespace it runs in (the service account mount says so). */
function podNamespace(): string | null {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export async function runOperator(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(operatorUsage() + '\n');
    return;
  }
  let config: OperatorConfig;
  try {
    config = parseOperatorArgs(argv, process.env);
  } catch (e) {
    if (e instanceof OperatorUsageError) {
      process.stderr.write(`strand operator: ${e.message}\nRun 'strand operator --help' for the flags.\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger: Logger = pino({ level: process.env['STRAND_LOG_LEVEL'] ?? 'info', base: { pid: process.pid, component: 'operator' } });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
  let running: RunningOperator;
  try {
    running = await startOperator({
      kubeConfig: loadKubeConfig(config.kubeconfig),
      namespaces: config.namespaces,
      http: config.http,
      logger,
      leaseNamespace: config.leaseNamespace ?? podNamespace() ?? config.namespaces[0] ?? 'default',
      defaultImage: config.defaultImage,
      // A replica that lost the lease restarts clean rather than trusting its caches.
      onLostLeadership: () => {
        logger.error('lost leadership: exiting');
        process.exit(1);
      },
    });
  } catch (err) {
    logger.fatal({ err }, 'operator failed to start');
    process.exit(1);
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
