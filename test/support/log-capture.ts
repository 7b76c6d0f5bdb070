import { LoggerService } from '@nestjs/common';

/** A logger that keeps what the app logs, so that a test can count the lines it looks for. */
export class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  private readonly expected = new Set<{ level: string; pattern: RegExp; times: number; resolve(): void }>();

  log(message: unknown): void {
    this.keep('log', message);
  }

  warn(message: unknown): void {
    this.keep('warn', message);
  }

  error(message: unknown): void {
    this.keep('error', message);
  }

  /** How many lines of `level` match `pattern`. */
  count(level: string, pattern: RegExp): number {
    return this.lines.filter((line) => line.level === level && pattern.test(line.message)).length;
  }

  /** Resolves once `times` lines of `level` matching `pattern` are logged (at once if they were). */
  logged(level: string, pattern: RegExp, times = 1): Promise<void> {
    return new Promise((resolve) => {
      this.expected.add({ level, pattern, times, resolve });
      this.settle();
    });
  }

  private keep(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
    this.settle();
  }

  private settle(): void {
    for (const expectation of [...this.expected].filter((e) => this.count(e.level, e.pattern) >= e.times)) {
      this.expected.delete(expectation);
      expectation.resolve();
    }
  }
}
