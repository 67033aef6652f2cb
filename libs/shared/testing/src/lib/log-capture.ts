import { Logger, type LoggerService } from '@nestjs/common';

type Level = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const LEVELS: Level[] = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'];

/**
 * Collects every line a process logs while active, so a test can search them for secrets:
 * - everything written to stdout and stderr, which includes every JSON line of the processes'
 *   pino logger (libs/shared/observability writes through `process.stdout.write` for this reason):
 *   the HTTP access log and every Nest Logger call routed through nestjs-pino;
 * - every Nest Logger call at every level, debug and verbose included (which the process's log
 *   level may drop before they reach stdout), forwarded to the logger in place so output is unchanged.
 * An app created after `start()` installs its own Nest logger; its lines are still captured from stdout.
 */
export class LogCapture {
  readonly lines: string[] = [];
  private restore: Array<() => void> = [];

  /** Starts capturing (stdout, stderr and the Nest logger). */
  start(): this {
    const capture = (stream: NodeJS.WriteStream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      this.restore.push(() => {
        stream.write = original as typeof stream.write;
      });
    };
    capture(process.stdout);
    capture(process.stderr);

    const previous = currentNestLogger();
    const tee = Object.fromEntries(
      LEVELS.map((level) => [
        level,
        (message: unknown, ...params: unknown[]) => {
          this.lines.push(`${level} ${stringify(message)} ${params.map(stringify).join(' ')}`);
          previous?.[level]?.(message, ...params);
        },
      ]),
    ) as unknown as LoggerService;
    Logger.overrideLogger(tee);
    this.restore.push(() => {
      // Put the previous logger back, unless an app replaced ours meanwhile (then keep the app's).
      if (currentNestLogger() === tee) Logger.overrideLogger(previous ?? ['log', 'error', 'warn']);
    });
    return this;
  }

  /** Stops capturing. */
  stop(): void {
    for (const undo of this.restore.reverse()) undo();
    this.restore = [];
  }

  /** Everything captured, as one string. */
  text(): string {
    return this.lines.join('\n');
  }
}

/** The logger every `new Logger(context)` writes to (Nest keeps it in a protected static field). */
function currentNestLogger(): LoggerService | undefined {
  return (Logger as unknown as { staticInstanceRef?: LoggerService }).staticInstanceRef;
}

function stringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
