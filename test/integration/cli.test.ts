/**
 * The `strand broker` command line as a user meets it: --help documents every flag, and a
 * bad flag value (or STRAND_* variable) makes the process exit non-zero at once, naming the
 * flag in stderr, without starting to listen.
 */
import { assertBuilt, BROKER_MAIN, makeTempDir, rmTempDir } from '../helpers/broker.js';
import { run, tail } from '../helpers/tools.js';

const dataDir = makeTempDir('strand-cli-');

beforeAll(() => {
  assertBuilt();
});

afterAll(() => {
  rmTempDir(dataDir);
});

function strand(args: readonly string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof run> {
  return run(process.execPath, [BROKER_MAIN, ...args], { timeoutMs: 15_000, env: { ...process.env, NODE_OPTIONS: '', ...env } });
}

const FLAGS = ['--node-id', '--listen', '--advertised', '--data-dir', '--http', '--metadata', '--cluster', '--rack', '--set', '--help'];
const SOME_SETTINGS = ['num.partitions', 'log.segment.bytes', 'log.retention.ms', 'min.insync.replicas', 'message.max.bytes', 'auto.create.topics.enable'];

test('broker --help lists every flag and the Kafka-named settings, and exits 0', async () => {
  const r = await strand(['broker', '--help']);
  const text = r.stdout.toString('utf8') + r.stderr;
  expect(r.code).toBe(0);
  for (const f of FLAGS) expect(text).toContain(f);
  for (const s of SOME_SETTINGS) expect(text).toContain(s);
});

const base = (): string[] => ['--data-dir', dataDir, '--http', '127.0.0.1:0'];

const badCases: Array<{ name: string; args: () => string[]; env?: NodeJS.ProcessEnv; mentions: string }> = [
  { name: '--listen without a port', args: () => ['--listen', 'localhost', ...base()], mentions: '--listen' },
  { name: '--listen port out of range', args: () => ['--listen', '127.0.0.1:70000', ...base()], mentions: '--listen' },
  { name: '--node-id not a number', args: () => ['--node-id', 'abc', '--listen', '127.0.0.1:0', ...base()], mentions: '--node-id' },
  { name: '--node-id negative', args: () => ['--node-id', '-5', '--listen', '127.0.0.1:0', ...base()], mentions: '--node-id' },
  { name: '--http garbage', args: () => ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--http', 'x:y:z'], mentions: '--http' },
  { name: '--metadata unknown scheme', args: () => ['--listen', '127.0.0.1:0', '--metadata', 'zookeeper://h:1', ...base()], mentions: '--metadata' },
  { name: '--set bad integer', args: () => ['--listen', '127.0.0.1:0', '--set', 'num.partitions=zero', ...base()], mentions: 'num.partitions' },
  { name: '--set bad boolean', args: () => ['--listen', '127.0.0.1:0', '--set', 'auto.create.topics.enable=maybe', ...base()], mentions: 'auto.create.topics.enable' },
  { name: '--set unknown key', args: () => ['--listen', '127.0.0.1:0', '--set', 'no.such.setting=1', ...base()], mentions: 'no.such.setting' },
  { name: '--set without =', args: () => ['--listen', '127.0.0.1:0', '--set', 'log.retention.ms', ...base()], mentions: '--set' },
  { name: 'unknown flag', args: () => ['--listen', '127.0.0.1:0', '--frobnicate', '1', ...base()], mentions: '--frobnicate' },
  { name: 'flag missing its value', args: () => [...base(), '--listen'], mentions: '--listen' },
  { name: 'bad STRAND_LISTEN', args: () => base(), env: { STRAND_LISTEN: 'not-an-address' }, mentions: 'STRAND_LISTEN' },
];

test.each(badCases)('$name: exits non-zero naming $mentions', async (c) => {
  const r = await strand(['broker', ...c.args()], c.env ?? {});
  const stdout = r.stdout.toString('utf8');
  const context = `exit=${r.code} signal=${r.signal}\nstderr:\n${tail(r.stderr, 1500)}\nstdout:\n${tail(stdout, 1500)}`;
  expect({ exitedNonZero: r.code !== null && r.code !== 0, context }).toEqual({ exitedNonZero: true, context });
  expect(r.stderr).toContain(c.mentions);
  expect(stdout).not.toMatch(/"msg":"listening"/);
});

test('an unknown subcommand exits non-zero', async () => {
  const r = await strand(['frobnicate']);
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr.length).toBeGreaterThan(0);
});
