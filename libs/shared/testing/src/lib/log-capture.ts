import { Logger, type LoggerService } from '@nestjs/common';

/** Collects every line Nest's Logger and the console write while active, so a test can search them for secrets. */
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
    const sink = (level: string) => (message: unknown, ...params: unknown[]) => {
      this.lines.push(`${level} ${stringify(message)} ${params.map(stringify).join(' ')}`);
    };
    const logger: LoggerService = {
      log: sink('log'),
      error: sink('error'),
      warn: sink('warn'),
      debug: sink('debug'),
      verbose: sink('verbose'),
      fatal: sink('fatal'),
    };
    Logger.overrideLogger(logger);
    this.restore.push(() => Logger.overrideLogger(['log', 'error', 'warn']));
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

function stringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
