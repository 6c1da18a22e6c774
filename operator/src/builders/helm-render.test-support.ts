/**
 * Test support: a renderer for the small subset of Helm's template language that
 * helm/strand/templates uses (helm itself is not installable here). Supported: `{{ .Release.X }}`,
 * `{{ .Values.a.b }}`, `$.`-rooted paths, `{{ . }}` in a range, pipelines through quote,
 * default, toYaml, nindent, join, list; `if`/`else`/`end`, `range`/`end`, `$var :=`; `{{-` trim.
 * Anything else throws, so a template that uses more must extend this (or get real helm).
 */
import { stringify } from 'yaml';

type Value = unknown;
interface Scope {
  readonly root: Record<string, Value>;
  readonly dot: Value;
  readonly vars: Map<string, Value>;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; expr: string }
  | { kind: 'if'; cond: string; then: Node[]; else: Node[] }
  | { kind: 'range'; over: string; body: Node[] };

function tokenize(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  const re = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/gs;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    out.push({ text });
    out.push({ action: m[2] ?? '' });
    trimNext = m[3] === '-';
    last = re.lastIndex;
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  out.push({ text: tail });
  return out;
}

function parse(tokens: ({ text: string } | { action: string })[], pos: { i: number }, stopAt: readonly string[]): { nodes: Node[]; stop: string } {
  const nodes: Node[] = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i++];
    if (t === undefined) break;
    if ('text' in t) {
      nodes.push({ kind: 'text', text: t.text });
      continue;
    }
    const a = t.action;
    if (stopAt.includes(a)) return { nodes, stop: a };
    if (a.startsWith('if ')) {
      const then = parse(tokens, pos, ['else', 'end']);
      const els = then.stop === 'else' ? parse(tokens, pos, ['end']).nodes : [];
      nodes.push({ kind: 'if', cond: a.slice(3), then: then.nodes, else: els });
    } else if (a.startsWith('range ')) {
      nodes.push({ kind: 'range', over: a.slice(6), body: parse(tokens, pos, ['end']).nodes });
    } else nodes.push({ kind: 'expr', expr: a });
  }
  return { nodes, stop: '' };
}

function path(scope: Scope, p: string): Value {
  if (p === '.') return scope.dot;
  const [base, rest] = p.startsWith('$.') ? [scope.root, p.slice(2)] : p.startsWith('.') ? [scope.dot, p.slice(1)] : [scope.vars.get(p), ''];
  if (!p.startsWith('.') && !p.startsWith('$')) throw new Error(`unsupported term ${p}`);
  if (p.startsWith('$') && !p.startsWith('$.')) {
    if (!scope.vars.has(p)) throw new Error(`unknown variable ${p}`);
    return scope.vars.get(p);
  }
  return rest.split('.').reduce<Value>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, Value>)[k] : undefined), base);
}

const truthy = (v: Value): boolean => !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0));

function term(scope: Scope, s: string): Value {
  const str = /^"(.*)"$/.exec(s);
  if (str) return str[1];
  if (/^\d+$/.test(s)) return Number(s);
  const list = /^\(list (.+)\)$/.exec(s);
  if (list?.[1] !== undefined) return list[1].split(/\s+/).map((x) => term(scope, x));
  return path(scope, s);
}

function call(scope: Scope, words: string[], piped: Value | undefined, hasPiped: boolean): Value {
  const [fn, ...args] = words;
  const vals = args.map((a) => term(scope, a));
  if (hasPiped) vals.push(piped);
  switch (fn) {
    case 'quote':
      return JSON.stringify(String(vals[0] ?? ''));
    case 'default':
      return truthy(vals[1]) ? vals[1] : vals[0];
    case 'toYaml':
      return stringify(vals[0]).trimEnd();
    case 'nindent':
      return '\n' + String(vals[1]).split('\n').map((l) => ' '.repeat(Number(vals[0])) + l).join('\n');
    case 'join':
      return ((vals[1] as Value[] | undefined) ?? []).map(String).join(String(vals[0]));
    default:
      if (words.length === 1 && !hasPiped) return term(scope, fn ?? '');
      throw new Error(`unsupported function ${fn ?? ''}`);
  }
}

/** Split on spaces outside parentheses and quotes. */
function words(s: string): string[] {
  return s.match(/\([^)]*\)|"[^"]*"|\S+/g) ?? [];
}

function evaluate(scope: Scope, expr: string): Value {
  let v: Value;
  let first = true;
  for (const stage of expr.split('|').map((x) => x.trim())) {
    v = call(scope, words(stage), v, !first);
    first = false;
  }
  return v;
}

function run(nodes: readonly Node[], scope: Scope): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'if') out += run(truthy(evaluate(scope, n.cond)) ? n.then : n.else, scope);
    else if (n.kind === 'range') {
      const items = evaluate(scope, n.over);
      for (const item of Array.isArray(items) ? items : []) out += run(n.body, { ...scope, dot: item });
    } else {
      const assign = /^(\$\w+) := (.+)$/.exec(n.expr);
      if (assign?.[1] !== undefined && assign[2] !== undefined) scope.vars.set(assign[1], evaluate(scope, assign[2]));
      else out += String(evaluate(scope, n.expr) ?? '');
    }
  }
  return out;
}

export function renderTemplate(src: string, values: Record<string, Value>, release: { Name: string; Namespace: string }): string {
  const tokens = tokenize(src);
  const { nodes } = parse(tokens, { i: 0 }, []);
  const root = { Values: values, Release: release };
  return run(nodes, { root, dot: root, vars: new Map() });
}
