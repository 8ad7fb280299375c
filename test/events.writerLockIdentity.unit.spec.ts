// Stale-lock detection by more than a pid: a lock holder is identified by its boot and its process's start time where
// the kernel says them (/proc), so a pid taken by an unrelated process after a reboot or a wrap-around of pids does not
// keep a dead holder's lock. Judged here against a made-up /proc, so every case is exact; the stores are tested on the
// real one in events.writerLock.int.spec.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcStat, readBootId, readStartTime } from '../events/processIdentity.js';
import { currentHolder, holderIsDead, type WriterLockHolder } from '../events/writerLock.js';

/** A /proc/<pid>/stat line as Linux writes it: pid, (comm), then fields 3 to 52; field 22 is the start time. */
function statLine(pid: number, command: string, startTime: number): string {
  const fields = ['S', '1', String(pid), String(pid), '0', '-1', '4194304', '99', '0', '0', '0', '0', '0', '0', '0', '20', '0', '1', '0', String(startTime)];
  return `${pid} (${command}) ${fields.join(' ')} 3133440 405 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 1 1 1 1 1 1 1 0\n`;
}

describe('parseProcStat', () => {
  it('reads the pid, the command and field 22 (the start time) of a stat line', () => {
    expect(parseProcStat(statLine(4242, 'sleep', 105559))).toEqual({ pid: 4242, command: 'sleep', startTime: 105559 });
  });

  it('reads a command name holding spaces and ") (" (the name is whatever the program file was called)', () => {
    // Split naively on spaces, or cut at the first ")", this line gives field 22 as another field's value.
    const line = statLine(77, 'a) (b c) 9 9', 31337);
    expect(parseProcStat(line)).toEqual({ pid: 77, command: 'a) (b c) 9 9', startTime: 31337 });
  });

  it('gives null for a line that is not a stat line, rather than a wrong start time', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('4242 sleep S 1')).toBeNull();
    expect(parseProcStat('4242 (sleep) S 1 2 3')).toBeNull();
    expect(parseProcStat('4242 (sleep) S 1 4242 4242 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 soon 3133440')).toBeNull();
  });
});

describe('stale-lock detection with a /proc', () => {
  let proc = '';
  let child: ChildProcess | null = null;
  const BOOT = '2e71e015-4116-450f-b244-87ec4c875198';

  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'proc-'));
    mkdirSync(join(proc, 'sys', 'kernel', 'random'), { recursive: true });
    writeFileSync(join(proc, 'sys', 'kernel', 'random', 'boot_id'), `${BOOT}\n`);
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = null;
    rmSync(proc, { recursive: true, force: true });
  });

  /** A live process (not this one) whose /proc entry says it started at `startTime`. */
  const liveProcess = (startTime: number): number => {
    child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), 'stat'), statLine(pid, 'node', startTime));
    return pid;
  };
  const holder = (pid: number, identity: Partial<Pick<WriterLockHolder, 'bootId' | 'startTime'>> = {}): WriterLockHolder => ({
    pid,
    host: hostname(),
    since: '2024-03-01T00:00:00.000Z',
    ...identity,
  });

  it('reads the boot id and a process start time from it, and nothing where it has none', () => {
    const pid = liveProcess(500);
    expect(readBootId(proc)).toBe(BOOT);
    expect(readStartTime(pid, proc)).toBe(500);
    expect(readStartTime(pid + 1_000_000, proc)).toBeUndefined();
    expect(readBootId(join(proc, 'missing'))).toBeUndefined();
  });

  it('a live process with the pid but another start time is not the holder: the lock is stale', () => {
    const pid = liveProcess(500);
    expect(holderIsDead(holder(pid, { bootId: BOOT, startTime: 499 }), hostname(), proc)).toBe(true);
  });

  it('a holder recorded in another boot of this host is dead, whatever now has its pid', () => {
    const pid = liveProcess(500);
    expect(holderIsDead(holder(pid, { bootId: 'aaaaaaaa-0000-4000-8000-000000000000', startTime: 500 }), hostname(), proc)).toBe(true);
  });

  it('the holder itself (same boot, same pid, same start time) is alive', () => {
    const pid = liveProcess(500);
    expect(holderIsDead(holder(pid, { bootId: BOOT, startTime: 500 }), hostname(), proc)).toBe(false);
  });

  it('a holder recorded without its identity (by an earlier version) is judged by its pid alone', () => {
    const pid = liveProcess(500);
    expect(holderIsDead(holder(pid), hostname(), proc)).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    expect(holderIsDead(holder(dead), hostname(), proc)).toBe(true);
  });

  it('where the process cannot be read there (no /proc, or one hiding other users), the pid decides', () => {
    const pid = liveProcess(500);
    rmSync(join(proc, String(pid)), { recursive: true });
    expect(holderIsDead(holder(pid, { bootId: BOOT, startTime: 499 }), hostname(), proc)).toBe(false);
    expect(holderIsDead(holder(pid, { bootId: BOOT, startTime: 499 }), hostname(), join(proc, 'missing'))).toBe(false);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    expect(holderIsDead(holder(dead, { bootId: BOOT, startTime: 499 }), hostname(), join(proc, 'missing'))).toBe(true);
  });

  it('a holder on another host is never presumed dead, whatever its identity', () => {
    const pid = liveProcess(500);
    expect(holderIsDead({ ...holder(pid, { bootId: 'aaaaaaaa-0000-4000-8000-000000000000', startTime: 1 }), host: 'elsewhere' }, hostname(), proc)).toBe(false);
  });

  it('an identity of the wrong kind (a hand-edited row or event) is ignored, not trusted', () => {
    const pid = liveProcess(500);
    const odd = { ...holder(pid), bootId: 42, startTime: '499' } as unknown as WriterLockHolder;
    expect(holderIsDead(odd, hostname(), proc)).toBe(false);
  });

  it('this process records its boot and start time as a holder', () => {
    mkdirSync(join(proc, String(process.pid)));
    writeFileSync(join(proc, String(process.pid), 'stat'), statLine(process.pid, 'node (vitest)', 123456));
    expect(currentHolder(proc)).toMatchObject({ pid: process.pid, host: hostname(), bootId: BOOT, startTime: 123456 });
    const bare = currentHolder(join(proc, 'missing'));
    expect(bare).not.toHaveProperty('bootId');
    expect(bare).not.toHaveProperty('startTime');
  });
});
