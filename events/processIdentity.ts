// What tells one process from another that had, or has, the same pid: on Linux, the boot it runs in and the moment it
// started in that boot, both read from /proc. The writer lock records them with the holder's pid, so a pid that an
// unrelated process took after a reboot or a wrap-around of pids is not mistaken for the holder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where Linux shows its processes; absent elsewhere (macOS, Windows), where holders are judged by pid alone. */
export const PROC_ROOT = '/proc';

/** What stale-lock detection reads of a /proc/<pid>/stat line. */
export interface ProcStat {
  readonly pid: number;
  /** The command name (field 2), without its parentheses. */
  readonly command: string;
  /** Field 22, `starttime`: when the process started, in clock ticks after boot. */
  readonly startTime: number;
}

/**
 * Reads a /proc/<pid>/stat line, or null when it is not one. The command name (field 2) is set by whoever named the
 * program file and may hold spaces and parentheses, so the fields after it are counted from the line's last ")".
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = text.slice(0, open);
  // After ") ": field 3 (the state) onward, so field 22 is the 20th.
  const start = text.slice(close + 2).split(' ')[19];
  if (!/^[1-9]\d*$/.test(pid) || start === undefined || !/^\d+$/.test(start)) return null;
  const startTime = Number(start);
  return Number.isSafeInteger(startTime) ? { pid: Number(pid), command: text.slice(open + 2, close), startTime } : null;
}

/** The id of the boot this machine runs in (new at every boot), or undefined where it cannot be read. */
export function readBootId(procRoot: string = PROC_ROOT): string | undefined {
  try {
    const id = readFileSync(join(procRoot, 'sys', 'kernel', 'random', 'boot_id'), 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

/**
 * When process `pid` started, in clock ticks after boot; undefined where that cannot be read: no such process, no
 * /proc, or a /proc that hides other users' processes (mounted with `hidepid`), so undefined says nothing of liveness.
 */
export function readStartTime(pid: number, procRoot: string = PROC_ROOT): number | undefined {
  try {
    const stat = parseProcStat(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
    return stat?.pid === pid ? stat.startTime : undefined;
  } catch {
    return undefined;
  }
}
