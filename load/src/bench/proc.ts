/**
 * What a receiver costs, read from /proc for its whole process tree (storescp --fork runs one
 * process per association, our SCP one process with threads): resident memory sampled every
 * 50 ms and summed, and CPU seconds including children that have exited.
 */
import { readFileSync } from 'node:fs';

const PAGE = 4096;
const TICKS_PER_S = 100; // USER_HZ: 100 on every Linux we run on

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** The pid and all its descendants, from /proc/PID/task/TID/children. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    const children = read(`/proc/${pid}/task/${pid}/children`);
    if (children) for (const c of children.trim().split(' ')) if (c) stack.push(Number(c));
  }
  return out;
}

function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  // comm, in parentheses, may itself hold spaces: split after the last ')'. Index 0 is field 3.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function treeRssBytes(root: number): number {
  let pages = 0;
  for (const pid of processTree(root)) pages += Number(read(`/proc/${pid}/statm`)?.split(' ')[1] ?? 0);
  return pages * PAGE;
}

/** Proportional set size: shared pages split between the processes sharing them (fair to forking receivers). */
export function treePssBytes(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) kb += Number(/^Pss:\s+(\d+)/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '')?.[1] ?? 0);
  return kb * 1024;
}

/** User + system CPU of the tree; the root's cutime/cstime hold the children already reaped. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const f = statFields(pid);
    if (!f) continue;
    ticks += Number(f[11]) + Number(f[12]);
    if (pid === root) ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS_PER_S;
}

/** Peak of the tree's summed RSS, sampled every 50 ms until stopped. */
export function sampleRss(root: number): { stop(): number } {
  let peak = treeRssBytes(root);
  const timer = setInterval(() => (peak = Math.max(peak, treeRssBytes(root))), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRssBytes(root));
    },
  };
}
