/**
 * Where the CPU time goes, from V8 CPU profiles (`node --cpu-prof`): self time summed by
 * component (the npm package, or our own folder, a function's script belongs to) and the
 * hottest functions. Used by `npm run bench:e2e` with `BENCH_E2E_PROFILE=1`, and on its own:
 * `node --import tsx bench/e2e-profile.ts DIR` prints the summary of every profile in DIR.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The component a script belongs to: `kinesalite`, `@aws-sdk/…`, `src/sinks`, `(gc)`, … */
export function componentOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  const m = /\/(src|bench|handlers)\/(?:([^/]+)\/)?/.exec(url);
  if (m) return m[2] && !m[2].includes('.') ? `${m[1]}/${m[2]}` : m[1]!;
  return url.startsWith('file:') ? 'other' : 'node (core)';
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  byComponent: [string, number][];
  topFunctions: [string, number][];
}

/**
 * Summarises one `.cpuprofile`.
 *
 * @example
 * const s = summarizeProfile('/tmp/prof/CPU.123.cpuprofile');
 */
export function summarizeProfile(file: string): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const comp = new Map<string, number>();
  const fn = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    totalMs += ms;
    if (n.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const c = componentOf(n.callFrame.url, n.callFrame.functionName);
    comp.set(c, (comp.get(c) ?? 0) + ms);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|handlers)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { file, totalMs, idleMs, byComponent: sorted(comp), topFunctions: sorted(fn).slice(0, 15) };
}

/**
 * Lines of a summary: busy time, then components above 1% of it.
 *
 * @example
 * for (const line of formatSummary(summarizeProfile(file), 'main thread')) console.error(line);
 */
export function formatSummary(s: ProfileSummary, title: string, functions = 8): string[] {
  const busy = s.totalMs - s.idleMs;
  const out = [`${title}: ${Math.round(busy)} ms busy of ${Math.round(s.totalMs)} ms profiled (${((100 * busy) / (s.totalMs || 1)).toFixed(0)}%)`];
  for (const [c, ms] of s.byComponent) if (ms >= busy * 0.01) out.push(`  ${c.padEnd(34)} ${String(Math.round(ms)).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%`);
  out.push('  hottest functions (self time):');
  for (const [f, ms] of s.topFunctions.slice(0, functions)) out.push(`    ${String(Math.round(ms)).padStart(6)} ms  ${f}`);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2] ?? '.';
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    for (const line of formatSummary(summarizeProfile(path.join(dir, f)), f, 12)) console.log(line);
  }
}
