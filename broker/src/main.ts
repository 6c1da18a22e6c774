#!/usr/bin/env node
/**
 * CLI entry: `strand broker [flags]`, `strand operator [flags]`, `strand --help`.
 * Logs are pino JSON lines on stdout; usage and configuration errors go to stderr.
 * Log level: STRAND_LOG_LEVEL (default info).
 */
import { pino, type Logger } from 'pino';
import type { RunningBroker } from './broker.js';
import { ConfigError, brokerUsage, parseBrokerArgs, type BrokerConfig } from './config.js';

// Controlled shutdown (cluster) may wait up to 30 s (broker.ts CONTROLLED_SHUTDOWN_TIMEOUT_MS) before the normal stop.
const STOP_TIMEOUT_MS = 8000 + 30_000;

function topUsage(): string {
  return [
    'Usage: strand <command> [flags]',
    '',
    'Commands:',
    '  broker      run a Kafka-compatible broker',
    '  operator    run the Kubernetes operator (strand operator --help)',
    '',
    brokerUsage(),
  ].join('\n');
}

async function runBroker(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(brokerUsage() + '\n');
    return;
  }
  let config: BrokerConfig;
  try {
    config = parseBrokerArgs(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`strand broker: ${e.message}\nRun 'strand broker --help' for the flags.\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger: Logger = pino({ level: process.env.STRAND_LOG_LEVEL ?? 'info', base: { pid: process.pid, node: config.nodeId } });

  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });

  let broker: RunningBroker;
  try {
    // Loaded only now, so --help and flag errors never depend on the rest of the broker.
    const { startBroker } = await import('./broker.js');
    broker = await startBroker(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'broker failed to start');
    process.exit(1);
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function main(args: readonly string[]): Promise<void> {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'broker':
      return runBroker(rest);
    case 'operator': {
      // Loaded lazily: the broker never pays for @kubernetes/client-node.
      const { runOperator } = await import('../../operator/src/main.js');
      return runOperator(rest);
    }
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(topUsage() + '\n');
      return;
    default:
      process.stderr.write(`${cmd === undefined ? 'strand: missing command' : `strand: unknown command "${cmd}"`}\n\n${topUsage()}\n`);
      process.exit(2);
  }
}

await main(process.argv.slice(2));
