/**
 * The seed's progress on stderr: one bar per step, redrawn in place on a
 * terminal (otherwise a line every 10 % or every 30 s, so logs stay short).
 */
export interface Progress {
  step(name: string, total: number, start: number): { update(done: number): void; done(): void };
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY);
  return {
    step(name, total, start) {
      const t0 = Date.now();
      let lastTenth = -1;
      let lastLineAt = 0;
      const line = (done: number) => {
        const share = total ? done / total : 1;
        const width = 30;
        const filled = Math.round(share * width);
        const rate = (done - start) / Math.max(0.001, (Date.now() - t0) / 1000);
        const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        return `[seed] ${name.padEnd(52)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(0)}/s${done < total ? ` ETA ${eta}s` : ''}`;
      };
      const update = (done: number) => {
        if (tty) {
          stream.write(`\r${line(done)}\x1b[K`);
        } else {
          const tenth = Math.floor((total ? done / total : 1) * 10);
          if (tenth !== lastTenth || Date.now() - lastLineAt > 30_000) {
            stream.write(line(done) + '\n');
            lastLineAt = Date.now();
          }
          lastTenth = tenth;
        }
      };
      if (start > 0 && start < total) stream.write(`[seed] ${name}: resuming at ${start} of ${total}\n`);
      update(start);
      return {
        update,
        done() {
          if (tty) stream.write(`\r${line(total)} ${((Date.now() - t0) / 1000).toFixed(1)}s\x1b[K\n`);
          else if (lastTenth !== 10) stream.write(line(total) + '\n');
        },
      };
    },
  };
}
