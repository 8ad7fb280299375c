// A restart after a reboot or a reused pid: `backtest` on a portfolio whose lock row names a pid that an unrelated live
// process has now is not refused; a lock row naming a live holder (same boot, same pid, same start time) still is.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runBinary } from './fixtures/binaryRun.js';
import { twoStrategyConfig } from './fixtures/cliRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-stale-lock-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(process.platform !== 'linux')(
  `stale writer locks at the command line${process.platform === 'linux' ? '' : ' — SKIPPED: no /proc here, so holders are judged by pid only'}`,
  () => {
    it('backtest takes over a lock whose pid an unrelated process has now (after a reboot, or reused), and is refused by the live holder', async () => {
      const bars = join(scratch, 'bars.csv');
      await writeLongCsv(bars, syntheticSlices({ seed: 5, symbols: 2, bars: 40, start: '2023-01-02' }));
      const configPath = join(scratch, 'config.json');
      writeFileSync(configPath, JSON.stringify(twoStrategyConfig('lk', 'stale lock e2e')));
      const path = join(scratch, 'lk.db');
      const args = ['backtest', '--config', configPath, '--bars', bars, '--store', `sqlite:${path}`];
      const first = await runBinary(args);
      expect(first.err).toBe('');
      expect(first.code).toBe(0);

      // The unrelated process: a `sleep` whose command name, as /proc shows it, holds ") (".
      const link = join(scratch, 'sl) (eep 9');
      symlinkSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), link);
      const sleeper = spawn(link, ['30'], { stdio: 'ignore' });
      try {
        const pid = sleeper.pid as number;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
        const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
        const since = '2024-03-01T00:00:00.000Z';
        const plant = (bootId: string, startTime: number): void => {
          const db = new Database(path);
          db.prepare('INSERT OR REPLACE INTO writer_locks (key, pid, host, since, boot_id, start_time) VALUES (?, ?, ?, ?, ?, ?)').run('lk', pid, hostname(), since, bootId, startTime);
          db.close();
        };

        plant(boot, started + 1);
        const afterReuse = await runBinary(args);
        expect(afterReuse.err).toBe('');
        expect(afterReuse.code).toBe(0);

        plant('aaaaaaaa-0000-4000-8000-000000000000', started);
        const afterReboot = await runBinary(args);
        expect(afterReboot.err).toBe('');
        expect(afterReboot.code).toBe(0);

        plant(boot, started);
        const refused = await runBinary(args);
        expect(refused.code).toBe(2);
        expect(refused.err).toBe(
          `stratafolio: portfolio "lk" in sqlite:${path} is being written by process ${pid} on ${hostname()} since ${since}; ` +
            'stop that process first (a lock left by a process that died is taken over automatically)\n',
        );
      } finally {
        sleeper.kill('SIGKILL');
      }
    });
  },
);
